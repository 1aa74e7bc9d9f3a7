"""One-line episodes for tests: `episode(rescue(end=T), doc("rescue_record", at=T + H6))`.

Builders return plain dicts in the native format, so they exercise the same validation path
as real input; `build()` turns them into an Episode.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from emrlint.model import Episode

TZ = ZoneInfo("Asia/Shanghai")
T = dt.datetime(2024, 5, 6, 10, 0, tzinfo=TZ)  # a Monday
_ids = itertools.count(1)


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: _iso(v) for k, v in fields.items() if v is not None}


def doc(kind: str, at: Any = None, **fields: Any) -> tuple[str, dict[str, Any]]:
    return "documents", _clean(
        {"id": fields.pop("id", f"doc-{next(_ids)}"), "kind": kind, "written_at": at, **fields}
    )


def procedure(**fields: Any) -> tuple[str, dict[str, Any]]:
    return "procedures", _clean({"id": fields.pop("id", f"proc-{next(_ids)}"), **fields})


def rescue(start: Any = None, end: Any = None, **fields: Any) -> tuple[str, dict[str, Any]]:
    return "events", _clean(
        {
            "type": "rescue",
            "id": fields.pop("id", f"rescue-{next(_ids)}"),
            "start": start,
            "end": end,
            **fields,
        }
    )


def assessment(kind: str, at: Any = None, **fields: Any) -> tuple[str, dict[str, Any]]:
    return "assessments", _clean(
        {"id": fields.pop("id", f"assess-{next(_ids)}"), "kind": kind, "at": at, **fields}
    )


def episode(*items: tuple[str, dict[str, Any]], **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": fields.pop("id", "ep-1"),
        "patient": fields.pop("patient", {"id": "pt-1"}),
        "admitted_at": _iso(fields.pop("admitted_at", T - dt.timedelta(days=10))),
        **_clean(fields),
    }
    for list_name, item in items:
        data.setdefault(list_name, []).append(item)
    return data


def build(data: dict[str, Any]) -> Episode:
    return Episode.model_validate(data, context={"tz": TZ})
