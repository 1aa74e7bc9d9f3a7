"""Computed views of a stay that rules range over or read: its calendar days and weeks, the
stay interval, and computed episode fields (`age`, `admission`, …).

Everything here is a pure function of (episode, as_of, timezone, calendar).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from emrlint.model import ConditionLevel, DiagnosisRole, Episode
from emrlint.rules.plans import EvalContext
from emrlint.rules.values import Range

__all__ = ["EPISODE_FIELDS", "Day", "Interval", "Week", "stay_days", "stay_weeks"]


@dataclass(frozen=True, slots=True)
class Interval:
    start: Range
    end: Range


@dataclass(frozen=True, slots=True)
class Day:
    id: str
    date: dt.date
    start: dt.datetime
    end: dt.datetime
    index: int
    is_workday: bool
    is_full: bool
    is_first: bool
    is_last: bool
    condition: ConditionLevel | None


@dataclass(frozen=True, slots=True)
class Week:
    id: str
    start: dt.datetime
    end: dt.datetime
    index: int
    is_full: bool


def _stay_end(ctx: EvalContext) -> Range:
    discharged = ctx.episode.discharged_at
    if discharged is not None:
        return ctx.to_range(discharged)
    return Range(ctx.as_of, ctx.as_of)


def _condition_at(episode: Episode, moment: dt.datetime, ctx: EvalContext) -> ConditionLevel | None:
    in_force = [
        (ctx.to_range(change.at).lo, -list(ConditionLevel).index(change.level), change.level)
        for change in episode.condition_levels
        if ctx.to_range(change.at).lo <= moment
    ]
    return max(in_force)[2] if in_force else None  # same time: the more severe level wins


def stay_days(ctx: EvalContext) -> list[Day]:
    cached = ctx.cache.get("days")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    admission = ctx.to_range(ctx.episode.admitted_at)
    end = _stay_end(ctx)
    first = ctx.local_date(admission.lo)
    last = ctx.local_date(end.hi)
    days = []
    current = first
    index = 1
    while current <= last:
        ctx.check_budget()
        start = dt.datetime.combine(current, dt.time(), tzinfo=ctx.tz)
        day_end = ctx.end_of_day(current)
        days.append(
            Day(
                id=f"day-{index}",
                date=current,
                start=start,
                end=day_end,
                index=index,
                is_workday=ctx.calendar.is_workday(current),
                is_full=admission.hi <= start and day_end <= end.lo,
                is_first=current == first,
                is_last=current == last,
                condition=_condition_at(ctx.episode, start, ctx),
            )
        )
        current += dt.timedelta(days=1)
        index += 1
    ctx.cache["days"] = days
    return days


def stay_weeks(ctx: EvalContext) -> list[Week]:
    admission = ctx.to_range(ctx.episode.admitted_at)
    end = _stay_end(ctx)
    start = dt.datetime.combine(ctx.local_date(admission.lo), dt.time(), tzinfo=ctx.tz)
    weeks = []
    index = 1
    while start <= end.hi:
        week_end = start + dt.timedelta(days=7) - dt.timedelta(microseconds=1)
        weeks.append(Week(f"week-{index}", start, week_end, index, week_end <= end.lo))
        start += dt.timedelta(days=7)
        index += 1
    return weeks


# ---------------------------------------------------------------- computed episode fields


def _admission(episode: Episode, ctx: EvalContext) -> Any:
    return ctx.to_range(episode.admitted_at)


def _discharge(episode: Episode, ctx: EvalContext) -> Any:
    return ctx.to_range(episode.discharged_at) if episode.discharged_at is not None else None


def _death(episode: Episode, ctx: EvalContext) -> Any:
    return ctx.to_range(episode.died_at) if episode.died_at is not None else None


def _age(episode: Episode, ctx: EvalContext) -> Any:
    birth = episode.patient.birth_date
    if birth is None:
        return None
    born = birth.date() if isinstance(birth, dt.datetime) else birth
    admitted = ctx.local_date(ctx.to_range(episode.admitted_at).lo)
    years = admitted.year - born.year - ((admitted.month, admitted.day) < (born.month, born.day))
    return years


def _length_of_stay(episode: Episode, ctx: EvalContext) -> Any:
    if episode.discharged_at is None:
        return None
    end = ctx.to_range(episode.discharged_at)
    start = ctx.to_range(episode.admitted_at)
    return Range(end.lo - start.hi, end.hi - start.lo)


def _stay(episode: Episode, ctx: EvalContext) -> Any:
    return Interval(ctx.to_range(episode.admitted_at), _stay_end(ctx))


def _principal_diagnosis(episode: Episode, ctx: EvalContext) -> Any:
    return next((d for d in episode.diagnoses if d.role == DiagnosisRole.principal), None)


def _is_discharged(episode: Episode, ctx: EvalContext) -> Any:
    return episode.discharged_at is not None


EPISODE_FIELDS = {
    "admission": _admission,
    "discharge": _discharge,
    "death": _death,
    "age": _age,
    "length_of_stay": _length_of_stay,
    "stay": _stay,
    "principal_diagnosis": _principal_diagnosis,
    "is_discharged": _is_discharged,
}
