"""Memory and speed of reading FHIR NDJSON whose every line is one stay's Bundle, in the two
ways `[mapping.fhir] ndjson` offers: "bulk" (all lines together, as a Bulk Data export) and
"stay-per-line" (each line read and checked before the next).

    .venv/bin/python benchmarks/fhir_ndjson_memory.py [--sizes 200 800]

Each (mode, size) runs in a fresh process, so its peak RSS is its own. Growth is the peak
minus the RSS before reading; flat memory shows as the same growth at both sizes.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

from emrlint.parsers import read_paths
from emrlint.parsers.context import ParseContext
from emrlint.synth import generate
from emrlint.writers.fhir import episode_to_fhir

MODES = ("bulk", "stay-per-line")


def write_feed(path: Path, stays: int) -> None:
    with path.open("wb") as handle:
        for episode in generate(stays, seed=3, size="typical"):
            handle.write(orjson.dumps(episode_to_fhir(episode)) + b"\n")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path, mode: str) -> None:
    """One reading, in this process: prints stays, stays/s and peak growth."""
    context = ParseContext(tz=ZoneInfo("Asia/Shanghai"), mappings={"fhir": {"ndjson": mode}})
    before = peak_rss_mib()
    started = time.perf_counter()
    stays = sum(1 for _ in read_paths([str(path)], context))
    seconds = time.perf_counter() - started
    print(f"{stays}\t{stays / seconds:.0f}\t{peak_rss_mib() - before:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 800])
    parser.add_argument("--measure", nargs=2, metavar=("FILE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(Path(args.measure[0]), args.measure[1])
        return
    print("mode           stays  MiB of NDJSON  stays/s  peak RSS growth")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder) / f"feed-{size}.ndjson"
            write_feed(path, size)
            for mode in MODES:
                answer = subprocess.run(
                    [sys.executable, __file__, "--measure", str(path), mode],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.split()
                stays, per_second, growth = answer
                mib = path.stat().st_size / 2**20
                print(f"{mode:<14} {stays:>5}  {mib:>13.0f}  {per_second:>7}  {growth:>6} MiB")


if __name__ == "__main__":
    main()
