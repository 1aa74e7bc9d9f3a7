"""Compiled rule expressions: small frozen objects with an `evaluate(ctx)` method.

Plans are what the compiler emits and the engine runs. Every name was resolved when the plan
was built (attributes are constants checked against the model), so evaluation does no lookup
of rule text. Plans pickle, so a compiled rulebook can be cached and sent to worker processes.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from emrlint.model import Episode
from emrlint.rules.nodes import WorkdayCount
from emrlint.rules.values import (
    Missing,
    Range,
    compare,
    logical_and,
    logical_not,
    logical_or,
    time_range,
)
from emrlint.rules.workdays import WorkdayCalendar

__all__ = ["EvalContext", "Plan", "RuleBudgetExceeded", "Window"]

_DAY_END = dt.timedelta(days=1) - dt.timedelta(microseconds=1)
_ONE_DAY = dt.timedelta(days=1)


class RuleBudgetExceeded(Exception):
    """A rule ran past its time budget on one episode."""


@dataclass
class EvalContext:
    """Everything one evaluation reads. Built per (episode, run); plans never mutate the episode."""

    episode: Episode
    as_of: dt.datetime
    tz: dt.tzinfo
    calendar: WorkdayCalendar
    params: dict[str, Any]
    slots: list[Any] = field(default_factory=lambda: [None] * 8)
    budget_until: float | None = None
    clock: Callable[[], float] | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    def check_budget(self) -> None:
        over = self.clock is not None and self.budget_until is not None
        if over and self.clock() > self.budget_until:  # type: ignore[misc,operator]
            raise RuleBudgetExceeded

    def to_range(self, value: dt.datetime | dt.date) -> Range:
        return time_range(value, self.tz)

    def end_of_day(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=self.tz) + _DAY_END

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()


class Plan(Protocol):
    def evaluate(self, ctx: EvalContext) -> Any: ...


# ---------------------------------------------------------------- leaves


@dataclass(frozen=True, slots=True)
class Const:
    value: Any

    def evaluate(self, ctx: EvalContext) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class TimeConst:
    """A date or date-time written in a rule; a date means the whole local day."""

    value: dt.datetime | dt.date

    def evaluate(self, ctx: EvalContext) -> Any:
        return ctx.to_range(self.value)


@dataclass(frozen=True, slots=True)
class Slot:
    index: int

    def evaluate(self, ctx: EvalContext) -> Any:
        return ctx.slots[self.index]


@dataclass(frozen=True, slots=True)
class ParamRef:
    name: str

    def evaluate(self, ctx: EvalContext) -> Any:
        return ctx.params[self.name]


@dataclass(frozen=True, slots=True)
class AsEnum:
    """A text parameter read as an enumerated value (a rank, a level) where a rule compares
    it with such a field; a site value that is no member is unknown, never a silent pass."""

    value: Any
    enum: type[Enum]
    name: str

    def evaluate(self, ctx: EvalContext) -> Any:
        raw = self.value.evaluate(ctx)
        try:
            return self.enum(raw)
        except ValueError:
            return Missing(f"parameter {self.name} = {raw!r} is not a valid value")


@dataclass(frozen=True, slots=True)
class EpisodeRef:
    def evaluate(self, ctx: EvalContext) -> Any:
        return ctx.episode


def _convert(value: Any, is_time: bool, label: str, ctx: EvalContext) -> Any:
    if value is None:
        return Missing(f"{label} is missing")
    if is_time:
        return ctx.to_range(value)
    if isinstance(value, list):
        return tuple(value)
    return value


@dataclass(frozen=True, slots=True)
class FieldGet:
    """Read one model attribute; over a list, read it from every element. A blank element
    value stays in the result as Missing, so `count(distinct …)` can say it is unsure."""

    target: Any
    attr: str
    is_time: bool
    label: str

    def evaluate(self, ctx: EvalContext) -> Any:
        obj = self.target.evaluate(ctx)
        if isinstance(obj, Missing):
            return obj
        if isinstance(obj, tuple):
            values: list[Any] = []
            for element in obj:
                value = getattr(element, self.attr)
                if isinstance(value, list):
                    values.extend(value)
                elif value is None:
                    values.append(Missing(f"{self.label} is missing"))
                else:
                    values.append(ctx.to_range(value) if self.is_time else value)
            return tuple(values)
        return _convert(getattr(obj, self.attr), self.is_time, self.label, ctx)


@dataclass(frozen=True, slots=True)
class Computed:
    """A computed field (`age`, `d.is_workday`, …): a module-level function of (obj, ctx)."""

    target: Any
    function: Callable[[Any, EvalContext], Any]
    label: str

    def evaluate(self, ctx: EvalContext) -> Any:
        obj = self.target.evaluate(ctx)
        if isinstance(obj, Missing):
            return obj
        value = self.function(obj, ctx)
        if value is None:
            return Missing(f"{self.label} is missing")
        return value


# ---------------------------------------------------------------- operators


@dataclass(frozen=True, slots=True)
class CompareOp:
    op: str
    left: Any
    right: Any

    def evaluate(self, ctx: EvalContext) -> Any:
        return compare(self.op, self.left.evaluate(ctx), self.right.evaluate(ctx))


@dataclass(frozen=True, slots=True)
class AndOp:
    operands: tuple[Any, ...]

    def evaluate(self, ctx: EvalContext) -> Any:
        values = []
        for operand in self.operands:
            value = operand.evaluate(ctx)
            if value is False:
                return False
            values.append(value)
        return logical_and(values)


@dataclass(frozen=True, slots=True)
class OrOp:
    operands: tuple[Any, ...]

    def evaluate(self, ctx: EvalContext) -> Any:
        values = []
        for operand in self.operands:
            value = operand.evaluate(ctx)
            if value is True:
                return True
            values.append(value)
        return logical_or(values)


@dataclass(frozen=True, slots=True)
class NotOp:
    operand: Any

    def evaluate(self, ctx: EvalContext) -> Any:
        return logical_not(self.operand.evaluate(ctx))


@dataclass(frozen=True, slots=True)
class Conditional:
    condition: Any
    then: Any
    otherwise: Any

    def evaluate(self, ctx: EvalContext) -> Any:
        condition = self.condition.evaluate(ctx)
        if isinstance(condition, Missing):
            return condition
        return self.then.evaluate(ctx) if condition else self.otherwise.evaluate(ctx)


@dataclass(frozen=True, slots=True)
class Arithmetic:
    op: str  # "+" or "-"
    left: Any
    right: Any

    def evaluate(self, ctx: EvalContext) -> Any:
        left = self.left.evaluate(ctx)
        right = self.right.evaluate(ctx)
        if isinstance(left, Missing):
            return left
        if isinstance(right, Missing):
            return right
        if isinstance(right, WorkdayCount):
            return _shift_workdays(left, right.days if self.op == "+" else -right.days, ctx)
        if isinstance(left, Range) and isinstance(right, Range):  # time - time
            return Range(left.lo - right.hi, left.hi - right.lo)
        if isinstance(left, Range):
            return left.shift(right if self.op == "+" else -right)
        return left + right if self.op == "+" else left - right


def _shift_workdays(value: Range, days: int, ctx: EvalContext) -> Range:
    def move(moment: dt.datetime) -> dt.datetime:
        local = moment.astimezone(ctx.tz)
        if days >= 0:
            target = ctx.calendar.add_workdays(local.date(), days)
        else:
            target = ctx.calendar.subtract_workdays(local.date(), -days)
        return local.replace(year=target.year, month=target.month, day=target.day)

    return Range(move(value.lo), move(value.hi))


@dataclass(frozen=True, slots=True)
class Membership:
    value: Any
    collection: Any
    negate: bool

    def evaluate(self, ctx: EvalContext) -> Any:
        value = self.value.evaluate(ctx)
        if isinstance(value, Missing):
            return value
        items = self.collection.evaluate(ctx)
        if isinstance(items, Missing):
            return items
        found = value in items
        return not found if self.negate else found


@dataclass(frozen=True, slots=True)
class CodeMatch:
    """ICD-style code matching: a prefix (`I63`) or an inclusive range (`C00-C97`)."""

    value: Any
    patterns: Any  # evaluates to a tuple of pattern strings

    def evaluate(self, ctx: EvalContext) -> Any:
        value = self.value.evaluate(ctx)
        if isinstance(value, Missing):
            return value
        patterns = self.patterns.evaluate(ctx)
        if isinstance(patterns, Missing):
            return patterns
        return code_matches(str(value), patterns)


def code_matches(code: str, patterns: Sequence[str]) -> bool:
    """A pattern `A-B` is an inclusive range only when A and B have the same shape (`C00-C97`,
    `I21.0-I21.3`); otherwise the hyphen is part of the code (LOINC `2345-7`, `IL-6`)."""
    normal = code.strip().upper()
    for pattern in patterns:
        low, _, high = pattern.strip().upper().partition("-")
        if not high or len(low) != len(high):
            if normal.startswith(pattern.strip().upper()):
                return True
            continue
        width = max(len(low), len(high))
        head = normal[:width]
        if low <= head <= high or (head.startswith(high) and len(head) >= len(high)):
            return True
    return False


@dataclass(frozen=True, slots=True)
class TextContains:
    value: Any
    pieces: Any  # a text or a tuple of texts

    def evaluate(self, ctx: EvalContext) -> Any:
        value = self.value.evaluate(ctx)
        if isinstance(value, Missing):
            return value
        pieces = self.pieces.evaluate(ctx)
        if isinstance(pieces, Missing):
            return pieces
        if isinstance(pieces, str):
            pieces = (pieces,)
        text = str(value).casefold()
        return any(str(piece).casefold() in text for piece in pieces)


@dataclass(frozen=True, slots=True)
class Presence:
    value: Any
    present: bool

    def evaluate(self, ctx: EvalContext) -> Any:
        value = self.value.evaluate(ctx)
        if isinstance(value, tuple):
            is_there = any(not isinstance(v, Missing) for v in value)
        else:
            is_there = not isinstance(value, Missing)
        return is_there if self.present else not is_there


@dataclass(frozen=True, slots=True)
class Exactness:
    """True for an exact time, false for a day-only one; a missing time stays unknown."""

    value: Any

    def evaluate(self, ctx: EvalContext) -> Any:
        value = self.value.evaluate(ctx)
        if isinstance(value, Missing):
            return value
        return bool(value.is_exact)


@dataclass(frozen=True, slots=True)
class ListOf:
    items: tuple[Any, ...]

    def evaluate(self, ctx: EvalContext) -> Any:
        return tuple(item.evaluate(ctx) for item in self.items)


# ---------------------------------------------------------------- windows


@dataclass(frozen=True, slots=True)
class Window:
    """Inclusive [start, end]; None is unbounded. `deadline` None: it never closes."""

    start: Range | None
    end: Range | None
    deadline: Range | None

    def contains(self, moment: Any) -> bool | Missing:
        if self.start is None and self.end is None:
            return True
        if isinstance(moment, Missing):
            return moment
        checks: list[bool | Missing] = []
        if self.start is not None:
            checks.append(compare("<=", self.start, moment))
        if self.end is not None:
            checks.append(compare("<=", moment, self.end))
        return logical_and(checks)

    def is_after_end(self, moment: Range) -> bool:
        return self.end is not None and moment.lo > self.end.hi

    def is_closed(self, as_of: dt.datetime) -> bool:
        return self.deadline is not None and as_of > self.deadline.hi


def _discharge_deadline(ctx: EvalContext) -> Range | None:
    discharged = ctx.episode.discharged_at
    return ctx.to_range(discharged) if discharged is not None else None


@dataclass(frozen=True, slots=True)
class WindowPlan:
    kind: str  # within_after, within_before, before, after, between, during, always
    anchor: Any | None
    duration: Any | None = None
    until: Any | None = None

    def evaluate(self, ctx: EvalContext) -> Window | Missing:
        if self.kind == "always":
            return Window(None, None, _discharge_deadline(ctx))
        anchor = self.anchor.evaluate(ctx)
        if isinstance(anchor, Missing):
            return anchor
        if self.kind == "during":
            return _interval_window(anchor, ctx)
        if self.kind == "before":
            return Window(None, anchor, anchor)
        if self.kind == "same_day":
            end = Range(
                ctx.end_of_day(ctx.local_date(anchor.lo)), ctx.end_of_day(ctx.local_date(anchor.hi))
            )
            return Window(anchor, end, end)
        if self.kind == "after":
            return Window(anchor, None, _discharge_deadline(ctx))
        if self.kind == "between":
            until = self.until.evaluate(ctx)
            if isinstance(until, Missing):
                return until
            return Window(anchor, until, until)
        duration = self.duration.evaluate(ctx)
        if isinstance(duration, Missing):
            return duration
        if self.kind == "within_after":
            end = _after(anchor, duration, ctx)
            return Window(anchor, end, end)
        start = _before(anchor, duration, ctx)
        return Window(start, anchor, anchor)


def _after(anchor: Range, duration: Any, ctx: EvalContext) -> Range:
    if isinstance(duration, WorkdayCount):

        def last_moment(moment: dt.datetime) -> dt.datetime:
            day = ctx.calendar.add_workdays(ctx.local_date(moment), duration.days)
            return ctx.end_of_day(day)

        return Range(last_moment(anchor.lo), last_moment(anchor.hi))
    return anchor.shift(duration)


def _before(anchor: Range, duration: Any, ctx: EvalContext) -> Range:
    if isinstance(duration, WorkdayCount):

        def first_moment(moment: dt.datetime) -> dt.datetime:
            day = ctx.calendar.subtract_workdays(ctx.local_date(moment), duration.days)
            return dt.datetime.combine(day, dt.time(), tzinfo=ctx.tz)

        return Range(first_moment(anchor.lo), first_moment(anchor.hi))
    return anchor.shift(-duration)


def _interval_window(interval: Any, ctx: EvalContext) -> Window | Missing:
    start = getattr(interval, "start", None)
    end = getattr(interval, "end", None)
    if start is None or end is None:
        return Missing("the interval has no end yet")
    start_range = start if isinstance(start, Range) else ctx.to_range(start)
    end_range = end if isinstance(end, Range) else ctx.to_range(end)
    return Window(start_range, end_range, end_range)


# ---------------------------------------------------------------- queries


@dataclass(frozen=True, slots=True)
class Matches:
    """Items found by a query: certainly in (`yes`), possibly in (`maybe`), and those that
    satisfied the filter but fell after the window (`late`, for "written late by …")."""

    yes: tuple[tuple[Any, Range | None], ...]
    maybe: tuple[tuple[Any, str], ...]
    late: tuple[tuple[Any, Range], ...]
    window: Window | None


@dataclass(frozen=True, slots=True)
class _TimeIndex:
    """One episode's items of one kind, sorted by time (cached per episode and query shape)."""

    starts: list[dt.datetime]
    timed: list[tuple[Range, Any]]
    untimed: list[Any]


@dataclass(frozen=True, slots=True)
class EpisodeQuery:
    list_attr: str
    event_type: str | None
    kinds: frozenset[str] | None
    slot: int | None
    where: Any | None
    window: WindowPlan | None
    time_attr: str | None
    label: str

    def items(self, ctx: EvalContext) -> list[Any]:
        if self.list_attr is None:  # an episode time field: the episode, when it is filled
            return [ctx.episode] if getattr(ctx.episode, self.time_attr) is not None else []
        items = getattr(ctx.episode, self.list_attr)
        if self.event_type is not None:
            items = [i for i in items if i.type == self.event_type]
        if self.kinds is not None:
            items = [i for i in items if i.kind in self.kinds]
        return items

    def run(self, ctx: EvalContext) -> Matches | Missing:
        window = self.window.evaluate(ctx) if self.window is not None else None
        if isinstance(window, Missing):
            return window
        bounded = (
            window is not None
            and self.time_attr is not None
            and (window.start is not None or window.end is not None)
        )
        if not bounded:
            candidates: list[Any] = list(self.items(ctx))
            after: list[tuple[Range, Any]] = []
        else:
            assert window is not None
            candidates, after = self._near(window, ctx)
        yes: list[tuple[Any, Range | None]] = []
        maybe: list[tuple[Any, str]] = []
        late: list[tuple[Any, Range]] = []
        for item in candidates:
            ctx.check_budget()
            accepted = self._accepts(item, ctx)
            if accepted is False:
                continue
            moment = self._moment(item, ctx)
            inside = window.contains(moment) if window is not None else True
            if accepted is True and inside is True:
                yes.append((item, moment if isinstance(moment, Range) else None))
            elif inside is False:
                if (
                    accepted is True
                    and isinstance(moment, Range)
                    and window is not None
                    and window.is_after_end(moment)
                ):
                    late.append((item, moment))
            else:
                reason = (
                    accepted.reason
                    if isinstance(accepted, Missing)
                    else inside.reason
                    if isinstance(inside, Missing)
                    else "imprecise data"
                )
                maybe.append((item, reason))
        for moment, item in after:  # the first matching item after the window, for "late by"
            ctx.check_budget()
            if self._accepts(item, ctx) is True:
                late.append((item, moment))
                break
        yes.sort(key=lambda pair: (_sort_key(pair[1]), item_key(pair[0])))
        late.sort(key=lambda pair: (_sort_key(pair[1]), item_key(pair[0])))
        maybe.sort(key=lambda pair: item_key(pair[0]))
        return Matches(tuple(yes), tuple(maybe), tuple(late[:1]), window)

    def _accepts(self, item: Any, ctx: EvalContext) -> Any:
        if self.slot is not None:
            ctx.slots[self.slot] = item
        return self.where.evaluate(ctx) if self.where is not None else True

    def _moment(self, item: Any, ctx: EvalContext) -> Range | Missing | None:
        if self.time_attr is None:
            return None
        raw_time = getattr(item, self.time_attr)
        if raw_time is None:
            return Missing(f"{self.label} {item_key(item)} has no {self.time_attr}")
        return ctx.to_range(raw_time)

    def _near(self, window: Window, ctx: EvalContext) -> tuple[list[Any], list[tuple[Range, Any]]]:
        """Items that may fall in the window (by a binary search over their times, so that a
        per-day rule costs O(log n) per day, not O(n)), plus those after it, in time order."""
        index = self._index(ctx)
        start = 0
        if window.start is not None:  # a time spans at most one day (a day-only time)
            start = bisect.bisect_left(index.starts, window.start.lo - _ONE_DAY)
        stop = len(index.timed)
        if window.end is not None:
            stop = bisect.bisect_right(index.starts, window.end.hi)
        near = [item for _, item in index.timed[start:stop]]
        return near + index.untimed, index.timed[stop:]

    def _index(self, ctx: EvalContext) -> _TimeIndex:
        key = ("time-index", self.list_attr, self.event_type, self.kinds, self.time_attr)
        cached = ctx.cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        timed: list[tuple[Range, Any]] = []
        untimed: list[Any] = []
        for item in self.items(ctx):
            raw_time = getattr(item, self.time_attr)  # type: ignore[arg-type]
            if raw_time is None:
                untimed.append(item)
            else:
                timed.append((ctx.to_range(raw_time), item))
        timed.sort(key=lambda pair: (pair[0].lo, item_key(pair[1])))
        index = _TimeIndex([moment.lo for moment, _ in timed], timed, untimed)
        ctx.cache[key] = index
        return index

    def evaluate(self, ctx: EvalContext) -> Any:  # a query used as a value: its items
        result = self.run(ctx)
        if isinstance(result, Missing):
            return result
        return tuple(item for item, _ in result.yes)


def item_key(item: Any) -> str:
    """A stable name for an item: its id, or (condition changes have none) its time."""
    item_id = getattr(item, "id", None)
    if item_id is not None:
        return str(item_id)
    moment = getattr(item, "at", None)
    return f"@{moment.isoformat()}" if moment is not None else "?"


def _sort_key(moment: Range | None) -> tuple[int, Any]:
    return (1, dt.datetime.max.replace(tzinfo=dt.UTC)) if moment is None else (0, moment.lo)


@dataclass(frozen=True, slots=True)
class ListQuery:
    source: Any
    slot: int
    where: Any | None

    def run(self, ctx: EvalContext) -> Matches | Missing:
        items = self.source.evaluate(ctx)
        if isinstance(items, Missing):
            return items
        yes: list[tuple[Any, Range | None]] = []
        maybe: list[tuple[Any, str]] = []
        for item in items:
            ctx.check_budget()
            ctx.slots[self.slot] = item
            accepted = self.where.evaluate(ctx) if self.where is not None else True
            if accepted is True:
                yes.append((item, None))
            elif isinstance(accepted, Missing):
                maybe.append((item, accepted.reason))
        return Matches(tuple(yes), tuple(maybe), (), None)

    def evaluate(self, ctx: EvalContext) -> Any:
        result = self.run(ctx)
        if isinstance(result, Missing):
            return result
        return tuple(item for item, _ in result.yes)


@dataclass(frozen=True, slots=True)
class Count:
    query: Any

    def evaluate(self, ctx: EvalContext) -> Any:
        result = self.query.run(ctx)
        if isinstance(result, Missing):
            return result
        low = len(result.yes)
        return low if not result.maybe else Range(low, low + len(result.maybe))


@dataclass(frozen=True, slots=True)
class CountDistinct:
    value: Any

    def evaluate(self, ctx: EvalContext) -> Any:
        values = self.value.evaluate(ctx)
        if isinstance(values, Missing):
            return values
        if not isinstance(values, tuple):
            values = (values,)
        known = {v for v in values if not isinstance(v, Missing)}
        unknown = sum(1 for v in values if isinstance(v, Missing))
        # each missing value may be a new one or a repeat: the count lies in a range
        return len(known) if not unknown else Range(len(known), len(known) + unknown)


@dataclass(frozen=True, slots=True)
class AnyOf:
    query: Any

    def evaluate(self, ctx: EvalContext) -> Any:
        result = self.query.run(ctx)
        if isinstance(result, Missing):
            return result
        if result.yes:
            return True
        if result.maybe:
            return Missing(result.maybe[0][1])
        return False


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every item of the source satisfies the filter; an empty source is Missing, not True."""

    query: Any

    def evaluate(self, ctx: EvalContext) -> Any:
        source = (
            self.query.source.evaluate(ctx)
            if isinstance(self.query, ListQuery)
            else self.query.items(ctx)
        )
        if isinstance(source, Missing):
            return source
        if not source:
            return Missing("there are no items to judge")
        result = self.query.run(ctx)
        if isinstance(result, Missing):
            return result
        if len(result.yes) == len(source):
            return True
        if len(result.yes) + len(result.maybe) == len(source):
            return Missing(result.maybe[0][1])
        return False


@dataclass(frozen=True, slots=True)
class FirstOrLast:
    query: Any
    last: bool
    label: str

    def evaluate(self, ctx: EvalContext) -> Any:
        result = self.query.run(ctx)
        if isinstance(result, Missing):
            return result
        if not result.yes:
            return Missing(f"no {self.label} found")
        return result.yes[-1][0] if self.last else result.yes[0][0]
