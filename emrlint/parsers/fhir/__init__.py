"""FHIR input (R4 4.0.1 first; R4B and R5 accepted): Bundles of every type, single resources,
NDJSON and Bulk Data export folders → one Episode per inpatient Encounter.

Modules, in the order data flows through them:

    source      bytes → resources with positions (JSON document, NDJSON, nested Bundles)
    strict      --strict-fhir: validation with fhir.resources (its only importer)
    references  reference resolution (#contained, urn:uuid, relative, absolute, conditional)
    grouping    resources → episodes: inpatient Encounters and the items linked to them
    episodes    one episode: stay + items → ids, links, model validation
    stay, people, clinical, results, documents, orders
                the mappers, one family of resources each
    tables      the mapping tables (emrlint/data/fhir_mapping.toml + the site's [mapping.fhir])
    elements    FHIR data types out of parsed JSON
    conventions emrlint's own URLs, shared with the writer (emrlint.writers.fhir)

docs/fhir-mapping.md is the reference for what maps to what.
"""

from emrlint.parsers.fhir.reader import (
    read_fhir,
    read_fhir_bulk,
    read_fhir_lines,
    read_fhir_value,
    reads_stays_per_line,
)

__all__ = [
    "read_fhir",
    "read_fhir_bulk",
    "read_fhir_lines",
    "read_fhir_value",
    "reads_stays_per_line",
]
