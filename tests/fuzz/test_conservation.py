"""Record conservation (issue 8): in every input format, each record read comes back as
exactly one result — an episode, or an input problem naming where it was — mixed good and
broken records alike."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emrlint.model import Episode
from emrlint.parsers import InputProblem, read_paths
from emrlint.writers.fhir import episode_to_fhir
from emrlint.writers.hl7v2 import episode_to_hl7v2
from tests.builders import TZ
from tests.fuzz.conftest import FUZZ_EXAMPLES
from tests.strategies import episodes

CASES = settings(
    max_examples=max(FUZZ_EXAMPLES // 10, 50),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
BATCH = st.lists(episodes(), min_size=1, max_size=4)
BROKEN = st.lists(st.booleans(), min_size=4, max_size=4)


def _renamed(batch: list[Episode]) -> list[Episode]:
    """Distinct visits: each episode gets its own id (and so its own FHIR resource ids)."""
    return [e.model_copy(update={"id": f"V{index:03d}"}) for index, e in enumerate(batch)]


def _read(path: Path) -> list[Episode | InputProblem]:
    return list(read_paths([str(path)], TZ))


@CASES
@given(BATCH, BROKEN)
def test_native_jsonl_gives_one_result_per_line(fuzz, tmp_path_factory, batch, broken) -> None:
    with fuzz.case("conservation: native"):
        lines = []
        for episode, is_broken in zip(_renamed(batch), broken, strict=False):
            text = episode.model_dump_json()
            lines.append(text[: len(text) // 2] if is_broken else text)
        path = tmp_path_factory.mktemp("native") / "batch.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        results = _read(path)
        assert len(results) == len(lines)
        assert sum(isinstance(r, InputProblem) for r in results) == sum(
            is_broken for _, is_broken in zip(lines, broken, strict=False)
        )


@CASES
@given(BATCH, BROKEN)
def test_fhir_bundles_give_one_result_per_encounter(fuzz, tmp_path_factory, batch, broken) -> None:
    with fuzz.case("conservation: FHIR"):
        lines = []
        expected_ids = set()
        for episode, is_broken in zip(_renamed(batch), broken, strict=False):
            bundle = episode_to_fhir(episode)
            if is_broken:  # an Encounter without its period cannot be an episode
                for entry in bundle["entry"]:
                    if entry["resource"]["resourceType"] == "Encounter":
                        entry["resource"].pop("period", None)
            else:
                expected_ids.add(episode.id)
            lines.append(json.dumps(bundle, ensure_ascii=False))
        path = tmp_path_factory.mktemp("fhir") / "bundles.ndjson"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        results = _read(path)
        assert len(results) == len(lines)  # one result per stay, broken or not
        read_ids = {r.id for r in results if isinstance(r, Episode)}
        assert read_ids == expected_ids
        problems = [r for r in results if isinstance(r, InputProblem)]
        broken_ids = {e.id for e in _renamed(batch)} - expected_ids
        assert sorted(p.episode_id or "" for p in problems) == sorted(broken_ids)
        assert all(p.reason and p.position for p in problems)


@CASES
@given(BATCH, st.lists(st.tuples(st.integers(0, 400), st.booleans()), max_size=3))
def test_hl7_archive_gives_one_result_per_stay_and_per_message_of_no_stay(
    fuzz, tmp_path_factory, batch, damages
) -> None:
    with fuzz.case("conservation: HL7 v2"):
        renamed = _renamed(batch)
        owned = [(e.id, m) for e in renamed for m in episode_to_hl7v2(e).split("\n") if m]
        messages = [message for _, message in owned]
        damaged = {at % len(messages): cut for at, cut in damages}
        for index, cut in damaged.items():
            if cut:  # cut inside its header, a message cannot be read nor tell its stay
                messages[index] = messages[index][:12]
            else:  # a message without a valid MSH-7 cannot be read, but names its stay
                fields = messages[index].split("|")
                fields[6] = "not a time"
                messages[index] = "|".join(fields)
        path = tmp_path_factory.mktemp("hl7") / "archive.hl7"
        path.write_text("\n".join(messages) + "\n", encoding="utf-8")
        results = _read(path)
        problems = [r for r in results if isinstance(r, InputProblem)]
        named = [r.id for r in results if isinstance(r, Episode)]
        named += [p.episode_id for p in problems if p.episode_id is not None]
        # every visit with a message that names it gives exactly one result: its episode, or
        # one problem that names it (damaged, or its admission lost); a visit whose every
        # message was cut short leaves nothing to name it by
        cut = {index for index, is_cut in damaged.items() if is_cut}
        naming = {visit for index, (visit, _) in enumerate(owned) if index not in cut}
        assert sorted(named) == sorted(naming)
        # a message that names no stay is one problem of its own
        assert sum(p.episode_id is None for p in problems) == len(cut)
        # a stay with a damaged message that names it is never checked without it
        unreadable = {owned[index][0] for index, is_cut in damaged.items() if not is_cut}
        assert not unreadable & {r.id for r in results if isinstance(r, Episode)}
        if not damaged:
            assert set(named) == {e.id for e in renamed} and not problems
