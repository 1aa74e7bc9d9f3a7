"""Encounter → the stay: identity, admission and discharge, department and site, ward and
transfers, responsible physicians; Flag → condition-level changes (病情).

Conventions (ARCHITECTURE §4): Encounter.period (R5 actualPeriod) gives admission and discharge;
hospitalization (R5 admission) gives admit source and discharge disposition (`exp` = death);
serviceProvider is the department (an Organization of a department type, partOf the hospital)
or the hospital itself; Encounter.location is the location history, a location's department
being its managingOrganization. For an Encounter written by emrlint, department, discharge
department and transfers are read from what it wrote, never inferred from locations.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from emrlint.model import CareAssignment, ConditionChange, Episode, Transfer
from emrlint.parsers.fhir.conventions import EXT, SID
from emrlint.parsers.fhir.elements import (
    BadElement,
    as_list,
    code_of,
    codings,
    concept_text,
    extension,
    identifier_value,
    string,
)
from emrlint.parsers.fhir.people import clinician, organization_name, patient
from emrlint.parsers.fhir.scope import Scope
from emrlint.parsers.fhir.source import Resource

__all__ = ["episode_id", "map_flag", "map_stay"]


def episode_id(scope: Scope, encounter: Resource) -> str:
    """The visit number: an identifier in a configured system or of type VN, else the id."""
    found = identifier_value(
        encounter.data.get("identifier"),
        (SID.visit_number, *scope.tables.setting("encounter", "episode_identifier_systems")),
        scope.tables.setting("encounter", "episode_identifier_types"),
    )
    if found:
        return found
    if encounter.fid:
        return encounter.fid
    if encounter.full_url:
        return encounter.full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    return f"encounter-{encounter.order}"


def map_stay(scope: Scope, encounter: Resource) -> dict[str, Any]:
    """Episode-level fields of one inpatient Encounter (everything but the item lists)."""
    data = encounter.data
    out: dict[str, Any] = {"id": episode_id(scope, encounter)}
    period_key = "actualPeriod" if "actualPeriod" in data else "period"
    period = data.get(period_key)
    if not isinstance(period, dict) or period.get("start") is None:
        raise BadElement(
            period_key, "missing: an inpatient Encounter needs period.start (admission)"
        )
    admitted = scope.time(period["start"], f"{period_key}.start")
    if admitted is None:
        raise BadElement(f"{period_key}.start", "known only to the year or month")
    out["admitted_at"] = admitted
    discharged = scope.time(period.get("end"), f"{period_key}.end")
    if discharged is not None:
        out["discharged_at"] = discharged
    out["patient"] = patient(scope, encounter, data.get("subject"))
    if "id" not in out["patient"]:
        raise BadElement("subject", "missing: the Encounter names no patient")
    hospitalization = data.get("admission") if "admission" in data else data.get("hospitalization")
    if isinstance(hospitalization, dict):
        route = scope.tables.table("admit_source").concept(hospitalization.get("admitSource"))
        if route is not None:
            out["admission_route"] = route
        disposition = scope.tables.table("discharge_disposition").concept(
            hospitalization.get("dischargeDisposition")
        )
        if disposition is not None:
            out["disposition"] = disposition
    _provider(scope, encounter, out)
    _locations(scope, encounter, out)
    if "department" not in out and not scope.exact:
        department = _service_type(scope, data)
        if department is not None:
            out["department"] = department
    care_team = _care_team(scope, encounter)
    if care_team:
        out["care_team"] = care_team
    out.update(scope.fields(data, Episode))
    if not scope.exact and out.get("disposition") == "death" and "died_at" not in out:
        died = _deceased_at(scope, encounter)
        if died is not None:
            out["died_at"] = died
    return out


def map_flag(scope: Scope, flag: Resource) -> dict[str, Any] | None:
    """A Flag whose code is a condition level (病危/病重/…) → a condition-level change."""
    level = scope.tables.table("condition_level").concept(flag.data.get("code"))
    if level is None:
        scope.count("FHIR Flag with a code that is not a condition level")
        return None
    period = flag.data.get("period")
    at = scope.time(period.get("start"), "period.start") if isinstance(period, dict) else None
    if at is None:
        scope.count("FHIR Flag (condition level) without period.start")
        return None
    return {"at": at, "level": level, **scope.fields(flag.data, ConditionChange)}


def _provider(scope: Scope, encounter: Resource, out: dict[str, Any]) -> None:
    provider = scope.resolve(encounter.data.get("serviceProvider"), encounter, "serviceProvider")
    if provider is None or provider.rtype != "Organization":
        return
    hospital: Resource | None = provider
    if _is_department(scope, provider):
        name = string(provider.data.get("name"))
        if name:
            out["department"] = name
        hospital = scope.resolve(provider.data.get("partOf"), provider, "serviceProvider → partOf")
    if hospital is not None and hospital.rtype == "Organization":
        site = identifier_value(
            hospital.data.get("identifier"),
            (SID.site, *scope.tables.setting("organization", "site_identifier_systems")),
        )
        if site is None and not scope.exact:
            site = _first_identifier(hospital.data) or hospital.fid
        if site:
            out["site_id"] = site


@dataclass(slots=True)
class _Stop:
    """One Encounter.location entry, as the transfer logic needs it."""

    index: int
    department: str | None
    start: Any
    end: Any
    transfer: dict[str, Any] | None


def _locations(scope: Scope, encounter: Resource, out: dict[str, Any]) -> None:
    skip = scope.tables.setting("location", "skip_statuses")
    stops: list[_Stop] = []
    for index, entry in enumerate(as_list(encounter.data.get("location"))):
        if not isinstance(entry, dict) or code_of(entry.get("status")) in skip:
            continue
        path = f"location[{index}]"
        department, name, is_ward = _location(scope, encounter, entry, path)
        if index == 0 and is_ward and name:
            out["ward"] = name
        period = entry.get("period") if isinstance(entry.get("period"), dict) else {}
        stops.append(
            _Stop(
                index,
                department,
                scope.time(period.get("start"), f"{path}.period.start"),
                scope.time(period.get("end"), f"{path}.period.end"),
                extension(entry, EXT.transfer),
            )
        )
    transfers = [_written_transfer(scope, stop) for stop in stops if stop.transfer is not None]
    if scope.exact:
        if transfers:
            out["transfers"] = transfers
        return
    with_department = [stop for stop in stops if stop.department]
    if "department" not in out and with_department:
        out["department"] = with_department[0].department
    if not transfers:
        transfers = _inferred_transfers(scope, with_department)
    if transfers:
        out["transfers"] = transfers
    if with_department:
        out["discharge_department"] = with_department[-1].department


def _location(
    scope: Scope, encounter: Resource, entry: dict[str, Any], path: str
) -> tuple[str | None, str | None, bool]:
    """(department, name, is a ward) of one location entry."""
    reference = entry.get("location")
    target = scope.resolve(reference, encounter, f"{path}.location")
    ward_types = scope.tables.setting("location", "ward_types")
    types = {
        code_of(c.get("code")) for key in ("physicalType", "form") for c in codings(entry.get(key))
    }
    by_name = scope.tables.setting("location", "department_from_name") and not scope.exact
    if target is None or target.rtype != "Location":
        display = string(reference.get("display")) if isinstance(reference, dict) else None
        return (display if by_name else None), display, bool(types & ward_types)
    data = target.data
    for key in ("physicalType", "form"):
        types.update(code_of(c.get("code")) for c in codings(data.get(key)))
    name = string(data.get("name"))
    department = organization_name(
        scope, data.get("managingOrganization"), target, f"{path}.location → managingOrganization"
    )
    if department is None and by_name:
        department = name
    return department, name, bool(types & ward_types)


def _written_transfer(scope: Scope, stop: _Stop) -> dict[str, Any]:
    """A transfer as emrlint's `transfer` extension on a location entry gives it: its fields as
    sub-extensions named after them, the department entered being the location's."""
    transfer = scope.fields(stop.transfer or {}, Transfer, prefix="", skip=frozenset())
    transfer.setdefault("to_department", stop.department)
    return transfer


def _inferred_transfers(scope: Scope, stops: list[_Stop]) -> list[dict[str, Any]]:
    """A transfer wherever the department changes between consecutive locations."""
    transfers = []
    for previous, stop in itertools.pairwise(stops):
        if stop.department == previous.department:
            continue
        at = previous.end or stop.start
        if at is None:
            scope.count("FHIR location changes without a time (no transfer read)")
            continue
        transfer = {
            "id": f"location-{stop.index}",
            "at": at,
            "from_department": previous.department,
            "to_department": stop.department,
        }
        if stop.start is not None and stop.start != at:
            transfer["arrived_at"] = stop.start
        transfers.append(transfer)
    return transfers


def _care_team(scope: Scope, encounter: Resource) -> list[dict[str, Any]]:
    table = scope.tables.table("care_role")
    team = []
    for index, participant in enumerate(as_list(encounter.data.get("participant"))):
        if not isinstance(participant, dict):
            continue
        role = table.concepts(participant.get("type"))
        if role is None:
            scope.count("FHIR Encounter participants without a care role in the mapping")
            continue
        key = "actor" if "actor" in participant else "individual"
        person = clinician(scope, participant.get(key), encounter, f"participant[{index}].{key}")
        if person is None:
            scope.count("FHIR Encounter participants that are not practitioners")
            continue
        entry: dict[str, Any] = {"role": role, "clinician": person}
        entry.update(scope.fields(participant, CareAssignment))
        period = participant.get("period")
        start = (
            scope.time(period.get("start"), f"participant[{index}].period.start")
            if isinstance(period, dict)
            else None
        )
        if start is not None:
            entry["start"] = start
        team.append(entry)
    return team


def _service_type(scope: Scope, data: dict[str, Any]) -> str | None:
    """Encounter.serviceType as a department name (R5: a list of CodeableReference)."""
    if not scope.tables.setting("encounter", "department_from_service_type"):
        return None
    service = data.get("serviceType")
    if isinstance(service, list):
        service = service[0].get("concept") if service and isinstance(service[0], dict) else None
    return concept_text(service)


def _is_department(scope: Scope, organization: Resource) -> bool:
    types = scope.tables.setting("organization", "department_types")
    return any(
        code_of(coding.get("code")) in types
        for concept in as_list(organization.data.get("type"))
        for coding in codings(concept)
    )


def _first_identifier(data: dict[str, Any]) -> str | None:
    for item in as_list(data.get("identifier")):
        if isinstance(item, dict) and string(item.get("value")):
            return item["value"]
    return None


def _deceased_at(scope: Scope, encounter: Resource) -> Any:
    target = scope.resolve(encounter.data.get("subject"), encounter, "subject")
    if target is None or target.rtype != "Patient":
        return None
    return scope.time(target.data.get("deceasedDateTime"), "subject → Patient.deceasedDateTime")
