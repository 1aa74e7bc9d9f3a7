"""Human-readable findings, grouped by episode then rule; 中文 by default, `--lang en`."""

from __future__ import annotations

from typing import TextIO

import click

from emrlint.api import EpisodeResult
from emrlint.outcomes import Outcome, Status
from emrlint.parsers import InputProblem
from emrlint.reporters.base import RunInfo, RunSummary
from emrlint.rules.values import format_duration, format_value

__all__ = ["TextReporter"]

_COLOURS = {
    Status.FAIL: "red",
    Status.PENDING: "yellow",
    Status.INDETERMINATE: "magenta",
    Status.PASS: "green",
    Status.NA: "white",
    Status.WAIVED: "blue",
}


class TextReporter:
    def __init__(self, colour: bool = False) -> None:
        self.colour = colour
        self.info: RunInfo | None = None

    def _style(self, text: str, status: Status) -> str:
        return click.style(text, fg=_COLOURS[status], bold=True) if self.colour else text

    def start(self, out: TextIO, info: RunInfo) -> None:
        self.info = info
        for warning in info.warnings:
            out.write(f"warning: {warning}\n")

    def add(self, out: TextIO, result: EpisodeResult | InputProblem) -> None:
        assert self.info is not None
        if isinstance(result, InputProblem):
            status = self._style("INDETERMINATE", Status.INDETERMINATE)
            out.write(f"{result.location}: {status} input: {result.reason}\n")
            return
        shown = [
            o
            for o in result.outcomes
            if o.status not in (Status.PASS, Status.NA) or self.info.show_pass
        ]
        if not shown:
            return
        out.write(f"episode {result.episode_id}\n")
        for outcome in shown:
            out.write(self._line(outcome))
        out.write("\n")

    def _line(self, outcome: Outcome) -> str:
        assert self.info is not None
        english = self.info.lang == "en"
        message = outcome.message_en if english else outcome.message_zh
        status = self._style(outcome.status.value, outcome.status)
        subject = outcome.subject
        about = (
            "" if subject.type == "episode" else f" [{subject.type} {subject.label or subject.id}]"
        )
        lines = [f"  {status} {outcome.rule_id} ({outcome.severity.value}){about}: {message}\n"]
        evidence = outcome.evidence
        details = []
        if evidence.deadline is not None:
            details.append(("deadline " if english else "时限 ") + format_value(evidence.deadline))
        if evidence.nearest is not None and evidence.margin is not None:
            late = format_duration(evidence.margin)
            details.append(
                f"found {evidence.nearest.kind or evidence.nearest.type} "
                f"{evidence.nearest.id} late by {late}"
                if english
                else f"已找到 {evidence.nearest.kind or evidence.nearest.type} "
                f"{evidence.nearest.id}，超时 {late}"
            )
        elif outcome.status == Status.FAIL and evidence.searched and evidence.required:
            details.append(
                ("searched " if english else "检索 ")
                + ", ".join(evidence.searched)
                + f" (found {evidence.count}, need {evidence.required})"
            )
        if evidence.reason:
            details.append(("reason: " if english else "原因：") + evidence.reason)
        details.append(outcome.citation)
        lines.extend(f"      {detail}\n" for detail in details if detail)
        return "".join(lines)

    def finish(self, out: TextIO, summary: RunSummary) -> None:
        counts = ", ".join(
            f"{summary.by_status.get(s.value, 0)} {s.value}"
            for s in (Status.FAIL, Status.PENDING, Status.INDETERMINATE, Status.PASS, Status.NA)
        )
        out.write(
            f"Read {summary.episodes} episodes, {summary.input_problems} unreadable "
            f"records. Outcomes: {counts}.\n"
        )
