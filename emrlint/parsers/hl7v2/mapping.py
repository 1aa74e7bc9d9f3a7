"""The HL7 v2 code tables: shipped defaults (`emrlint/data/hl7v2_mapping.toml`) merged with a
site's `[mapping.hl7v2]` overrides, checked once and turned into typed lookups.

It decides nothing about messages; the extractor asks it what a code means. A bad override is
a `MappingError` naming the key, raised before any message is read.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from emrlint.model import (
    AdmissionRoute,
    AntibioticTier,
    CareRole,
    ConditionLevel,
    Disposition,
    DrugClass,
    ObservationCategory,
    OrderCategory,
    OrderPurpose,
    ProcedureCategory,
    Sex,
    TitleRank,
)

__all__ = [
    "Hl7Mapping",
    "MappingError",
    "check_site_mapping",
    "default_mapping",
    "load_mapping",
    "reverse",
    "shipped_tables",
]

_MESSAGE_ACTIONS = {"adt", "documents", "orders", "results", "schedule", "administrations"}
_ADT_ACTIONS = {
    "admit",
    "register",
    "transfer",
    "discharge",
    "update",
    "cancel_admit",
    "cancel_transfer",
    "cancel_discharge",
    "merge_patient",
    "merge_visit",
    "ignore",
}
_DIAGNOSIS_ROLES = {"admission", "outpatient", "principal", "secondary", "death_cause", "final"}


_KIND = re.compile(r"^[a-z][a-z0-9_]*$")


class MappingError(ValueError):
    """A `[mapping.hl7v2]` override the reader cannot use; the message names the key."""


def _enum(kind: type[StrEnum]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"must be one of {', '.join(kind)}") from None

    return convert


def _choice(allowed: set[str]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(sorted(allowed))}")
        return str(value)

    return convert


def _level(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 4:
        raise ValueError("must be a surgical level 1-4")
    return value


def _kind_name(value: Any) -> str:
    if not isinstance(value, str) or not _KIND.match(value):
        raise ValueError("must be an assessment kind such as vte_risk")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return value


# table -> converter of each value (dict tables keyed by source code).
_CODE_TABLES: dict[str, Callable[[Any], Any]] = {
    "sexes": _enum(Sex),
    "charsets": _text,
    "messages": _choice(_MESSAGE_ACTIONS | {"ignore"}),
    "adt_events": _choice(_ADT_ACTIONS),
    "document_events": _choice({"upsert", "replace", "cancel"}),
    "schedule_events": _choice({"upsert", "cancel"}),
    "admission_routes": _enum(AdmissionRoute),
    "admission_types": _enum(AdmissionRoute),
    "dispositions": _enum(Disposition),
    "departments": _text,
    "condition_levels": _enum(ConditionLevel),
    "title_ranks": _enum(TitleRank),
    "care_roles": _enum(CareRole),
    "document_types": _text,
    "diagnosis_roles": _choice(_DIAGNOSIS_ROLES),
    "procedure_categories": _enum(ProcedureCategory),
    "anesthesia_methods": _text,
    "procedure_levels": _level,
    "procedure_invasive": _flag,
    "order_categories": _enum(OrderCategory),
    "observation_categories": _enum(ObservationCategory),
    "routes": _text,
    "drug_classes": _enum(DrugClass),
    "antibiotic_tiers": _enum(AntibioticTier),
    "order_purposes": _enum(OrderPurpose),
    "assessment_kinds": _kind_name,
}
# table -> {key: expected type} for small tables of settings.
_SETTING_TABLES: dict[str, dict[str, type]] = {
    "schedule": {
        "emergency_reasons": list,
        "surgeon_types": list,
        "anesthetist_types": list,
        "assistant_types": list,
    },
    "document_status": {"signed": list, "withdrawn": list},
    "diagnoses": {"morphology_systems": list, "external_cause_systems": list},
    "assessments": {"sections": list, "score_code": str, "level_code": str},
    "results": {"critical_flags": list},
    "order_durations": {"one_off": list},
    "order_controls": {"cancel": list, "stop": list},
}
_SCALARS: dict[str, type] = {
    "inpatient_classes": list,
    "patient_id_types": list,
    "clinician_department_component": int,
    "clinician_rank_components": list,
    "section_code": str,
    "z_segments": list,
}


@dataclass(frozen=True)
class Hl7Mapping:
    """Effective tables. `code()` looks a source code up exactly, then upper-cased."""

    tables: Mapping[str, Mapping[str, Any]]
    inpatient_classes: frozenset[str]
    patient_id_types: tuple[str, ...]
    clinician_department_component: int
    clinician_rank_components: tuple[int, ...]
    section_code: str
    z_segments: frozenset[str]
    emergency_reasons: frozenset[str]
    surgeon_types: frozenset[str]
    anesthetist_types: frozenset[str]
    assistant_types: frozenset[str]
    signed_statuses: frozenset[str]
    withdrawn_statuses: frozenset[str]
    morphology_systems: frozenset[str]
    external_cause_systems: frozenset[str]
    assessment_sections: frozenset[str]
    score_code: str
    level_code: str
    critical_flags: frozenset[str]
    one_off_patterns: frozenset[str]
    cancel_controls: frozenset[str]
    stop_controls: frozenset[str]

    def code(self, table: str, code: str | None) -> Any:
        if code is None:
            return None
        entries = self.tables[table]
        found = entries.get(code)
        if found is None:
            found = entries.get(code.strip().upper())
        return found

    def assessment_kind(self, code: str | None) -> str | None:
        """An [assessment_kinds] code, or a code that is itself a kind name."""
        found = self.code("assessment_kinds", code)
        if found is None and code is not None and _KIND.match(code):
            return code
        return found  # type: ignore[no-any-return]

    def drug_class(self, atc: str) -> DrugClass | None:
        """The class of the longest ATC prefix in the table."""
        entries = self.tables["drug_classes"]
        for end in range(len(atc), 0, -1):
            found = entries.get(atc[:end])
            if found is not None:
                return found  # type: ignore[no-any-return]
        return None


@cache
def shipped_tables() -> dict[str, Any]:
    text = resources.files("emrlint.data").joinpath("hl7v2_mapping.toml").read_text("utf-8")
    return tomllib.loads(text)


def check_site_mapping(site: Mapping[str, Any]) -> list[str]:
    """Every problem of a `[mapping.hl7v2]` table, as `key: reason` lines (empty: usable)."""
    problems: list[str] = []
    for key, value in site.items():
        where = f"mapping.hl7v2.{key}"
        if key in _CODE_TABLES:
            if not isinstance(value, Mapping):
                problems.append(f"{where}: must be a table of code = value")
                continue
            for code, entry in value.items():
                try:
                    _CODE_TABLES[key](entry)
                except ValueError as error:
                    problems.append(f"{where}.{code}: {error}")
        elif key in _SETTING_TABLES:
            if not isinstance(value, Mapping):
                problems.append(f"{where}: must be a table")
                continue
            for name, entry in value.items():
                expected = _SETTING_TABLES[key].get(name)
                if expected is None:
                    problems.append(f"{where}.{name}: unknown key")
                elif not isinstance(entry, expected):
                    problems.append(f"{where}.{name}: must be a {expected.__name__}")
        elif key in _SCALARS:
            if not isinstance(value, _SCALARS[key]) or isinstance(value, bool):
                problems.append(f"{where}: must be a {_SCALARS[key].__name__}")
        else:
            problems.append(f"{where}: unknown key")
    return problems


def load_mapping(site: Mapping[str, Any]) -> Hl7Mapping:
    """Shipped tables with `site` merged in (see the header of the TOML file). Built once per
    distinct site table: a run reads many files with the same configuration."""
    return _load_mapping(json.dumps(site, sort_keys=True, default=str))


@lru_cache(maxsize=16)
def _load_mapping(site_json: str) -> Hl7Mapping:
    site: dict[str, Any] = json.loads(site_json)
    problems = check_site_mapping(site)
    if problems:
        raise MappingError("; ".join(problems))
    merged: dict[str, Any] = {}
    shipped = shipped_tables()
    for key, value in shipped.items():
        override = site.get(key)
        if isinstance(value, dict):
            merged[key] = {**value, **(override or {})}
        else:
            merged[key] = override if override is not None else value
    tables = {
        name: {str(code): convert(entry) for code, entry in merged.get(name, {}).items()}
        for name, convert in _CODE_TABLES.items()
    }
    return Hl7Mapping(
        tables=tables,
        inpatient_classes=frozenset(merged["inpatient_classes"]),
        patient_id_types=tuple(merged["patient_id_types"]),
        clinician_department_component=int(merged["clinician_department_component"]),
        clinician_rank_components=tuple(int(c) for c in merged["clinician_rank_components"]),
        section_code=str(merged["section_code"]),
        z_segments=frozenset(merged["z_segments"]),
        emergency_reasons=frozenset(merged["schedule"]["emergency_reasons"]),
        surgeon_types=frozenset(merged["schedule"]["surgeon_types"]),
        anesthetist_types=frozenset(merged["schedule"]["anesthetist_types"]),
        assistant_types=frozenset(merged["schedule"]["assistant_types"]),
        signed_statuses=frozenset(merged["document_status"]["signed"]),
        withdrawn_statuses=frozenset(merged["document_status"]["withdrawn"]),
        morphology_systems=frozenset(merged["diagnoses"]["morphology_systems"]),
        external_cause_systems=frozenset(merged["diagnoses"]["external_cause_systems"]),
        assessment_sections=frozenset(merged["assessments"]["sections"]),
        score_code=str(merged["assessments"]["score_code"]),
        level_code=str(merged["assessments"]["level_code"]),
        critical_flags=frozenset(merged["results"]["critical_flags"]),
        one_off_patterns=frozenset(merged["order_durations"]["one_off"]),
        cancel_controls=frozenset(merged["order_controls"]["cancel"]),
        stop_controls=frozenset(merged["order_controls"]["stop"]),
    )


@cache
def default_mapping() -> Hl7Mapping:
    return load_mapping({})


def reverse(mapping: Hl7Mapping, table: str) -> dict[Any, str]:
    """value -> the first code that maps to it: what a writer sends for a model value."""
    found: dict[Any, str] = {}
    for code, value in mapping.tables[table].items():
        found.setdefault(value, code)
    return found
