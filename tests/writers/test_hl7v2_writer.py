"""The HL7 v2 writer, and the round trip writer -> reader: what HL7 v2 carries comes back.

`carried(episode)` below is the part of an episode HL7 v2 carries, as the reader gives it back
from the writer's messages: docs/hl7v2-mapping.md's "Round trip" section as code. Every field
it drops or changes is listed there.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from emrlint.config import load_config
from emrlint.model import Episode
from emrlint.model.episode import ITEM_LISTS
from emrlint.parsers.context import ParseContext
from emrlint.parsers.hl7v2 import ParsePath, read_hl7v2_with
from emrlint.parsers.native import read_json_document
from emrlint.parsers.problems import InputProblem
from emrlint.writers.hl7v2 import episode_to_hl7v2, format_timestamp
from tests.builders import TZ
from tests.conftest import REPO
from tests.strategies import episodes

NATIVE = sorted((REPO / "examples" / "native").glob("*.json"))
HL7_EXAMPLES = REPO / "examples" / "hl7v2"
SITE = dict(load_config(HL7_EXAMPLES / "emrlint.toml").mappings.get("hl7v2", {}))


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
def test_examples_round_trip_exactly(path: Path) -> None:
    episode = native(path)
    for site in (SITE, {}):
        [back] = read_back(episode_to_hl7v2(episode), site)
        assert isinstance(back, Episode), back
        assert sorted_items(back) == carried(episode)


@pytest.mark.parametrize("path", NATIVE[:3], ids=lambda p: p.stem)
def test_examples_read_the_same_through_hl7apy(path: Path) -> None:
    """hl7apy never sees emrlint's Z-segments: both paths split them alike."""
    text = episode_to_hl7v2(native(path))
    assert read_back(text, SITE, "reference") == read_back(text, SITE, "lean")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(episodes())
def test_any_episode_round_trips_exactly(episode: Episode) -> None:
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
    too_long = (
        "rejected by hl7apy (MaxLengthReached): a value is longer than the maximum length 199"
    )
    for path in NATIVE:
        results = read_back(episode_to_hl7v2(native(path)), SITE, "strict")
        # a stay with a rejected message is one problem listing each message's reason
        parts = [
            part
            for r in results
            if isinstance(r, InputProblem)
            for part in r.reason.split("; ")
            if part != "part of this visit cannot be read, so it is not checked"
            and not re.fullmatch(r"and \d+ more", part)
        ]
        assert all(part.endswith(too_long) for part in parts), (path.name, parts)


def test_shipped_hl7_examples_are_the_writers_output_for_the_native_examples() -> None:
    """examples/hl7v2 is generated: regenerate it with the command in its README."""
    for path in NATIVE:
        shipped = HL7_EXAMPLES / f"{path.stem}.hl7"
        assert shipped.exists(), f"{shipped.name} is missing"
        assert shipped.read_bytes().decode("utf-8") == episode_to_hl7v2(native(path)), shipped.name


# ---------------------------------------------------------------- carried()


def carried(episode: Episode, site: Mapping[str, Any] | None = None) -> Episode:
    """What reading `episode_to_hl7v2(episode)` gives back: the episode itself, item lists
    sorted by id (message order is not the native order) and times cut to HL7's 1/10 000 s.
    `site` is accepted for the callers' sake: the Z-segments make the result independent of it.
    """
    return sorted_items(_truncate_times(episode))


def _truncate_times(episode: Episode) -> Episode:
    """HL7 TS keeps 1/10 000 s: the writer cuts the rest."""
    data = episode.model_dump()
    return Episode.model_validate(_walk(data))


def _walk(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v if k == "extensions" else _walk(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=value.microsecond // 100 * 100)
    return value


def sorted_items(episode: Episode) -> Episode:
    """The episode with its item lists sorted by id, to compare with `carried`."""
    data = episode.model_dump()
    for name in ITEM_LISTS:
        data[name] = sorted(data[name], key=lambda item: item["id"])
    return Episode.model_validate(data)


def test_z_segment_fields_are_escaped_and_read_back_on_every_path() -> None:
    awkward = "会|诊^科&室~甲\\乙\n第二行"
    episode = Episode.model_validate(
        {
            "id": "E1",
            "patient": {"id": "P1", "birth_date": "1950-01-02T03:04:00+08:00"},
            "admitted_at": "2025-01-01T08:00:00+08:00",
            "archived_at": "2025-01-09",
            "extensions": {"备注": awkward, "n": [1, 2.5, None]},
            "consultations": [
                {
                    "id": "c|1",
                    "department": awkward,
                    "requested_by": {"name": awkward, "role": "主持人", "is_department_head": True},
                    "is_agreed": False,
                }
            ],
            "events": [
                {"type": "handover", "id": "h1", "purpose": "physician_change", "is_bedside": True},
                {"type": "transfusion", "id": "t1", "volume_ml": 200.5, "component": awkward},
            ],
            "documents": [
                {
                    "id": "d1",
                    "kind": "progress_note",
                    "is_backfilled": True,
                    "signatures": [{"role": "proxy"}, {"role": "chair", "signer": {"id": "x^1"}}],
                }
            ],
        },
        context={"tz": TZ},
    )
    text = episode_to_hl7v2(episode)
    assert awkward not in text and "\nZ" not in text
    for path in ("lean", "reference"):
        [back] = read_back(text, path=path)
        assert isinstance(back, Episode)
        assert sorted_items(back) == carried(episode), path


def test_other_z_segments_are_still_ignored_and_counted() -> None:
    text = episode_to_hl7v2(native(NATIVE[0])).replace("\rZFP|", "\rZXX|", 1)
    context = ParseContext(tz=TZ, mappings={"hl7v2": SITE})
    [back] = list(read_hl7v2_with(io.BytesIO(text.encode()), "x.hl7", context, "lean"))
    assert isinstance(back, Episode) and back.front_page_completed_at is None
    assert context.skipped["HL7 Z-segments (not mapped, ignored)"] == 1
