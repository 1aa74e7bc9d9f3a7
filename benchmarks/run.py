"""The engine benchmark (issue 7), reported as ratios that survive noisy machines.

    .venv/bin/python benchmarks/run.py [--episodes 300] [--items 150]

Measures, on native JSONL with all shipped rulebooks: episodes per second on one core, the
ratio of total time to plain orjson parsing of the same bytes, the ten slowest rules, peak
memory, single-episode latency (parse + evaluate, rules compiled once: the pre-archive hook),
cost per episode at three episode sizes, and `--jobs 2` against `--jobs 1`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

from emrlint.api import check, evaluate, load_rules
from emrlint.config import Config
from emrlint.model import Episode
from emrlint.parallel import check_parallel
from emrlint.rules.engine import RuleStats
from emrlint.synth import generate

TZ = ZoneInfo("Asia/Shanghai")
AS_OF = dt.datetime(2025, 12, 31, tzinfo=TZ)


SIZES = {50: "small", 150: "typical", 450: "large"}


def lines_of(count: int, items: int) -> list[bytes]:
    """Realistic synthetic stays (emrlint.synth) of about `items` items, as JSONL lines."""
    size = SIZES.get(items, "typical")
    return [e.model_dump_json().encode() for e in generate(count, seed=7, size=size)]


def floor_seconds(lines: list[bytes]) -> float:
    started = time.perf_counter()
    for line in lines:
        orjson.loads(line)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--items", type=int, default=150)
    args = parser.parse_args()
    config = Config()
    rules = load_rules(config)
    print(f"{len(rules.rules)} rules; {args.episodes} synthetic episodes of ~{args.items} items")

    lines = lines_of(args.episodes, args.items)
    floor = floor_seconds(lines)
    stats = RuleStats()
    started = time.perf_counter()
    for line in lines:
        episode = Episode.model_validate(orjson.loads(line), context={"tz": TZ})
        evaluate(episode, rules, config, AS_OF, stats=stats)
    total = time.perf_counter() - started
    print(
        f"one core: {args.episodes / total:,.0f} episodes/s; "
        f"{total / floor:.1f}x plain orjson parsing of the same bytes"
    )
    print("ten slowest rules (total ms over the run):")
    for rule_id, seconds, calls in stats.slowest(10):
        print(f"  {seconds * 1000:8.1f}  {rule_id} ({calls} episodes)")

    latencies = []
    for line in lines[:200]:
        started = time.perf_counter()
        episode = Episode.model_validate(orjson.loads(line), context={"tz": TZ})
        evaluate(episode, rules, config, AS_OF)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"hook latency, one episode (parse + evaluate): p50 {statistics.median(latencies):.1f} "
        f"ms, p99 {p99:.1f} ms"
    )

    print("cost per episode by size:")
    for items in (50, 150, 450):
        sample = lines_of(60, items)
        started = time.perf_counter()
        for line in sample:
            episode = Episode.model_validate(orjson.loads(line), context={"tz": TZ})
            evaluate(episode, rules, config, AS_OF)
        per = (time.perf_counter() - started) / len(sample) * 1000
        print(f"  ~{items:3d} items: {per:6.1f} ms/episode ({per / items * 1000:.0f} µs/item)")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batch.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        timings = {}
        for jobs in (1, 2):
            started = time.perf_counter()
            if jobs == 1:
                count = sum(1 for _ in check([str(path)], config, rules, AS_OF))
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
