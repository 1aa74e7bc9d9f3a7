"""Compiled rule expressions: small frozen objects with an `evaluate(ctx)` method.

Plans are what the compiler emits and the engine runs. Every name was resolved when the plan
was built (attributes are constants checked against the model), so evaluation does no lookup
of rule text. Plans pickle, so a compiled rulebook can be cached and sent to worker processes.
"""

from __future__ import annotations

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
    logical_not,
    time_range,
)
from emrlint.rules.workdays import WorkdayCalendar

__all__ = ["EvalContext", "Plan", "RuleBudgetExceeded", "code_matches"]

_DAY_END = dt.timedelta(days=1) - dt.timedelta(microseconds=1)


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


@dataclass(frozen=True, slots=True)
class FieldGet:
    """Read one model attribute; over a list, read it from every element. A blank element
    value stays in the result as Missing, so `count(distinct …)` can say it is unsure.

    The most frequent plan of all (every `x.field`), so its common path is written out."""

    target: Any
    attr: str
    is_time: bool
    label: str
    missing: Missing = field(init=False, compare=False, repr=False)
    slot: int | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "missing", Missing(f"{self.label} is missing"))  # one, shared
        object.__setattr__(self, "slot", self.target.index if type(self.target) is Slot else None)

    def evaluate(self, ctx: EvalContext) -> Any:
        obj = ctx.slots[self.slot] if self.slot is not None else self.target.evaluate(ctx)
        if type(obj) is tuple:
            return self._each(obj, ctx)
        if type(obj) is Missing:
            return obj
        value = getattr(obj, self.attr)
        if value is None:
            return self.missing
        if self.is_time:
            if type(value) is dt.datetime:
                return Range(value, value)
            return ctx.to_range(value)
        if type(value) is list:
            return tuple(value)
        return value

    def _each(self, elements: tuple[Any, ...], ctx: EvalContext) -> tuple[Any, ...]:
        values: list[Any] = []
        for element in elements:
            value = getattr(element, self.attr)
            if isinstance(value, list):
                values.extend(value)
            elif value is None:
                values.append(self.missing)
            else:
                values.append(ctx.to_range(value) if self.is_time else value)
        return tuple(values)


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

    def evaluate(self, ctx: EvalContext) -> Any:  # logical_and, stopping at the first False
        missing = None
        for operand in self.operands:
            value = operand.evaluate(ctx)
            if value is False:
                return False
            if missing is None and type(value) is Missing:
                missing = value
        return True if missing is None else missing


@dataclass(frozen=True, slots=True)
class OrOp:
    operands: tuple[Any, ...]

    def evaluate(self, ctx: EvalContext) -> Any:  # logical_or, stopping at the first True
        missing = None
        for operand in self.operands:
            value = operand.evaluate(ctx)
            if value is True:
                return True
            if missing is None and type(value) is Missing:
                missing = value
        return False if missing is None else missing


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
