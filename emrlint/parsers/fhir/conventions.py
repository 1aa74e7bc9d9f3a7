"""The names emrlint's FHIR reader and writer share: emrlint's own code systems, extensions,
profiles and identifier systems (all under ``https://emrlint.org/fhir/``), and the standard
code systems both sides use.

Only names live here, no behaviour, so the writer (``emrlint.writers.fhir``) and the reader
cannot drift apart: a renamed URL changes both. A code in one of emrlint's own code systems is
the model's value itself (``…/CodeSystem/disposition|death``), so the reader needs no table
for it.
"""

from __future__ import annotations

__all__ = [
    "BASE",
    "CS",
    "EXT",
    "EXT_PREFIX",
    "LINK_FIELDS",
    "PROFILE",
    "SID",
    "STANDARD",
]

BASE = "https://emrlint.org/fhir"


class _Names:
    """Attribute access to URLs built from a prefix: ``EXT.total_cost`` → …/total-cost."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        url = f"{self._prefix}/{name.replace('_', '-')}"
        setattr(self, name, url)  # later lookups are plain attribute reads
        return url

    def __call__(self, name: str) -> str:
        return f"{self._prefix}/{name}"


# Extensions: one per model field that FHIR has no element for, named after the field.
EXT = _Names(f"{BASE}/StructureDefinition")
# Code systems whose codes are the model's enum values (e.g. CS.title_rank|attending).
CS = _Names(f"{BASE}/CodeSystem")
# Identifier systems for ids the model keeps (visit number, patient id, staff number, item id).
SID = _Names(f"{BASE}/sid")
# Profiles: on the Encounter, "written by emrlint" (read exactly, nothing inferred); on
# resources that stand for more than one kind of model item, which one.
PROFILE = _Names(f"{BASE}/StructureDefinition/profile")


class STANDARD:
    """Standard code systems and extensions both sides name."""

    LOINC = "http://loinc.org"
    SNOMED = "http://snomed.info/sct"
    ICD10 = "http://hl7.org/fhir/sid/icd-10"
    ICD9CM = "http://hl7.org/fhir/sid/icd-9-cm"
    WST500 = "urn:oid:2.16.156.10011.2.4"
    UCUM = "http://unitsofmeasure.org"
    V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
    ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
    ADMIT_SOURCE = "http://terminology.hl7.org/CodeSystem/admit-source"
    DISCHARGE_DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
    DIAGNOSIS_ROLE = "http://terminology.hl7.org/CodeSystem/diagnosis-role"
    CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
    OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
    INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
    ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
    LOCATION_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
    DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
    BIRTH_TIME = "http://hl7.org/fhir/StructureDefinition/patient-birthTime"


# Every model field that FHIR has no element for travels as an extension named after the field
# (underscores become hyphens): Procedure.is_invasive → EXT_PREFIX + "is-invasive". The value
# type follows the field: valueBoolean, valueInteger, valueDecimal, valueDateTime (an exact time
# or a date), valueString (text and enum values), or valueString holding JSON (mappings, lists
# and records, such as the free-form `extensions`). So a field added to the model round-trips
# without a change here.
EXT_PREFIX = f"{BASE}/StructureDefinition/"

# Fields naming another item of the episode: written as References where the target is a
# resource, and read by the mappers (never as plain extension values).
LINK_FIELDS = frozenset({"about", "order_id", "observation_id"})
