"""Condition → diagnoses; Procedure → procedures, rescues and transfusions; Communication →
critical-value reports and handovers.

A Condition's role comes from the Encounter.diagnosis entry that names it (use, rank: a
discharge diagnosis of rank 1 is the principal one), else from its category, else the
configured default. A Procedure is an event when its code (or emrlint's profile) says so;
otherwise its surgical level, category and emergency flag come from emrlint's extensions,
the site's extensions, or the site's Procedure.category codes.
"""

from __future__ import annotations

from typing import Any

from emrlint.model import CriticalValue, Diagnosis, Handover, Procedure, Rescue, Transfusion
from emrlint.parsers.fhir.conventions import EXT, PROFILE
from emrlint.parsers.fhir.elements import (
    as_list,
    concept_text,
    extension_value,
    first_code,
)
from emrlint.parsers.fhir.people import clinician
from emrlint.parsers.fhir.scope import Link, Scope
from emrlint.parsers.fhir.source import Resource
from emrlint.parsers.fhir.tables import CodeTable

__all__ = ["Use", "coded", "map_communication", "map_condition", "map_procedure"]

Use = tuple[Any, int | None]  # (Encounter.diagnosis.use, rank)


def map_condition(scope: Scope, resource: Resource, uses: list[Use]) -> list[dict[str, Any]]:
    """One diagnosis per role the episode gives the Condition (usually one)."""
    data = resource.data
    tables = scope.tables
    base: dict[str, Any] = {}
    code = first_code(data.get("code"), tables.setting("diagnosis", "code_systems"))
    if code is not None:
        base["code"] = code
    name = concept_text(data.get("code"))
    if name is not None:
        base["name"] = name
    recorded = scope.time(data.get("recordedDate"), "recordedDate")
    if recorded is not None:
        base["recorded_at"] = recorded
    present = _present_on_admission(scope, data)
    if present is not None:
        base["present_on_admission"] = present
    base.update(scope.fields(data, Diagnosis))
    table = tables.table("diagnosis_role")
    roles = []
    for use, rank in uses:
        role = table.concepts(use)
        if role is not None:
            roles.append(_ranked(role, rank))
    if not roles:
        role = table.concepts(data.get("category"))
        roles.append(
            _ranked(role, None) if role is not None else tables.setting("diagnosis", "default_role")
        )
    return [{**base, "role": role} for role in roles]


def _ranked(role: str, rank: int | None) -> str:
    if role != "discharge":
        return role
    return "principal" if rank == 1 else "secondary"


def _present_on_admission(scope: Scope, data: dict[str, Any]) -> Any:
    table = scope.tables.table("present_on_admission")
    for url in scope.tables.setting("diagnosis", "present_on_admission_extensions"):
        value = extension_value(data, url)
        if value is not None:
            found = coded(table, value)
            if found is not None:
                return found
    return None


def coded(table: CodeTable, value: Any) -> Any:
    """A table value for an extension's value: a plain code or text, a Coding, a
    CodeableConcept; the code itself when it is a value of emrlint's own code system."""
    if isinstance(value, dict):
        return table.concept(value) if "coding" in value or "text" in value else table.coding(value)
    if isinstance(value, str):
        found = table.code(value)
        if found is None:
            found = table.texts.get(value)
        return (
            found
            if found is not None
            else table.coding({"system": table.own_system, "code": value})
        )
    return None


def _event_kind(scope: Scope, data: dict[str, Any], table: str) -> Any:
    profiles = data.get("meta", {}).get("profile", ()) if isinstance(data.get("meta"), dict) else ()
    for kind in ("rescue", "transfusion", "critical_value", "handover"):
        if PROFILE(kind.replace("_", "-")) in profiles:
            return kind
    if scope.exact:  # emrlint marks every event with its profile; a code alone is not one
        return None
    key = "code" if table == "event_procedure" else "category"
    return scope.tables.table(table).concepts(data.get(key))


def map_procedure(scope: Scope, resource: Resource) -> tuple[str, dict[str, Any]] | None:
    """A Procedure as ("procedures", …) or, for a rescue or transfusion, ("events", …)."""
    data = resource.data
    kind = _event_kind(scope, data, "event_procedure")
    start, end = _performed(scope, data)
    if kind == "rescue":
        rescue: dict[str, Any] = {"type": "rescue", "start": start, "end": end}
        leader = _performers(scope, resource, "leader")
        if leader:
            rescue["leader"] = leader[0]
        outcome = scope.tables.table("procedure_outcome").concept(data.get("outcome"))
        if outcome is not None:
            rescue["is_successful"] = outcome
        rescue.update(scope.fields(data, Rescue))
        return "events", rescue
    if kind == "transfusion":
        transfusion = {"type": "transfusion", "start": start, "end": end}
        transfusion.update(scope.fields(data, Transfusion))
        return "events", transfusion
    tables = scope.tables
    procedure: dict[str, Any] = {"start": start, "end": end}
    code = first_code(data.get("code"), tables.setting("procedure", "code_systems"))
    if code is not None:
        procedure["code"] = code
    name = concept_text(data.get("code"))
    if name is not None:
        procedure["name"] = name
    categories = as_list(data.get("category"))
    level = _level(scope, data, categories)
    if level is not None:
        procedure["level"] = level
    category = tables.table("procedure_category").concepts(categories)
    if category is not None:
        procedure["category"] = category
    if _is_emergency(scope, data, categories):
        procedure["is_emergency"] = True
    surgeons = _performers(scope, resource, "surgeon")
    if surgeons:
        procedure["surgeon"] = surgeons[0]
    assistants = _performers(scope, resource, "assistant")
    if assistants:
        procedure["assistants"] = assistants
    anesthetists = _performers(scope, resource, "anesthetist")
    if anesthetists:
        procedure["anesthetist"] = anesthetists[0]
    procedure.update(scope.fields(data, Procedure))
    if "ordered_at" not in procedure and not scope.exact:
        ordered = _ordered_at(scope, resource)
        if ordered is not None:
            procedure["ordered_at"] = ordered
    return "procedures", procedure


def _performed(scope: Scope, data: dict[str, Any]) -> tuple[Any, Any]:
    for prefix in ("performed", "occurrence"):
        period = data.get(f"{prefix}Period")
        if isinstance(period, dict):
            return (
                scope.time(period.get("start"), f"{prefix}Period.start"),
                scope.time(period.get("end"), f"{prefix}Period.end"),
            )
        if f"{prefix}DateTime" in data:
            return scope.time(data[f"{prefix}DateTime"], f"{prefix}DateTime"), None
    return None, None


def _level(scope: Scope, data: dict[str, Any], categories: list[Any]) -> Any:
    table = scope.tables.table("procedure_level")
    for url in scope.tables.setting("procedure", "level_extensions"):
        value = extension_value(data, url)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        found = coded(table, value)
        if found is not None:
            return found
    return table.concepts(categories)


def _is_emergency(scope: Scope, data: dict[str, Any], categories: list[Any]) -> bool:
    for url in scope.tables.setting("procedure", "emergency_extensions"):
        if extension_value(data, url) is True:
            return True
    return scope.tables.table("procedure_emergency").concepts(categories) is True


def _performers(scope: Scope, resource: Resource, function: str) -> list[dict[str, Any]]:
    """Clinicians performing with `function` (surgeon, assistant, anesthetist, leader)."""
    table = scope.tables.table("performer_function")
    unqualified = scope.tables.setting("procedure", "unqualified_performer")
    found = []
    for index, performer in enumerate(as_list(resource.data.get("performer"))):
        if not isinstance(performer, dict):
            continue
        role = table.concept(performer.get("function"))
        if role is None and performer.get("function") is None and not scope.exact:
            role = "leader" if function == "leader" else unqualified
            if role == "surgeon" and found:
                continue
        if role != function:
            continue
        person = clinician(scope, performer.get("actor"), resource, f"performer[{index}].actor")
        if person is not None:
            found.append(person)
    return found


def _ordered_at(scope: Scope, resource: Resource) -> Any:
    for index, reference in enumerate(as_list(resource.data.get("basedOn"))):
        target = scope.resolve(reference, resource, f"basedOn[{index}]")
        if target is not None and target.rtype == "ServiceRequest":
            return scope.time(target.data.get("authoredOn"), f"basedOn[{index}] → authoredOn")
    return None


def map_communication(scope: Scope, resource: Resource) -> tuple[str, dict[str, Any]] | None:
    """A Communication whose category is a critical-value report or a handover → an event."""
    data = resource.data
    kind = _event_kind(scope, data, "communication_event")
    if kind == "critical_value":
        event: dict[str, Any] = {
            "type": "critical_value",
            "reported_at": scope.time(data.get("sent"), "sent"),
            "received_at": scope.time(data.get("received"), "received"),
        }
        written = extension_value(data, EXT.observation_id)
        about = as_list(data.get("about"))
        if isinstance(written, str):
            event["observation_id"] = Link(written)
        elif about:
            event["observation_id"] = scope.link(about[0], resource, "about[0]")
        event.update(scope.fields(data, CriticalValue))
        return "events", event
    if kind == "handover":
        event = {"type": "handover", "at": scope.time(data.get("sent"), "sent")}
        giver = clinician(scope, data.get("sender"), resource, "sender")
        if giver is not None:
            event["giver"] = giver
        recipients = as_list(data.get("recipient"))
        receiver = clinician(scope, recipients[0], resource, "recipient[0]") if recipients else None
        if receiver is not None:
            event["receiver"] = receiver
        event.update(scope.fields(data, Handover))
        return "events", event
    scope.count("FHIR Communication that is not a critical-value report or handover")
    return None
