"""What every reporter shares: the run metadata, the run summary, the streaming interface, and
which outcomes count as findings. Formats live in their own modules."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO, Protocol, TextIO

from emrlint.api import EpisodeResult
from emrlint.errors import UsageError
from emrlint.outcomes import Outcome, Severity, Status
from emrlint.parsers import InputProblem

__all__ = [
    "HIDDEN_STATUSES",
    "Reporter",
    "RunInfo",
    "RunSummary",
    "binary_stream",
    "is_shown",
]

# Not findings unless the user asks for them (`--show-pass`): the list is a worklist.
HIDDEN_STATUSES = (Status.PASS, Status.NA)


@dataclass
class RunInfo:
    """Run metadata written at the head of structured reports.

    `rulebooks`: one dict per rulebook (id, path, rules, sha256), see `rulebook_entries`.
    `rules`: one dict per selected rule (id, version, title {zh, en}, severity, category, tags,
    citation, rulebook), see `rule_entries`; reports that list rules fall back to what the
    findings tell when it is empty.
    """

    emrlint_version: str
    as_of: dt.datetime
    rulebooks: list[dict[str, Any]]
    config: dict[str, Any]
    lang: str = "zh"
    show_pass: bool = False
    warnings: list[str] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)


@dataclass
class RunSummary:
    """Counts the CLI keeps while streaming (for the closing line and the exit status); the
    structured reports write them too."""

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
        for rule_id, status, count in result.omitted:
            self.by_status[status] += count
            self.by_rule.setdefault(rule_id, Counter())[status] += count

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


def is_shown(outcome: Outcome, show_pass: bool) -> bool:
    """A finding is any outcome but PASS and NA; with `show_pass`, every outcome."""
    return show_pass or outcome.status not in HIDDEN_STATUSES


def binary_stream(out: IO[Any], what: str) -> BinaryIO:
    """The byte stream under `out`, for formats that are not text (xlsx).

    The CLI hands every reporter a text stream; a TextIOWrapper (a file opened with "w", or
    sys.stdout) has its bytes under `.buffer`. A terminal is refused: a workbook there would
    only garble the screen.
    """
    if out.isatty():
        raise UsageError(f"{what} output is binary: write it to a file with --output FILE")
    if isinstance(out, io.TextIOBase):
        buffer = getattr(out, "buffer", None)
        if buffer is None:
            raise UsageError(f"{what} output is binary and needs a file, not a text stream")
        out.flush()
        return buffer  # type: ignore[no-any-return]
    return out  # type: ignore[return-value]
