"""HL7 v2 reading speed: messages per second on one core, default (lean) path vs --strict-hl7.

Workload: synthetic episodes from `benchmarks/synthetic.py`, each given a few lab results,
written by `emrlint.writers.hl7v2` and interleaved by message time the way a day's archive
from an integration engine is (ADT, MDM, ORU and order messages of many patients mixed), CR
segment separators, one message per line. The whole reader runs: framing, tokenizing, mapping,
grouping by visit, ADT semantics and building validated Episodes.

Reported as messages/s and as ratios to two floors measured on the same bytes in the same
process: reading them (`BinaryIO.read` in 1 MiB chunks) and splitting them into segments
(`bytes.splitlines`). Measured, not asserted; run with

    .venv/bin/python benchmarks/hl7v2_throughput.py [--episodes 300] [--strict-sample 200]

When ../shared/corpus/hl7v2 is present it also reads those 153 public "kitchen-sink" messages
(every optional segment filled: the case the issue timed hl7apy on) both ways.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_episodes
from emrlint.model import Episode
from emrlint.parsers.context import ParseContext
from emrlint.parsers.hl7v2 import ParsePath, read_hl7v2_with
from emrlint.parsers.hl7v2.er7 import iter_lines, iter_raw_messages
from emrlint.writers.hl7v2 import episode_to_hl7v2

TZ = ZoneInfo("Asia/Shanghai")
LABS = [("718-7", "血红蛋白", "g/L"), ("2160-0", "肌酐", "μmol/L"), ("6690-2", "白细胞", "10^9/L")]


def with_results(data: dict[str, Any], rng: random.Random, count: int) -> dict[str, Any]:
    """Add lab results (some critical) so the mix holds ORU messages as a ward's feed does."""
    admitted = dt.datetime.fromisoformat(data["admitted_at"])
    observations = []
    for n in range(count):
        code, name, unit = rng.choice(LABS)
        taken = admitted + dt.timedelta(hours=rng.randrange(1, 24 * 5))
        observations.append(
            {
                "id": f"lab-{n}",
                "category": "lab",
                "code": code,
                "name": name,
                "value": round(rng.uniform(1, 200), 1),
                "unit": unit,
                "specimen_at": taken.isoformat(),
                "at": (taken + dt.timedelta(hours=2)).isoformat(),
                "is_critical": rng.random() < 0.05,
            }
        )
    return {**data, "observations": observations}


def archive(episodes: int, seed: int = 11) -> tuple[bytes, int]:
    """The messages of `episodes` synthetic stays, interleaved by MSH-7: (bytes, count)."""
    rng = random.Random(seed)
    lines: list[tuple[str, str]] = []
    for data in synthetic_episodes(episodes, seed=seed):
        episode = Episode.model_validate(with_results(data, rng, 8), context={"tz": TZ})
        for message in episode_to_hl7v2(episode).split("\n")[:-1]:
            lines.append((message.split("|", 7)[6], message))
    lines.sort(key=lambda pair: pair[0])
    return ("\n".join(m for _, m in lines) + "\n").encode("utf-8"), len(lines)


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def read_all(data: bytes, path: ParsePath, context: ParseContext | None = None) -> int:
    context = context or ParseContext(tz=TZ)
    results = list(read_hl7v2_with(io.BytesIO(data), "bench.hl7", context, path))
    return sum(isinstance(r, Episode) for r in results)


def read_file(path: Path) -> int:
    """The floor: the bytes off the (cached) file, in the reader's 1 MiB chunks."""
    total = 0
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            total += len(chunk)
    return total


def split_file(path: Path) -> int:
    """The second floor: the same bytes split into segments (CR, LF, CRLF)."""
    return len(path.read_bytes().splitlines())


def read_episodes(path: Path) -> int:
    with path.open("rb") as stream:
        results = read_hl7v2_with(stream, str(path), ParseContext(tz=TZ), "lean")
        return sum(isinstance(r, Episode) for r in results)


def corpus_rates(folder: Path, runs: int) -> tuple[int, float, float]:
    """(messages, default path messages/s, strict messages/s) over the corpus files."""
    blobs = [p.read_bytes() for p in sorted(folder.rglob("*.hl7"))]
    messages = sum(1 for b in blobs for _ in iter_raw_messages(iter_lines(io.BytesIO(b))))
    context = ParseContext(tz=TZ)  # one run, many files: as `emrlint check FOLDER` reads them
    lean = best_of(runs, lambda: [read_all(b, "lean", context) for b in blobs])
    strict = best_of(1, lambda: [read_all(b, "strict", context) for b in blobs])
    return messages, messages / lean, messages / strict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--strict-sample", type=int, default=200, help="messages read strictly")
    parser.add_argument("--runs", type=int, default=3)
    default_corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "hl7v2"
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    args = parser.parse_args()

    data, messages = archive(args.episodes)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "day.hl7"
        path.write_bytes(data)
        episodes = read_episodes(path)
        assert episodes == args.episodes, f"read {episodes} of {args.episodes} episodes"
        lean = best_of(args.runs, lambda: read_episodes(path))
        floor_read = best_of(args.runs * 3, lambda: read_file(path))
        floor_split = best_of(args.runs * 3, lambda: split_file(path))
    sample = b"\n".join(data.split(b"\n")[: args.strict_sample]) + b"\n"
    sample_messages = sample.count(b"MSH|")
    strict = best_of(1, lambda: read_all(sample, "strict"))
    sample_lean = best_of(args.runs, lambda: read_all(sample, "lean"))

    rate = messages / lean
    print(f"workload: {args.episodes} episodes, {messages} messages, {len(data) / 1e6:.1f} MB")
    print(f"default path : {rate:10.0f} messages/s per core ({lean:.3f} s)")
    print(f"  = {lean / floor_read:.0f}x the time of reading the file ({floor_read:.5f} s)")
    print(
        f"  = {lean / floor_split:.0f}x the time of splitting it into segments"
        f" ({floor_split:.5f} s)"
    )
    print(
        f"strict path  : {sample_messages / strict:10.0f} messages/s per core "
        f"({sample_messages} messages; default path on the same: "
        f"{sample_messages / sample_lean:.0f}/s, {strict / sample_lean:.0f}x faster)"
    )
    if args.corpus.is_dir():
        count, lean_rate, strict_rate = corpus_rates(args.corpus, args.runs)
        print(
            f"public corpus: {count} kitchen-sink messages: default path {lean_rate:.0f}/s, "
            f"strict {strict_rate:.0f}/s"
        )


if __name__ == "__main__":
    main()
