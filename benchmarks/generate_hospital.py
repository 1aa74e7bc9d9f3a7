"""Write a synthetic hospital's episodes as native JSONL, FHIR R4 NDJSON and HL7 v2 files.

Why: benchmarks need large, realistic inputs with a known defect rate in every input format,
and real records may not leave a hospital. Usage:

    python benchmarks/generate_hospital.py --episodes 10000 --seed 1 --out /tmp/hospital
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emrlint.synth import SIZES, generate, write_all


def main(argv: list[str] | None = None) -> int:
    """Parse options, stream the episodes into the three files, print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000, help="number of episodes")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same files)")
    parser.add_argument(
        "--defect-rate", type=float, default=0.1, help="chance a required record is late/missing"
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="typical", help="items/episode")
    parser.add_argument("--out", type=Path, default=Path("synthetic-hospital"), help="folder")
    args = parser.parse_args(argv)
    if args.episodes < 0:
        parser.error("--episodes must be >= 0")
    if not 0.0 <= args.defect_rate <= 1.0:
        parser.error("--defect-rate must be between 0 and 1")
    args.out.mkdir(parents=True, exist_ok=True)
    files = (
        args.out / "episodes.jsonl",
        args.out / "episodes.fhir.ndjson",
        args.out / "episodes.hl7",
    )
    episodes = generate(args.episodes, args.seed, args.defect_rate, args.size)
    count, items = write_all(episodes, *files)
    for file in files:
        print(f"wrote {file}")
    average = items / count if count else 0.0
    print(f"episodes: {count}  items: {items}  average items per episode: {average:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
