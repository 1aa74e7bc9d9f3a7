"""The engine benchmark (issue 7), reported as ratios that survive noisy machines.

    .venv/bin/python benchmarks/run.py [--episodes 300] [--items 150]

Measures, on native JSONL with all shipped rulebooks: episodes per second on one core, the
ratio of total time to plain orjson parsing of the same bytes, the ten slowest rules, peak
memory, single-episode latency (parse + evaluate, rules compiled once: the pre-archive hook),
cost per episode at three episode sizes, and `--jobs 2` against `--jobs 1`.

Two evaluation modes are timed, as the product runs them: "findings" counts PASS and NA
outcomes without building them (`check` with text, json, jsonl or csv output), "every outcome"
builds them all (`rates`, html, xlsx, `--show-pass`, and the hook's `evaluate`). Lines are read
by the product's own reader (`read_jsonl`), so parsing costs what it costs in a run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pydantic_core

from emrlint.api import check, evaluate, load_rules, run_settings
from emrlint.config import Config
from emrlint.model import Episode
from emrlint.model.episode import ITEM_LISTS
from emrlint.parallel import check_parallel
from emrlint.parsers.native import read_jsonl
from emrlint.rules.engine import RuleSet, RuleStats, RunSettings, evaluate_episode
from emrlint.rules.workdays import WorkdayCalendar
from emrlint.synth import generate

TZ = ZoneInfo("Asia/Shanghai")
AS_OF = dt.datetime(2025, 12, 31, tzinfo=TZ)


SIZES = {50: "small", 150: "typical", 450: "large"}


def lines_of(count: int, items: int) -> list[bytes]:
    """Realistic synthetic stays (emrlint.synth) of about `items` items, as JSONL lines."""
    return [e.model_dump_json().encode() for e in stays(count, items)]


def stays(count: int, items: int) -> list[Episode]:
    return list(generate(count, seed=7, size=SIZES.get(items, "typical")))


def item_count(episode: Episode) -> int:
    return sum(len(getattr(episode, name)) for name in ITEM_LISTS)


def floor_seconds(lines: list[bytes]) -> float:
    started = time.perf_counter()
    for line in lines:
        orjson.loads(line)
    return time.perf_counter() - started


def read_line(line: bytes) -> Episode:
    """One line through the product's JSONL reader."""
    (episode,) = read_jsonl([line], "benchmark", TZ)
    assert isinstance(episode, Episode)
    return episode


def seconds_per_episode(
    lines: list[bytes], rules: RuleSet, settings: RunSettings, findings_only: bool
) -> float:
    """Read and evaluate every line, as one process of `emrlint check` does."""
    calendar = WorkdayCalendar()
    started = time.perf_counter()
    for line in lines:
        passing: Counter[tuple[str, str]] | None = Counter() if findings_only else None
        evaluate_episode(rules, read_line(line), settings, calendar, None, passing)
    return (time.perf_counter() - started) / len(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--items", type=int, default=150)
    args = parser.parse_args()
    config = Config()
    rules = load_rules(config)
    gc.freeze()  # as `emrlint check` does after loading rules, and a hook service should
    print(f"{len(rules.rules)} rules; {args.episodes} synthetic episodes of ~{args.items} items")

    lines = lines_of(args.episodes, args.items)
    floor = floor_seconds(lines) / len(lines)
    print(f"orjson parsing alone (the floor): {floor * 1e6:.0f} µs/episode")
    started = time.perf_counter()
    for line in lines:
        pydantic_core.from_json(line)
    parse_only = (time.perf_counter() - started) / len(lines)
    print(
        f"pydantic-core parsing into Python objects, no validation: {parse_only * 1e6:.0f} "
        f"µs/episode; {parse_only / floor:.1f}x orjson"
    )
    settings = run_settings(rules, config, AS_OF)
    reading = 0.0
    for line in lines:
        started = time.perf_counter()
        read_line(line)
        reading += time.perf_counter() - started
    per_read = reading / len(lines)
    print(f"reading only: {1 / per_read:,.0f} episodes/s; {per_read / floor:.1f}x orjson")
    for label, findings_only in (("findings", True), ("every outcome", False)):
        per = seconds_per_episode(lines, rules.rules, settings, findings_only)
        print(
            f"one core, {label}: {1 / per:,.0f} episodes/s; "
            f"{per / floor:.1f}x plain orjson parsing of the same bytes"
        )
    stats = RuleStats()
    for line in lines:
        evaluate(read_line(line), rules, config, AS_OF, stats=stats)
    print("ten slowest rules (total ms over the run, every outcome):")
    for rule_id, seconds, calls in stats.slowest(10):
        print(f"  {seconds * 1000:8.1f}  {rule_id} ({calls} episodes)")

    latencies = []
    for line in lines[:200]:
        started = time.perf_counter()
        evaluate(read_line(line), rules, config, AS_OF)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"hook latency, one episode (parse + evaluate): p50 {statistics.median(latencies):.1f} "
        f"ms, p99 {p99:.1f} ms"
    )

    print("cost per episode by size (findings / every outcome):")
    for nominal in (50, 150, 450):
        episodes = stays(60, nominal)
        items = sum(map(item_count, episodes)) / len(episodes)  # as generated, not as asked
        sample = [e.model_dump_json().encode() for e in episodes]
        costs = [
            seconds_per_episode(sample, rules.rules, settings, findings_only) * 1000
            for findings_only in (True, False)
        ]
        print(
            f"  {items:5.0f} items: {costs[0]:6.1f} / {costs[1]:6.1f} ms/episode "
            f"({costs[0] / items * 1000:.0f} / {costs[1] / items * 1000:.0f} µs/item)"
        )

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batch.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        timings = {}
        for jobs in (1, 2):
            started = time.perf_counter()
            if jobs == 1:
                count = sum(1 for _ in check([str(path)], config, rules, AS_OF, findings_only=True))
            else:
                count = sum(
                    1
                    for _ in check_parallel(
                        [str(path)],
                        config,
                        rules,
                        AS_OF,
                        jobs,
                        keep_episodes=False,
                        findings_only=True,
                    )
                )
            timings[jobs] = time.perf_counter() - started
            assert count == args.episodes
        print(
            f"--jobs 2 vs --jobs 1: {timings[1] / timings[2]:.2f}x faster "
            f"({timings[1]:.1f}s vs {timings[2]:.1f}s)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
