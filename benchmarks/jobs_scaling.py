"""Issue 7's scaling criterion: `--jobs 2` against `--jobs 1` on the same 100,000 episodes,
through the command a nightly batch runs (`emrlint check --format jsonl`), output compared
byte for byte.

    .venv/bin/python benchmarks/jobs_scaling.py [--episodes 100000] [--size small] [--jobs 1 2]
        [--input native|fhir-stay-per-line]

The native input is built as `million.py` builds it (a pool of distinct synthetic stays,
cycled under unique ids). `--input fhir-stay-per-line` writes the pool's stays as FHIR
Bundles, one per NDJSON line, cycled (Encounter ids repeat from one cycle to the next, which
a line-by-line reading does not mind), and runs with `[mapping.fhir] ndjson =
"stay-per-line"`. Each run is a child process timed from start to exit, so process start-up,
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

import orjson
from million import AS_OF, episode_pool, numbered_lines, write_input

from emrlint.synth import SIZES, generate
from emrlint.writers.fhir import episode_to_fhir


def run(data: Path, jobs: int, output: Path, config: Path | None) -> float:
    """Seconds for one `emrlint check` run writing its findings to `output`."""
    command = [sys.executable, "-m", "emrlint", "check", str(data), "--format", "jsonl"]
    command += ["--as-of", AS_OF, "--exit-zero", "--jobs", str(jobs), "--output", str(output)]
    if config is not None:
        command += ["--config", str(config)]
    started = time.perf_counter()
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def bundle_pool(count: int, size: str, seed: int) -> list[bytes]:
    """`count` distinct synthetic stays as FHIR Bundles, one NDJSON line each."""
    return [
        orjson.dumps(episode_to_fhir(episode)) + b"\n"
        for episode in generate(count, seed=seed, size=size)
    ]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--pool", type=int, default=1000)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--input", choices=("native", "fhir-stay-per-line"), default="native")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        config = None
        if args.input == "native":
            data = folder / "episodes.jsonl"
            pool = episode_pool(min(args.pool, args.episodes), args.size, seed=7)
            size = write_input(data, numbered_lines(pool, args.episodes))
        else:
            data = folder / "feed.ndjson"
            bundles = bundle_pool(min(args.pool, args.episodes), args.size, seed=7)
            size = write_input(data, (bundles[n % len(bundles)] for n in range(args.episodes)))
            config = folder / "emrlint.toml"
            config.write_text('[mapping.fhir]\nndjson = "stay-per-line"\n', encoding="utf-8")
        print(
            f"{args.episodes:,} {args.size} synthetic episodes as {args.input}, "
            f"{size / 2**20:,.0f} MiB"
        )
        seconds, digests = {}, {}
        for jobs in args.jobs:
            output = folder / f"findings-{jobs}.jsonl"
            seconds[jobs] = run(data, jobs, output, config)
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
