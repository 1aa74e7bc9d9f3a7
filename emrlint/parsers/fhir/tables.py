"""The FHIR mapping tables: ``emrlint/data/fhir_mapping.toml`` overlaid with the site's
``[mapping.fhir]`` table, checked once, and turned into dictionary lookups.

Reads no FHIR resource; the mappers ask it questions such as "which admission route is this
CodeableConcept?". A wrong site table is a configuration error (exit 2), raised before any
record is read, because a misspelt table silently ignored is a mapping silently wrong.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

import orjson

from emrlint.diagnostics import Diagnostic, did_you_mean
from emrlint.errors import ConfigError
from emrlint.model import (
    AdmissionRoute,
    AntibioticTier,
    CareRole,
    ConditionLevel,
    ConsultationUrgency,
    DiagnosisRole,
    Disposition,
    DrugClass,
    ObservationCategory,
    OrderCategory,
    OrderDuration,
    OrderPurpose,
    PresentOnAdmission,
    ProcedureCategory,
    SignatureRole,
    TitleRank,
)
from emrlint.parsers.fhir.conventions import CS

__all__ = ["NDJSON_MODES", "CodeTable", "FhirTables", "load_tables"]

_KIND = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSIONS = ("auto", "R4", "R4B", "R5")
NDJSON_MODES = ("bulk", "stay-per-line")


def _enum(kind: type[StrEnum]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        return kind(value)  # ValueError names the bad value

    return check


def _one_of(*allowed: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return check


def _level(value: Any) -> int:
    level = int(value)
    if not 1 <= level <= 4 or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a surgical level 1-4")
    return level


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


def _kind_name(value: Any) -> str:
    if not isinstance(value, str) or not _KIND.match(value):
        raise ValueError(f"{value!r} is not a record kind name")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{value!r} is not a text")
    return value


def _assessment(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        value = {"kind": value}
    if not isinstance(value, Mapping) or set(value) - {"kind", "tool"} or "kind" not in value:
        raise ValueError(f"{value!r} is not {{ kind = ..., tool = ... }}")
    return {
        "kind": _kind_name(value["kind"]),
        **({"tool": value["tool"]} if "tool" in value else {}),
    }


# Code tables: value check, and emrlint's own code system whose codes are the values.
_CODE_TABLES: dict[str, tuple[Callable[[Any], Any], str | None]] = {
    "admit_source": (_enum(AdmissionRoute), CS.admission_route),
    "discharge_disposition": (_enum(Disposition), CS.disposition),
    "care_role": (_enum(CareRole), CS.care_role),
    "diagnosis_role": (_one_of(*DiagnosisRole, "discharge"), CS.diagnosis_role),
    "present_on_admission": (_enum(PresentOnAdmission), CS.present_on_admission),
    "procedure_level": (_level, CS.surgical_level),
    "procedure_category": (_enum(ProcedureCategory), CS.procedure_category),
    "procedure_emergency": (_boolean, None),
    "performer_function": (_one_of("surgeon", "assistant", "anesthetist", "leader"), CS.function),
    "procedure_outcome": (_boolean, None),
    "event_procedure": (_one_of("rescue", "transfusion"), CS.event),
    "communication_event": (_one_of("critical_value", "handover"), CS.event),
    "condition_level": (_enum(ConditionLevel), CS.condition_level),
    "document_type": (_kind_name, CS.record_kind),
    "signature_role": (_enum(SignatureRole), CS.signature_role),
    "assessment": (_assessment, CS.assessment),
    "observation_category": (_enum(ObservationCategory), CS.observation_category),
    "order_category": (_enum(OrderCategory), CS.order_category),
    "consultation_urgency": (_enum(ConsultationUrgency), CS.consultation_urgency),
    "drug_class": (_enum(DrugClass), CS.drug_class),
    "antibiotic_tier": (_enum(AntibioticTier), CS.antibiotic_tier),
    "order_purpose": (_enum(OrderPurpose), CS.order_purpose),
    "order_duration": (_enum(OrderDuration), CS.order_duration),
    "route": (_text, CS.route),
    "title_rank": (_enum(TitleRank), CS.title_rank),
}

# Settings: section -> key -> kind ("codes": code keys, "systems": system names, "texts": plain
# strings, "text", "bool").
_SETTINGS: dict[str, dict[str, str]] = {
    "encounter": {
        "inpatient_classes": "texts",
        "skip_statuses": "texts",
        "episode_identifier_systems": "systems",
        "episode_identifier_types": "texts",
        "department_from_service_type": "bool",
    },
    "organization": {"department_types": "texts", "site_identifier_systems": "systems"},
    "location": {"ward_types": "texts", "department_from_name": "bool", "skip_statuses": "texts"},
    "identifiers": {
        "patient_systems": "systems",
        "patient_types": "texts",
        "staff_systems": "systems",
        "item_systems": "systems",
    },
    "diagnosis": {
        "code_systems": "systems",
        "default_role": "text",
        "present_on_admission_extensions": "texts",
    },
    "procedure": {
        "code_systems": "systems",
        "level_extensions": "texts",
        "emergency_extensions": "texts",
        "unqualified_performer": "text",
    },
    "observation": {"critical_interpretations": "texts", "specimen_time_categories": "texts"},
    "service_request": {
        "consultation_categories": "codes",
        "default_category": "text",
        "order_intents": "texts",
    },
    "drug": {"atc_systems": "systems"},
}


@dataclass(frozen=True, slots=True)
class CodeTable:
    """One code table: Coding (system, code) pairs, bare codes, texts, and emrlint's own system."""

    name: str
    pairs: Mapping[tuple[str, str], Any]
    bare: Mapping[str, Any]
    texts: Mapping[str, Any]
    own_system: str | None
    check: Callable[[Any], Any]

    def coding(self, coding: Any) -> Any:
        """The value for one Coding, or None."""
        if not isinstance(coding, dict):
            return None
        code = coding.get("code")
        if not isinstance(code, str):
            return None
        system = coding.get("system")
        if not isinstance(system, str):
            return self.bare.get(code)
        if system == self.own_system:
            return self._own(code)
        value = self.pairs.get((system, code))
        return value if value is not None else self.bare.get(code)

    def concept(self, concept: Any) -> Any:
        """The value for a CodeableConcept: its Codings in order, then its text or a display."""
        if not isinstance(concept, dict):
            return None
        codings = concept.get("coding")
        if isinstance(codings, list):
            pairs, bare, own = self.pairs, self.bare, self.own_system
            for coding in codings:
                if not isinstance(coding, dict):
                    continue
                code = coding.get("code")
                if not isinstance(code, str):
                    continue
                system = coding.get("system")
                if isinstance(system, str):
                    if system == own:
                        value = self._own(code)
                    else:
                        value = pairs.get((system, code))
                        if value is None:
                            value = bare.get(code)
                else:
                    value = bare.get(code)
                if value is not None:
                    return value
        if self.texts:
            text = concept.get("text")
            if isinstance(text, str) and text in self.texts:
                return self.texts[text]
            if isinstance(codings, list):
                for coding in codings:
                    display = coding.get("display") if isinstance(coding, dict) else None
                    if isinstance(display, str) and display in self.texts:
                        return self.texts[display]
        return None

    def concepts(self, concepts: Any) -> Any:
        """The first value found in a list of CodeableConcepts (or one CodeableConcept)."""
        if isinstance(concepts, dict):
            return self.concept(concepts)
        if isinstance(concepts, list):
            for concept in concepts:
                value = self.concept(concept)
                if value is not None:
                    return value
        return None

    def code(self, code: Any) -> Any:
        """The value for a plain code (a FHIR `code` element, no system)."""
        return self.bare.get(code) if isinstance(code, str) else None

    def _own(self, code: str) -> Any:
        try:
            return self.check(code)
        except (ValueError, TypeError):
            return None


@dataclass(frozen=True)
class FhirTables:
    """Every table and setting the mappers read, checked and ready for lookups."""

    version: str
    ndjson: str  # one of NDJSON_MODES
    settings: Mapping[str, Mapping[str, Any]]
    codes: Mapping[str, CodeTable]
    atc_prefixes: tuple[tuple[str, DrugClass], ...]

    def table(self, name: str) -> CodeTable:
        return self.codes[name]

    def setting(self, section: str, key: str) -> Any:
        return self.settings[section][key]

    def atc_class(self, code: str) -> DrugClass | None:
        for prefix, drug_class in self.atc_prefixes:
            if code.startswith(prefix):
                return drug_class
        return None


def load_tables(site: Mapping[str, Any]) -> FhirTables:
    """The shipped tables overlaid with `site` (the `[mapping.fhir]` table); ConfigError if the
    site table names an unknown table or key, or gives a value of the wrong kind."""
    return _load_cached(orjson.dumps(site, option=orjson.OPT_SORT_KEYS, default=str))


@functools.lru_cache(maxsize=8)
def _load_cached(site_json: bytes) -> FhirTables:
    shipped = _shipped()
    site = orjson.loads(site_json)
    errors: list[str] = []
    merged = _merge(shipped, site, errors)
    systems = {**merged.get("systems", {})}
    settings = {
        section: {
            key: _setting(kind, merged[section][key], systems, f"{section}.{key}", errors)
            for key, kind in keys.items()
        }
        for section, keys in _SETTINGS.items()
    }
    codes = {
        name: _code_table(name, merged.get(name, {}), systems, errors) for name in _CODE_TABLES
    }
    atc = []
    for prefix, value in merged.get("drug_class_atc", {}).items():
        try:
            atc.append((prefix, DrugClass(value)))
        except ValueError as error:
            errors.append(f"[mapping.fhir.drug_class_atc] {prefix!r}: {error}")
    version = merged.get("fhir_version", "auto")
    if version not in _VERSIONS:
        errors.append(f"[mapping.fhir] fhir_version {version!r} is not one of {_VERSIONS}")
    ndjson = merged.get("ndjson", "bulk")
    if ndjson not in NDJSON_MODES:
        errors.append(f"[mapping.fhir] ndjson {ndjson!r} is not one of {NDJSON_MODES}")
    if errors:
        raise ConfigError([_diagnostic(message) for message in errors])
    return FhirTables(
        version=version,
        ndjson=ndjson,
        settings=settings,
        codes=codes,
        atc_prefixes=tuple(sorted(atc, key=lambda item: -len(item[0]))),
    )


@functools.cache
def _shipped() -> dict[str, Any]:
    text = resources.files("emrlint.data").joinpath("fhir_mapping.toml").read_text("utf-8")
    return tomllib.loads(text)


def _merge(shipped: dict[str, Any], site: Mapping[str, Any], errors: list[str]) -> dict[str, Any]:
    """Settings and lists are replaced; code tables merge key by key ("" removes a key)."""
    merged = {
        key: dict(value) if isinstance(value, dict) else value for key, value in shipped.items()
    }
    for key, value in site.items():
        if key not in shipped:
            hint = did_you_mean(key, shipped)
            errors.append(
                f"[mapping.fhir] has no table or setting {key!r}"
                + (f"; did you mean {hint!r}?" if hint else "")
            )
            continue
        if not isinstance(shipped[key], dict):
            merged[key] = value
            continue
        if not isinstance(value, dict):
            errors.append(f"[mapping.fhir] {key!r} must be a table")
            continue
        section = merged[key]
        for inner, inner_value in value.items():
            if key in _SETTINGS and inner not in _SETTINGS[key]:
                hint = did_you_mean(inner, _SETTINGS[key])
                errors.append(
                    f"[mapping.fhir.{key}] has no setting {inner!r}"
                    + (f"; did you mean {hint!r}?" if hint else "")
                )
            elif inner_value == "" and key not in _SETTINGS:
                section.pop(inner, None)
            else:
                section[inner] = inner_value
    return merged


def _setting(
    kind: str, value: Any, systems: Mapping[str, str], where: str, errors: list[str]
) -> Any:
    if kind == "bool":
        if isinstance(value, bool):
            return value
    elif kind == "text":
        if isinstance(value, str):
            return value
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        if kind == "systems":
            return tuple(systems.get(item, item) for item in value)
        if kind == "codes":
            return frozenset(_code_key(item, systems) for item in value)
        return frozenset(value)
    errors.append(f"[mapping.fhir] {where}: {value!r} is not a valid {kind} value")
    return None


def _code_key(key: str, systems: Mapping[str, str]) -> tuple[str | None, str]:
    system, bar, code = key.rpartition("|")
    if not bar:
        return None, key
    return systems.get(system, system), code


def _code_table(
    name: str, entries: Mapping[str, Any], systems: Mapping[str, str], errors: list[str]
) -> CodeTable:
    check, own_system = _CODE_TABLES[name]
    pairs: dict[tuple[str, str], Any] = {}
    bare: dict[str, Any] = {}
    texts: dict[str, Any] = {}
    for key, raw in entries.items():
        try:
            value = check(raw)
        except (ValueError, TypeError) as error:
            errors.append(f"[mapping.fhir.{name}] {key!r}: {error}")
            continue
        if key.startswith("text:"):
            texts[key[5:]] = value
            continue
        system, code = _code_key(key, systems)
        if system is None:
            bare[code] = value
        else:
            pairs[(system, code)] = value
    return CodeTable(name, pairs, bare, texts, own_system, check)


def _diagnostic(message: str) -> Diagnostic:
    return Diagnostic("E040", "fhir-mapping", message, None, help="see docs/fhir-mapping.md")
