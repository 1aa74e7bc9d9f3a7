"""Human-readable findings for a terminal or a log: grouped by episode, then by rule, each with
its evidence (deadline, what was searched or found late, why it could not be judged) and the
clause it enforces. 中文 by default, English with `--lang en`; status and severity coloured
only when writing to a terminal."""

from __future__ import annotations

from typing import TextIO

import click

from emrlint.api import EpisodeResult
from emrlint.outcomes import Outcome, Severity, Status
from emrlint.parsers import InputProblem
from emrlint.reporters.base import RunInfo, RunSummary, is_shown
from emrlint.reporters.labels import STATUS_ORDER, severity_label, status_label
from emrlint.reporters.records import kind_name
from emrlint.rules.values import format_duration, format_value

__all__ = ["TextReporter"]

_STATUS_COLOURS = {
    Status.FAIL: "red",
    Status.PENDING: "yellow",
    Status.INDETERMINATE: "magenta",
    Status.PASS: "green",
    Status.NA: "white",
    Status.WAIVED: "blue",
}
_SEVERITY_COLOURS = {
    Severity.critical: ("red", True),
    Severity.major: ("red", False),
    Severity.minor: ("yellow", False),
    Severity.info: ("cyan", False),
}


class TextReporter:
    """Streams: each episode's findings are written as soon as it is evaluated."""

    def __init__(self, colour: bool = False) -> None:
        self.colour = colour
        self.info: RunInfo | None = None
        self.titles: dict[str, tuple[str, str]] = {}

    @property
    def lang(self) -> str:
        return self.info.lang if self.info is not None else "zh"

    def _status(self, status: Status) -> str:
        word = status.value
        if self.lang == "zh":
            word = f"{word} {status_label(status, 'zh')}"
        if self.colour:
            return click.style(word, fg=_STATUS_COLOURS[status], bold=True)
        return word

    def _severity(self, severity: Severity) -> str:
        word = severity_label(severity, self.lang)
        if self.colour:
            colour, bold = _SEVERITY_COLOURS[severity]
            return click.style(word, fg=colour, bold=bold)
        return word

    def start(self, out: TextIO, info: RunInfo) -> None:
        self.info = info
        self.titles = {r["id"]: (r["title"]["zh"], r["title"]["en"]) for r in info.rules}
        for warning in info.warnings:
            out.write(f"warning: {warning}\n")

    def add(self, out: TextIO, result: EpisodeResult | InputProblem) -> None:
        assert self.info is not None
        if isinstance(result, InputProblem):
            # One line, stable wording: scripts and tests grep for "<file>:<line>: INDETERMINATE".
            status = self._style_plain("INDETERMINATE", Status.INDETERMINATE)
            out.write(f"{result.location}: {status} input: {result.reason}\n")
            return
        shown = [o for o in result.outcomes if is_shown(o, self.info.show_pass)]
        if not shown:
            return
        out.write(self._episode_header(result) + "\n")
        by_rule: dict[str, list[Outcome]] = {}
        for outcome in shown:
            by_rule.setdefault(outcome.rule_id, []).append(outcome)
        for rule_id, outcomes in by_rule.items():
            out.write(self._rule_header(rule_id, outcomes[0]) + "\n")
            for outcome in outcomes:
                out.write(self._outcome(outcome))
        out.write("\n")

    def _style_plain(self, word: str, status: Status) -> str:
        return click.style(word, fg=_STATUS_COLOURS[status], bold=True) if self.colour else word

    def _episode_header(self, result: EpisodeResult) -> str:
        zh = self.lang == "zh"
        parts = [("病历 " if zh else "episode ") + result.episode_id]
        facts = result.header_facts  # carried even when the episode is not (--jobs)
        if facts is not None:
            if facts.department:
                parts.append(facts.department)
            parts.append(("入院 " if zh else "admitted ") + format_value(facts.admitted_at))
            if facts.discharged_at is not None:
                parts.append(("出院 " if zh else "discharged ") + format_value(facts.discharged_at))
        header = "  ".join(parts)
        return click.style(header, bold=True) if self.colour else header

    def _rule_header(self, rule_id: str, first: Outcome) -> str:
        zh_title, en_title = self.titles.get(rule_id, ("", ""))
        title = zh_title if self.lang == "zh" else en_title
        title_part = f"  {title}" if title else ""
        return f"  {rule_id}{title_part}  [{self._severity(first.severity)}]"

    def _outcome(self, outcome: Outcome) -> str:
        english = self.lang == "en"
        message = (outcome.message_en if english else outcome.message_zh) or outcome.message_zh
        subject = outcome.subject
        about = (
            "" if subject.type == "episode" else f" [{subject.type} {subject.label or subject.id}]"
        )
        lines = [f"    {self._status(outcome.status)}{about}: {message}\n"]
        lines.extend(f"        {detail}\n" for detail in self._details(outcome) if detail)
        return "".join(lines)

    def _details(self, outcome: Outcome) -> list[str]:
        english = self.lang == "en"
        evidence = outcome.evidence
        details = []
        if evidence.window_start is not None and evidence.window_end is not None:
            window = f"{format_value(evidence.window_start)} – {format_value(evidence.window_end)}"
            details.append(("window " if english else "时间窗 ") + window)
        if evidence.deadline is not None:
            details.append(("deadline " if english else "时限 ") + format_value(evidence.deadline))
        if evidence.nearest is not None and evidence.margin is not None:
            late = format_duration(evidence.margin)
            kind = kind_name(evidence.nearest.kind, self.lang) or evidence.nearest.type
            what = f"{kind} {evidence.nearest.id}"
            details.append(
                f"found {what} late by {late}" if english else f"已找到 {what}，超时 {late}"
            )
        elif evidence.found:
            items = ", ".join(
                f"{kind_name(f.kind, self.lang) or f.type} {f.id} "
                f"{format_value(f.time) if f.time else ''}".rstrip()
                for f in evidence.found
            )
            details.append(("found " if english else "已找到 ") + items)
        elif evidence.searched and outcome.status != Status.PASS:
            found = evidence.count if evidence.count is not None else 0
            need = f", need {evidence.required}" if evidence.required else ""
            need_zh = f"，要求 {evidence.required}" if evidence.required else ""
            searched = ", ".join(kind_name(k, self.lang) for k in evidence.searched)
            details.append(
                f"searched {searched} (found {found}{need})"
                if english
                else f"检索 {searched}（找到 {found}{need_zh}）"
            )
        if evidence.reason:
            details.append(("reason: " if english else "原因：") + evidence.reason)
        if outcome.citation:
            details.append(("cites " if english else "依据 ") + outcome.citation)
        return details

    def finish(self, out: TextIO, summary: RunSummary) -> None:
        counts = [f"{summary.by_status.get(s.value, 0)} {s.value}" for s in STATUS_ORDER]
        if self.lang == "zh":
            out.write(
                f"共检查 {summary.episodes} 份病历，{summary.input_problems} 份记录无法读取。"
                f"结果：{'，'.join(counts)}。\n"
            )
        else:
            out.write(
                f"Read {summary.episodes} episodes, {summary.input_problems} unreadable "
                f"records. Outcomes: {', '.join(counts)}.\n"
            )
