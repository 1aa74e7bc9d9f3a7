"""Hypothesis strategies for native episodes: realistic shapes, awkward corners (day-only and
missing times, several offsets, empty lists), always valid for the model."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from emrlint.model import Episode
from tests.builders import TZ

START = dt.datetime(2024, 1, 1)
END = dt.datetime(2024, 12, 31)
DOC_KINDS = [
    "admission_note",
    "first_progress_note",
    "progress_note",
    "senior_round",
    "rescue_record",
    "operative_note",
    "mdt_discussion",
    "discharge_note",
    "death_discussion",
]
ZONES = [ZoneInfo("Asia/Shanghai"), dt.UTC, dt.timezone(dt.timedelta(hours=-5))]


def exact_times(base: dt.datetime | None = None, spread_days: int = 20) -> st.SearchStrategy:
    low = base.replace(tzinfo=None) if base else START
    high = low + dt.timedelta(days=spread_days)
    return st.datetimes(min_value=low, max_value=high, timezones=st.sampled_from(ZONES))


def time_points(base: dt.datetime | None = None) -> st.SearchStrategy:
    """Mostly exact times; sometimes day-only, sometimes missing."""
    exact = exact_times(base)
    return st.one_of(exact, exact, exact, exact.map(lambda t: t.date()), st.none())


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


@st.composite
def episode_data(draw: st.DrawFn) -> dict[str, Any]:
    admitted = draw(
        st.datetimes(min_value=START, max_value=END - dt.timedelta(days=40), timezones=st.just(TZ))
    )
    stay = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=20 * 24)))
    discharged = admitted + dt.timedelta(hours=stay) if stay is not None else None
    died = draw(st.booleans()) and discharged is not None
    ids = iter(range(10_000))
    data: dict[str, Any] = {
        "id": f"ep-{draw(st.integers(0, 999))}",
        "patient": {"id": "pt", "sex": draw(st.sampled_from(["male", "female", "unknown"]))},
        "admitted_at": admitted.isoformat(),
        "discharged_at": _iso(discharged),
        "disposition": ("death" if died else draw(st.sampled_from([None, "routine"])))
        if discharged
        else None,
        "died_at": _iso(discharged) if died else None,
    }
    data["documents"] = [
        {
            "id": f"d{next(ids)}",
            "kind": draw(st.sampled_from(DOC_KINDS)),
            "written_at": _iso(draw(time_points(admitted))),
        }
        for _ in range(draw(st.integers(0, 12)))
    ]
    data["procedures"] = [
        {
            "id": f"p{next(ids)}",
            "level": draw(st.one_of(st.none(), st.integers(1, 4))),
            "start": _iso(draw(time_points(admitted))),
            "is_emergency": draw(st.booleans()),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    data["events"] = [
        {
            "type": "rescue",
            "id": f"r{next(ids)}",
            "start": _iso(draw(time_points(admitted))),
            "end": _iso(draw(time_points(admitted))),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    data["assessments"] = [
        {
            "id": f"a{next(ids)}",
            "kind": "vte_risk",
            "at": _iso(draw(time_points(admitted))),
            "score": draw(st.one_of(st.none(), st.integers(0, 9))),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    data["condition_levels"] = [
        {
            "at": _iso(draw(exact_times(admitted))),
            "level": draw(st.sampled_from(["critical", "serious", "stable"])),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {k: v for k, v in data.items() if v is not None}


def episodes() -> st.SearchStrategy[Episode]:
    return episode_data().map(lambda d: Episode.model_validate(d, context={"tz": TZ}))
