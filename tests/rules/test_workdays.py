from __future__ import annotations

import datetime as dt

from emrlint.rules.workdays import WorkdayCalendar


def test_national_day_holiday_and_make_up_saturday() -> None:
    calendar = WorkdayCalendar()
    assert calendar.add_workdays(dt.date(2024, 9, 30), 5) == dt.date(2024, 10, 12)
    assert calendar.is_workday(dt.date(2024, 10, 12)) is True  # 调休 Saturday
    assert calendar.is_workday(dt.date(2024, 10, 3)) is False


def test_site_lists_override_the_package() -> None:
    calendar = WorkdayCalendar(
        extra_holidays=frozenset({dt.date(2024, 5, 8)}),
        extra_workdays=frozenset({dt.date(2024, 5, 12)}),
    )
    assert calendar.is_workday(dt.date(2024, 5, 8)) is False
    assert calendar.is_workday(dt.date(2024, 5, 12)) is True


def test_years_outside_the_package_fall_back_to_weekdays_and_are_remembered() -> None:
    calendar = WorkdayCalendar()
    assert calendar.is_workday(dt.date(2031, 1, 3)) is True  # a Friday
    assert calendar.is_workday(dt.date(2031, 1, 4)) is False
    assert calendar.fallback_years == {2031}
