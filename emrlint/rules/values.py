"""Run-time values of the rule language and its three-valued logic.

* A time is a `Range` of aware datetimes: exact when `lo == hi`, a whole day when the source
  knew only the date. Durations between such times are Ranges of timedeltas, and counts whose
  items are uncertain are Ranges of ints. Comparisons on Ranges answer True, False, or
  `Missing` when the imprecision could go either way.
* `Missing` stands for "the data needed is not there" and carries the reason; it propagates
  through every operator, and a requirement that ends in Missing is INDETERMINATE.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

from emrlint.rules.nodes import WorkdayCount

__all__ = [
    "Missing",
    "Range",
    "compare",
    "format_value",
    "is_true",
    "logical_and",
    "logical_not",
    "logical_or",
    "time_range",
]

_DAY_END = dt.timedelta(days=1) - dt.timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Missing:
    """An unknown value, with the reason a reviewer will read."""

    reason: str

    def __bool__(self) -> bool:  # a Missing must never be taken as "false" silently
        raise TypeError("Missing has no truth value; use is_true()")


@dataclass(frozen=True, slots=True)
class Range:
    """A value known to lie in [lo, hi] (inclusive)."""

    lo: Any
    hi: Any

    @property
    def is_exact(self) -> bool:
        return bool(self.lo == self.hi)

    def shift(self, delta: Any) -> Range:
        return Range(self.lo + delta, self.hi + delta)


def time_range(value: dt.datetime | dt.date, tz: dt.tzinfo) -> Range:
    """A model time point as a Range: an exact instant, or the whole local day."""
    if isinstance(value, dt.datetime):
        return Range(value, value)
    start = dt.datetime.combine(value, dt.time(), tzinfo=tz)
    return Range(start, start + _DAY_END)


def _as_range(value: Any) -> Range:
    if isinstance(value, Range):
        return value
    if isinstance(value, Enum) and hasattr(value, "order"):
        return Range(value.order, value.order)
    return Range(value, value)


def compare(op: str, left: Any, right: Any) -> bool | Missing:
    left_type, right_type = type(left), type(right)
    if left_type is Missing:
        return left
    if right_type is Missing:
        return right
    if op == "=" or op == "!=":
        if left_type is not Range and right_type is not Range:  # the common case: exact values
            return bool(left == right) if op == "=" else bool(left != right)
        equal = _equal(left, right)
        if isinstance(equal, Missing) or op == "=":
            return equal
        return not equal
    a, b = _as_range(left), _as_range(right)
    try:
        if op == "<":
            return _decide(a.hi < b.lo, a.lo >= b.hi)
        if op == "<=":
            return _decide(a.hi <= b.lo, a.lo > b.hi)
        if op == ">":
            return _decide(a.lo > b.hi, a.hi <= b.lo)
        if op == ">=":
            return _decide(a.lo >= b.hi, a.hi < b.lo)
    except TypeError:
        return Missing(f"cannot compare {format_value(left)} with {format_value(right)}")
    raise ValueError(f"unknown comparison {op}")


def _equal(left: Any, right: Any) -> bool | Missing:
    if not isinstance(left, Range) and not isinstance(right, Range):
        return bool(left == right)
    a, b = _as_range(left), _as_range(right)
    if a.is_exact and b.is_exact:
        return bool(a.lo == b.lo)
    if a.hi < b.lo or b.hi < a.lo:
        return False
    return Missing("a time known only to the day cannot decide this")


def _decide(certainly_true: bool, certainly_false: bool) -> bool | Missing:
    if certainly_true:
        return True
    if certainly_false:
        return False
    return Missing("a time known only to the day cannot decide this")


def is_true(value: Any) -> bool:
    return value is True


def logical_not(value: bool | Missing) -> bool | Missing:
    return value if isinstance(value, Missing) else not value


def logical_and(values: list[bool | Missing]) -> bool | Missing:
    missing = None
    for value in values:
        if value is False:
            return False
        if isinstance(value, Missing) and missing is None:
            missing = value
    return missing if missing is not None else True


def logical_or(values: list[bool | Missing]) -> bool | Missing:
    missing = None
    for value in values:
        if value is True:
            return True
        if isinstance(value, Missing) and missing is None:
            missing = value
    return missing if missing is not None else False


def format_duration(delta: dt.timedelta) -> str:
    """Whole minutes, rounded away from zero: a note 1 s past a deadline is "1min" late."""
    sign = "-" if delta < dt.timedelta() else ""
    minutes = math.ceil(abs(delta).total_seconds() / 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}min" if minutes else "",
    ]
    return sign + ("".join(parts) or "0min")


def format_value(value: Any, lang: str = "en") -> str:
    """How a value appears in a message: times to the minute, durations as 6h30min, working
    days in the message's language."""
    if isinstance(value, Missing):
        return "?"
    if isinstance(value, Range):
        if isinstance(value.lo, dt.datetime):
            if value.is_exact:
                return value.lo.strftime("%Y-%m-%d %H:%M")
            return value.lo.strftime("%Y-%m-%d")
        if value.is_exact:
            return format_value(value.lo)
        return f"{format_value(value.lo)}..{format_value(value.hi)}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, WorkdayCount):
        return f"{value.days}个工作日" if lang == "zh" else f"{value.days} workdays"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return "?"
    return str(value)
