"""Stream the same synthetic episodes to native JSONL, FHIR R4 NDJSON and HL7 v2 files.

Each writer consumes an iterator one episode at a time, so memory does not grow with the
episode count; `write_all` tees a single pass of the generator into all three files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from emrlint.model import Episode
from emrlint.writers.fhir import episode_to_fhir
from emrlint.writers.hl7v2 import episode_to_hl7v2

__all__ = ["write_all", "write_fhir_ndjson", "write_hl7v2", "write_native_jsonl"]


def write_native_jsonl(episodes: Iterable[Episode], path: str | Path) -> int:
    """One native episode per line; returns the number written."""
    with open(path, "w", encoding="utf-8") as out:
        return sum(_native(out, episode) for episode in episodes)


def write_fhir_ndjson(episodes: Iterable[Episode], path: str | Path) -> int:
    """One FHIR R4 Bundle per line; returns the number written."""
    with open(path, "w", encoding="utf-8") as out:
        return sum(_fhir(out, episode) for episode in episodes)


def write_hl7v2(episodes: Iterable[Episode], path: str | Path) -> int:
    """Every episode's HL7 v2.5 messages, one after another; returns the number written."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        return sum(_hl7(out, episode) for episode in episodes)


def write_all(
    episodes: Iterable[Episode], native: str | Path, fhir: str | Path, hl7: str | Path
) -> tuple[int, int]:
    """Write all three files in one pass; returns (episodes, items) for the summary line."""
    count = items = 0
    with (
        open(native, "w", encoding="utf-8") as native_out,
        open(fhir, "w", encoding="utf-8") as fhir_out,
        open(hl7, "w", encoding="utf-8", newline="") as hl7_out,
    ):
        for episode in episodes:
            _native(native_out, episode)
            _fhir(fhir_out, episode)
            _hl7(hl7_out, episode)
            count += 1
            items += item_count(episode)
    return count, items


def item_count(episode: Episode) -> int:
    """Items as the benchmark counts them: every entry of the episode's item lists."""
    return sum(1 for _ in episode.iter_items())


def _native(out: object, episode: Episode) -> int:
    out.write(episode.model_dump_json(exclude_none=True) + "\n")  # type: ignore[attr-defined]
    return 1


def _fhir(out: object, episode: Episode) -> int:
    line = json.dumps(episode_to_fhir(episode), ensure_ascii=False, separators=(",", ":"))
    out.write(line + "\n")  # type: ignore[attr-defined]
    return 1


def _hl7(out: object, episode: Episode) -> int:
    out.write(episode_to_hl7v2(episode))  # type: ignore[attr-defined]
    return 1
