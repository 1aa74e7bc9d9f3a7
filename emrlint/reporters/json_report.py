"""JSON (one document, `emrlint.report/1`, published as docs/report-schema.json: run metadata,
summary, per-rule counts, findings) and JSONL (one finding per line, streamed, for runs too
large to hold). PASS and NA outcomes are findings only with `show_pass`."""

from __future__ import annotations

from collections import Counter
from typing import Any, TextIO

import orjson

from emrlint.api import EpisodeResult
from emrlint.outcomes import Status
from emrlint.parsers import InputProblem
from emrlint.reporters.base import RunInfo, RunSummary, is_shown
from emrlint.reporters.labels import STATUS_ORDER
from emrlint.reporters.records import REPORT_FORMAT, finding_record, problem_record

__all__ = ["JsonLinesReporter", "JsonReporter", "finding_records", "run_metadata"]


def finding_records(result: EpisodeResult | InputProblem, show_pass: bool) -> list[dict[str, Any]]:
    """The records of one result that are findings (an input problem always is one)."""
    if isinstance(result, InputProblem):
        return [problem_record(result)]
    return [finding_record(o) for o in result.outcomes if is_shown(o, show_pass)]


def run_metadata(info: RunInfo) -> dict[str, Any]:
    """The `run` object: what produced the report, so a past report can be reproduced."""
    return {
        "emrlint_version": info.emrlint_version,
        "as_of": info.as_of.isoformat(),
        "lang": info.lang,
        "show_pass": info.show_pass,
        "inputs": list(info.inputs),
        "rulebooks": [
            {
                "id": book.get("id"),
                "path": book.get("path"),
                "rules": book.get("rules"),
                "sha256": book.get("sha256"),
            }
            for book in info.rulebooks
        ],
        "rules": info.rules,
        "config": info.config,
        "warnings": list(info.warnings),
    }


def _all_statuses(counts: Counter[str]) -> dict[str, int]:
    return {status.value: counts.get(status.value, 0) for status in STATUS_ORDER}


class JsonLinesReporter:
    """Writes each finding as soon as its episode is evaluated: memory stays flat."""

    def __init__(self) -> None:
        self.show_pass = False

    def start(self, out: TextIO, info: RunInfo) -> None:
        self.show_pass = info.show_pass

    def add(self, out: TextIO, result: EpisodeResult | InputProblem) -> None:
        for record in finding_records(result, self.show_pass):
            out.write(orjson.dumps(record).decode("utf-8"))
            out.write("\n")

    def finish(self, out: TextIO, summary: RunSummary) -> None:
        return None


class JsonReporter:
    """Keeps findings in memory to write one document; use jsonl for very large runs."""

    def __init__(self) -> None:
        self.info: RunInfo | None = None
        self.findings: list[dict[str, Any]] = []

    def start(self, out: TextIO, info: RunInfo) -> None:
        self.info = info

    def add(self, out: TextIO, result: EpisodeResult | InputProblem) -> None:
        assert self.info is not None
        self.findings.extend(finding_records(result, self.info.show_pass))

    def finish(self, out: TextIO, summary: RunSummary) -> None:
        assert self.info is not None
        by_rule = {rule_id: Counter(counts) for rule_id, counts in summary.by_rule.items()}
        by_status = Counter(summary.by_status)
        if summary.input_problems:
            # an unreadable record is a result too: counted where every other outcome is
            by_rule["input"] = Counter({Status.INDETERMINATE.value: summary.input_problems})
            by_status[Status.INDETERMINATE.value] += summary.input_problems
        document = {
            "format": REPORT_FORMAT,
            "run": run_metadata(self.info),
            "summary": {
                "episodes": summary.episodes,
                "input_problems": summary.input_problems,
                "findings": len(self.findings),
                "by_status": _all_statuses(by_status),
            },
            "rule_counts": {
                rule_id: {**_all_statuses(counts), "subjects": sum(counts.values())}
                for rule_id, counts in sorted(by_rule.items())
            },
            "findings": self.findings,
        }
        out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2, default=str).decode("utf-8"))
        out.write("\n")
