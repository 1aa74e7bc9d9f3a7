"""Patient, Practitioner and PractitionerRole → the model's patient and clinicians.

A clinician's title rank (职称) comes from PractitionerRole.code, else Practitioner.
qualification, through the `title_rank` table; the department from the role's organization.
A reference that points outside the input still names someone: its display becomes the name
and its logical id the staff number (not for episodes written by emrlint, which carry every
practitioner they name).
"""

from __future__ import annotations

from typing import Any

from emrlint.model import Clinician, Patient
from emrlint.parsers.fhir.conventions import SID
from emrlint.parsers.fhir.elements import (
    as_list,
    code_of,
    extension_value,
    identifier_value,
    string,
)
from emrlint.parsers.fhir.scope import Scope
from emrlint.parsers.fhir.source import Resource

__all__ = ["clinician", "organization_name", "patient"]

_SEX = {"male": "male", "female": "female", "other": "unknown", "unknown": "unknown"}


def patient(scope: Scope, encounter: Resource, reference: Any) -> dict[str, Any]:
    """The episode's patient from Encounter.subject; its id is required by the model."""
    target = scope.resolve(reference, encounter, "subject")
    if target is None or target.rtype != "Patient":
        logical = _logical_id(reference, "Patient")
        return {"id": logical} if logical else {}
    data = target.data
    tables = scope.tables
    result: dict[str, Any] = {}
    pid = identifier_value(
        data.get("identifier"),
        (SID.patient_id, *tables.setting("identifiers", "patient_systems")),
        tables.setting("identifiers", "patient_types"),
    )
    pid = pid or target.fid or _logical_id(reference, "Patient")
    if pid:
        result["id"] = pid
    name = _human_name(data.get("name"))
    if name:
        result["name"] = name
    gender = code_of(data.get("gender"))
    if gender in _SEX:
        result["sex"] = _SEX[gender]
    birth_time = extension_value(
        data.get("_birthDate"), "http://hl7.org/fhir/StructureDefinition/patient-birthTime"
    )
    birth = scope.time(birth_time, "birthDate.extension") if birth_time is not None else None
    if birth is None:
        birth = scope.time(data.get("birthDate"), "birthDate")
    if birth is not None:
        result["birth_date"] = birth
    result.update(scope.fields(data, Patient))
    return result


def clinician(scope: Scope, reference: Any, holder: Resource, path: str) -> Clinician | None:
    """A Clinician for a Reference to a Practitioner, PractitionerRole or department
    Organization; None for anyone else (a patient, a relative, a device). Built once per
    resource and episode: the model takes the instance as it is, without validating it again."""
    if not isinstance(reference, dict):
        return None
    target = scope.resolve(reference, holder, path)
    if target is None:
        if scope.exact:
            return None
        found: dict[str, Any] = {}
        logical = _logical_id(reference, "Practitioner")
        if logical:
            found["id"] = logical
        display = string(reference.get("display"))
        if display:
            found["name"] = display
        return Clinician.model_validate(found) if found else None
    key = target.order if target.container is None else id(target)
    if key not in scope.clinicians:
        found = _clinician_of(scope, target, path)
        scope.clinicians[key] = Clinician.model_validate(found) if found is not None else None
    return scope.clinicians[key]


def organization_name(scope: Scope, reference: Any, holder: Resource, path: str) -> str | None:
    target = scope.resolve(reference, holder, path)
    if target is not None and target.rtype == "Organization":
        return string(target.data.get("name"))
    if target is None and not scope.exact and isinstance(reference, dict):
        return string(reference.get("display"))
    return None


def _clinician_of(scope: Scope, target: Resource, path: str) -> dict[str, Any] | None:
    if target.rtype == "Practitioner":
        return _practitioner(scope, target)
    if target.rtype == "Organization":
        name = string(target.data.get("name"))
        return {"department": name} if name else None
    if target.rtype != "PractitionerRole":
        return None
    data = target.data
    result: dict[str, Any] = {}
    person_ref = data.get("practitioner")
    person = scope.resolve(person_ref, target, f"{path} → PractitionerRole.practitioner")
    if person is not None and person.rtype == "Practitioner":
        result.update(_practitioner(scope, person))
    elif not scope.exact and isinstance(person_ref, dict):
        logical = _logical_id(person_ref, "Practitioner")
        if logical:
            result["id"] = logical
        if string(person_ref.get("display")):
            result["name"] = person_ref["display"]
    department = organization_name(
        scope, data.get("organization"), target, f"{path} → PractitionerRole.organization"
    )
    if department:
        result["department"] = department
    rank = scope.tables.table("title_rank").concepts(data.get("code"))
    if rank is not None:
        result["rank"] = rank
    result.update(scope.fields(data, Clinician))
    return result


def _practitioner(scope: Scope, target: Resource) -> dict[str, Any]:
    data = target.data
    result: dict[str, Any] = {}
    staff = identifier_value(
        data.get("identifier"),
        (SID.staff_number, *scope.tables.setting("identifiers", "staff_systems")),
    )
    if staff is None and not scope.exact:
        staff = (
            identifier_value(data.get("identifier"), ()) or _first_identifier(data) or target.fid
        )
    if staff:
        result["id"] = staff
    name = _human_name(data.get("name"))
    if name:
        result["name"] = name
    table = scope.tables.table("title_rank")
    for qualification in as_list(data.get("qualification")):
        if isinstance(qualification, dict):
            rank = table.concept(qualification.get("code"))
            if rank is not None:
                result["rank"] = rank
                break
    return result


def _first_identifier(data: dict[str, Any]) -> str | None:
    for item in as_list(data.get("identifier")):
        if isinstance(item, dict) and string(item.get("value")):
            return item["value"]
    return None


def _human_name(names: Any) -> str | None:
    """HumanName.text, else the parts: 中文 family name first and unspaced, Latin given first."""
    for name in as_list(names):
        if not isinstance(name, dict):
            continue
        text = string(name.get("text"))
        if text:
            return text
        family = string(name.get("family")) or ""
        given = [part for part in as_list(name.get("given")) if string(part)]
        if not family and not given:
            continue
        if (family + "".join(given)).isascii():
            return " ".join([*given, family]).strip()
        return family + "".join(given)
    return None


def _logical_id(reference: Any, rtype: str) -> str | None:
    """The id in a ``Type/id`` (or absolute) reference to a resource of `rtype`."""
    if not isinstance(reference, dict):
        return None
    text = reference.get("reference")
    if isinstance(text, str) and "?" not in text and not text.startswith(("#", "urn:")):
        parts = text.split("/_history/")[0].rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] == rtype and parts[-1]:
            return parts[-1]
    identifier = reference.get("identifier")
    if isinstance(identifier, dict):
        return string(identifier.get("value"))
    return None
