"""The same synthetic stays as native JSONL, FHIR bundles and an HL7 v2 archive, each checked
end to end with all shipped rulebooks on one core, as `emrlint check FILE --format jsonl`
does (read, map, validate, evaluate, findings only).

    .venv/bin/python benchmarks/end_to_end.py [--episodes 300] [--size typical]

For each input: episodes per second, the time of reading alone, and the ratio to the floor of
that format (plain orjson parsing of the same bytes for native and FHIR; splitting the
archive into segment lines for HL7 v2, which orjson cannot read).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import tempfile
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

from emrlint.api import check, load_rules
from emrlint.config import Config
from emrlint.model import Episode
from emrlint.parsers import read_paths
from emrlint.synth import SIZES, generate
from emrlint.writers.fhir import episode_to_fhir
from emrlint.writers.hl7v2 import episode_to_hl7v2

TZ = ZoneInfo("Asia/Shanghai")
AS_OF = dt.datetime(2025, 12, 31, tzinfo=TZ)


def write_inputs(episodes: list[Episode], folder: Path) -> dict[str, Path]:
    """One file per format, holding the same stays."""
    native = folder / "stays.jsonl"
    native.write_bytes(b"".join(e.model_dump_json().encode() + b"\n" for e in episodes))
    fhir = folder / "bundles"  # one bundle per stay, as a feed delivers them
    fhir.mkdir()
    for number, episode in enumerate(episodes):
        (fhir / f"{number:06d}.json").write_bytes(orjson.dumps(episode_to_fhir(episode)))
    hl7 = folder / "stays.hl7"
    hl7.write_text("".join(episode_to_hl7v2(e) for e in episodes), encoding="utf-8")
    return {"native JSONL": native, "FHIR bundles": fhir, "HL7 v2 archive": hl7}


def floor_seconds(name: str, path: Path) -> tuple[float, str]:
    """The format's floor and what it is."""
    if path.is_dir():
        documents = [file.read_bytes() for file in sorted(path.iterdir())]
    else:
        documents = path.read_bytes().splitlines()
    started = time.perf_counter()
    if name.startswith("HL7"):
        b"\n".join(documents).splitlines()
        return time.perf_counter() - started, "splitting into lines"
    for document in documents:
        orjson.loads(document)
    return time.perf_counter() - started, "orjson"


def best_of(runs: int, work: Callable[[], Iterable[object]]) -> tuple[float, int]:
    """(seconds, episodes) of the fastest run."""
    best, count = float("inf"), 0
    for _ in range(runs):
        started = time.perf_counter()
        count = sum(1 for result in work() if not hasattr(result, "reason"))
        best = min(best, time.perf_counter() - started)
    return best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--size", choices=sorted(SIZES), default="typical")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    config = Config()
    rules = load_rules(config)
    gc.freeze()  # as `emrlint check` does after loading the rules
    episodes = list(generate(args.episodes, seed=7, size=args.size))
    with tempfile.TemporaryDirectory() as scratch:
        inputs = write_inputs(episodes, Path(scratch))
        del episodes
        gc.collect()
        print(f"{args.episodes} {args.size} synthetic stays, {len(rules.rules)} rules, one core")
        for name, path in inputs.items():
            floor, floor_name = floor_seconds(name, path)
            paths = [str(path)]
            reading, read_count = best_of(args.runs, partial(read_paths, paths, TZ))
            total, count = best_of(
                args.runs, partial(check, paths, config, rules, AS_OF, findings_only=True)
            )
            assert count == read_count == args.episodes, (name, count, read_count)
            print(
                f"{name:15s} {_mib(path):6.1f} MiB: "
                f"{count / total:6.0f} episodes/s end to end ({total / floor:5.1f}x {floor_name}); "
                f"reading alone {count / reading:6.0f}/s ({reading / floor:5.1f}x)"
            )
            if name.startswith("HL7"):
                messages = path.read_bytes().count(b"MSH|")
                print(f"  ({messages:,} messages: {messages / reading:,.0f} messages/s read)")


def _mib(path: Path) -> float:
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    return sum(file.stat().st_size for file in files) / 2**20


if __name__ == "__main__":
    main()
