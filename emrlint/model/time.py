"""Points in time as the model keeps them: exact (timezone-aware) or known only to the day.

A source time without an offset is read in the site timezone, which the caller passes as
validation context (``{"tz": ZoneInfo(...)}``); without that context a naive time is an error,
so the model never guesses a zone. A date without a time stays a ``date``: rules that need
hours answer INDETERMINATE on it instead of inventing midnight.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema

__all__ = ["TimePoint", "as_time_point"]

_TIME_POINT_SCHEMA = {
    "anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "date"},
    ],
    "description": (
        "ISO 8601 time. With an offset it is exact; without one it is read in the site "
        "timezone; a bare date (YYYY-MM-DD) means the time is known only to the day."
    ),
}


def _site_tz(info: ValidationInfo) -> dt.tzinfo | None:
    context = info.context
    if isinstance(context, dict):
        tz = context.get("tz")
        if isinstance(tz, dt.tzinfo):
            return tz
    return None


def as_time_point(value: Any, tz: dt.tzinfo | None) -> dt.datetime | dt.date:
    """Turn a source value into an aware datetime or a date; reject anything else.

    A naive datetime is read in `tz`; with `tz` None it is an error.
    """
    if isinstance(value, str):
        value = _parse_iso(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            if tz is None:
                raise ValueError("time has no UTC offset and no site timezone was given")
            return value.replace(tzinfo=tz)
        return value
    if isinstance(value, dt.date):
        return value
    raise ValueError("expected an ISO 8601 date or date-time")


def _validate_time_point(value: Any, info: ValidationInfo) -> dt.datetime | dt.date:
    # runs for every time of every item: only a naive time needs the site zone from the context
    if isinstance(value, str):
        value = _parse_iso(value)
    naive = isinstance(value, dt.datetime) and value.tzinfo is None
    return as_time_point(value, _site_tz(info) if naive else None)


def _parse_iso(text: str) -> dt.datetime | dt.date:
    text = text.strip()
    if len(text) == 10:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError("not an ISO 8601 date (YYYY-MM-DD)") from None
    if len(text) < 10 or not text[:4].isdigit():
        raise ValueError("not an ISO 8601 time: a date (YYYY-MM-DD) is required")
    try:
        return dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise ValueError("not an ISO 8601 date-time") from None


TimePoint = Annotated[
    dt.datetime | dt.date,
    BeforeValidator(_validate_time_point),
    WithJsonSchema(_TIME_POINT_SCHEMA),
    Field(description=_TIME_POINT_SCHEMA["description"]),
]
