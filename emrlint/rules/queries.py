"""Time windows and queries of the rule language: which items of an episode fall in a window
(certainly, possibly, or after it), and the aggregates built on them (count, any, all, first).

Split from `plans.py`, whose expression plans these build on; the same contract holds: frozen
objects resolved at compile time, `evaluate(ctx)`/`run(ctx)` pure functions of the context.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emrlint.rules import plans as p
from emrlint.rules.nodes import WorkdayCount
from emrlint.rules.plans import EvalContext
from emrlint.rules.values import Missing, Range, compare, logical_and

__all__ = [
    "AllOf",
    "AnyOf",
    "Count",
    "CountDistinct",
    "EpisodeQuery",
    "FirstOrLast",
    "ListQuery",
    "Matches",
    "ValueIndex",
    "Window",
    "WindowPlan",
    "item_key",
    "required_equality",
    "value_index",
]

_ONE_DAY = dt.timedelta(days=1)
_UNSURE = Missing("a time known only to the day cannot decide this")
_NOT_YET = object()  # an item's time, not yet looked up


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
        if type(moment) is Missing:
            return moment
        if type(moment) is Range:  # the common case, written out: no lists, no calls
            return self._contains_range(moment)
        checks: list[bool | Missing] = []
        if self.start is not None:
            checks.append(compare("<=", self.start, moment))
        if self.end is not None:
            checks.append(compare("<=", moment, self.end))
        return logical_and(checks)

    def _contains_range(self, moment: Range) -> bool | Missing:
        """As `contains`, for a time: False if certainly outside, Missing if a day-only time
        straddles an edge, True if certainly inside."""
        unsure = False
        start, end = self.start, self.end
        if start is not None:
            if start.lo > moment.hi:
                return False
            unsure = not start.hi <= moment.lo
        if end is not None:
            if moment.lo > end.hi:
                return False
            unsure = unsure or not moment.hi <= end.lo
        return _UNSURE if unsure else True

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
    """`KINDS [NAME] [where COND] [WINDOW]` over the episode.

    A filter that requires `NAME.field = VALUE`, VALUE not depending on the item, looks up
    the items with that value (and those without one, which stay unknown) in a per-episode
    index instead of testing every item: `any(progress_records b where b.id != a.id and
    b.text = a.text)` inside a rule over every note would otherwise be quadratic."""

    list_attr: str
    event_type: str | None
    kinds: frozenset[str] | None
    slot: int | None
    where: Any | None
    window: WindowPlan | None
    time_attr: str | None
    label: str
    key_attr: str | None = field(init=False, compare=False, repr=False)
    key_value: Any = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        attr, value = required_equality(self.where, self.slot)
        object.__setattr__(self, "key_attr", attr)
        object.__setattr__(self, "key_value", value)

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
        # the budget is checked once per search: one pass over a list is linear, and a search
        # nested in another's filter checks again for every outer item
        ctx.check_budget()
        window = self.window.evaluate(ctx) if self.window is not None else None
        if isinstance(window, Missing):
            return window
        bounded = (
            window is not None
            and self.time_attr is not None
            and (window.start is not None or window.end is not None)
        )
        if not bounded:
            candidates: list[tuple[Any, Any]] = [(item, _NOT_YET) for item in self._matching(ctx)]
            after: list[tuple[Range, Any]] = []
        else:
            assert window is not None
            candidates, after = self._near(window, ctx)
        yes: list[tuple[Any, Range | None]] = []
        maybe: list[tuple[Any, str]] = []
        late: list[tuple[Any, Range]] = []
        for item, moment in candidates:
            accepted = self._accepts(item, ctx)
            if accepted is False:
                continue
            if moment is _NOT_YET:
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
            if self._accepts(item, ctx) is True:
                late.append((item, moment))
                break
        if not bounded:  # a bounded search took its items from the time index, in order
            yes.sort(key=lambda pair: (_sort_key(pair[1]), item_key(pair[0])))
            late.sort(key=lambda pair: (_sort_key(pair[1]), item_key(pair[0])))
        if len(maybe) > 1:
            maybe.sort(key=lambda pair: item_key(pair[0]))
        return Matches(tuple(yes), tuple(maybe), tuple(late[:1]), window)

    def _matching(self, ctx: EvalContext) -> list[Any]:
        """The items the filter may accept: by the required equality when there is one (items
        whose value differs would be rejected by it), else all."""
        if self.key_attr is None:
            return self.items(ctx)
        index_key = ("value-index", self.list_attr, self.event_type, self.kinds, self.key_attr)
        index = value_index(ctx, index_key, self.items, self.key_attr)
        found = index.candidates(self.key_value.evaluate(ctx)) if index is not None else None
        return found if found is not None else self.items(ctx)

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

    def _near(
        self, window: Window, ctx: EvalContext
    ) -> tuple[list[tuple[Any, Any]], list[tuple[Range, Any]]]:
        """Items that may fall in the window, with their times (by a binary search over the
        times, so that a per-day rule costs O(log n) per day, not O(n)), plus those after it, in
        time order. Items without a time come last, marked `_NOT_YET`: their missing time is
        described only if they pass the filter."""
        index = self._index(ctx)
        start = 0
        if window.start is not None:  # a time spans at most one day (a day-only time)
            start = bisect.bisect_left(index.starts, window.start.lo - _ONE_DAY)
        stop = len(index.timed)
        if window.end is not None:
            stop = bisect.bisect_right(index.starts, window.end.hi)
        near = [(item, moment) for moment, item in index.timed[start:stop]]
        return near + [(item, _NOT_YET) for item in index.untimed], index.timed[stop:]

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


@dataclass(frozen=True, slots=True)
class ValueIndex:
    """One episode's items of one list by the value of one field (as `FieldGet` reads it),
    the items without a value apart, each list in the episode's order."""

    by_value: dict[Any, list[Any]]
    unknown: list[Any]
    position: dict[int, int]  # id(item) -> place in the list, to merge in the episode's order

    def candidates(self, value: Any) -> list[Any] | None:
        """The items for which `field = value` may hold (equal, or without a value: unknown),
        in the episode's order; None when `value` cannot be looked up (unknown, a time, or
        unhashable), so every item must be tested."""
        if type(value) is Missing or type(value) is Range:
            return None
        try:
            same = self.by_value.get(value, [])
        except TypeError:
            return None
        if not self.unknown or not same:
            return same or self.unknown
        return sorted(same + self.unknown, key=lambda item: self.position[id(item)])


def value_index(
    ctx: EvalContext, key: tuple[Any, ...], items: Callable[[EvalContext], list[Any]], attr: str
) -> ValueIndex | None:
    """The `ValueIndex` of `items(ctx)` by `attr`, cached per episode under `key`; None when a
    value cannot be a key (a dict), so searches test every item."""
    cached = ctx.cache.get(key, _NOT_YET)
    if cached is not _NOT_YET:
        return cached  # type: ignore[no-any-return]
    listed = items(ctx)
    by_value: dict[Any, list[Any]] = {}
    unknown: list[Any] = []
    index: ValueIndex | None = ValueIndex(
        by_value, unknown, {id(i): n for n, i in enumerate(listed)}
    )
    for item in listed:
        raw = getattr(item, attr)
        if raw is None:
            unknown.append(item)
            continue
        value = tuple(raw) if type(raw) is list else raw  # as FieldGet reads it
        try:
            by_value.setdefault(value, []).append(item)
        except TypeError:
            index = None
            break
    ctx.cache[key] = index
    return index


def required_equality(
    where: Any, slot: int | None, others_bound: bool = True
) -> tuple[str | None, Any]:
    """(field, value plan) when `where` requires `item.field = value` (alone or as one operand
    of `and`), the item being bound to `slot` and the value not depending on it; else
    (None, None). `others_bound` False (a rule's subject filter, where no other item is bound
    yet): the value may not read any slot. A time field is left out: its equality is not
    plain `==`."""
    if where is None or slot is None:
        return None, None
    operands = where.operands if type(where) is p.AndOp else (where,)
    for operand in operands:
        if type(operand) is not p.CompareOp or operand.op != "=":
            continue
        for mine, other in ((operand.left, operand.right), (operand.right, operand.left)):
            own_field = type(mine) is p.FieldGet and mine.slot == slot and not mine.is_time
            if own_field and _free_of(other, slot, others_bound):
                return mine.attr, other
    return None, None


def _free_of(plan: Any, slot: int, others_bound: bool) -> bool:
    """Whether `plan` surely reads nothing of the item in `slot`: a constant, a parameter, or
    a field of the episode or (when `others_bound`) of another bound item."""
    kind = type(plan)
    if kind is p.Const or kind is p.ParamRef or kind is p.EpisodeRef:
        return True
    if kind is p.Slot:
        return others_bound and bool(plan.index != slot)
    if kind is p.FieldGet:
        if plan.slot is not None:
            return others_bound and bool(plan.slot != slot)
        return _free_of(plan.target, slot, others_bound)
    return False


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
        ctx.check_budget()
        items = self.source.evaluate(ctx)
        if isinstance(items, Missing):
            return items
        yes: list[tuple[Any, Range | None]] = []
        maybe: list[tuple[Any, str]] = []
        for item in items:
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
