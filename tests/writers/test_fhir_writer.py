"""The FHIR writer: native -> FHIR -> native is the identity on the model.

Episodes come from `tests.strategies.episodes()` and from a strategy derived from the model's
own field annotations, so a field added to the model is exercised (and must round-trip)
without editing this file. `examples/fhir/` holds the writer's output for every native
example; run ``python -m tests.writers.test_fhir_writer`` to regenerate it.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import sys
import types
import typing
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from emrlint.model import Episode, OrderCategory
from emrlint.model.episode import ITEM_LISTS
from emrlint.parsers.context import ParseContext
from emrlint.parsers.fhir import read_fhir
from emrlint.parsers.fhir.conventions import LINK_FIELDS
from emrlint.parsers.native import episode_from_mapping
from emrlint.writers.fhir import episode_to_fhir
from tests.builders import TZ
from tests.conftest import REPO
from tests.strategies import ZONES, episodes

NATIVE = REPO / "examples" / "native"
FHIR = REPO / "examples" / "fhir"


def read_back(bundle: dict[str, Any], strict: bool = False) -> list[Any]:
    """The bundle as `emrlint convert --to fhir` writes it, read by the FHIR reader."""
    data = json.dumps(bundle, ensure_ascii=False).encode("utf-8")
    context = ParseContext(tz=TZ, strict_fhir=strict)
    return list(read_fhir(io.BytesIO(data), "episode.json", context))


def assert_round_trip(episode: Episode, strict: bool = False) -> None:
    results = read_back(episode_to_fhir(episode), strict)
    assert [type(result).__name__ for result in results] == ["Episode"], results
    assert results[0] == episode


# -- a strategy for every field of the model, derived from its annotations -----------------

SAFE_TEXT = st.text(
    alphabet=st.sampled_from("abcXYZ0129-_.:/()病程记录手术科医师（）·"), min_size=1, max_size=10
)
TIMES = st.one_of(
    st.datetimes(
        min_value=dt.datetime(2020, 1, 1),
        max_value=dt.datetime(2026, 12, 31),
        timezones=st.sampled_from(ZONES),
    ),
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 12, 31)),
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | SAFE_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(SAFE_TEXT, inner, max_size=3),
    max_leaves=6,
)


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in metadata:
        for name in ("ge", "le", "min_length", "max_length", "pattern"):
            if getattr(item, name, None) is not None:
                found[name] = getattr(item, name)
    return found


def value_strategy(annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    """Values of one annotated model type (recursing into lists, unions and records)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        extra = [m for info in args[1:] if isinstance(info, FieldInfo) for m in info.metadata]
        return value_strategy(args[0], metadata + extra)
    if origin in (typing.Union, types.UnionType):
        if dt.datetime in args and dt.date in args:
            return TIMES if type(None) not in args else st.none() | TIMES
        return st.one_of([value_strategy(arg, metadata) for arg in args])
    if annotation is type(None):
        return st.none()
    if origin is list:
        return st.lists(value_strategy(args[0], []), max_size=3)
    if origin is dict:
        return st.dictionaries(SAFE_TEXT, JSON, max_size=3)
    if origin is typing.Literal:
        return st.sampled_from(args)
    bounds = _bounds(metadata)
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return st.sampled_from(list(annotation))
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(bounds.get("ge", -1000), bounds.get("le", 10**6))
    if annotation is float:
        return st.floats(bounds.get("ge", -1e6), 1e6, allow_nan=False, allow_infinity=False)
    if annotation is str:
        if "pattern" in bounds:
            return st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
        return SAFE_TEXT
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_strategy(annotation)
    if annotation is Any:
        return JSON
    raise AssertionError(f"no strategy for {annotation!r}: teach value_strategy this type")


def model_strategy(model: type[BaseModel], build: bool = True) -> st.SearchStrategy[Any]:
    """Instances of `model` (or, without `build`, their field dicts) with any subset of the
    optional fields given."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        strategy = value_strategy(info.annotation, list(info.metadata))
        (required if info.is_required() else optional)[name] = strategy
    fields = st.fixed_dictionaries(required, optional=optional)
    return fields.map(model.model_validate) if build else fields


@st.composite
def any_episodes(draw: st.DrawFn) -> Episode:
    """Episodes with every model field in play: unique item ids, links to items that exist."""
    fields = draw(model_strategy(Episode, build=False))
    counter = itertools.count()
    lists = {
        name: [
            item.model_copy(update={"id": f"{item.id}~{next(counter)}"})
            for item in fields.get(name, [])
        ]
        for name in ITEM_LISTS
    }
    ids = [item.id for items in lists.values() for item in items]
    for name in ITEM_LISTS:
        fixed = []
        for item in lists[name]:
            links = {}
            for field in LINK_FIELDS & set(type(item).model_fields):
                required = type(item).model_fields[field].is_required()
                choices = st.sampled_from(ids) if required else st.none() | st.sampled_from(ids)
                links[field] = draw(choices)
            fixed.append(item.model_copy(update=links))
        lists[name] = fixed
    admitted, discharged = fields["admitted_at"], fields.get("discharged_at")
    exact = isinstance(admitted, dt.datetime) and isinstance(discharged, dt.datetime)
    if exact and discharged < admitted:
        fields["discharged_at"] = admitted
    return Episode.model_validate({**fields, **lists})


def kitchen_sink(model: type[BaseModel], counter: itertools.count[int], build: bool = True) -> Any:
    """One instance of `model` (or its field dict) with every field set to a non-default value."""
    values = {}
    for name, info in model.model_fields.items():
        default = info.get_default(call_default_factory=True)
        values[name] = _non_default(info.annotation, list(info.metadata), counter, default)
    return model.model_validate(values) if build else values


def _non_default(
    annotation: Any, metadata: list[Any], counter: itertools.count[int], default: Any = None
) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    number = next(counter)
    if origin is typing.Annotated:
        extra = [m for info in args[1:] if isinstance(info, FieldInfo) for m in info.metadata]
        return _non_default(args[0], metadata + extra, counter, default)
    if origin in (typing.Union, types.UnionType):
        if dt.datetime in args:
            return dt.datetime(2025, 3, 1, 8, 0, tzinfo=TZ) + dt.timedelta(hours=number)
        choices = [arg for arg in args if arg is not type(None)]
        return _non_default(choices[number % len(choices)], metadata, counter, default)
    if origin is list:
        return [_non_default(args[0], [], counter) for _ in range(4)]
    if origin is dict:
        return {"site_field": [1, 2.5, "x", None, {"nested": True}]}
    if origin is typing.Literal:
        return args[0]
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        members = [member for member in annotation if member != default]
        return members[number % len(members)]
    if annotation is bool:
        return True
    if annotation in (int, float):
        bounds = _bounds(metadata)
        return annotation(min(bounds.get("le", 3), max(bounds.get("ge", 0), 3)))
    if annotation is str:
        return f"k{number}" if "pattern" in _bounds(metadata) else f"值{number}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return kitchen_sink(annotation, counter)
    if annotation is Any:
        return "any"
    raise AssertionError(f"no value for {annotation!r}")


def _kitchen_sink_episode() -> Episode:
    """Every field set; links from first items point at resources (a procedure, an order, an
    observation), from second items at a transfer (an item that is not a resource)."""
    fields = kitchen_sink(Episode, itertools.count(1), build=False)
    fields["orders"][0] = fields["orders"][0].model_copy(
        update={"category": OrderCategory.medication}
    )
    targets = {
        "about": fields["procedures"][0].id,
        "order_id": fields["orders"][0].id,
        "observation_id": fields["observations"][0].id,
    }
    for name in ITEM_LISTS:
        items = fields[name]
        for index, item in enumerate(items):
            links = {
                field: targets[field] if index % 2 == 0 else fields["transfers"][0].id
                for field in LINK_FIELDS & set(type(item).model_fields)
            }
            items[index] = item.model_copy(update=links)
    return Episode.model_validate({**fields, "discharged_at": None})


# -- the round trip -------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(episodes())
def test_round_trip_is_the_identity_on_the_shared_episode_strategy(episode: Episode) -> None:
    assert_round_trip(episode)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_episodes())
def test_round_trip_is_the_identity_on_every_model_field(episode: Episode) -> None:
    assert_round_trip(episode)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_episodes())
def test_written_bundles_validate_as_r4_and_read_the_same_strictly(episode: Episode) -> None:
    assert_round_trip(episode, strict=True)


def test_an_episode_with_every_field_set_round_trips() -> None:
    episode = _kitchen_sink_episode()
    for name, info in Episode.model_fields.items():
        if name not in ("discharged_at", "format"):  # format has one value, its default
            assert getattr(episode, name) != info.get_default(call_default_factory=True), name
    assert_round_trip(episode)
    assert_round_trip(episode, strict=True)


def test_writer_is_deterministic_and_json_ready() -> None:
    episode = _kitchen_sink_episode()
    first = json.dumps(episode_to_fhir(episode), ensure_ascii=False, sort_keys=True)
    assert first == json.dumps(episode_to_fhir(episode), ensure_ascii=False, sort_keys=True)
    bundle = episode_to_fhir(episode)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(urls) == len(set(urls))


def test_writer_uses_standard_elements_where_fhir_has_them() -> None:
    episode = _kitchen_sink_episode()
    bundle = episode_to_fhir(episode)
    resources = [entry["resource"] for entry in bundle["entry"]]
    encounter = next(r for r in resources if r["resourceType"] == "Encounter")
    assert encounter["class"]["code"] == "IMP"
    assert encounter["period"]["start"] == episode.admitted_at.isoformat()
    assert encounter["hospitalization"]["dischargeDisposition"]["coding"]
    procedure = next(r for r in resources if r["resourceType"] == "Procedure")
    assert "performedPeriod" in procedure
    document = next(r for r in resources if r["resourceType"] == "DocumentReference")
    assert document["context"]["encounter"] == [{"reference": bundle["entry"][1]["fullUrl"]}]


# -- examples/fhir --------------------------------------------------------------------------


def _native(path: Path) -> Episode:
    return episode_from_mapping(orjson.loads(path.read_bytes()), TZ)


def _render(episode: Episode) -> str:
    return json.dumps(episode_to_fhir(episode), ensure_ascii=False, indent=1) + "\n"


NATIVE_EXAMPLES = sorted(NATIVE.glob("*.json"))


@pytest.mark.parametrize("native", NATIVE_EXAMPLES, ids=[p.stem for p in NATIVE_EXAMPLES])
def test_fhir_example_reads_back_as_its_native_twin(native: Path) -> None:
    twin = FHIR / native.name
    assert twin.is_file(), f"{twin} is missing: python -m tests.writers.test_fhir_writer"
    with twin.open("rb") as stream:
        results = list(read_fhir(stream, str(twin), ParseContext(tz=TZ)))
    assert results == [_native(native)]


@pytest.mark.parametrize("native", NATIVE_EXAMPLES, ids=[p.stem for p in NATIVE_EXAMPLES])
def test_fhir_example_is_what_the_writer_writes_today(native: Path) -> None:
    twin = FHIR / native.name
    assert twin.read_text("utf-8") == _render(_native(native)), (
        f"{twin} is stale: python -m tests.writers.test_fhir_writer"
    )


def test_every_fhir_example_has_a_native_twin() -> None:
    assert {p.name for p in FHIR.glob("*.json")} == {p.name for p in NATIVE_EXAMPLES}


def regenerate() -> None:
    """Write examples/fhir/<stem>.json for every examples/native/<stem>.json (and nothing else)."""
    FHIR.mkdir(exist_ok=True)
    for stale in FHIR.glob("*.json"):
        if not (NATIVE / stale.name).exists():
            stale.unlink()
    for native in NATIVE_EXAMPLES:
        (FHIR / native.name).write_text(_render(_native(native)), encoding="utf-8")
        print(f"wrote {FHIR / native.name}", file=sys.stderr)


if __name__ == "__main__":
    regenerate()
