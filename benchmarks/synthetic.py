"""Deterministic synthetic episodes for benchmarks (seeded; no real data).

A small stand-in for the full synthetic-hospital generator of issue 7: enough variety to
exercise the reader and the engine, written as native JSON lines.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

KINDS = ["progress_note", "senior_round", "consultation_record", "preop_summary"]


def synthetic_episode(index: int, rng: random.Random, items: int = 20) -> dict[str, Any]:
    admitted = dt.datetime(2024, 1, 1, 8, 0) + dt.timedelta(minutes=rng.randrange(525_600))
    stay = dt.timedelta(hours=rng.randrange(24, 24 * 14))
    discharged = admitted + stay
    documents = [
        {
            "id": "d-admission",
            "kind": "admission_note",
            "written_at": (admitted + dt.timedelta(hours=rng.randrange(1, 30))).isoformat(),
        },
        {
            "id": "d-discharge",
            "kind": "discharge_note",
            "written_at": (discharged + dt.timedelta(hours=rng.randrange(1, 30))).isoformat(),
        },
    ]
    for n in range(items):
        written = admitted + dt.timedelta(minutes=rng.randrange(int(stay.total_seconds() // 60)))
        documents.append(
            {
                "id": f"d{n}",
                "kind": rng.choice(KINDS),
                "written_at": written.isoformat(),
                "author": {"id": f"doc{rng.randrange(50)}", "rank": "attending"},
            }
        )
    return {
        "id": f"SYN-{index:08d}",
        "patient": {"id": f"P{index:08d}", "sex": rng.choice(["male", "female"])},
        "admitted_at": admitted.isoformat(),
        "discharged_at": discharged.isoformat(),
        "disposition": "routine",
        "department": rng.choice(["普外科", "心内科", "神经内科", "骨科"]),
        "documents": documents,
    }


def synthetic_episodes(count: int, seed: int = 7, items: int = 20) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for index in range(count):
        yield synthetic_episode(index, rng, items)
