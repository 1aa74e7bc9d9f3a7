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
        read_ids = {r.id for r in results if isinstance(r, Episode)}
        assert read_ids == expected_ids
        problems = [r for r in results if isinstance(r, InputProblem)]
        assert len(problems) >= len(lines) - len(expected_ids)
        assert all(p.reason and p.position for p in problems)


@CASES
@given(BATCH, st.lists(st.integers(0, 400), max_size=3))
def test_hl7_archive_accounts_for_every_visit_and_broken_message(
    fuzz, tmp_path_factory, batch, cuts
) -> None:
    with fuzz.case("conservation: HL7 v2"):
        renamed = _renamed(batch)
        owned = [(e.id, m) for e in renamed for m in episode_to_hl7v2(e).split("\n") if m]
        messages = [message for _, message in owned]
        broken = sorted({cut % len(messages) for cut in cuts})
        for index in broken:  # a message cut inside its header cannot be read
            messages[index] = messages[index][:12]
        path = tmp_path_factory.mktemp("hl7") / "archive.hl7"
        path.write_text("\n".join(messages) + "\n", encoding="utf-8")
        results = _read(path)
        problems = [r for r in results if isinstance(r, InputProblem)]
        assert len(problems) >= len(broken)
        read = {r.id for r in results if isinstance(r, Episode)}
        reported = {p.episode_id for p in problems if p.episode_id is not None}
        # every visit with a readable message is an episode, or a problem that names it
        # (e.g. its admission was lost); a visit whose every message was cut leaves nothing
        # to name it by, and the problem count above accounts for it
        intact = {visit for index, (visit, _) in enumerate(owned) if index not in broken}
        assert intact <= read | reported
        if not broken:
            assert read == {e.id for e in renamed} and not problems
