"""What every reporter shares: the run summary and the streaming interface."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from emrlint.api import EpisodeResult
from emrlint.outcomes import Outcome, Severity, Status
from emrlint.parsers import InputProblem

__all__ = ["Reporter", "RunInfo", "RunSummary"]


@dataclass
class RunInfo:
    """Run metadata written at the head of structured reports."""

    emrlint_version: str
    as_of: dt.datetime
    rulebooks: list[dict[str, Any]]
    config: dict[str, Any]
    lang: str = "zh"
    show_pass: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass
class RunSummary:
    episodes: int = 0
    input_problems: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_rule: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, result: EpisodeResult | InputProblem) -> None:
        if isinstance(result, InputProblem):
            self.input_problems += 1
            return
        self.episodes += 1
        for outcome in result.outcomes:
            self.by_status[outcome.status.value] += 1
            self.by_rule.setdefault(outcome.rule_id, Counter())[outcome.status.value] += 1

    def failing(self, outcomes: list[Outcome], fail_on: Severity | None) -> int:
        return sum(
            1
            for o in outcomes
            if o.status == Status.FAIL and (fail_on is None or o.severity.order >= fail_on.order)
        )


class Reporter(Protocol):
    def start(self, out: TextIO, info: RunInfo) -> None: ...

    def add(self, out: TextIO, result: EpisodeResult | InputProblem) -> None: ...

    def finish(self, out: TextIO, summary: RunSummary) -> None: ...
