"""The bundled examples: valid against the published schema, and `emrlint check` finds exactly
what examples/README.md says a QC reviewer should find — no more (no false alarms), no less."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from emrlint.api import EpisodeResult, check, load_rules
from emrlint.config import Config
from emrlint.model import Episode
from emrlint.outcomes import Status
from tests.builders import TZ
from tests.conftest import REPO

NATIVE = sorted((REPO / "examples" / "native").glob("*.json"))
AS_OF = dt.datetime(2025, 12, 31, 23, 59, tzinfo=TZ)

# What examples/README.md says a reviewer should find: (episode, rule) -> number of FAILs.
EXPECTED_FINDINGS = {
    ("EX-02", "NIT-2024-VII-mdt-before-level4-surgery"): 1,
    ("EX-04", "BW-2010-22-08-rescue-record"): 1,
    ("EX-06", "BW-2010-22-22-death-discussion"): 1,
    ("EX-11", "NIT-2024-III-prophylaxis-for-moderate-high-risk"): 2,
}


def test_there_are_at_least_ten_examples() -> None:
    assert len(NATIVE) >= 10


@pytest.mark.parametrize("path", NATIVE, ids=lambda p: p.name)
def test_example_validates_against_the_published_schema(path: Path) -> None:
    schema = Episode.model_json_schema(mode="validation")
    jsonschema.validate(json.loads(path.read_text("utf-8")), schema)


@pytest.fixture(scope="module")
def results() -> list[EpisodeResult]:
    config = Config()
    rules = load_rules(config)
    found = list(check([str(p) for p in NATIVE], config, rules, AS_OF))
    assert all(isinstance(r, EpisodeResult) for r in found), "an example could not be read"
    return found  # type: ignore[return-value]


def test_check_finds_exactly_what_the_readme_says(results: list[EpisodeResult]) -> None:
    findings = Counter(
        (o.episode_id, o.rule_id)
        for result in results
        for o in result.outcomes
        if o.status == Status.FAIL
    )
    assert dict(findings) == EXPECTED_FINDINGS


def test_examples_leave_nothing_undecided(results: list[EpisodeResult]) -> None:
    undecided = [
        (o.episode_id, o.rule_id, o.status.value, o.evidence.reason)
        for result in results
        for o in result.outcomes
        if o.status in (Status.INDETERMINATE, Status.PENDING)
    ]
    assert undecided == []


def test_every_readme_line_names_an_example_file() -> None:
    readme = (REPO / "examples" / "README.md").read_text("utf-8")
    for path in NATIVE:
        assert path.name in readme, path.name


def _statuses(paths: list[Path]) -> set[tuple[str, str, str, str]]:
    config = Config()
    found = check([str(p) for p in paths], config, load_rules(config), AS_OF)
    return {
        (o.episode_id, o.rule_id, o.subject.id, o.status.value)
        for result in found
        if isinstance(result, EpisodeResult)
        for o in result.outcomes
    }


def test_fhir_versions_of_the_examples_give_the_native_findings() -> None:
    fhir = sorted((REPO / "examples" / "fhir").glob("*.json"))
    assert len(fhir) == len(NATIVE)
    assert _statuses(fhir) == _statuses(NATIVE)
