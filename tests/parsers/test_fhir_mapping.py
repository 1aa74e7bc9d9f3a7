"""The FHIR mapping: which FHIR element becomes which model field, through the shipped tables
(emrlint/data/fhir_mapping.toml) and a site's [mapping.fhir] overrides."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest

from emrlint.errors import ConfigError
from emrlint.parsers.fhir.tables import load_tables
from tests.builders import TZ
from tests.parsers.test_fhir import bundle, encounter, only_episode, patient, procedure, run

SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"


def at(day: int, hour: int = 9) -> str:
    return dt.datetime(2024, 5, day, hour, 0, tzinfo=TZ).isoformat()


def item(rtype: str, rid: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": rtype,
        "id": rid,
        "subject": {"reference": "Patient/p1"},
        "encounter": {"reference": "Encounter/e1"},
        **fields,
    }


def organization(oid: str, name: str, code: str, **extra: Any) -> dict[str, Any]:
    kind = {
        "coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": code}
        ]
    }
    return {"resourceType": "Organization", "id": oid, "name": name, "type": [kind], **extra}


# -- the stay ------------------------------------------------------------------------------


def test_departments_ward_and_transfers_come_from_organizations_and_location_history() -> None:
    hospital = organization("h", "示例医院", "prov", identifier=[{"value": "H-001"}])
    surgery = organization("gs", "普外科", "dept", partOf={"reference": "Organization/h"})
    icu = organization("icu", "重症医学科", "dept")
    ward = {
        "resourceType": "Location",
        "id": "w1",
        "name": "普外科二病区",
        "physicalType": {"coding": [{"code": "wa"}]},
        "managingOrganization": {"reference": "Organization/gs"},
    }
    bed = {
        "resourceType": "Location",
        "id": "icu-bed",
        "managingOrganization": {"reference": "Organization/icu"},
    }
    stay = encounter(
        serviceProvider={"reference": "Organization/gs"},
        location=[
            {"location": {"reference": "Location/w1"}, "period": {"start": at(6), "end": at(8)}},
            {
                "location": {"reference": "Location/icu-bed"},
                "period": {"start": at(8, 10), "end": at(9)},
            },
            {"location": {"reference": "Location/w1"}, "period": {"start": at(9)}},
            {"location": {"display": "planned bed"}, "status": "planned"},
        ],
    )
    episode = only_episode(bundle(patient(), stay, hospital, surgery, icu, ward, bed))
    assert (episode.department, episode.ward, episode.site_id) == (
        "普外科",
        "普外科二病区",
        "H-001",
    )
    assert [
        (t.from_department, t.to_department, t.at, t.arrived_at) for t in episode.transfers
    ] == [
        (
            "普外科",
            "重症医学科",
            dt.datetime(2024, 5, 8, 9, tzinfo=TZ),
            dt.datetime(2024, 5, 8, 10, tzinfo=TZ),
        ),
        ("重症医学科", "普外科", dt.datetime(2024, 5, 9, 9, tzinfo=TZ), None),
    ]
    assert episode.discharge_department == "普外科"


def test_service_type_names_the_department_when_nothing_else_does() -> None:
    stay = encounter(
        serviceType={"coding": [{"system": "urn:site:dept", "code": "0301", "display": "心内科"}]}
    )
    assert only_episode(bundle(patient(), stay)).department == "心内科"
    mapping = {"fhir": {"encounter": {"department_from_service_type": False}}}
    assert only_episode(bundle(patient(), stay), mappings=mapping).department is None


def test_admit_source_disposition_death_and_care_team() -> None:
    chief = {
        "resourceType": "Practitioner",
        "id": "d1",
        "identifier": [{"value": "GS001"}],
        "name": [{"family": "郑", "given": ["示例"]}],
        "qualification": [{"code": {"coding": [{"system": "urn:gbt8561", "code": "231"}]}}],
    }
    role = {
        "resourceType": "PractitionerRole",
        "id": "r1",
        "practitioner": {"reference": "Practitioner/d1"},
        "organization": {"reference": "Organization/gs"},
    }
    stay = encounter(
        hospitalization={
            "admitSource": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/admit-source", "code": "emd"}
                ]
            },
            "dischargeDisposition": {"text": "死亡"},
        },
        participant=[
            {
                "type": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "code": "ATND",
                            }
                        ]
                    }
                ],
                "period": {"start": at(6)},
                "individual": {"reference": "PractitionerRole/r1"},
            }
        ],
    )
    dead = patient(deceasedDateTime=at(10, 3))
    episode = only_episode(bundle(dead, stay, chief, role, organization("gs", "普外科", "dept")))
    assert episode.admission_route == "emergency"
    assert episode.disposition == "death"
    assert episode.died_at == dt.datetime(2024, 5, 10, 3, tzinfo=TZ)
    (assignment,) = episode.care_team
    assert assignment.role == "attending"
    assert assignment.start == dt.datetime(2024, 5, 6, 9, tzinfo=TZ)
    person = assignment.clinician
    assert (person.id, person.name, person.rank, person.department) == (
        "GS001",
        "郑示例",
        "chief",
        "普外科",
    )


def test_condition_level_flags() -> None:
    flags = [
        item("Flag", "f1", status="active", code={"text": "病危"}, period={"start": at(7)}),
        item("Flag", "f2", status="active", code={"text": "一般"}, period={"start": at(9)}),
        item("Flag", "f3", status="active", code={"text": "过敏"}, period={"start": at(9)}),
    ]
    episode = only_episode(bundle(patient(), encounter(), *flags))
    assert [(c.level, c.at.day) for c in episode.condition_levels] == [
        ("critical", 7),
        ("stable", 9),
    ]


# -- diagnoses and procedures --------------------------------------------------------------


def test_diagnosis_roles_come_from_encounter_diagnosis_then_category_then_the_default() -> None:
    role = "http://terminology.hl7.org/CodeSystem/diagnosis-role"

    def condition(cid: str, code: str, **extra: Any) -> dict[str, Any]:
        icd = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}], "text": code}
        return item("Condition", cid, code=icd, **extra)

    stay = encounter(
        diagnosis=[
            {
                "condition": {"reference": "Condition/c1"},
                "use": {"coding": [{"system": role, "code": "AD"}]},
            },
            {
                "condition": {"reference": "Condition/c1"},
                "use": {"coding": [{"system": role, "code": "DD"}]},
                "rank": 1,
            },
            {
                "condition": {"reference": "Condition/c2"},
                "use": {"coding": [{"system": role, "code": "DD"}]},
                "rank": 2,
            },
        ]
    )
    conditions = [
        condition("c1", "C25.0"),
        condition("c2", "K83.1"),
        condition("c3", "E11.9", category=[{"text": "入院诊断"}]),
        condition("c4", "I10"),
    ]
    episode = only_episode(bundle(patient(), stay, *conditions))
    assert [(d.id, d.code, d.role) for d in episode.diagnoses] == [
        ("c1", "C25.0", "admission"),
        ("c1#1", "C25.0", "principal"),
        ("c2", "K83.1", "secondary"),
        ("c3", "E11.9", "admission"),
        ("c4", "I10", "secondary"),
    ]


def test_surgical_level_category_and_emergency_from_site_codings_and_extensions() -> None:
    mapping = {
        "fhir": {
            "procedure": {
                "level_extensions": ["urn:site:level"],
                "emergency_extensions": ["urn:site:urgent"],
            },
            "procedure_level": {"urn:site:grade|L3": 3},
            "procedure_emergency": {"urn:site:kind|ER": True},
        }
    }
    by_category = procedure(
        "a",
        category={
            "coding": [
                {"system": "urn:site:grade", "code": "L3"},
                {"system": SCT, "code": "387713003"},
            ]
        },
    )
    by_extension = procedure(
        "b",
        extension=[
            {"url": "urn:site:level", "valueInteger": 4},
            {"url": "urn:site:urgent", "valueBoolean": True},
        ],
    )
    by_code = procedure(
        "c", category={"coding": [{"system": "urn:site:kind", "code": "ER"}], "text": "四级手术"}
    )
    episode = only_episode(
        bundle(patient(), encounter(), by_category, by_extension, by_code), mappings=mapping
    )
    assert [(p.level, p.category, p.is_emergency) for p in episode.procedures] == [
        (3, "surgery", False),
        (4, None, True),
        (4, None, True),
    ]


def test_rescue_and_transfusion_procedures_become_events() -> None:
    rescue = procedure(
        "cpr",
        code={"coding": [{"system": SCT, "code": "89666000"}]},
        outcome={"coding": [{"system": SCT, "code": "385669000"}]},
    )
    blood = procedure("rbc", code={"text": "输血"})
    episode = only_episode(bundle(patient(), encounter(), rescue, blood))
    assert episode.procedures == []
    assert [(e.type, e.id) for e in episode.events] == [("rescue", "cpr"), ("transfusion", "rbc")]
    assert episode.events[0].is_successful is True


# -- documents ------------------------------------------------------------------------------


def document(did: str, type_: dict[str, Any], **extra: Any) -> dict[str, Any]:
    resource = item("DocumentReference", did, status="current", type=type_, date=at(7), **extra)
    resource["context"] = {"encounter": [resource.pop("encounter")]}
    resource.setdefault("content", [{"attachment": {"contentType": "text/plain"}}])
    return resource


def test_document_kinds_from_wst500_loinc_and_chinese_titles() -> None:
    text = base64.b64encode("患者一般情况可".encode()).decode()
    documents = [
        document("d1", {"coding": [{"system": "urn:oid:2.16.156.10011.2.4", "code": "C0044"}]}),
        document("d2", {"coding": [{"system": LOINC, "code": "18842-5"}]}),
        document(
            "d3",
            {"text": "病程"},
            description="主治医师首次查房记录",
            content=[{"attachment": {"contentType": "text/plain; charset=utf-8", "data": text}}],
        ),
        document("d4", {"coding": [{"system": LOINC, "code": "34108-1"}]}),
    ]
    results, skipped = run(bundle(patient(), encounter(), *documents))
    (episode,) = results
    assert [(d.id, d.kind) for d in episode.documents] == [  # type: ignore[union-attr]
        ("d1", "rescue_record"),
        ("d2", "discharge_note"),
        ("d3", "senior_round"),
    ]
    assert episode.documents[2].text == "患者一般情况可"  # type: ignore[union-attr]
    assert (
        skipped["FHIR documents whose type is not a record kind in the vocabulary or mapping"] == 1
    )


def test_composition_attesters_become_signatures_and_its_event_the_link() -> None:
    composition = item(
        "Composition",
        "comp",
        status="final",
        type={"coding": [{"system": "urn:oid:2.16.156.10011.2.4", "code": "C0009"}]},
        date=at(7, 15),
        title="手术记录",
        author=[{"display": "张医生"}],
        attester=[{"mode": "legal", "time": at(7, 18), "party": {"display": "李主任"}}],
        event=[{"detail": [{"reference": "Procedure/pr1"}]}],
    )
    episode = only_episode(bundle(patient(), encounter(), procedure(), composition))
    (note,) = episode.documents
    assert (note.kind, note.about, note.written_at) == (
        "operative_note",
        "pr1",
        dt.datetime(2024, 5, 7, 15, tzinfo=TZ),
    )
    assert note.author is not None and note.author.name == "张医生"
    (signature,) = note.signatures
    assert (signature.role, signature.at) == ("reviewer", dt.datetime(2024, 5, 7, 18, tzinfo=TZ))


# -- assessments and observations ----------------------------------------------------------


def test_assessments_from_site_codes_and_observations_with_critical_flags() -> None:
    mapping = {
        "fhir": {"assessment": {"urn:site:scale|CAP": {"kind": "vte_risk", "tool": "caprini"}}}
    }
    caprini = item(
        "Observation",
        "vte",
        status="final",
        code={"coding": [{"system": "urn:site:scale", "code": "CAP"}]},
        effectiveDateTime=at(6, 12),
        valueInteger=6,
        interpretation=[{"text": "高危"}],
    )
    potassium = item(
        "Observation",
        "k",
        status="final",
        category=[
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        code={"coding": [{"system": LOINC, "code": "2823-3"}], "text": "钾"},
        effectiveDateTime=at(7, 6),
        issued=at(7, 8),
        valueQuantity={"value": 6.8, "unit": "mmol/L"},
        interpretation=[{"coding": [{"code": "HH"}]}],
    )
    risk = item(
        "RiskAssessment",
        "padua",
        status="final",
        code={"text": "Padua评分"},
        occurrenceDateTime=at(6, 13),
        prediction=[{"qualitativeRisk": {"text": "high"}}],
    )
    episode = only_episode(
        bundle(patient(), encounter(), caprini, potassium, risk), mappings=mapping
    )
    assert [(a.kind, a.tool, a.score, a.level) for a in episode.assessments] == [
        ("vte_risk", "caprini", 6.0, "高危"),
        ("vte_risk", "padua", None, "high"),
    ]
    (result,) = episode.observations
    assert (result.category, result.code, result.value, result.unit, result.is_critical) == (
        "lab",
        "2823-3",
        6.8,
        "mmol/L",
        True,
    )
    assert result.at == dt.datetime(2024, 5, 7, 8, tzinfo=TZ)
    assert result.specimen_at == dt.datetime(2024, 5, 7, 6, tzinfo=TZ)


# -- orders and administrations ------------------------------------------------------------


def test_medication_orders_classes_route_and_administrations() -> None:
    mapping = {"fhir": {"antibiotic_tier": {"urn:site:tier|3": "special"}}}
    order = item(
        "MedicationRequest",
        "mr1",
        status="active",
        intent="order",
        category=[{"coding": [{"system": "urn:site:tier", "code": "3"}]}],
        medicationCodeableConcept={
            "coding": [{"system": "http://www.whocc.no/atc", "code": "J01DH02"}],
            "text": "美罗培南",
        },
        authoredOn=at(6, 10),
        courseOfTherapyType={
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy",
                    "code": "continuous",
                }
            ]
        },
        dosageInstruction=[{"route": {"coding": [{"system": SCT, "code": "47625008"}]}}],
    )
    given = {
        "resourceType": "MedicationAdministration",
        "id": "ma1",
        "status": "completed",
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": at(6, 11),
        "request": {"reference": "MedicationRequest/mr1"},
    }
    plan = item("MedicationRequest", "mr2", status="active", intent="plan")
    results, skipped = run(bundle(patient(), encounter(), order, given, plan), mappings=mapping)
    (episode,) = results
    (medication,) = episode.orders  # type: ignore[union-attr]
    assert (
        medication.drug_class,
        medication.antibiotic_tier,
        medication.duration,
        medication.route,
    ) == (
        "antibiotic",
        "special",
        "long_term",
        "iv",
    )
    (administration,) = episode.administrations  # type: ignore[union-attr]
    assert (administration.order_id, administration.at) == (
        "mr1",
        dt.datetime(2024, 5, 6, 11, tzinfo=TZ),
    )
    assert skipped["FHIR requests whose intent is not an order (plan)"] == 1


def test_service_requests_become_orders_or_consultations() -> None:
    lab = item(
        "ServiceRequest",
        "sr1",
        status="revoked",
        intent="order",
        category=[{"coding": [{"system": SCT, "code": "108252007"}]}],
        code={"text": "血常规"},
        authoredOn=at(6, 10),
    )
    consult = item(
        "ServiceRequest",
        "sr2",
        status="active",
        intent="order",
        category=[{"coding": [{"system": SCT, "code": "11429006"}]}],
        priority="stat",
        authoredOn=at(7, 10),
        performerType={"text": "心内科"},
    )
    episode = only_episode(bundle(patient(), encounter(), lab, consult))
    (order,) = episode.orders
    assert (order.category, order.name, order.is_cancelled) == ("lab", "血常规", True)
    (consultation,) = episode.consultations
    assert (consultation.urgency, consultation.department) == ("urgent", "心内科")
    assert consultation.requested_at == dt.datetime(2024, 5, 7, 10, tzinfo=TZ)


def test_critical_value_communication_links_its_observation() -> None:
    value = item(
        "Observation", "k", status="final", code={"text": "钾"}, valueQuantity={"value": 6.8}
    )
    report = item(
        "Communication",
        "cv",
        status="completed",
        category=[{"text": "危急值"}],
        sent=at(7, 8),
        received=at(7, 9),
        about=[{"reference": "Observation/k"}],
    )
    episode = only_episode(bundle(patient(), encounter(), value, report))
    (event,) = episode.events
    assert (event.type, event.observation_id, event.reported_at) == (
        "critical_value",
        "k",
        dt.datetime(2024, 5, 7, 8, tzinfo=TZ),
    )


# -- site overrides ------------------------------------------------------------------------


def test_a_site_can_change_inpatient_classes_and_remove_a_shipped_code() -> None:
    mapping = {
        "fhir": {
            "encounter": {"inpatient_classes": ["EMER"]},
            "admit_source": {"admit-source|emd": "", "urn:site|9": "transfer_in"},
        }
    }
    stay = encounter(
        "er",
        "EMER",
        hospitalization={
            "admitSource": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/admit-source", "code": "emd"}
                ]
            }
        },
    )
    episode = only_episode(bundle(patient(), encounter("e1"), stay), mappings=mapping)
    assert (episode.id, episode.admission_route) == ("er", None)
    tables = load_tables(mapping["fhir"])
    assert tables.table("admit_source").coding({"system": "urn:site", "code": "9"}) == "transfer_in"


@pytest.mark.parametrize(
    ("site", "message"),
    [
        ({"admit_sourc": {}}, "did you mean 'admit_source'?"),
        ({"encounter": {"inpatient_class": ["IMP"]}}, "did you mean 'inpatient_classes'?"),
        ({"discharge_disposition": {"urn:x|1": "dead"}}, "'dead' is not a valid Disposition"),
        ({"procedure_level": {"urn:x|1": 7}}, "7 is not a surgical level 1-4"),
        ({"fhir_version": "R6"}, "fhir_version 'R6'"),
    ],
)
def test_a_wrong_site_mapping_is_a_configuration_error(site: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_tables(site)
    assert message in str(error.value)
    assert "E040" in str(error.value)


def test_the_shipped_tables_load_and_every_alias_is_a_url() -> None:
    tables = load_tables({})
    assert tables.version == "auto"
    for table in tables.codes.values():
        for system, _ in table.pairs:
            assert "://" in system or system.startswith("urn:"), (table.name, system)
