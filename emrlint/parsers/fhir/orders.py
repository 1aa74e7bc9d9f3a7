"""MedicationRequest and ServiceRequest → orders (医嘱) or consultations (会诊);
MedicationAdministration → administrations.

Classifications come from the request's category codes through the tables: drug class and
antibiotic tier (also from the medication's code: site codes, then ATC prefixes), purpose,
long-term or one-off (also MedicationRequest.courseOfTherapyType), and for a ServiceRequest
the order category. A ServiceRequest is a consultation when its category is a consultation
category (or emrlint's consultation profile says so). Non-order intents (proposal, plan) are
skipped and counted.
"""

from __future__ import annotations

from typing import Any

from emrlint.model import Administration, Consultation, Order
from emrlint.parsers.fhir.conventions import EXT, PROFILE
from emrlint.parsers.fhir.elements import (
    as_list,
    code_of,
    codings,
    concept_text,
    extension_value,
    first_code,
)
from emrlint.parsers.fhir.people import clinician, organization_name
from emrlint.parsers.fhir.scope import Link, Scope
from emrlint.parsers.fhir.source import Resource

__all__ = ["map_medication_administration", "map_medication_request", "map_service_request"]

_CANCELLED = frozenset({"cancelled", "revoked"})


def map_medication_request(scope: Scope, resource: Resource) -> tuple[str, dict[str, Any]] | None:
    """A medication order (医嘱): what, how (route), from when to when, by whom, and the classes
    the antibiotic and anticoagulant rules ask about."""
    data = resource.data
    if not _is_order(scope, data):
        return None
    order: dict[str, Any] = {"category": "medication"}
    medication = _medication(scope, resource)
    _code_and_name(order, medication)
    categories = as_list(data.get("category"))
    _classify(scope, order, categories, medication)
    if "duration" not in order:
        duration = scope.tables.table("order_duration").concept(data.get("courseOfTherapyType"))
        if duration is not None:
            order["duration"] = duration
    dosages = [item for item in as_list(data.get("dosageInstruction")) if isinstance(item, dict)]
    if dosages:
        route = _route(scope, dosages[0].get("route"))
        if route is not None:
            order["route"] = route
        timing = dosages[0].get("timing")
        repeat = timing.get("repeat") if isinstance(timing, dict) else None
        bounds = repeat.get("boundsPeriod") if isinstance(repeat, dict) else None
        if isinstance(bounds, dict):
            _start_stop(scope, order, bounds, "dosageInstruction[0].timing.repeat.boundsPeriod")
    _request_common(scope, resource, order)
    return "orders", order


def map_service_request(scope: Scope, resource: Resource) -> tuple[str, dict[str, Any]] | None:
    """A non-medication order (lab, imaging, surgery…), or a consultation request (会诊),
    whose timeliness rules need the request time and urgency."""
    data = resource.data
    if not _is_order(scope, data):
        return None
    categories = as_list(data.get("category"))
    if _is_consultation(scope, data, categories):
        return "consultations", _consultation(scope, resource)
    tables = scope.tables
    category = tables.table("order_category").concepts(categories)
    order: dict[str, Any] = {
        "category": category or tables.setting("service_request", "default_category")
    }
    code = data.get("code")
    if isinstance(code, dict) and "concept" in code:
        code = code["concept"]  # R5: a CodeableReference
    _code_and_name(order, code)
    _classify(scope, order, categories, None)
    period = data.get("occurrencePeriod")
    if isinstance(period, dict):
        _start_stop(scope, order, period, "occurrencePeriod")
    elif "occurrenceDateTime" in data:
        order["start"] = scope.time(data["occurrenceDateTime"], "occurrenceDateTime")
    _request_common(scope, resource, order)
    return "orders", order


def map_medication_administration(
    scope: Scope, resource: Resource
) -> tuple[str, dict[str, Any]] | None:
    """A dose given: its time and the order it carries out (none known: not an item, since the
    model ties every administration to an order)."""
    data = resource.data
    administration: dict[str, Any] = {}
    at = None
    for prefix in ("effective", "occurence", "occurrence"):
        if f"{prefix}DateTime" in data:
            at = scope.time(data[f"{prefix}DateTime"], f"{prefix}DateTime")
            break
        period = data.get(f"{prefix}Period")
        if isinstance(period, dict):
            at = scope.time(period.get("start"), f"{prefix}Period.start")
            break
    if at is not None:
        administration["at"] = at
    written = extension_value(data, EXT.order_id)
    if isinstance(written, str):
        administration["order_id"] = Link(written)
    elif data.get("request") is not None:
        administration["order_id"] = scope.link(data["request"], resource, "request")
    if administration.get("order_id") is None:
        scope.count("FHIR MedicationAdministration without a request in the input")
        return None
    administration.update(scope.fields(data, Administration))
    return "administrations", administration


def _is_order(scope: Scope, data: dict[str, Any]) -> bool:
    intent = data.get("intent")
    if intent is None or code_of(intent) in scope.tables.setting(
        "service_request", "order_intents"
    ):
        return True
    scope.count(f"FHIR requests whose intent is not an order ({str(intent)[:20]})")
    return False


def _is_consultation(scope: Scope, data: dict[str, Any], categories: list[Any]) -> bool:
    profiles = data.get("meta", {}).get("profile", ()) if isinstance(data.get("meta"), dict) else ()
    if PROFILE.consultation in profiles:
        return True
    if scope.exact:
        return False
    wanted = scope.tables.setting("service_request", "consultation_categories")
    return any(
        (code_of(coding.get("system")), code_of(coding.get("code"))) in wanted
        or (None, code_of(coding.get("code"))) in wanted
        for concept in categories
        for coding in codings(concept)
    )


def _consultation(scope: Scope, resource: Resource) -> dict[str, Any]:
    data = resource.data
    found: dict[str, Any] = {}
    urgency = scope.tables.table("consultation_urgency").code(data.get("priority"))
    if urgency is not None:
        found["urgency"] = urgency
    for index, performer in enumerate(as_list(data.get("performer"))):
        path = f"performer[{index}]"
        target = scope.resolve(performer, resource, path)
        if target is not None and target.rtype == "Organization":
            found.setdefault("department", organization_name(scope, performer, resource, path))
        elif target is not None or not scope.exact:
            person = clinician(scope, performer, resource, path)
            if person is not None and "consultant" not in found:
                found["consultant"] = person
    if "department" not in found and not scope.exact:
        department = concept_text(data.get("performerType"))
        if department is not None:
            found["department"] = department
    requested = scope.time(data.get("authoredOn"), "authoredOn")
    if requested is not None:
        found["requested_at"] = requested
    requester = clinician(scope, data.get("requester"), resource, "requester")
    if requester is not None:
        found["requested_by"] = requester
    order = order_link(scope, resource)
    if order is not None:
        found["order_id"] = order
    found.update(scope.fields(data, Consultation))
    return {key: value for key, value in found.items() if value is not None}


def _medication(scope: Scope, resource: Resource) -> Any:
    """The medication's CodeableConcept, from medication[x] (R4) or medication (R5)."""
    data = resource.data
    concept = data.get("medicationCodeableConcept")
    reference = data.get("medicationReference")
    r5 = data.get("medication")
    if isinstance(r5, dict):
        concept, reference = r5.get("concept"), r5.get("reference")
    if concept is None and reference is not None:
        target = scope.resolve(reference, resource, "medication")
        if target is not None and target.rtype == "Medication":
            concept = target.data.get("code")
    return concept


def _code_and_name(order: dict[str, Any], concept: Any) -> None:
    code = first_code(concept)
    if code is not None:
        order["code"] = code
    name = concept_text(concept)
    if name is not None:
        order["name"] = name


def _classify(scope: Scope, order: dict[str, Any], categories: list[Any], medication: Any) -> None:
    """Drug class, antibiotic tier, purpose and duration from category (and medication) codes."""
    tables = scope.tables
    for field, table in (
        ("drug_class", "drug_class"),
        ("antibiotic_tier", "antibiotic_tier"),
        ("purpose", "order_purpose"),
        ("duration", "order_duration"),
    ):
        value = tables.table(table).concepts(categories)
        if value is None and medication is not None and table in ("drug_class", "antibiotic_tier"):
            value = tables.table(table).concept(medication)
        if value is not None:
            order[field] = value
    if "drug_class" not in order and medication is not None:
        atc = first_code(medication, tables.setting("drug", "atc_systems"))
        drug_class = tables.atc_class(atc) if atc is not None else None
        if drug_class is not None:
            order["drug_class"] = drug_class


def _route(scope: Scope, concept: Any) -> str | None:
    found = scope.tables.table("route").concept(concept)
    if found is not None:
        return found
    return concept_text(concept) if not scope.exact else None


def _start_stop(scope: Scope, order: dict[str, Any], period: dict[str, Any], path: str) -> None:
    start = scope.time(period.get("start"), f"{path}.start")
    if start is not None:
        order["start"] = start
    stop = scope.time(period.get("end"), f"{path}.end")
    if stop is not None:
        order["stop"] = stop


def _request_common(scope: Scope, resource: Resource, order: dict[str, Any]) -> None:
    data = resource.data
    if code_of(data.get("status")) in _CANCELLED:
        order["is_cancelled"] = True
    ordered = scope.time(data.get("authoredOn"), "authoredOn")
    if ordered is not None:
        order["ordered_at"] = ordered
    requester = clinician(scope, data.get("requester"), resource, "requester")
    if requester is not None:
        order["ordered_by"] = requester
    about = extension_value(data, EXT.about)
    if isinstance(about, str):
        order["about"] = Link(about)
    elif isinstance(about, dict):
        order["about"] = scope.link(about, resource, "extension(about)")
    order.update(scope.fields(data, Order))


def order_link(scope: Scope, resource: Resource) -> Link | None:
    """The order an item answers: emrlint's own order-id extension (exact, as the writer puts
    it), else the first `basedOn` reference."""
    data = resource.data
    written = extension_value(data, EXT.order_id)
    if isinstance(written, str):
        return Link(written)
    based_on = as_list(data.get("basedOn"))
    if based_on:
        return scope.link(based_on[0], resource, "basedOn[0]")
    return None
