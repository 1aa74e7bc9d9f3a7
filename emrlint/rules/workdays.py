"""Statutory working days (法定工作日, with 调休) for rules such as "within 5 workdays".

Built on the `chinese-calendar` package. Site lists in emrlint.toml win over it. For a year the
package does not cover, Monday-Friday is used and the year is remembered in `fallback_years`
so the run can say so once (a warning and a field in the output), never silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import chinese_calendar

__all__ = ["WorkdayCalendar"]


@dataclass
class WorkdayCalendar:
    """One per run (not global): it remembers which years needed the fallback."""

    extra_holidays: frozenset[dt.date] = frozenset()
    extra_workdays: frozenset[dt.date] = frozenset()
    fallback_years: set[int] = field(default_factory=set)
    _cache: dict[dt.date, bool] = field(default_factory=dict, repr=False)

    def is_workday(self, day: dt.date) -> bool:
        cached = self._cache.get(day)
        if cached is None:
            cached = self._cache[day] = self._lookup(day)
        return cached

    def _lookup(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            self.fallback_years.add(day.year)
            return day.weekday() < 5

    def add_workdays(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `day` (day itself not counted); count >= 0."""
        current = day
        remaining = count
        while remaining > 0:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current

    def subtract_workdays(self, day: dt.date, count: int) -> dt.date:
        current = day
        remaining = count
        while remaining > 0:
            current -= dt.timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current

    def covers(self, year: int) -> bool:
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
        except NotImplementedError:
            return False
        return True
