"""Issue 7's scale criterion: 1,000,000 episodes through `check --format jsonl` with flat memory
(peak RSS under 300 MB), every episode accounted for.

    .venv/bin/python benchmarks/million.py [--episodes 1000000] [--pool 1000] [--jobs 2]

Why this shape: a million distinct stays would take hours to generate, so a pool of distinct
synthetic stays (`emrlint.synth`) is cycled, each line given a unique episode id, and streamed
to disk without holding the episodes in memory. `emrlint check` then runs as a child process,
as a user would run it; its findings are counted on the fly (never stored), and the resident
memory of its whole process tree (the parent and its worker processes) is sampled while it
runs. A typical synthetic stay is about 30 KiB of JSON, so the default run writes about 30 GiB:
the script checks the free space first.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from emrlint.parallel import usable_cores
from emrlint.synth import SIZES, generate

AS_OF = "2025-12-31"
ID_PREFIX = "MIL-"
SAMPLE_SECONDS = 0.25
PROGRESS_MARKS = (0.1, 0.5, 0.9)
RSS_LIMIT_MIB = 300_000_000 / 2**20  # the "300 MB"
_EPISODE_ID = b'"episode_id":"' + ID_PREFIX.encode()
_SUMMARY = re.compile(r"checked (\d+) episodes \((\d+) unreadable\)")


# ---- (a) the input: a pool of distinct stays, cycled under unique ids ----


def episode_pool(count: int, size: str, seed: int) -> list[bytes]:
    """`count` distinct synthetic stays as JSONL lines (the synth writer's serialisation)."""
    return [
        episode.model_dump_json(exclude_none=True).encode() + b"\n"
        for episode in generate(count, seed=seed, size=size)
    ]


def with_id(line: bytes, episode_id: str) -> bytes:
    """The line with its episode id (the first `"id":"…"`: items come after the episode's own
    fields) replaced; item ids only need to be unique within their episode, so they may repeat."""
    start = line.index(b'"id":"') + len(b'"id":"')
    end = line.index(b'"', start)
    return line[:start] + episode_id.encode() + line[end:]


def numbered_lines(pool: list[bytes], episodes: int) -> Iterator[bytes]:
    """`episodes` lines cycling through `pool`, numbered MIL-00000000 upwards (sortable, so the
    output's order can be checked by comparing ids)."""
    for number in range(episodes):
        yield with_id(pool[number % len(pool)], f"{ID_PREFIX}{number:08d}")


def write_input(path: Path, lines: Iterable[bytes]) -> int:
    """Stream the lines to `path`; returns the bytes written."""
    written = 0
    with path.open("wb") as out:
        for line in lines:
            written += out.write(line)
    return written


def check_free_space(folder: Path, needed: int) -> None:
    """Refuse early rather than fill the disk halfway through an hour-long write."""
    free = shutil.disk_usage(folder).free
    if needed > free * 0.9:
        sys.exit(f"need about {needed / 2**30:.1f} GiB in {folder}, {free / 2**30:.1f} GiB free")


# ---- (b) memory of the running process tree ----


def process_tree(root: int) -> list[int]:
    """`root` and every process descending from it (its worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                stat = handle.read()
        except OSError:  # the process ended while we looked
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])  # after "pid (comm) state"
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def rss_mib(pid: int) -> float:
    """Resident set size of one process (0 once it has ended)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Progress:
    """What the output reader has seen so far; read by the memory sampler."""

    episodes: int
    last_index: int = -1

    @property
    def fraction(self) -> float:
        return (self.last_index + 1) / self.episodes


@dataclass
class Samples:
    """The tree's RSS over time, as (fraction of episodes done, MiB, processes)."""

    points: list[tuple[float, float, int]] = field(default_factory=list)

    @property
    def peak(self) -> float:
        return max((mib for _, mib, _ in self.points), default=0.0)

    @property
    def most_processes(self) -> int:
        return max((count for _, _, count in self.points), default=0)

    def at(self, fraction: float) -> float | None:
        """RSS at the first sample taken once `fraction` of the episodes were written out."""
        return next((mib for done, mib, _ in self.points if done >= fraction), None)


def sample_memory(root: int, progress: Progress, samples: Samples, stop: threading.Event) -> None:
    """Every SAMPLE_SECONDS until `stop`: the summed RSS of the tree under `root`."""
    while not stop.wait(SAMPLE_SECONDS):
        tree = process_tree(root)
        samples.points.append((progress.fraction, sum(map(rss_mib, tree)), len(tree)))


# ---- (c) the output: counted on the fly, never stored ----


@dataclass
class OutputCount:
    """Findings seen on stdout, and whether their episodes came in input order."""

    lines: int = 0
    input_problems: int = 0
    episodes_with_findings: int = 0
    in_order: bool = True


def count_output(stream: IO[bytes], progress: Progress, copy: IO[bytes] | None) -> OutputCount:
    """Read the jsonl findings as they come (bytes search, not JSON parsing, so the reader does
    not compete with the run for the CPU); ids are MIL-<number>, so progress and order follow
    from the number."""
    count = OutputCount()
    for line in stream:
        count.lines += 1
        if copy is not None:
            copy.write(line)
        if line.startswith(b'{"rule_id":"input"'):
            count.input_problems += 1
        at = line.find(_EPISODE_ID)
        if at < 0:
            continue
        start = at + len(_EPISODE_ID)
        index = int(line[start : line.index(b'"', start)])
        if index != progress.last_index:
            count.in_order &= index > progress.last_index
            count.episodes_with_findings += 1
            progress.last_index = index
    return count


# ---- the run ----


@dataclass(frozen=True)
class RunResult:
    """One `emrlint check` run: what it printed, how long it took, the memory it held."""

    elapsed: float
    returncode: int
    summary_episodes: int | None
    summary_unreadable: int | None
    output: OutputCount
    samples: Samples
    children_maxrss_mib: float


def run_check(
    data: Path, jobs: int, episodes: int, stderr_path: Path, copy_path: Path | None
) -> RunResult:
    """`emrlint check` as a child process, its stdout counted and its memory sampled."""
    command = [sys.executable, "-m", "emrlint", "check", str(data), "--format", "jsonl"]
    command += ["--as-of", AS_OF, "--exit-zero", "--jobs", str(jobs)]
    progress, samples, stop = Progress(episodes), Samples(), threading.Event()
    keep = copy_path.open("wb") if copy_path is not None else contextlib.nullcontext()
    with stderr_path.open("wb") as stderr, keep as copy:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
        sampler = threading.Thread(target=sample_memory, args=(child.pid, progress, samples, stop))
        sampler.start()
        try:
            assert child.stdout is not None
            output = count_output(child.stdout, progress, copy)
            returncode = child.wait()
        finally:
            stop.set()
            sampler.join()
            if child.poll() is None:
                child.kill()
        elapsed = time.perf_counter() - started
    summary = _SUMMARY.search(stderr_path.read_text(encoding="utf-8", errors="replace"))
    maxrss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return RunResult(
        elapsed,
        returncode,
        int(summary.group(1)) if summary else None,
        int(summary.group(2)) if summary else None,
        output,
        samples,
        maxrss_kib / 1024,
    )


def accounted_for(result: RunResult, episodes: int) -> list[str]:
    """Why the run does not account for every episode (empty when it does)."""
    problems = []
    if result.returncode != 0:
        problems.append(f"emrlint exited with {result.returncode}")
    if result.summary_episodes != episodes:
        problems.append(f"summary line says {result.summary_episodes} episodes, not {episodes}")
    if result.summary_unreadable or result.output.input_problems:
        problems.append(f"{result.output.input_problems} unreadable records")
    if not result.output.in_order:
        problems.append("findings came out of input order")
    if result.output.episodes_with_findings > episodes:
        problems.append("more episodes in the findings than in the input")
    return problems


def report(result: RunResult, episodes: int, jobs: int, input_bytes: int) -> None:
    """Print the numbers the issue asks for."""
    out = result.output
    samples = result.samples
    print(f"input: {episodes:,} episodes, {input_bytes / 2**20:,.1f} MiB; --jobs {jobs}")
    print(
        f"output: {out.lines:,} findings from {out.episodes_with_findings:,} episodes "
        f"(the rest had none); summary line: {result.summary_episodes} episodes, "
        f"{result.summary_unreadable} unreadable"
    )
    print(f"elapsed: {result.elapsed:,.1f} s ({episodes / result.elapsed:,.0f} episodes/s)")
    print(
        f"peak RSS of the process tree: {samples.peak:,.1f} MiB (summed over up to "
        f"{samples.most_processes} processes; limit {RSS_LIMIT_MIB:.0f} MiB); largest single "
        f"process (ru_maxrss of children): {result.children_maxrss_mib:,.1f} MiB"
    )
    for mark in PROGRESS_MARKS:
        mib = samples.at(mark)
        shown = f"{mib:,.1f} MiB" if mib is not None else "no sample"
        print(f"  RSS at {mark:.0%} of episodes: {shown}")
    problems = accounted_for(result, episodes)
    print(
        "every episode accounted for"
        if not problems
        else "NOT ACCOUNTED FOR: " + "; ".join(problems)
    )
    within = samples.peak < RSS_LIMIT_MIB
    print(f"peak RSS under 300 MB: {'yes' if within else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    """Write the input, run the check, report; exit 1 if an episode is unaccounted for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--pool", type=int, default=1000, help="distinct stays to cycle through")
    parser.add_argument("--size", choices=sorted(SIZES), default="typical")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=usable_cores(), help="default: all cores")
    parser.add_argument("--out-dir", type=Path, help="where to write (default: a temporary dir)")
    parser.add_argument("--keep", action="store_true", help="keep the input and the findings")
    args = parser.parse_args(argv)
    if args.episodes < 1 or args.pool < 1 or args.jobs < 1:
        parser.error("--episodes, --pool and --jobs must be at least 1")
    if args.keep and args.out_dir is None:
        parser.error("--keep needs --out-dir")
    if args.out_dir is not None:
        args.out_dir.mkdir(parents=True, exist_ok=True)
    with _work_folder(args.out_dir, args.keep) as folder:
        return _run(args, folder)


@contextlib.contextmanager
def _work_folder(out_dir: Path | None, keep: bool) -> Iterator[Path]:
    """`out_dir` itself when the files are kept, else a temporary folder (inside `out_dir` if
    given: the input is large, and /tmp may be small)."""
    if keep and out_dir is not None:
        yield out_dir
        return
    with tempfile.TemporaryDirectory(dir=out_dir) as scratch:
        yield Path(scratch)


def _run(args: argparse.Namespace, folder: Path) -> int:
    pool = episode_pool(min(args.pool, args.episodes), args.size, args.seed)
    average = sum(map(len, pool)) / len(pool)
    check_free_space(folder, int(average * args.episodes))
    data = folder / "million.jsonl"
    started = time.perf_counter()
    input_bytes = write_input(data, numbered_lines(pool, args.episodes))
    print(f"wrote {data} in {time.perf_counter() - started:,.1f} s")
    del pool
    findings = folder / "million.findings.jsonl" if args.keep else None
    result = run_check(data, args.jobs, args.episodes, folder / "million.stderr.txt", findings)
    report(result, args.episodes, args.jobs, input_bytes)
    return 1 if accounted_for(result, args.episodes) else 0


if __name__ == "__main__":
    sys.exit(main())
