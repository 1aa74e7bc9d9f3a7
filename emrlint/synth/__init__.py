"""Synthetic hospital: seeded, realistic inpatient episodes with a known defect rate.

Why: benchmarks and tests need large, lifelike inputs in every supported format, and no real
patient record may be used. See `generate` and the `write_*` functions.
"""

from emrlint.synth.generator import SIZES, generate
from emrlint.synth.writers import (
    item_count,
    write_all,
    write_fhir_ndjson,
    write_hl7v2,
    write_native_jsonl,
)

__all__ = [
    "SIZES",
    "generate",
    "item_count",
    "write_all",
    "write_fhir_ndjson",
    "write_hl7v2",
    "write_native_jsonl",
]
