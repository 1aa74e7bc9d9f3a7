"""JSON (one document: run metadata, findings, per-rule counts) and JSONL (one finding per
line, streamed). PASS outcomes appear only with `show_pass`; NA never does in JSONL."""

from __future__ import annotations

from typing import Any, TextIO

import orjson

from emrlint.api import EpisodeResult
from emrlint.outcomes import Status
from emrlint.parsers import InputProblem
from emrlint.reporters.base import RunInfo, RunSummary
from emrlint.reporters.records import REPORT_FORMAT, finding_record, problem_record

__all__ = ["JsonLinesReporter", "JsonReporter"]

_HIDDEN = (Status.PASS, Status.NA)


def _records(result: EpisodeResult | InputProblem, show_pass: bool) -> list[dict[str, Any]]:
    if isinstance(result, InputProblem):
        return [problem_record(result)]
    return [finding_record(o) for o in result.outcomes if show_pass or o.status not in _HIDDEN]


class JsonLinesReporter:
    def __init__(self) -> None:
        self.show_pass = False

    def start(self, out: TextIO, info: RunInfo) -> None:
        self.show_pass = info.show_pass

    def add(self, out: TextIO, result: EpisodeResult | InputProblem) -> None:
        for record in _records(result, self.show_pass):
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
        self.findings.extend(_records(result, self.info.show_pass))

    def finish(self, out: TextIO, summary: RunSummary) -> None:
        assert self.info is not None
        document = {
            "format": REPORT_FORMAT,
            "run": {
                "emrlint_version": self.info.emrlint_version,
                "as_of": self.info.as_of.isoformat(),
                "rulebooks": self.info.rulebooks,
                "config": self.info.config,
                "warnings": self.info.warnings,
            },
            "summary": {
                "episodes": summary.episodes,
                "input_problems": summary.input_problems,
                "by_status": dict(sorted(summary.by_status.items())),
            },
            "rules": {
                rule_id: dict(sorted(counts.items()))
                for rule_id, counts in sorted(summary.by_rule.items())
            },
            "findings": self.findings,
        }
        out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode("utf-8"))
        out.write("\n")
