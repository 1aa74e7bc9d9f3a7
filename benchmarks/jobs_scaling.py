"""Issue 7's scaling criterion: `--jobs 2` against `--jobs 1` on the same 100,000 episodes,
through the command a nightly batch runs (`emrlint check --format jsonl`), output compared
byte for byte.

    .venv/bin/python benchmarks/jobs_scaling.py [--episodes 100000] [--size small] [--jobs 1 2]

The input is built as `million.py` builds it (a pool of distinct synthetic stays, cycled
under unique ids). Each run is a child process timed from start to exit, so process start-up,
compiling (or loading the cached) rulebooks and starting the workers are all counted.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from million import AS_OF, episode_pool, numbered_lines, write_input

from emrlint.synth import SIZES


def run(data: Path, jobs: int, output: Path) -> float:
    """Seconds for one `emrlint check` run writing its findings to `output`."""
    command = [sys.executable, "-m", "emrlint", "check", str(data), "--format", "jsonl"]
    command += ["--as-of", AS_OF, "--exit-zero", "--jobs", str(jobs), "--output", str(output)]
    started = time.perf_counter()
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--pool", type=int, default=1000)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        data = folder / "episodes.jsonl"
        pool = episode_pool(min(args.pool, args.episodes), args.size, seed=7)
        size = write_input(data, numbered_lines(pool, args.episodes))
        print(f"{args.episodes:,} {args.size} synthetic episodes, {size / 2**20:,.0f} MiB")
        seconds, digests = {}, {}
        for jobs in args.jobs:
            output = folder / f"findings-{jobs}.jsonl"
            seconds[jobs] = run(data, jobs, output)
            digests[jobs] = digest(output)
            rate = args.episodes / seconds[jobs]
            print(
                f"--jobs {jobs}: {seconds[jobs]:,.1f} s ({rate:,.0f} episodes/s), "
                f"sha256 {digests[jobs][:16]}…"
            )
    first = args.jobs[0]
    for jobs in args.jobs[1:]:
        print(f"--jobs {jobs} vs --jobs {first}: {seconds[first] / seconds[jobs]:.2f}x faster")
    identical = len(set(digests.values())) == 1
    print("outputs byte-identical" if identical else "OUTPUTS DIFFER")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
