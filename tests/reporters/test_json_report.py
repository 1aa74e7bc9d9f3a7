"""The json report validates against the published schema (docs/report-schema.json), and each
jsonl line is one finding of that schema."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from emrlint.reporters.base import RunInfo
from tests.conftest import REPO
from tests.reporters import sample
from tests.reporters.conftest import Results, render

SCHEMA = json.loads((REPO / "docs" / "report-schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def _errors(document: Any) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("lang, show_pass", [("zh", False), ("en", False), ("zh", True)])
def test_json_report_validates_against_the_published_schema(
    sample_run: tuple[Results, Any], lang: str, show_pass: bool
) -> None:
    results, rules = sample_run
    info = sample.run_info(rules, lang=lang, show_pass=show_pass)
    document = json.loads(render("json", results, info))
    assert _errors(document) == []
    assert document["format"] == "emrlint.report/1"
    expected = 21 if show_pass else 8  # 20 outcomes + 1 unreadable record; or 7 findings + 1
    assert document["summary"]["findings"] == len(document["findings"]) == expected


def test_json_report_carries_run_metadata_and_per_rule_counts(
    results: Results, info: RunInfo
) -> None:
    document = json.loads(render("json", results, info))
    run = document["run"]
    assert run["as_of"] == "2024-08-01T08:00:00+08:00"
    assert len(run["rulebooks"][0]["sha256"]) == 64
    assert {r["id"] for r in run["rules"]} == {
        "RPT-1-discharge-note",
        "RPT-2-operative-note",
        "RPT-3-rescue-record",
        "RPT-4-admission-note",
    }
    counts = document["rule_counts"]
    assert counts["RPT-3-rescue-record"] == {
        "FAIL": 1,
        "PENDING": 0,
        "INDETERMINATE": 1,
        "WAIVED": 0,
        "PASS": 0,
        "NA": 3,
        "subjects": 5,
    }
    assert counts["input"]["INDETERMINATE"] == 1
    late = next(f for f in document["findings"] if f["evidence"].get("margin") == "3h")
    assert late["rule_id"] == "RPT-3-rescue-record"
    assert late["evidence"]["nearest"]["id"] == "e3-rr"
    assert late["evidence"]["margin_minutes"] == 180


def test_the_schema_rejects_what_it_does_not_document(results: Results, info: RunInfo) -> None:
    document = json.loads(render("json", results, info))
    broken = copy.deepcopy(document)
    broken["findings"][0]["status"] = "OK"
    assert _errors(broken)
    broken = copy.deepcopy(document)
    broken["summary"]["extra"] = 1
    assert _errors(broken)
    broken = copy.deepcopy(document)
    del broken["findings"][0]["evidence"]["deadline"]
    assert _errors(broken)


def test_jsonl_streams_one_schema_finding_per_line(results: Results, info: RunInfo) -> None:
    lines = render("jsonl", results, info).splitlines()
    assert len(lines) == 8
    finding = {"$ref": "#/$defs/finding", "$defs": SCHEMA["$defs"]}
    validator = jsonschema.Draft202012Validator(finding)
    for line in lines:
        record = json.loads(line)
        assert not list(validator.iter_errors(record)), record
    assert json.loads(lines[-1])["rule_id"] == "input"
