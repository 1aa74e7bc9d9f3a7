"""Compliance rates from the outcomes of one evaluation (design §6): never a second evaluation,
so a rate and the finding list it summarises always agree.

For every rule and every tag (and all rules together) a row counts the (rule, subject)
outcomes by status: numerator = PASS, denominator = PASS + FAIL; PENDING, INDETERMINATE, NA and
WAIVED in their own columns; subjects = the sum of all six. NIT-2024-VIII (关键诊疗行为相关记录
完整率) is also computed per episode, as the regulation defines it: an episode is in the
denominator when at least one rule tagged NIT-2024-VIII is not NA for it, and in the numerator
when every one of its non-NA NIT-2024-VIII outcomes is PASS.

Rows are stratified by any combination of department, attending (from each outcome: the one
responsible at the subject's time), month and quarter (of the discharge date, else the
admission date). Unreadable records count as INDETERMINATE under the rule id `input`.

This module computes; `rate_writers.py` formats. It reads no files and keeps no episode.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from emrlint.api import EpisodeResult
from emrlint.diagnostics import did_you_mean
from emrlint.errors import UsageError
from emrlint.model import Episode
from emrlint.outcomes import Outcome, Status
from emrlint.parsers import InputProblem
from emrlint.reporters.indicators import NIT_KEY_RECORDS, indicator_name
from emrlint.rules.engine import attending_at, department_at

__all__ = [
    "ALL",
    "RATE_DIMENSIONS",
    "RateAccumulator",
    "RateReport",
    "RateRow",
    "compute_rates",
    "parse_by",
]

RATE_DIMENSIONS = ("department", "attending", "month", "quarter")

# The id of the row summing every rule's outcomes.
ALL = "all"
# Row kinds, in the order reports list them.
KINDS = ("all", "composite", "tag", "rule")

_COMPOSITE_NAMES = (
    "关键诊疗行为相关记录完整率（按病历）",
    "Key-treatment records complete (per episode)",
)
_ALL_NAMES = ("全部规则", "All rules")
_INPUT_NAMES = ("无法读取的记录", "Unreadable records")

Stratum = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class RateRow:
    """One line of a rate table: a rule, tag, composite or all rules, in one stratum.

    `stratum` holds one value per `RateReport.by` dimension (None: not known for those
    subjects); the empty tuple is the total over all strata.
    """

    kind: str
    id: str
    name_zh: str
    name_en: str
    stratum: Stratum
    passed: int
    failed: int
    pending: int
    indeterminate: int
    na: int
    waived: int
    numerator: int
    denominator: int

    @property
    def subjects(self) -> int:
        return self.passed + self.failed + self.pending + self.indeterminate + self.na + self.waived

    @property
    def rate(self) -> float | None:
        """numerator / denominator, or None when nothing could be judged."""
        return self.numerator / self.denominator if self.denominator else None

    @property
    def is_total(self) -> bool:
        return not self.stratum

    def count(self, status: Status) -> int:
        return {
            Status.PASS: self.passed,
            Status.FAIL: self.failed,
            Status.PENDING: self.pending,
            Status.INDETERMINATE: self.indeterminate,
            Status.NA: self.na,
            Status.WAIVED: self.waived,
        }[status]

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class RateReport:
    """Every rate row of a run, totals first within each rule or tag."""

    by: tuple[str, ...]
    rows: tuple[RateRow, ...]
    episodes: int
    input_problems: int
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    as_of: dt.datetime | None = None

    def row(self, kind: str, row_id: str, stratum: Stratum = ()) -> RateRow | None:
        for row in self.rows:
            if row.kind == kind and row.id == row_id and row.stratum == stratum:
                return row
        return None

    def overall(self) -> RateRow | None:
        """The all-rules total (None for a run with no outcome at all)."""
        return self.row("all", ALL)

    def totals(self) -> list[RateRow]:
        return [row for row in self.rows if row.is_total]

    def strata(self, kind: str, row_id: str) -> list[RateRow]:
        return [r for r in self.rows if r.kind == kind and r.id == row_id and not r.is_total]


def parse_by(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """`--by department,quarter` → ("department", "quarter"); empty → no stratification."""
    if text is None:
        return ()
    parts = text.split(",") if isinstance(text, str) else list(text)
    names = tuple(part.strip() for part in parts if part.strip())
    for name in names:
        if name not in RATE_DIMENSIONS:
            suggestion = did_you_mean(name, RATE_DIMENSIONS)
            hint = f"; did you mean {suggestion}?" if suggestion else ""
            raise UsageError(
                f"--by {name}: not a dimension (use {', '.join(RATE_DIMENSIONS)}){hint}"
            )
    if len(set(names)) != len(names):
        raise UsageError("--by names a dimension twice")
    return names


def compute_rates(
    results: Iterable[EpisodeResult | InputProblem],
    by: Sequence[str] = (),
    rules: Sequence[Mapping[str, Any]] = (),
    as_of: dt.datetime | None = None,
) -> RateReport:
    """Rates of the outcomes in `results`, stratified by `by` (see the module docstring).

    `rules` (RunInfo.rules) only supplies rule titles; `as_of` is carried into the report.
    The iterable is read once; memory grows with the number of rows, not of episodes.
    """
    accumulator = RateAccumulator(by, rules)
    for result in results:
        accumulator.add(result)
    return accumulator.report(as_of)


@dataclass
class _Tally:
    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))


class RateAccumulator:
    """compute_rates, one result at a time: reporters that stream (xlsx, html) feed it as
    results arrive instead of keeping them."""

    def __init__(self, by: Sequence[str] = (), rules: Sequence[Mapping[str, Any]] = ()) -> None:
        self.by = parse_by(by)
        self._titles = {r["id"]: (r["title"]["zh"], r["title"]["en"]) for r in rules}
        self._tallies: dict[tuple[str, str], dict[Stratum, _Tally]] = {}
        self._composite_seen = False
        self._composite: dict[Stratum, _Tally] = {}
        self.episodes = 0
        self.input_problems = 0
        self._first: dt.date | None = None
        self._last: dt.date | None = None

    def add(self, result: EpisodeResult | InputProblem) -> None:
        if isinstance(result, InputProblem):
            self.input_problems += 1
            unknown: Stratum = (None,) * len(self.by)
            self._count(("rule", "input"), unknown, Status.INDETERMINATE)
            self._count(("all", ALL), unknown, Status.INDETERMINATE)
            return
        self.episodes += 1
        episode = result.episode
        day = _stratum_day(episode)
        if day is not None:
            self._first = day if self._first is None else min(self._first, day)
            self._last = day if self._last is None else max(self._last, day)
        key_records: list[Outcome] = []
        for outcome in result.outcomes:
            stratum = self._stratum(outcome.department, outcome.attending, day)
            self._count(("all", ALL), stratum, outcome.status)
            self._count(("rule", outcome.rule_id), stratum, outcome.status)
            for tag in dict.fromkeys(outcome.tags):
                self._count(("tag", tag), stratum, outcome.status)
            if NIT_KEY_RECORDS in outcome.tags:
                key_records.append(outcome)
        self._add_composite(result, key_records, day)

    def _add_composite(
        self, result: EpisodeResult, key_records: list[Outcome], day: dt.date | None
    ) -> None:
        if key_records:
            self._composite_seen = True
        episode = result.episode
        if episode is not None:
            department = episode.discharge_department or department_at(episode, None)
            attending = attending_at(episode, None)
        else:  # no episode kept: the outcomes still say who was responsible
            department = next((o.department for o in result.outcomes if o.department), None)
            attending = next((o.attending for o in result.outcomes if o.attending), None)
        status = _episode_status(key_records)
        strata = ((), self._stratum(department, attending, day)) if self.by else ((),)
        for stratum in strata:
            self._composite.setdefault(stratum, _Tally()).counts[status] += 1

    def _stratum(
        self, department: str | None, attending: str | None, day: dt.date | None
    ) -> Stratum:
        values = {
            "department": department,
            "attending": attending,
            "month": f"{day.year:04d}-{day.month:02d}" if day else None,
            "quarter": f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}" if day else None,
        }
        return tuple(values[name] for name in self.by)

    def _count(self, key: tuple[str, str], stratum: Stratum, status: Status) -> None:
        strata = self._tallies.setdefault(key, {})
        strata.setdefault((), _Tally()).counts[status] += 1
        if self.by:
            strata.setdefault(stratum, _Tally()).counts[status] += 1

    def report(self, as_of: dt.datetime | None = None) -> RateReport:
        rows: list[RateRow] = []
        for (kind, row_id), strata in self._tallies.items():
            zh, en = self._names(kind, row_id)
            rows.extend(_outcome_row(kind, row_id, zh, en, s, t) for s, t in strata.items())
        if self._composite_seen:
            rows.extend(_composite_row(s, t) for s, t in self._composite.items())
        rows.sort(key=_row_order)
        return RateReport(
            self.by,
            tuple(rows),
            self.episodes,
            self.input_problems,
            self._first,
            self._last,
            as_of,
        )

    def _names(self, kind: str, row_id: str) -> tuple[str, str]:
        if kind == "all":
            return _ALL_NAMES
        if kind == "rule":
            if row_id == "input":
                return _INPUT_NAMES
            return self._titles.get(row_id, ("", ""))
        return (indicator_name(row_id, "zh") or "", indicator_name(row_id, "en") or "")


def _stratum_day(episode: Episode | None) -> dt.date | None:
    """The day an episode is counted in: discharge, else admission (design §6)."""
    if episode is None:
        return None
    moment = episode.discharged_at or episode.admitted_at
    return moment.date() if isinstance(moment, dt.datetime) else moment


def _episode_status(key_records: list[Outcome]) -> Status:
    """One status per episode for NIT-2024-VIII: PASS when every non-NA key-record outcome is
    PASS; otherwise the most telling non-PASS status (FAIL before INDETERMINATE before
    PENDING before WAIVED); NA when none applies."""
    statuses = {o.status for o in key_records} - {Status.NA}
    if not statuses:
        return Status.NA
    for status in (Status.FAIL, Status.INDETERMINATE, Status.PENDING, Status.WAIVED):
        if status in statuses:
            return status
    return Status.PASS


def _outcome_row(
    kind: str, row_id: str, zh: str, en: str, stratum: Stratum, tally: _Tally
) -> RateRow:
    c = tally.counts
    return RateRow(
        kind,
        row_id,
        zh,
        en,
        stratum,
        c[Status.PASS],
        c[Status.FAIL],
        c[Status.PENDING],
        c[Status.INDETERMINATE],
        c[Status.NA],
        c[Status.WAIVED],
        numerator=c[Status.PASS],
        denominator=c[Status.PASS] + c[Status.FAIL],
    )


def _composite_row(stratum: Stratum, tally: _Tally) -> RateRow:
    c = tally.counts
    subjects = sum(c.values())
    return RateRow(
        "composite",
        NIT_KEY_RECORDS,
        *_COMPOSITE_NAMES,
        stratum,
        c[Status.PASS],
        c[Status.FAIL],
        c[Status.PENDING],
        c[Status.INDETERMINATE],
        c[Status.NA],
        c[Status.WAIVED],
        numerator=c[Status.PASS],
        denominator=subjects - c[Status.NA],
    )


def _row_order(row: RateRow) -> tuple[Any, ...]:
    # totals first, then strata with unknown values last
    stratum_key = tuple((value is None, value or "") for value in row.stratum)
    return (KINDS.index(row.kind), row.id, not row.is_total, stratum_key)
