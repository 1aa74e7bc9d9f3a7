"""Read a 100,000-episode JSONL file and show that memory stays flat and every line is
accounted for (issue 2). Reports time as a ratio to plain orjson parsing of the same lines.

    .venv/bin/python benchmarks/read_jsonl_memory.py [--episodes 100000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from synthetic import synthetic_episodes

from emrlint.model import Episode
from emrlint.parsers import InputProblem, read_paths


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "episodes.jsonl"
        with path.open("wb") as out:
            for index, data in enumerate(synthetic_episodes(args.episodes)):
                line = orjson.dumps(data)
                if index == args.episodes // 2:  # one truncated line in the middle
                    line = line[: len(line) // 2]
                out.write(line + b"\n")
        size_mb = path.stat().st_size / 2**20

        started = time.perf_counter()
        with path.open("rb") as handle:
            parsed = _orjson_floor(handle)
        floor = time.perf_counter() - started

        samples = []
        episodes = problems = 0
        started = time.perf_counter()
        for result in read_paths([str(path)], ZoneInfo("Asia/Shanghai")):
            if isinstance(result, Episode):
                episodes += 1
            elif isinstance(result, InputProblem):
                problems += 1
            if (episodes + problems) % (args.episodes // 10) == 0:
                samples.append((episodes + problems, current_rss_mb()))
        elapsed = time.perf_counter() - started

    print(f"file: {args.episodes} lines, {size_mb:.1f} MiB; orjson floor parsed {parsed} lines")
    print(
        f"read: {episodes} episodes + {problems} input problems = {episodes + problems} "
        f"(every line accounted for: {episodes + problems == args.episodes})"
    )
    print(
        f"time: {elapsed:.2f}s ({args.episodes / elapsed:,.0f} episodes/s), "
        f"{elapsed / floor:.1f}x plain orjson parsing ({floor:.2f}s)"
    )
    print("resident memory while reading (lines read -> MiB):")
    for count, rss in samples:
        print(f"  {count:>9,} -> {rss:7.1f}")
    if len(samples) >= 2:
        growth = samples[-1][1] - samples[0][1]
        print(f"growth from the first to the last sample: {growth:+.1f} MiB")


def _orjson_floor(handle: BinaryIO) -> int:
    """The floor for any Python reader: orjson parsing every line, nothing else."""
    count = 0
    for line in handle:
        with contextlib.suppress(orjson.JSONDecodeError):
            orjson.loads(line)
        count += 1
    return count


if __name__ == "__main__":
    main()
