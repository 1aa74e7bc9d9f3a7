"""Observation and RiskAssessment → assessments (scored scales: VTE risk, nutrition, pain…)
and observations (lab values, vital signs, reports with a critical flag).

An Observation is an assessment when its code is in the `assessment` table (or emrlint's own
assessment code system); otherwise it is an observation. Times: an observation's `at` is the
result time (Observation.issued, else effective[x]); its specimen time is the Specimen's
collection time, else — for laboratory categories with an issued time — effective[x], which
FHIR defines as the specimen collection time for such results.
"""

from __future__ import annotations

from typing import Any

from emrlint.model import Assessment, Observation
from emrlint.parsers.fhir.conventions import PROFILE
from emrlint.parsers.fhir.elements import (
    as_list,
    code_of,
    codings,
    concept_text,
    first_code,
    number,
    string,
)
from emrlint.parsers.fhir.orders import order_link
from emrlint.parsers.fhir.people import clinician
from emrlint.parsers.fhir.scope import Scope
from emrlint.parsers.fhir.source import Resource

__all__ = ["map_observation", "map_risk_assessment"]


def map_observation(scope: Scope, resource: Resource) -> tuple[str, dict[str, Any]] | None:
    """An assessment (a scale the rules ask for by kind) or an observation (a result)."""
    data = resource.data
    kind = scope.tables.table("assessment").concept(data.get("code"))
    meta = data.get("meta")
    profiled = isinstance(meta, dict) and PROFILE.assessment in as_list(meta.get("profile"))
    if profiled or (kind is not None and not scope.exact):
        return "assessments", _assessment(scope, resource, kind or {})
    return "observations", _observation(scope, resource)


def _assessment(scope: Scope, resource: Resource, kind: dict[str, str]) -> dict[str, Any]:
    data = resource.data
    found: dict[str, Any] = {"kind": kind.get("kind", "other")}
    tool = kind.get("tool") or concept_text(data.get("method"))
    if tool is not None:
        found["tool"] = tool
    score = _number_value(data)
    if score is not None:
        found["score"] = score
    level = _text_value(data)
    if level is None:
        interpretations = as_list(data.get("interpretation"))
        level = concept_text(interpretations[0]) if interpretations else None
    if level is not None:
        found["level"] = level
    at = _effective(scope, data)
    if at is None and not scope.exact:
        at = scope.time(data.get("issued"), "issued")
    if at is not None:
        found["at"] = at
    performers = as_list(data.get("performer"))
    if performers:
        author = clinician(scope, performers[0], resource, "performer[0]")
        if author is not None:
            found["author"] = author
    found.update(scope.fields(data, Assessment))
    return found


def _observation(scope: Scope, resource: Resource) -> dict[str, Any]:
    data = resource.data
    found: dict[str, Any] = {}
    category = scope.tables.table("observation_category").concepts(data.get("category"))
    if category is not None:
        found["category"] = category
    code = first_code(data.get("code"))
    if code is not None:
        found["code"] = code
    name = concept_text(data.get("code"))
    if name is not None:
        found["name"] = name
    value, unit = _value(data)
    if value is not None:
        found["value"] = value
    if unit is not None:
        found["unit"] = unit
    issued = scope.time(data.get("issued"), "issued")
    effective = _effective(scope, data)
    at = issued if issued is not None else effective
    if at is not None:
        found["at"] = at
    specimen = _specimen_time(scope, resource)
    lab = scope.tables.setting("observation", "specimen_time_categories")
    if specimen is None and issued is not None and category in lab:
        specimen = effective
    if specimen is not None:
        found["specimen_at"] = specimen
    critical = scope.tables.setting("observation", "critical_interpretations")
    if any(
        code_of(coding.get("code")) in critical
        for concept in as_list(data.get("interpretation"))
        for coding in codings(concept)
    ):
        found["is_critical"] = True
    order = order_link(scope, resource)
    if order is not None:
        found["order_id"] = order
    found.update(scope.fields(data, Observation))
    return found


def map_risk_assessment(scope: Scope, resource: Resource) -> tuple[str, dict[str, Any]] | None:
    """A RiskAssessment whose code (or method) is a known scale → an assessment; FHIR's generic
    risk predictions without one are counted, since no rule could name them."""
    data = resource.data
    table = scope.tables.table("assessment")
    kind = table.concept(data.get("code")) or table.concept(data.get("method"))
    if kind is None:
        scope.count("FHIR RiskAssessment whose code is not an assessment in the mapping")
        return None
    found: dict[str, Any] = {"kind": kind["kind"]}
    tool = kind.get("tool") or concept_text(data.get("method"))
    if tool is not None:
        found["tool"] = tool
    predictions = [item for item in as_list(data.get("prediction")) if isinstance(item, dict)]
    if predictions:
        score = number(predictions[0].get("probabilityDecimal"))
        if score is not None:
            found["score"] = score
        level = concept_text(predictions[0].get("qualitativeRisk"))
        if level is not None:
            found["level"] = level
    period = data.get("occurrencePeriod")
    at = scope.time(
        data.get("occurrenceDateTime", period.get("start") if isinstance(period, dict) else None),
        "occurrence[x]",
    )
    if at is not None:
        found["at"] = at
    author = clinician(scope, data.get("performer"), resource, "performer")
    if author is not None:
        found["author"] = author
    found.update(scope.fields(data, Assessment))
    return "assessments", found


def _effective(scope: Scope, data: dict[str, Any]) -> Any:
    for key in ("effectiveDateTime", "effectiveInstant"):
        if key in data:
            return scope.time(data[key], key)
    period = data.get("effectivePeriod")
    if isinstance(period, dict):
        return scope.time(period.get("start"), "effectivePeriod.start")
    return None


def _number_value(data: dict[str, Any]) -> float | None:
    quantity = data.get("valueQuantity")
    if isinstance(quantity, dict):
        return number(quantity.get("value"))
    return number(data.get("valueInteger"))


def _text_value(data: dict[str, Any]) -> str | None:
    if "valueString" in data:
        return string(data["valueString"])
    concept = data.get("valueCodeableConcept")
    return concept_text(concept) or first_code(concept) if concept is not None else None


def _value(data: dict[str, Any]) -> tuple[float | str | None, str | None]:
    """An Observation's value and unit: numbers as float, everything else as text."""
    quantity = data.get("valueQuantity")
    if isinstance(quantity, dict):
        unit = string(quantity.get("unit")) or string(quantity.get("code"))
        value = number(quantity.get("value"))
        comparator = string(quantity.get("comparator"))
        if value is not None and comparator is not None:
            return f"{comparator}{quantity['value']}", unit
        return value, unit
    if "valueInteger" in data:
        return number(data["valueInteger"]), None
    if "valueBoolean" in data and isinstance(data["valueBoolean"], bool):
        return ("true" if data["valueBoolean"] else "false"), None
    for key in ("valueString", "valueDateTime", "valueTime"):
        if key in data:
            return string(data[key]), None
    return _text_value(data), None


def _specimen_time(scope: Scope, resource: Resource) -> Any:
    target = scope.resolve(resource.data.get("specimen"), resource, "specimen")
    if target is None or target.rtype != "Specimen":
        return None
    collection = target.data.get("collection")
    if not isinstance(collection, dict):
        return None
    if "collectedDateTime" in collection:
        return scope.time(
            collection["collectedDateTime"], "specimen → collection.collectedDateTime"
        )
    period = collection.get("collectedPeriod")
    if isinstance(period, dict):
        return scope.time(period.get("start"), "specimen → collection.collectedPeriod.start")
    return None
