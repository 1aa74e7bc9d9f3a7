"""The HL7 v2 writer, and the round trip writer -> reader: what HL7 v2 carries comes back.

`carried(episode)` below is the part of an episode HL7 v2 carries, as the reader gives it back
from the writer's messages: docs/hl7v2-mapping.md's "Round trip" section as code. Every field
it drops or changes is listed there.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from emrlint.config import load_config
from emrlint.model import Clinician, Document, Episode, Procedure
from emrlint.parsers.context import ParseContext
from emrlint.parsers.hl7v2 import ParsePath, read_hl7v2_with
from emrlint.parsers.hl7v2.mapping import Hl7Mapping, load_mapping, reverse
from emrlint.parsers.native import read_json_document
from emrlint.parsers.problems import InputProblem
from emrlint.writers.hl7v2 import carried_signatures, episode_to_hl7v2, format_timestamp
from tests.builders import TZ
from tests.conftest import REPO
from tests.strategies import episodes

NATIVE = sorted((REPO / "examples" / "native").glob("*.json"))
HL7_EXAMPLES = REPO / "examples" / "hl7v2"
SITE = dict(load_config(HL7_EXAMPLES / "emrlint.toml").mappings.get("hl7v2", {}))
_LISTS = (
    "diagnoses",
    "procedures",
    "documents",
    "orders",
    "observations",
    "assessments",
    "transfers",
)


def native(path: Path) -> Episode:
    [episode] = read_json_document(path.read_bytes(), str(path), TZ)
    assert isinstance(episode, Episode)
    return episode


def read_back(
    text: str, site: Mapping[str, Any] | None = None, path: ParsePath = "lean"
) -> list[Episode | InputProblem]:
    context = ParseContext(tz=TZ, mappings={"hl7v2": dict(site or {})})
    return list(read_hl7v2_with(io.BytesIO(text.encode("utf-8")), "x.hl7", context, path))


# ---------------------------------------------------------------- the round trip


@pytest.mark.parametrize("path", NATIVE, ids=lambda p: p.stem)
def test_examples_round_trip_everything_hl7_carries(path: Path) -> None:
    episode = native(path)
    [back] = read_back(episode_to_hl7v2(episode), SITE)
    assert isinstance(back, Episode), back
    assert sorted_items(back) == carried(episode, SITE)


@pytest.mark.parametrize("path", NATIVE[:3], ids=lambda p: p.stem)
def test_examples_read_the_same_through_hl7apy(path: Path) -> None:
    text = episode_to_hl7v2(native(path))
    assert read_back(text, SITE, "reference") == read_back(text, SITE, "lean")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(episodes())
def test_any_episode_round_trips_what_hl7_carries(episode: Episode) -> None:
    results = read_back(episode_to_hl7v2(episode))
    [back] = results
    assert isinstance(back, Episode), back
    assert sorted_items(back) == carried(episode)


# ---------------------------------------------------------------- what the writer writes


def test_messages_are_lines_of_cr_separated_segments_in_time_order() -> None:
    text = episode_to_hl7v2(native(NATIVE[0]))
    messages = text.split("\n")[:-1]
    assert text.endswith("\n") and all(m.startswith("MSH|^~\\&|") for m in messages)
    assert all("\n" not in m and "\r" in m for m in messages)
    times = [m.split("|")[6] for m in messages]
    assert [t[:14] for t in times] == sorted(t[:14] for t in times)
    kinds = {m.split("|")[8].split("^")[0] for m in messages}
    assert kinds == {"ADT", "MDM", "OMG", "OMP", "ORU", "SIU"}


def test_special_characters_are_escaped_and_read_back() -> None:
    awkward = "甲|乙^丙&丁~戊\\己\n第二行"
    episode = Episode.model_validate(
        {
            "id": "E|1",
            "patient": {"id": "P^1", "name": awkward},
            "admitted_at": "2025-01-01T08:00:00+08:00",
            "documents": [{"id": "d&1", "kind": "progress_note", "text": awkward, "title": "t~"}],
        }
    )
    text = episode_to_hl7v2(episode)
    assert "甲|乙" not in text
    [back] = read_back(text)
    assert isinstance(back, Episode)
    assert (back.id, back.patient.id, back.patient.name) == ("E|1", "P^1", awkward)
    assert (back.documents[0].id, back.documents[0].text) == ("d&1", awkward)


@pytest.mark.parametrize(
    "value, text",
    [
        (dt.datetime(2025, 3, 3, 9, 20, tzinfo=TZ), "20250303092000+0800"),
        (dt.datetime(2025, 3, 3, 9, 20, 0, 123456, tzinfo=dt.UTC), "20250303092000.1234+0000"),
        (dt.datetime(2025, 3, 3, 9, 20, tzinfo=dt.timezone(-dt.timedelta(hours=5))),
         "20250303092000-0500"),
        (dt.date(2025, 3, 3), "20250303"),
    ],
)  # fmt: skip
def test_timestamps(value: dt.datetime | dt.date, text: str) -> None:
    assert format_timestamp(value) == text


def test_the_writers_messages_pass_hl7apy_validation_but_for_its_199_character_limit() -> None:
    """hl7apy caps OBX-5 at 199 characters (HL7 v2.5 allows 65536): long document texts are
    its only complaint about what the writer writes."""
    for path in NATIVE:
        results = read_back(episode_to_hl7v2(native(path)), SITE, "strict")
        reasons = {r.reason for r in results if isinstance(r, InputProblem)}
        assert reasons <= {
            "rejected by hl7apy (MaxLengthReached): a value is longer than the maximum length 199"
        }, path.name


def test_shipped_hl7_examples_are_the_writers_output_for_the_native_examples() -> None:
    """examples/hl7v2 is generated: regenerate it with the command in its README."""
    for path in NATIVE:
        shipped = HL7_EXAMPLES / f"{path.stem}.hl7"
        assert shipped.exists(), f"{shipped.name} is missing"
        assert shipped.read_bytes().decode("utf-8") == episode_to_hl7v2(native(path)), shipped.name


# ---------------------------------------------------------------- carried()


def carried(episode: Episode, site: Mapping[str, Any] | None = None) -> Episode:
    """What reading `episode_to_hl7v2(episode)` with the site mapping `site` gives back,
    item lists sorted by id (message order is not the native order)."""
    mapping = load_mapping(site or {})
    data = episode.model_dump(exclude_none=True)
    for name in (
        "autopsy_report_at",
        "readmission_plan_31d",
        "is_unplanned_readmission",
        "rescue_count",
        "rescue_success_count",
        "front_page_completed_at",
        "archived_at",
        "onset_at",
        "administrations",
        "consultations",
        "events",
        "extensions",
    ):
        data.pop(name, None)
    data["patient"] = {k: v for k, v in data["patient"].items() if k != "birth_date"}
    if episode.patient.birth_date is not None:
        birth = episode.patient.birth_date
        data["patient"]["birth_date"] = birth.date() if isinstance(birth, dt.datetime) else birth
    _stay(data, episode)
    data["care_team"] = [
        {**a, "clinician": _clinician(c.clinician, mapping)}
        for a, c in zip(data.get("care_team", []), episode.care_team, strict=True)
    ]
    data["condition_levels"] = _conditions(data.get("condition_levels", []))
    data["diagnoses"] = [_diagnosis(d) for d in data.get("diagnoses", [])]
    data["procedures"] = [_procedure(p, episode, mapping) for p in episode.procedures]
    data["documents"] = [_document(d, mapping) for d in episode.documents]
    data["orders"] = [_order(o, mapping) for o in data.get("orders", [])]
    data["observations"] = data.get("observations", [])
    data["assessments"] = [
        {**a, **({"author": _clinician(x.author, mapping)} if x.author else {})}
        for a, x in zip(data.get("assessments", []), episode.assessments, strict=True)
    ]
    _drop_dangling(data)
    for name in _LISTS:
        data[name] = sorted(data.get(name, []), key=lambda item: item["id"])
    return _truncate_times(Episode.model_validate(data))


def _stay(data: dict[str, Any], episode: Episode) -> None:
    department = episode.department
    transfers = []
    for transfer in episode.transfers:
        if department is not None and transfer.to_department != department:
            transfers.append(
                {
                    "id": transfer.id,
                    "at": transfer.at,
                    "from_department": department,
                    "to_department": transfer.to_department,
                }
            )
        department = transfer.to_department
    data["transfers"] = transfers
    if episode.discharged_at is None:
        for name in ("discharge_department", "disposition", "died_at", "total_cost"):
            data.pop(name, None)
        return
    data["discharge_department"] = episode.discharge_department or department
    if episode.died_at is not None:
        data["disposition"] = "death"
    if episode.total_cost is not None:
        data["total_cost"] = round(episode.total_cost, 2)


def _clinician(person: Clinician | None, mapping: Hl7Mapping) -> dict[str, Any] | None:
    if person is None:
        return None
    kept = person.model_dump(exclude_none=True, include={"id", "name", "department", "rank"})
    return kept or None


def _conditions(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """In time order (the messages' order), a repeated level is no change."""
    kept: list[dict[str, Any]] = []
    for change in sorted(changes, key=lambda c: _instant(c["at"])):
        if not kept or kept[-1]["level"] != change["level"]:
            kept.append(change)
    return kept


def _instant(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(), tzinfo=TZ)


def _diagnosis(d: dict[str, Any]) -> dict[str, Any]:
    d = {k: v for k, v in d.items() if k not in ("present_on_admission", "extensions")}
    if "morphology_code" in d:
        d.pop("external_cause_code", None)
    elif str(d.get("external_cause_code", "V"))[:1] not in "VWXY":
        d.pop("external_cause_code")
    return d


def _procedure(p: Procedure, episode: Episode, mapping: Hl7Mapping) -> dict[str, Any]:
    kept = p.model_dump(
        exclude_none=True,
        include={"id", "code", "name", "category", "start", "end", "anesthesia_method"},
    )
    kept["is_emergency"] = p.is_emergency
    level = mapping.code("procedure_levels", p.code)
    if level is not None:
        kept["level"] = level
    invasive = mapping.code("procedure_invasive", p.code)
    if invasive is not None:
        kept["is_invasive"] = invasive
    for role in ("surgeon", "anesthetist"):
        person = _clinician(getattr(p, role), mapping)
        if person is not None:
            kept[role] = person
    kept["assistants"] = [_clinician(a, mapping) for a in p.assistants]
    order = next((o for o in episode.orders if o.about == p.id), None)
    if order is not None and order.ordered_at is not None:
        kept["ordered_at"] = order.ordered_at
    return kept


def _document(d: Document, mapping: Hl7Mapping) -> dict[str, Any]:
    kept = d.model_dump(
        exclude_none=True,
        include={"id", "kind", "title", "written_at", "about", "sections", "text"},
    )
    if d.author is not None:
        kept["author"] = _clinician(d.author, mapping)
    kept["participants"] = [_clinician(p, mapping) for p in d.participants]
    signatures = carried_signatures(d)
    kept["signatures"] = [
        {"role": s.role, "signer": _clinician(s.signer, mapping), **({"at": s.at} if s.at else {})}
        for s in signatures
    ]
    author = next((s for s in signatures if s.role == "author"), None)
    if author is not None and author.at is not None:
        kept["signed_at"] = author.at
    return kept


def _order(o: dict[str, Any], mapping: Hl7Mapping) -> dict[str, Any]:
    o = {k: v for k, v in o.items() if k not in ("antibiotic_tier", "extensions")}
    if (
        o.get("drug_class") is not None
        and o["drug_class"] not in mapping.tables["drug_classes"].values()
    ):
        o.pop("drug_class")
    if o.get("category") != "medication":
        o.pop("drug_class", None)
        o.pop("route", None)
    if "route" in o:
        code = reverse(mapping, "routes").get(o["route"], o["route"].upper())
        o["route"] = mapping.code("routes", code) or code.lower()
    if o.get("ordered_by") is not None:
        o["ordered_by"] = {
            k: v for k, v in o["ordered_by"].items() if k in ("id", "name", "department", "rank")
        }
    return o


def _drop_dangling(data: dict[str, Any]) -> None:
    ids = {item["id"] for name in _LISTS if name != "transfers" for item in data.get(name, [])}
    for list_name, field in (("documents", "about"), ("orders", "about")):
        for item in data.get(list_name, []):
            if item.get(field) is not None and item[field] not in ids:
                del item[field]
    for item in data.get("observations", []):
        if item.get("order_id") is not None and item["order_id"] not in ids:
            del item["order_id"]


def _truncate_times(episode: Episode) -> Episode:
    """HL7 TS keeps 1/10 000 s: the writer cuts the rest; no item keeps its extensions."""
    data = episode.model_dump()
    return Episode.model_validate(_walk(data))


def _walk(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: {} if k == "extensions" else _walk(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=value.microsecond // 100 * 100)
    return value


def sorted_items(episode: Episode) -> Episode:
    """The episode with its item lists sorted by id, to compare with `carried`."""
    data = episode.model_dump()
    for name in _LISTS:
        data[name] = sorted(data[name], key=lambda item: item["id"])
    return Episode.model_validate(data)
