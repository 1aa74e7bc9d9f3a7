"""What every reader needs besides the bytes: the site timezone, the record-kind vocabulary,
and the site's mapping tables (from `[mapping.fhir]` / `[mapping.hl7v2]` in emrlint.toml)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emrlint.model.vocabulary import Vocabulary, default_vocabulary

__all__ = ["ParseContext"]


@dataclass(frozen=True)
class ParseContext:
    tz: dt.tzinfo
    vocabulary: Vocabulary = field(default_factory=default_vocabulary)
    mappings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    strict_fhir: bool = False  # validate every FHIR resource with fhir.resources
    strict_hl7: bool = False  # parse and validate every HL7 v2 message with hl7apy
    # What readers skipped but did not report as problems (unknown resource types, items
    # linked to no inpatient encounter, Z-segments…): counted per run, shown on stderr.
    skipped: Counter[str] = field(default_factory=Counter, compare=False)

    def mapping(self, source: str) -> Mapping[str, Any]:
        """The site's overrides for one source ("fhir", "hl7v2"); empty when none."""
        return self.mappings.get(source, {})
