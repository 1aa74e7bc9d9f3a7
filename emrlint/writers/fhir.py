"""Episode → FHIR R4 (4.0.1) Bundle of type collection, in the conventions emrlint's FHIR
reader reads (docs/fhir-mapping.md), so that reading the bundle back gives the same episode.

Standard elements carry what FHIR has an element for (Encounter.period, Condition.code,
Procedure.performedPeriod…); emrlint's extensions and code systems (emrlint.parsers.fhir.
conventions) carry the rest, and the Encounter's profile tells the reader to read them exactly.
Resource ids and full URLs are name-based UUIDs of the episode and item ids, so the same
episode always gives the same bytes. Returns plain JSON values (dicts, lists, str, numbers).
Empty strings are left out: FHIR forbids them.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from enum import StrEnum
from typing import Any

import orjson
from pydantic_core import PydanticUndefined, to_jsonable_python

from emrlint.model import Clinician, Episode
from emrlint.model.base import Record
from emrlint.model.vocabulary import default_vocabulary
from emrlint.parsers.fhir.conventions import CS, EXT, EXT_PREFIX, PROFILE, SID, STANDARD

__all__ = ["episode_to_fhir"]

_NAMESPACE = uuid.UUID("6c1d3c52-3f1e-5b8e-9a55-0c1b8d1e2f00")
_LOINC_LIKE = re.compile(r"^\d{1,7}-\d$")
_ABSENT = {"extension": [{"url": STANDARD.DATA_ABSENT, "valueCode": "unknown"}]}
_ADMIT_SOURCE = {
    "emergency": "emd",
    "outpatient": "outp",
    "transfer_in": "hosp-trans",
    "other": "other",
}
_DISPOSITION = {
    "routine": "home",
    "transfer": "other-hcf",
    "against_advice": "aadvice",
    "death": "exp",
    "other": "oth",
}
_DIAGNOSIS_USE = {"admission": "AD", "principal": "DD", "secondary": "DD"}
_OBSERVATION_CATEGORY = {"lab": "laboratory", "vital": "vital-signs", "imaging": "imaging"}
_LEVEL_ZH = {"critical": "病危", "serious": "病重", "stable": "一般"}
# The fields each model class writes into standard elements; every other field is an extension.
_ITEM = ("id", "type")
_HANDLED_EPISODE = frozenset(
    {
        "id",
        "patient",
        "site_id",
        "admitted_at",
        "admission_route",
        "department",
        "ward",
        "discharged_at",
        "disposition",
        "care_team",
        "condition_levels",
        "transfers",
        "diagnoses",
        "procedures",
        "documents",
        "orders",
        "administrations",
        "assessments",
        "observations",
        "consultations",
        "events",
    }
)
_HANDLED = {
    "patient": frozenset({"id", "name", "sex", "birth_date"}),
    "practitioner": frozenset({"id", "name", "rank"}),
    "role": frozenset({"id", "name", "rank", "department"}),
    "care": frozenset({"role", "clinician", "start"}),
    "condition": frozenset({"at", "level"}),
    "transfer": frozenset({"to_department"}),
    "signature": frozenset({"signer"}),
    "diagnosis": frozenset({*_ITEM, "code", "name", "role", "recorded_at"}),
    "procedure": frozenset(
        {*_ITEM, "code", "name", "category", "start", "end", "surgeon", "assistants", "anesthetist"}
    ),
    "document": frozenset(
        {*_ITEM, "kind", "title", "written_at", "author", "participants", "signatures", "about"}
        | {"sections", "text"}
    ),
    "order": frozenset(
        {*_ITEM, "category", "code", "name", "drug_class", "antibiotic_tier", "purpose"}
        | {"duration", "ordered_at", "start", "stop", "ordered_by", "about", "is_cancelled"}
    ),
    "administration": frozenset({*_ITEM, "order_id", "at"}),
    "assessment": frozenset({*_ITEM, "kind", "tool", "score", "level", "at", "author"}),
    "observation": frozenset(
        {*_ITEM, "category", "code", "name", "value", "unit", "at", "specimen_at"}
        | {"is_critical", "order_id"}
    ),
    "consultation": frozenset(
        {*_ITEM, "department", "requested_at", "requested_by", "consultant", "order_id"}
    ),
    "rescue": frozenset({*_ITEM, "start", "end", "leader", "is_successful"}),
    "transfusion": frozenset({*_ITEM, "start", "end"}),
    "critical_value": frozenset({*_ITEM, "observation_id", "reported_at", "received_at"}),
    "handover": frozenset({*_ITEM, "at", "giver", "receiver"}),
}
_RANK_ZH = {
    "intern": "实习医师",
    "resident": "住院医师",
    "attending": "主治医师",
    "associate_chief": "副主任医师",
    "chief": "主任医师",
}
_EVENT_ZH = {
    "rescue": "抢救",
    "transfusion": "输血",
    "critical_value": "危急值",
    "handover": "交接班",
}


def episode_to_fhir(episode: Episode) -> dict[str, Any]:
    """One episode as a FHIR R4 Bundle (type collection) of JSON-ready values."""
    return _Writer(episode).bundle()


def _iso(value: dt.datetime | dt.date) -> str:
    return value.isoformat()


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _concept(*codings: dict[str, str], text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": list(codings)} if codings else {}
    if text:
        concept["text"] = text
    return concept or dict(_ABSENT)


def _generic(
    item: Record, handled: frozenset[str], prefix: str = EXT_PREFIX
) -> list[dict[str, Any]]:
    """An extension named after each field not in `handled` whose value is not its default: the
    way every model field FHIR has no element for travels (see conventions)."""
    found = []
    for name, info in type(item).model_fields.items():
        if name in handled:
            continue
        value = getattr(item, name)
        if value is None or value == "":
            continue
        default = info.get_default(call_default_factory=True)
        if default is not PydanticUndefined and value == default:
            continue
        found.append({"url": prefix + name.replace("_", "-"), **_typed(value)})
    return found


def _typed(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, StrEnum):
        return {"valueString": value.value}
    if isinstance(value, str):
        return {"valueString": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    if isinstance(value, dt.date):
        return {"valueDateTime": _iso(value)}
    plain = to_jsonable_python(value)
    return {"valueString": orjson.dumps(plain, option=orjson.OPT_SORT_KEYS).decode()}


def _put(resource: dict[str, Any], key: str, value: Any) -> None:
    """Set an element unless its value is empty (FHIR has no empty strings, lists or objects)."""
    if value not in (None, "", [], {}):
        resource[key] = value


class _Writer:
    def __init__(self, episode: Episode) -> None:
        self.episode = episode
        self.vocabulary = default_vocabulary()
        self.items: list[dict[str, Any]] = []
        self.support: list[dict[str, Any]] = []
        self.support_urls: dict[tuple[Any, ...], str] = {}
        self.item_refs: dict[str, tuple[str, str]] = {}
        for list_name, item in episode.iter_items():
            if list_name != "transfers":
                self.item_refs[item.id] = (self._url("item", item.id), self._type(list_name, item))
        self.patient = {"reference": self._url("patient")}
        self.encounter = {"reference": self._url("encounter")}

    def _url(self, *key: Any) -> str:
        name = "|".join(str(part) for part in (self.episode.id, *key))
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"

    @staticmethod
    def _type(list_name: str, item: Any) -> str:
        if list_name == "orders":
            return "MedicationRequest" if item.category == "medication" else "ServiceRequest"
        if list_name == "events":
            return "Procedure" if item.type in ("rescue", "transfusion") else "Communication"
        return {
            "diagnoses": "Condition",
            "procedures": "Procedure",
            "documents": "DocumentReference",
            "administrations": "MedicationAdministration",
            "assessments": "Observation",
            "observations": "Observation",
            "consultations": "ServiceRequest",
        }[list_name]

    def _entry(self, url: str, resource: dict[str, Any]) -> dict[str, Any]:
        """A Bundle entry; the resource id is its full URL's UUID (resourceType and id first)."""
        body = {"resourceType": resource["resourceType"], "id": url.rsplit(":", 1)[1], **resource}
        return {"fullUrl": url, "resource": body}

    def _support(self, key: tuple[Any, ...], resource: dict[str, Any]) -> dict[str, str]:
        url = self.support_urls.get(key)
        if url is None:
            url = self.support_urls[key] = self._url(*key)
            self.support.append(self._entry(url, resource))
        return {"reference": url}

    def _item(self, item: Any, resource: dict[str, Any], handled: frozenset[str]) -> None:
        url = self.item_refs[item.id][0]
        extensions = resource.pop("extension", []) + _generic(item, handled)
        body = {
            "resourceType": resource.pop("resourceType"),
            "identifier": [{"system": SID.item_id, "value": item.id}],
            **resource,
        }
        _put(body, "extension", extensions)
        self.items.append(self._entry(url, body))

    def _link(self, item_id: str | None, allowed: tuple[str, ...] = ()) -> dict[str, str] | None:
        """A Reference to the item's resource when it has one (of an allowed type), else None."""
        if item_id is None or item_id not in self.item_refs:
            return None
        url, rtype = self.item_refs[item_id]
        return {"reference": url} if not allowed or rtype in allowed else None

    def _link_extension(
        self, name: str, item_id: str | None, reference: Any
    ) -> list[dict[str, Any]]:
        """The link as an emrlint extension when no standard element could carry it."""
        if item_id is None or reference is not None:
            return []
        return [{"url": EXT(name), "valueString": item_id}]

    def bundle(self) -> dict[str, Any]:
        episode = self.episode
        patient = self._patient()
        encounter = self._encounter()
        for change in episode.condition_levels:
            self._flag(change)
        for diagnosis in episode.diagnoses:
            self._diagnosis(diagnosis)
        for procedure in episode.procedures:
            self._procedure(procedure)
        for document in episode.documents:
            self._document(document)
        for order in episode.orders:
            self._order(order)
        for administration in episode.administrations:
            self._administration(administration)
        for assessment in episode.assessments:
            self._assessment(assessment)
        for observation in episode.observations:
            self._observation(observation)
        for consultation in episode.consultations:
            self._consultation(consultation)
        for event in episode.events:
            self._event(event)
        entries = [
            self._entry(self.patient["reference"], patient),
            self._entry(self.encounter["reference"], encounter),
            *self.items,
            *self.support,
        ]
        bundle_id = self._url("bundle").rsplit(":", 1)[1]
        return {"resourceType": "Bundle", "id": bundle_id, "type": "collection", "entry": entries}

    # -- the stay ---------------------------------------------------------------------------

    def _patient(self) -> dict[str, Any]:
        person = self.episode.patient
        patient: dict[str, Any] = {
            "resourceType": "Patient",
            "identifier": [{"system": SID.patient_id, "value": person.id}],
            "gender": person.sex.value,
        }
        _put(patient, "name", [{"text": person.name}] if person.name else None)
        birth = person.birth_date
        if isinstance(birth, dt.datetime):
            patient["birthDate"] = birth.date().isoformat()
            patient["_birthDate"] = {
                "extension": [{"url": STANDARD.BIRTH_TIME, "valueDateTime": _iso(birth)}]
            }
        elif birth is not None:
            patient["birthDate"] = birth.isoformat()
        if self.episode.died_at is not None:
            patient["deceasedDateTime"] = _iso(self.episode.died_at)
        return patient

    def _encounter(self) -> dict[str, Any]:
        episode = self.episode
        visit = {
            "use": "official",
            "type": _concept(_coding(STANDARD.V2_0203, "VN")),
            "system": SID.visit_number,
            "value": episode.id,
        }
        encounter: dict[str, Any] = {
            "resourceType": "Encounter",
            "meta": {"profile": [PROFILE.episode]},
            "identifier": [visit],
            "status": "finished" if episode.discharged_at is not None else "in-progress",
            "class": _coding(STANDARD.ACT_CODE, "IMP", "inpatient encounter"),
            "subject": self.patient,
        }
        participants = []
        for assignment in episode.care_team:
            codings = [_coding(CS.care_role, assignment.role.value)]
            if assignment.role == "attending":
                codings.append(
                    _coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "ATND")
                )
            participant: dict[str, Any] = {"type": [_concept(*codings)]}
            if assignment.start is not None:
                participant["period"] = {"start": _iso(assignment.start)}
            participant["individual"] = self._clinician(assignment.clinician)
            _put(participant, "extension", _generic(assignment, _HANDLED["care"]))
            participants.append(participant)
        _put(encounter, "participant", participants)
        period = {"start": _iso(episode.admitted_at)}
        if episode.discharged_at is not None:
            period["end"] = _iso(episode.discharged_at)
        encounter["period"] = period
        hospitalization: dict[str, Any] = {}
        if episode.admission_route is not None:
            route = episode.admission_route.value
            hospitalization["admitSource"] = _concept(
                _coding(CS.admission_route, route),
                _coding(STANDARD.ADMIT_SOURCE, _ADMIT_SOURCE[route]),
            )
        if episode.disposition is not None:
            value = episode.disposition.value
            codings = [_coding(CS.disposition, value)]
            if value in _DISPOSITION:
                codings.append(_coding(STANDARD.DISCHARGE_DISPOSITION, _DISPOSITION[value]))
            hospitalization["dischargeDisposition"] = _concept(*codings)
        _put(encounter, "hospitalization", hospitalization)
        _put(encounter, "location", self._locations())
        if episode.department:
            encounter["serviceProvider"] = self._department(episode.department)
        elif episode.site_id:
            encounter["serviceProvider"] = self._hospital()
        diagnoses = []
        for diagnosis in episode.diagnoses:
            role = diagnosis.role.value
            codings = [_coding(CS.diagnosis_role, role)]
            if role in _DIAGNOSIS_USE:
                codings.append(_coding(STANDARD.DIAGNOSIS_ROLE, _DIAGNOSIS_USE[role]))
            entry: dict[str, Any] = {
                "condition": self._link(diagnosis.id),
                "use": _concept(*codings),
            }
            if role == "principal":
                entry["rank"] = 1
            diagnoses.append(entry)
        _put(encounter, "diagnosis", diagnoses)
        _put(encounter, "extension", _generic(episode, _HANDLED_EPISODE))
        return encounter

    def _locations(self) -> list[dict[str, Any]]:
        episode = self.episode
        ends = [transfer.at for transfer in episode.transfers] + [episode.discharged_at]
        entries = []
        if episode.ward:
            location: dict[str, Any] = {
                "resourceType": "Location",
                "name": episode.ward,
                "physicalType": _concept(_coding(STANDARD.LOCATION_TYPE, "wa", "Ward")),
            }
            if episode.department:
                location["managingOrganization"] = self._department(episode.department)
            ward = self._support(("location", episode.ward, episode.department), location)
            entries.append(self._stop(ward, episode.admitted_at, ends[0], []))
        for number, transfer in enumerate(episode.transfers):
            location = {
                "resourceType": "Location",
                "name": transfer.to_department,
                "managingOrganization": self._department(transfer.to_department),
            }
            place = self._support(("location", None, transfer.to_department), location)
            parts = _generic(transfer, _HANDLED["transfer"], prefix="")
            marker = [{"url": EXT.transfer, "extension": parts}]
            entries.append(
                self._stop(place, transfer.arrived_at or transfer.at, ends[number + 1], marker)
            )
        if episode.discharged_at is None and entries:
            entries[-1]["status"] = "active"
        return entries

    @staticmethod
    def _stop(
        place: dict[str, str], start: Any, end: Any, marker: list[dict[str, Any]]
    ) -> dict[str, Any]:
        period = {"start": _iso(start)}
        if end is not None:
            period["end"] = _iso(end)
        stop: dict[str, Any] = {"location": place, "status": "completed", "period": period}
        _put(stop, "extension", marker)
        return stop

    def _hospital(self) -> dict[str, str]:
        site = self.episode.site_id
        organization = {
            "resourceType": "Organization",
            "identifier": [{"system": SID.site, "value": site}],
            "type": [_concept(_coding(STANDARD.ORGANIZATION_TYPE, "prov", "Healthcare Provider"))],
        }
        return self._support(("organization", "site", site), organization)

    def _department(self, name: str) -> dict[str, str]:
        organization: dict[str, Any] = {
            "resourceType": "Organization",
            "type": [_concept(_coding(STANDARD.ORGANIZATION_TYPE, "dept", "Hospital Department"))],
            "name": name,
        }
        if self.episode.site_id:
            organization["partOf"] = self._hospital()
        return self._support(("organization", "department", name), organization)

    def _clinician(self, person: Clinician) -> dict[str, str]:
        """A Practitioner (staff number, name, rank) and, when the clinician has more (a
        department, a role label…), a PractitionerRole for it; one resource per distinct value."""
        practitioner: dict[str, Any] = {"resourceType": "Practitioner"}
        staff = [{"system": SID.staff_number, "value": person.id}] if person.id else None
        _put(practitioner, "identifier", staff)
        _put(practitioner, "name", [{"text": person.name}] if person.name else None)
        if person.rank is not None:
            rank = person.rank.value
            title = _concept(_coding(CS.title_rank, rank, _RANK_ZH[rank]))
            practitioner["qualification"] = [{"code": title}]
        key = ("practitioner", person.id, person.name, person.rank)
        reference = self._support(key, practitioner)
        extensions = _generic(person, _HANDLED["role"])
        if person.department is None and not extensions:
            return reference
        role: dict[str, Any] = {"resourceType": "PractitionerRole", "practitioner": reference}
        if person.department:
            role["organization"] = self._department(person.department)
        _put(role, "extension", extensions)
        return self._support(("role", person), role)

    def _flag(self, change: Any) -> None:
        level = change.level.value
        flag = {
            "resourceType": "Flag",
            "status": "active",
            "code": _concept(_coding(CS.condition_level, level, _LEVEL_ZH[level])),
            "subject": self.patient,
            "period": {"start": _iso(change.at)},
            "encounter": self.encounter,
        }
        _put(flag, "extension", _generic(change, _HANDLED["condition"]))
        self.items.append(self._entry(self._url("flag", len(self.items)), flag))

    # -- items ------------------------------------------------------------------------------

    def _subject(self, key: str = "encounter") -> dict[str, Any]:
        return {"subject": self.patient, key: self.encounter}

    def _diagnosis(self, diagnosis: Any) -> None:
        condition: dict[str, Any] = {
            "resourceType": "Condition",
            "category": [
                _concept(
                    _coding(
                        STANDARD.CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis"
                    )
                )
            ],
        }
        codings = [_coding(STANDARD.ICD10, diagnosis.code)] if diagnosis.code else []
        if codings or diagnosis.name:
            condition["code"] = _concept(*codings, text=diagnosis.name)
        condition.update(self._subject())
        if diagnosis.recorded_at is not None:
            condition["recordedDate"] = _iso(diagnosis.recorded_at)
        self._item(diagnosis, condition, _HANDLED["diagnosis"])

    def _performers(self, *groups: tuple[str, list[Clinician]]) -> list[dict[str, Any]]:
        return [
            {"function": _concept(_coding(CS.function, function)), "actor": self._clinician(person)}
            for function, people in groups
            for person in people
        ]

    def _procedure(self, procedure: Any) -> None:
        resource: dict[str, Any] = {"resourceType": "Procedure", "status": "completed"}
        codings = [_coding(STANDARD.ICD9CM, procedure.code)] if procedure.code else []
        if codings or procedure.name:
            resource["code"] = _concept(*codings, text=procedure.name)
        if procedure.category is not None:
            resource["category"] = _concept(
                _coding(CS.procedure_category, procedure.category.value)
            )
        resource.update(self._subject())
        _put(resource, "performedPeriod", self._period(procedure.start, procedure.end))
        _put(
            resource,
            "performer",
            self._performers(
                ("surgeon", [procedure.surgeon] if procedure.surgeon else []),
                ("assistant", procedure.assistants),
                ("anesthetist", [procedure.anesthetist] if procedure.anesthetist else []),
            ),
        )
        self._item(procedure, resource, _HANDLED["procedure"])

    @staticmethod
    def _period(start: Any, end: Any) -> dict[str, str]:
        period = {}
        if start is not None:
            period["start"] = _iso(start)
        if end is not None:
            period["end"] = _iso(end)
        return period

    def _document(self, document: Any) -> None:
        kind = document.kind
        codings = [_coding(CS.record_kind, kind)]
        info = self.vocabulary.kinds.get(kind)
        if info is not None and info.wst500:
            codings.append(_coding(STANDARD.WST500, info.wst500, info.zh))
        if info is not None and info.loinc:
            codings.append(_coding(STANDARD.LOINC, info.loinc))
        resource: dict[str, Any] = {
            "resourceType": "DocumentReference",
            "status": "current",
            "type": _concept(*codings),
            "subject": self.patient,
        }
        extensions: list[dict[str, Any]] = []
        written = document.written_at
        if isinstance(written, dt.datetime):
            resource["date"] = _iso(written)
        elif written is not None:
            extensions.append({"url": EXT.written_at, "valueDateTime": _iso(written)})
        if document.author is not None:
            resource["author"] = [self._clinician(document.author)]
        _put(resource, "description", document.title)
        attachment: dict[str, Any] = {"contentType": "text/plain; charset=utf-8"}
        if document.text:
            attachment["data"] = base64.b64encode(document.text.encode("utf-8")).decode("ascii")
        resource["content"] = [{"attachment": attachment}]
        context: dict[str, Any] = {"encounter": [self.encounter]}
        related = self._link(document.about)
        if related is not None:
            context["related"] = [related]
        resource["context"] = context
        for person in document.participants:
            extensions.append({"url": EXT.participant, "valueReference": self._clinician(person)})
        for signature in document.signatures:
            parts = _generic(signature, _HANDLED["signature"], prefix="")
            if signature.signer is not None:
                parts.append({"url": "signer", "valueReference": self._clinician(signature.signer)})
            extensions.append({"url": EXT.signature, "extension": parts})
        extensions += [
            {"url": EXT.section, "valueString": name} for name in document.sections if name
        ]
        extensions += self._link_extension("about", document.about, related)
        resource["extension"] = extensions
        self._item(document, resource, _HANDLED["document"])

    def _classes(self, order: Any) -> list[dict[str, Any]]:
        return [
            _concept(_coding(system, value.value))
            for system, value in (
                (CS.drug_class, order.drug_class),
                (CS.antibiotic_tier, order.antibiotic_tier),
                (CS.order_purpose, order.purpose),
                (CS.order_duration, order.duration),
            )
            if value is not None
        ]

    def _order_code(self, order: Any) -> dict[str, Any]:
        codings = [_coding(CS.order_code, order.code)] if order.code else []
        return _concept(*codings, text=order.name)

    def _order(self, order: Any) -> None:
        extensions: list[dict[str, Any]] = []
        about = self._link(order.about)
        if about is not None:
            extensions.append({"url": EXT.about, "valueReference": about})
        extensions += self._link_extension("about", order.about, about)
        if order.category == "medication":
            resource: dict[str, Any] = {
                "resourceType": "MedicationRequest",
                "status": "cancelled" if order.is_cancelled else "active",
                "intent": "order",
            }
            _put(resource, "category", self._classes(order))
            resource["medicationCodeableConcept"] = self._order_code(order)
            resource.update(self._subject())
            dosage: dict[str, Any] = {}
            if order.route:
                dosage["route"] = _concept(_coding(CS.route, order.route))
            bounds = self._period(order.start, order.stop)
            if bounds:
                dosage["timing"] = {"repeat": {"boundsPeriod": bounds}}
            _put(resource, "dosageInstruction", [dosage] if dosage else None)
        else:
            resource = {
                "resourceType": "ServiceRequest",
                "status": "revoked" if order.is_cancelled else "active",
                "intent": "order",
                "category": [
                    _concept(_coding(CS.order_category, order.category.value)),
                    *self._classes(order),
                ],
            }
            if order.code or order.name:
                resource["code"] = self._order_code(order)
            resource.update(self._subject())
            _put(resource, "occurrencePeriod", self._period(order.start, order.stop))
        if order.ordered_at is not None:
            resource["authoredOn"] = _iso(order.ordered_at)
        if order.ordered_by is not None:
            resource["requester"] = self._clinician(order.ordered_by)
        resource["extension"] = extensions
        handled = _HANDLED["order"] | ({"route"} if order.category == "medication" else set())
        self._item(order, resource, handled)

    def _administration(self, administration: Any) -> None:
        order = next((o for o in self.episode.orders if o.id == administration.order_id), None)
        resource: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            "status": "completed",
            "medicationCodeableConcept": self._order_code(order) if order else dict(_ABSENT),
            "subject": self.patient,
            "context": self.encounter,
        }
        if administration.at is not None:
            resource["effectiveDateTime"] = _iso(administration.at)
        else:
            resource["effectivePeriod"] = dict(_ABSENT)
        request = self._link(administration.order_id, ("MedicationRequest",))
        if request is not None:
            resource["request"] = request
        resource["extension"] = self._link_extension("order-id", administration.order_id, request)
        self._item(administration, resource, _HANDLED["administration"])

    def _assessment(self, assessment: Any) -> None:
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "meta": {"profile": [PROFILE.assessment]},
            "status": "final",
            "category": [_concept(_coding(STANDARD.OBSERVATION_CATEGORY, "survey", "Survey"))],
            "code": _concept(_coding(CS.assessment, assessment.kind)),
        }
        resource.update(self._subject())
        if assessment.at is not None:
            resource["effectiveDateTime"] = _iso(assessment.at)
        if assessment.author is not None:
            resource["performer"] = [self._clinician(assessment.author)]
        if assessment.score is not None:
            resource["valueQuantity"] = {"value": assessment.score}
            _put(
                resource,
                "interpretation",
                [{"text": assessment.level}] if assessment.level else None,
            )
        elif assessment.level:
            resource["valueString"] = assessment.level
        _put(resource, "method", {"text": assessment.tool} if assessment.tool else None)
        self._item(assessment, resource, _HANDLED["assessment"])

    def _observation(self, observation: Any) -> None:
        resource: dict[str, Any] = {"resourceType": "Observation", "status": "final"}
        category = observation.category.value
        if category in _OBSERVATION_CATEGORY:
            resource["category"] = [
                _concept(_coding(STANDARD.OBSERVATION_CATEGORY, _OBSERVATION_CATEGORY[category]))
            ]
        elif category != "other":
            resource["category"] = [_concept(_coding(CS.observation_category, category))]
        code = observation.code
        if code:
            system = STANDARD.LOINC if _LOINC_LIKE.match(code) else CS.observation_code
            resource["code"] = _concept(_coding(system, code), text=observation.name)
        else:
            resource["code"] = _concept(text=observation.name)
        resource.update(self._subject())
        extensions: list[dict[str, Any]] = []
        at = observation.at
        if isinstance(at, dt.datetime):
            resource["issued"] = _iso(at)
        elif at is not None:
            resource["effectiveDateTime"] = _iso(at)
        if observation.specimen_at is not None:
            resource["contained"] = [
                {
                    "resourceType": "Specimen",
                    "id": "specimen",
                    "collection": {"collectedDateTime": _iso(observation.specimen_at)},
                }
            ]
            resource["specimen"] = {"reference": "#specimen"}
        value, unit = observation.value, observation.unit
        if isinstance(value, float):
            resource["valueQuantity"] = {"value": value, **({"unit": unit} if unit else {})}
        else:
            if value is not None and value != "":
                resource["valueString"] = value
            if unit and value is None:
                resource["valueQuantity"] = {"unit": unit}
            elif unit:
                extensions.append({"url": EXT.unit, "valueString": unit})
        if observation.is_critical:
            interpretation = _coding(STANDARD.INTERPRETATION, "AA", "Critical abnormal")
            resource["interpretation"] = [_concept(interpretation)]
        based_on = self._link(observation.order_id, ("MedicationRequest", "ServiceRequest"))
        _put(resource, "basedOn", [based_on] if based_on else None)
        extensions += self._link_extension("order-id", observation.order_id, based_on)
        resource["extension"] = extensions
        self._item(observation, resource, _HANDLED["observation"])

    def _consultation(self, consultation: Any) -> None:
        urgency = consultation.urgency.value
        resource: dict[str, Any] = {
            "resourceType": "ServiceRequest",
            "meta": {"profile": [PROFILE.consultation]},
            "status": "completed" if consultation.completed_at is not None else "active",
            "intent": "order",
            "category": [_concept(_coding(STANDARD.SNOMED, "11429006", "Consultation"))],
            "priority": "urgent" if urgency == "urgent" else "routine",
        }
        resource.update(self._subject())
        if consultation.requested_at is not None:
            resource["authoredOn"] = _iso(consultation.requested_at)
        if consultation.requested_by is not None:
            resource["requester"] = self._clinician(consultation.requested_by)
        performers = [self._department(consultation.department)] if consultation.department else []
        if consultation.consultant is not None:
            performers.append(self._clinician(consultation.consultant))
        _put(resource, "performer", performers)
        based_on = self._link(consultation.order_id, ("MedicationRequest", "ServiceRequest"))
        _put(resource, "basedOn", [based_on] if based_on else None)
        resource["extension"] = self._link_extension("order-id", consultation.order_id, based_on)
        self._item(consultation, resource, _HANDLED["consultation"])

    def _event(self, event: Any) -> None:
        kind = event.type
        code = _concept(_coding(CS.event, kind, _EVENT_ZH[kind]))
        resource: dict[str, Any] = {"meta": {"profile": [PROFILE(kind.replace("_", "-"))]}}
        if kind in ("rescue", "transfusion"):
            resource.update({"resourceType": "Procedure", "status": "completed", "code": code})
            resource.update(self._subject())
            _put(resource, "performedPeriod", self._period(event.start, event.end))
            if kind == "rescue":
                leaders = [event.leader] if event.leader else []
                _put(resource, "performer", self._performers(("leader", leaders)))
                if event.is_successful is not None:
                    outcome = (
                        ("385669000", "Successful")
                        if event.is_successful
                        else ("385671000", "Unsuccessful")
                    )
                    resource["outcome"] = _concept(_coding(STANDARD.SNOMED, *outcome))
            self._item(event, resource, _HANDLED[kind])
            return
        resource.update(
            {"resourceType": "Communication", "status": "completed", "category": [code]}
        )
        resource.update(self._subject())
        if kind == "critical_value":
            if event.reported_at is not None:
                resource["sent"] = _iso(event.reported_at)
            if event.received_at is not None:
                resource["received"] = _iso(event.received_at)
            about = self._link(event.observation_id)
            _put(resource, "about", [about] if about else None)
            resource["extension"] = self._link_extension(
                "observation-id", event.observation_id, about
            )
            self._item(event, resource, _HANDLED[kind])
            return
        if event.at is not None:
            resource["sent"] = _iso(event.at)
        if event.giver is not None:
            resource["sender"] = self._clinician(event.giver)
        if event.receiver is not None:
            resource["recipient"] = [self._clinician(event.receiver)]
        self._item(event, resource, _HANDLED[kind])
