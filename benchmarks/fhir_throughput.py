"""FHIR reading throughput: episodes per second on one core, and the cost relative to just
parsing the same bytes with orjson (the floor for any Python tool), for the default path
(maps parsed JSON) and --strict-fhir (validates every resource with fhir.resources first).

Two inputs:

* typical single-episode bundles of about 150 resources, written by emrlint's FHIR writer
  from seeded synthetic episodes (benchmarks/synthetic.py, enriched here with orders,
  administrations, results, assessments, diagnoses and procedures);
* the seeded synthetic hospital's typical stays (`emrlint.synth`, ~150 items with full
  document texts), written by the same writer;
* the Synthea corpus (../shared/corpus/fhir/synthea-smart: 28 life-long patient histories,
  201 inpatient stays among ~12,000 resources), when it is present.

Run: ``.venv/bin/python benchmarks/fhir_throughput.py [--episodes 300] [--repeat 3]``.
Everything runs in this one process (one core); the best of `--repeat` runs is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_episode
from emrlint.model import Episode
from emrlint.parsers.context import ParseContext
from emrlint.parsers.fhir import read_fhir
from emrlint.parsers.native import episode_from_mapping
from emrlint.synth import generate
from emrlint.writers.fhir import episode_to_fhir

TZ = ZoneInfo("Asia/Shanghai")
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "fhir" / "synthea-smart"


def typical_episode(index: int, rng: random.Random) -> Episode:
    """A synthetic stay with the mix of items a real one has (~150 FHIR resources)."""
    data = synthetic_episode(index, rng, items=40)
    for document in data["documents"]:  # a ward has a handful of doctors, not fifty
        if "author" in document:
            number = int(document["author"]["id"][3:]) % 8
            document["author"] = {**document["author"], "id": f"doc{number}"}
    admitted = dt.datetime.fromisoformat(data["admitted_at"])
    discharged = dt.datetime.fromisoformat(data["discharged_at"])
    span = int((discharged - admitted).total_seconds() // 60)

    def moment() -> str:
        return (admitted + dt.timedelta(minutes=rng.randrange(span))).isoformat()

    doctor = {"id": f"doc{rng.randrange(8)}", "rank": "attending", "department": data["department"]}
    data["diagnoses"] = [
        {"id": f"dx{n}", "code": f"K{rng.randrange(10, 99)}.{n}", "role": role}
        for n, role in enumerate(["admission", "principal", "secondary", "secondary", "secondary"])
    ]
    data["procedures"] = [
        {
            "id": f"p{n}",
            "code": "51.23",
            "level": rng.randint(1, 4),
            "start": moment(),
            "surgeon": doctor,
        }
        for n in range(2)
    ]
    data["orders"] = [
        {
            "id": f"o{n}",
            "category": "medication" if n % 3 else "lab",
            "code": f"D{n:04d}",
            "name": "头孢呋辛钠" if n % 3 else "血常规",
            "drug_class": "antibiotic" if n % 3 == 1 else None,
            "route": "iv" if n % 3 else None,
            "ordered_at": moment(),
            "ordered_by": doctor,
        }
        for n in range(30)
    ]
    data["administrations"] = [
        {"id": f"a{n}", "order_id": f"o{1 + 3 * (n % 10)}", "at": moment()} for n in range(30)
    ]
    data["observations"] = [
        {
            "id": f"r{n}",
            "category": "lab",
            "code": "2823-3",
            "value": 4.1,
            "unit": "mmol/L",
            "at": moment(),
        }
        for n in range(30)
    ]
    data["assessments"] = [
        {"id": f"v{n}", "kind": "vte_risk", "tool": "caprini", "score": 3, "at": moment()}
        for n in range(3)
    ]
    return episode_from_mapping(data, TZ)


def best_of(repeat: int, work: Callable[[], int]) -> tuple[float, int]:
    """(seconds, episodes) of the fastest of `repeat` runs."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = work()
        best = min(best, time.perf_counter() - started)
    return best, count


def measure(name: str, documents: list[bytes], repeat: int) -> dict[str, Any]:
    """Read every document with orjson, the default path and the strict path."""

    def parse_only() -> int:
        for document in documents:
            orjson.loads(document)
        return 0

    def read(strict: bool) -> Callable[[], int]:
        def run() -> int:
            episodes = 0
            context = ParseContext(tz=TZ, strict_fhir=strict)  # one per run, as `emrlint check`
            for document in documents:
                for result in read_fhir(io.BytesIO(document), "bench.json", context):
                    if not isinstance(result, Episode):
                        raise SystemExit(f"{name}: {result}")
                    episodes += 1
            return episodes

        return run

    floor, _ = best_of(repeat, parse_only)
    default, episodes = best_of(repeat, read(False))
    strict, _ = best_of(max(1, repeat // 2), read(True))
    return {
        "input": name,
        "documents": len(documents),
        "episodes": episodes,
        "megabytes": round(sum(map(len, documents)) / 2**20, 1),
        "orjson_s": round(floor, 4),
        "default_s": round(default, 4),
        "strict_s": round(strict, 4),
        "default_episodes_per_s": round(episodes / default, 1),
        "strict_episodes_per_s": round(episodes / strict, 1),
        "default_over_orjson": round(default / floor, 1),
        "strict_over_orjson": round(strict / floor, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=300, help="typical bundles to read")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best one counts")
    args = parser.parse_args()
    rng = random.Random(7)
    documents, sizes = [], []
    for number in range(args.episodes):
        bundle = episode_to_fhir(typical_episode(number, rng))
        sizes.append(len(bundle["entry"]))
        documents.append(json.dumps(bundle, ensure_ascii=False).encode())
    del bundle
    gc.collect()  # measure reading, not the collector walking the generated bundles
    report = [
        measure(f"typical bundles ({min(sizes)}-{max(sizes)} resources)", documents, args.repeat)
    ]
    stays = [episode_to_fhir(e) for e in generate(args.episodes, seed=7, size="typical")]
    resources = [len(bundle["entry"]) for bundle in stays]
    synth = [json.dumps(bundle, ensure_ascii=False).encode() for bundle in stays]
    del stays
    gc.collect()
    name = f"emrlint.synth typical stays ({min(resources)}-{max(resources)} resources)"
    report.append(measure(name, synth, args.repeat))
    if CORPUS.is_dir():
        corpus = [path.read_bytes() for path in sorted(CORPUS.glob("*.json"))]
        report.append(measure("Synthea corpus (28 bundles)", corpus, args.repeat))
    for row in report:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
