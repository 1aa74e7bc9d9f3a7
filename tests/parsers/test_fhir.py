"""The FHIR reader on small hand-written inputs: every input shape, every reference form,
malformed records (each a clear result while the rest is still read), R5 content, strict
validation, and what is skipped and counted."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emrlint.model import Episode
from emrlint.parsers import read_paths
from emrlint.parsers.context import ParseContext
from emrlint.parsers.fhir import read_fhir, read_fhir_bulk
from emrlint.parsers.fhir.source import Resource, detect_version
from emrlint.parsers.problems import InputProblem
from emrlint.writers.fhir import episode_to_fhir
from tests.builders import TZ
from tests.conftest import REPO

ADMITTED = "2024-05-06T08:00:00+08:00"
DISCHARGED = "2024-05-10T10:00:00+08:00"
DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"


def patient(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "MRN-001"}],
        "gender": "female",
        "birthDate": "1970-05-01",
        **extra,
    }


def encounter(eid: str = "e1", code: str = "IMP", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": eid,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": code},
        "subject": {"reference": "Patient/p1"},
        "period": {"start": ADMITTED, "end": DISCHARGED},
        **extra,
    }


def procedure(pid: str = "pr1", link: str = "Encounter/e1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "id": pid,
        "status": "completed",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-9-cm", "code": "51.23"}]},
        "subject": {"reference": "Patient/p1"},
        "encounter": {"reference": link},
        "performedPeriod": {
            "start": "2024-05-07T09:00:00+08:00",
            "end": "2024-05-07T11:00:00+08:00",
        },
        **extra,
    }


def bundle(
    *resources: dict[str, Any], kind: str = "collection", uuid: bool = False
) -> dict[str, Any]:
    entries = []
    for resource in resources:
        url = (
            f"urn:uuid:00000000-0000-0000-0000-{resource['id'].rjust(12, '0')}"
            if uuid
            else f"http://example.org/fhir/{resource['resourceType']}/{resource['id']}"
        )
        entries.append({"fullUrl": url, "resource": resource})
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def run(
    data: Any, name: str = "input.json", **options: Any
) -> tuple[list[Episode | InputProblem], Counter[str]]:
    raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    context = ParseContext(tz=TZ, **options)
    return list(read_fhir(io.BytesIO(raw), name, context)), context.skipped


def only_episode(data: Any, **options: Any) -> Episode:
    results, _ = run(data, **options)
    assert [type(r).__name__ for r in results] == ["Episode"], results
    return results[0]  # type: ignore[return-value]


# -- input shapes -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["document", "collection", "transaction", "batch", "searchset"])
def test_every_bundle_type_gives_the_episode(kind: str) -> None:
    episode = only_episode(bundle(patient(), encounter(), procedure(), kind=kind))
    assert episode.id == "e1"
    assert episode.patient.id == "MRN-001"
    assert episode.admitted_at == dt.datetime(2024, 5, 6, 8, 0, tzinfo=TZ)
    assert [p.code for p in episode.procedures] == ["51.23"]


def test_a_single_encounter_resource_is_an_episode_without_its_patient_resource() -> None:
    episode = only_episode(encounter())
    assert episode.patient.id == "p1"  # from the reference Patient/p1


def test_ndjson_lines_are_read_together_and_a_bad_line_is_reported_with_its_number() -> None:
    lines = [json.dumps(r) for r in (patient(), encounter(), procedure())]
    lines.insert(2, '{"resourceType": "Procedure", ')
    results, _ = run("\n".join(lines).encode(), name="export.ndjson")
    problem, episode = results
    assert isinstance(problem, InputProblem) and problem.line == 3
    assert "invalid JSON" in problem.reason
    assert isinstance(episode, Episode) and len(episode.procedures) == 1


def test_ndjson_is_recognised_by_content_whatever_the_file_name() -> None:
    text = "\n".join(json.dumps(r) for r in (patient(), encounter(), procedure()))
    results, _ = run(text.encode(), name="export.json")
    assert [type(r).__name__ for r in results] == ["Episode"]


def test_a_bulk_export_folder_groups_files_by_encounter(tmp_path: Path) -> None:
    files = {
        "Patient.ndjson": [patient()],
        "Encounter.ndjson": [encounter("e1"), encounter("e2", "AMB"), encounter("e3")],
        "Procedure.ndjson": [procedure("a", "Encounter/e1"), procedure("b", "Encounter/e3")],
        "Observation.ndjson": [
            {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "code": {"text": "x"},
                "encounter": {"reference": "Encounter/e2"},
            }
        ],
        "Claim.ndjson": [{"resourceType": "Claim", "id": "c1"}],
    }
    for name, resources in files.items():
        (tmp_path / name).write_text("\n".join(json.dumps(r) for r in resources) + "\n")
    context = ParseContext(tz=TZ)
    results = list(read_paths([str(tmp_path)], context))
    assert [(r.id, [p.id for p in r.procedures]) for r in results] == [("e1", ["a"]), ("e3", ["b"])]
    assert context.skipped["FHIR resources of a type emrlint does not read: Claim"] == 1
    assert context.skipped["FHIR Observation not linked to an inpatient Encounter"] == 1
    assert context.skipped["FHIR Encounters that are not inpatient (class)"] == 1


def test_a_bad_line_in_a_bulk_file_names_that_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "Encounter.ndjson").write_text(json.dumps(encounter()) + "\n")
    (tmp_path / "Procedure.ndjson").write_text(json.dumps(procedure()) + "\nnot json\n")
    results = list(read_fhir_bulk(tmp_path, ParseContext(tz=TZ)))
    problem, episode = results
    assert isinstance(problem, InputProblem)
    assert problem.file.endswith("Procedure.ndjson") and problem.line == 2
    assert isinstance(episode, Episode)


def test_a_folder_of_single_resources_is_read_together(tmp_path: Path) -> None:
    for resource in (patient(), encounter(), procedure("a"), procedure("b")):
        name = f"{resource['resourceType']}-{resource['id']}.json"
        (tmp_path / name).write_text(json.dumps(resource, indent=2))
    (tmp_path / "broken.json").write_text("{")
    results = list(read_fhir_bulk(tmp_path, ParseContext(tz=TZ)))
    problem, episode = results
    assert isinstance(problem, InputProblem) and problem.file.endswith("broken.json")
    assert isinstance(episode, Episode) and [p.id for p in episode.procedures] == ["a", "b"]


# -- references ---------------------------------------------------------------------------


def test_references_of_every_form_reach_their_target() -> None:
    practitioner = {
        "resourceType": "Practitioner",
        "id": "dr1",
        "identifier": [{"system": "urn:staff", "value": "S-9"}],
        "qualification": [{"code": {"text": "主任医师"}}],
    }
    contained = {
        "resourceType": "Practitioner",
        "id": "helper",
        "name": [{"family": "王", "given": ["五"]}],
    }
    base = "http://example.org/fhir"
    items = [
        procedure("relative", "Encounter/e1"),
        procedure("absolute", f"{base}/Encounter/e1/_history/2"),
        procedure("conditional", "Encounter?identifier=urn:visits|V-1"),
        procedure(
            "logical",
            "",
            encounter={"type": "Encounter", "identifier": {"system": "urn:visits", "value": "V-1"}},
        ),
        procedure(
            "people",
            "Encounter/e1",
            contained=[contained],
            performer=[
                {"actor": {"reference": "#helper"}, "function": {"text": "助手"}},
                {"actor": {"reference": "Practitioner?identifier=urn:staff|S-9"}},
            ],
        ),
    ]
    visit = {"system": "urn:visits", "value": "V-1"}
    episode = only_episode(bundle(patient(), encounter(identifier=[visit]), practitioner, *items))
    assert [p.id for p in episode.procedures] == [
        "relative",
        "absolute",
        "conditional",
        "logical",
        "people",
    ]
    people = episode.procedures[-1]
    assert people.surgeon is not None and (people.surgeon.id, people.surgeon.rank) == (
        "S-9",
        "chief",
    )
    assert [a.name for a in people.assistants] == ["王五"]


def test_urn_uuid_references_resolve_within_a_transaction() -> None:
    resources = [patient(), encounter(), procedure()]
    data = bundle(*resources, kind="transaction", uuid=True)
    for entry in data["entry"]:
        resource = entry["resource"]
        for key in ("subject", "encounter"):
            if key in resource:
                target = resource[key]["reference"].split("/")[1]
                resource[key] = {
                    "reference": f"urn:uuid:00000000-0000-0000-0000-{target.rjust(12, '0')}"
                }
    episode = only_episode(data)
    assert episode.patient.id == "MRN-001" and len(episode.procedures) == 1


# -- malformed input: a clear result per record, the rest still read ---------------------


def test_bad_json_is_one_problem_with_its_line() -> None:
    results, _ = run(b'{\n "resourceType": "Bundle",\n "entry": [,]\n}')
    (problem,) = results
    assert isinstance(problem, InputProblem)
    assert problem.position == "line 3" and "invalid JSON" in problem.reason


def test_bad_json_after_multibyte_text_names_the_exact_line_and_column() -> None:
    named = patient(name=[{"text": "测试患者" * 30}])  # 120 characters, 360 bytes
    lines = json.dumps(bundle(named, encounter()), ensure_ascii=False, indent=1).split("\n")
    broken = next(n for n, line in enumerate(lines) if '"finished"' in line)
    lines[broken] += ","  # a second comma: a key was expected
    results, _ = run("\n".join(lines).encode("utf-8"))
    (problem,) = results
    assert isinstance(problem, InputProblem)
    assert (problem.line, problem.position) == (broken + 1, f"line {broken + 1}")
    assert problem.reason.startswith(f"invalid JSON (column {len(lines[broken])}): ")


def test_a_bad_ndjson_line_names_the_column_of_its_first_byte_that_is_not_utf8() -> None:
    bad = '{"resourceType": "Patient", "name": [{"text": "测试'.encode() + b'\xff"}]}'
    results, _ = run(json.dumps(encounter()).encode() + b"\n" + bad, name="export.ndjson")
    problem = next(r for r in results if isinstance(r, InputProblem))
    assert problem.line == 2 and problem.reason.startswith("invalid JSON (column 50): ")


def test_malformed_records_each_give_a_result_and_the_rest_is_still_read() -> None:
    broken = procedure("broken", "Encounter/e2")
    broken["performer"] = [
        {"actor": {"reference": "urn:uuid:11111111-2222-3333-4444-555555555555"}}
    ]
    data = bundle(
        patient(),
        encounter("e1"),
        procedure("fine", "Encounter/e1"),
        encounter("e2"),
        broken,
        encounter("e3", period=None),
        {"resourceType": "Encountr", "id": "typo"},
    )
    data["entry"].append({"resource": ["not", "an", "object"]})
    results, _ = run(data)
    by_position = {r.position: r for r in results if isinstance(r, InputProblem)}
    assert "resourceType 'Encountr' is not a FHIR resource type" in by_position["entry [6]"].reason
    assert by_position["entry [7]"].reason == "not a JSON object"
    assert "performer[0].actor" in by_position["entry [4] Procedure/broken"].reason
    assert by_position["entry [4] Procedure/broken"].episode_id == "e2"
    assert "period" in by_position["entry [5] Encounter/e3"].reason
    assert by_position["entry [5] Encounter/e3"].episode_id == "e3"
    episodes = [r for r in results if isinstance(r, Episode)]
    assert [(e.id, [p.id for p in e.procedures]) for e in episodes] == [("e1", ["fine"])]


BROKEN = "urn:uuid:99999999-9999-9999-9999-999999999999"
NOT_IN_INPUT = "the referenced resource (uuid full URL) is not in the input"


def test_an_item_whose_encounter_reference_is_broken_makes_its_stay_a_problem() -> None:
    results, _ = run(bundle(patient(), encounter(), procedure("orphan", BROKEN)))
    (problem,) = results  # one result for the stay: not an episode checked without the item
    assert isinstance(problem, InputProblem)
    assert (problem.position, problem.episode_id) == ("entry [2] Procedure/orphan", "e1")
    assert problem.reason == f"encounter: {NOT_IN_INPUT}"


def _patient_url(pid: str) -> str:
    return f"urn:uuid:00000000-0000-0000-0000-{pid:0>12}"  # as `bundle(uuid=True)` writes it


def _stay_of(owner: str, number: int) -> dict[str, Any]:
    """A stay of patient p1 or p2 (in the input, named by URL) or p3 (not in the input)."""
    reference = "Patient/p3" if owner == "p3" else _patient_url(owner)
    return encounter(f"e{number}", subject={"reference": reference})


_ORPHAN_SUBJECTS: dict[str, Any] = {
    "p1": {"reference": "Patient/p1"},  # its Patient, named otherwise than by its stays
    "p2": {"reference": _patient_url("p2")},
    "p3": {"reference": "Patient/p3"},  # a patient whose Patient resource is not in the input
    "no subject": None,
    "a broken subject": {"reference": _patient_url("p9")},
}


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.sampled_from(["p1", "p2", "p3"]), min_size=1, max_size=4),
    st.sampled_from(sorted(_ORPHAN_SUBJECTS)),
    st.sampled_from(["encounter", "basedOn"]),
)
def test_an_item_with_a_broken_link_makes_every_stay_it_may_belong_to_a_problem(
    owners: list[str], subject: str, link: str
) -> None:
    orphan = procedure("orphan", BROKEN, subject=_ORPHAN_SUBJECTS[subject])
    if subject == "no subject":
        del orphan["subject"]
    if link == "basedOn":  # no encounter of its own: the one of the request it answers
        del orphan["encounter"]
        orphan["basedOn"] = [{"reference": BROKEN}]
    stays = [_stay_of(owner, number) for number, owner in enumerate(owners)]
    results, _ = run(bundle(patient(), patient(id="p2"), *stays, orphan, uuid=True))
    unknown = subject in ("no subject", "a broken subject")
    suspect = {f"e{n}" for n, owner in enumerate(owners) if unknown or owner == subject}
    # one result per stay: its episode, or a problem naming the item; the item alone when no
    # stay of its patient is in the input
    by_stay = Counter(r.id if isinstance(r, Episode) else r.episode_id for r in results)
    expected = Counter(f"e{n}" for n in range(len(owners))) + Counter([None] * (not suspect))
    assert by_stay == expected
    problems = [r for r in results if isinstance(r, InputProblem)]
    assert {p.episode_id for p in problems} == (suspect or {None})
    assert all(p.position == f"entry [{len(owners) + 2}] Procedure/orphan" for p in problems)


def test_a_stay_is_not_checked_without_its_document_whose_encounter_link_is_broken() -> None:
    data = json.loads((REPO / "examples/fhir/04-rescue-record-late.json").read_text("utf-8"))
    document = next(
        entry["resource"]
        for entry in data["entry"]
        if entry["resource"]["resourceType"] == "DocumentReference"
    )
    document["context"]["encounter"][0]["reference"] = BROKEN
    results, _ = run(data)
    (problem,) = results
    assert isinstance(problem, InputProblem) and problem.episode_id == "EX-04"
    assert problem.position.startswith("entry [13] DocumentReference/")
    assert problem.reason == f"context.encounter[0]: {NOT_IN_INPUT}"


def test_a_stray_in_another_file_of_a_bulk_export_is_named_with_its_file(tmp_path: Path) -> None:
    stay = encounter(serviceProvider={"reference": BROKEN})
    (tmp_path / "Encounter.ndjson").write_text(json.dumps(stay) + "\n")
    (tmp_path / "Procedure.ndjson").write_text(json.dumps(procedure("orphan", BROKEN)) + "\n")
    (problem,) = list(read_fhir_bulk(tmp_path, ParseContext(tz=TZ)))
    assert isinstance(problem, InputProblem) and problem.episode_id == "e1"
    assert (problem.file, problem.position) == (
        str(tmp_path / "Encounter.ndjson"),
        "line 1 Encounter/e1",
    )
    assert problem.reason == (
        f"serviceProvider: {NOT_IN_INPUT}; "
        f"{tmp_path / 'Procedure.ndjson'} line 1 Procedure/orphan: encounter: {NOT_IN_INPUT}"
    )


def test_an_encounter_whose_part_of_is_broken_makes_its_patients_stay_a_problem() -> None:
    ward = encounter("ward", "AMB", partOf={"reference": BROKEN})
    results, _ = run(bundle(patient(), encounter("e1"), ward, procedure("x", "Encounter/ward")))
    (problem,) = results
    assert isinstance(problem, InputProblem)
    assert (problem.position, problem.episode_id) == ("entry [2] Encounter/ward", "e1")
    assert problem.reason == f"partOf: {NOT_IN_INPUT}"


def test_a_stay_with_several_problems_is_one_problem_listing_every_reason() -> None:
    stay = encounter(
        diagnosis=[{"condition": {"reference": BROKEN}}, {"condition": {"reference": BROKEN}}],
        serviceProvider={"reference": BROKEN},
    )
    late = procedure(performedPeriod={"start": "yesterday"})
    results, _ = run(bundle(patient(), stay, late, procedure("orphan", BROKEN)))
    (problem,) = results
    assert isinstance(problem, InputProblem) and problem.episode_id == "e1"
    assert problem.position == "entry [1] Encounter/e1"
    assert problem.reason == "; ".join(
        [
            f"diagnosis[0].condition: {NOT_IN_INPUT}",
            f"diagnosis[1].condition: {NOT_IN_INPUT}",
            f"serviceProvider: {NOT_IN_INPUT}",
            "entry [2] Procedure/pr1: performedPeriod.start: is not a FHIR date or dateTime",
            f"entry [3] Procedure/orphan: encounter: {NOT_IN_INPUT}",
        ]
    )


def test_a_stay_with_more_problems_than_the_limit_names_the_first_and_counts_the_rest() -> None:
    orphans = [procedure(f"orphan{n}", BROKEN) for n in range(8)]
    results, _ = run(bundle(patient(), encounter(), *orphans))
    (problem,) = results
    assert isinstance(problem, InputProblem) and problem.position == "entry [2] Procedure/orphan0"
    assert problem.reason.count(NOT_IN_INPUT) == 5 and problem.reason.endswith("; and 3 more")


def test_a_bad_time_names_the_element_and_no_patient_identifier() -> None:
    late = procedure(performedPeriod={"start": "yesterday"})
    results, _ = run(bundle(patient(), encounter(), late))
    (problem,) = results
    assert isinstance(problem, InputProblem)
    assert problem.position == "entry [2] Procedure/pr1"
    assert problem.reason == "performedPeriod.start: is not a FHIR date or dateTime"
    assert "MRN-001" not in problem.reason + problem.position


def test_a_patient_is_named_by_type_only_in_positions() -> None:
    results, _ = run(bundle(patient(birthDate="1970-13-45"), encounter()))
    (problem,) = results
    assert isinstance(problem, InputProblem)
    assert "p1" not in problem.position and "MRN" not in problem.reason


# -- what is skipped is counted, never fatal -----------------------------------------------


def test_unknown_types_and_unlinked_items_are_counted_not_read() -> None:
    data = bundle(
        patient(),
        encounter("e1"),
        encounter("amb", "AMB"),
        procedure("at-clinic", "Encounter/amb"),
        procedure("nowhere", "Encounter/elsewhere"),
        {"resourceType": "Immunization", "id": "i1"},
        {"resourceType": "Claim", "id": "c1"},
        procedure("erroneous", status="entered-in-error"),
    )
    episode = only_episode(data)
    assert episode.procedures == []
    _, skipped = run(data)
    assert skipped == Counter(
        {
            "FHIR Procedure not linked to an inpatient Encounter": 2,
            "FHIR resources of a type emrlint does not read: Immunization": 1,
            "FHIR resources of a type emrlint does not read: Claim": 1,
            "FHIR Encounters that are not inpatient (class)": 1,
            "FHIR Procedure marked entered-in-error": 1,
        }
    )


def test_items_of_an_encounter_part_of_the_stay_join_the_stay() -> None:
    ward_stay = encounter("ward", "IMP", partOf={"reference": "Encounter/e1"})
    data = bundle(patient(), encounter("e1"), ward_stay, procedure("x", "Encounter/ward"))
    episode = only_episode(data)
    assert (episode.id, [p.id for p in episode.procedures]) == ("e1", ["x"])


# -- R5 and strict validation --------------------------------------------------------------


def test_r5_content_is_detected_and_read() -> None:
    r5 = encounter(
        **{
            "class": [{"coding": [{"code": "IMP"}]}],
            "actualPeriod": {"start": ADMITTED, "end": DISCHARGED},
            "admission": {
                "dischargeDisposition": {"coding": [{"system": DISPOSITION, "code": "exp"}]}
            },
        }
    )
    del r5["period"]
    item = procedure(occurrencePeriod={"start": "2024-05-07T09:00:00+08:00"})
    del item["performedPeriod"]
    resources = [patient(), r5, item]
    version = detect_version(
        Resource(r, r["resourceType"], r["id"], None, "", None, n, "f")
        for n, r in enumerate(resources)
    )
    assert version == "R5"
    for strict in (False, True):
        episode = only_episode(bundle(*resources), strict_fhir=strict)
        assert episode.disposition == "death"
        assert episode.discharged_at == dt.datetime(2024, 5, 10, 10, 0, tzinfo=TZ)
        assert episode.procedures[0].start == dt.datetime(2024, 5, 7, 9, 0, tzinfo=TZ)


def test_strict_reports_validation_failures_with_resource_and_element_path() -> None:
    invalid = procedure("bad", "Encounter/e2", colour="red")  # no such element
    data = bundle(
        patient(), encounter("e1"), encounter("e2"), invalid, {"resourceType": "Claim", "id": "c"}
    )
    default, _ = run(data)
    assert [type(r).__name__ for r in default] == ["Episode", "Episode"]
    results, _ = run(data, strict_fhir=True)
    problems = [r for r in results if isinstance(r, InputProblem)]
    assert [e.id for e in results if isinstance(e, Episode)] == ["e1"]
    bad = next(p for p in problems if p.position == "entry [3] Procedure/bad")
    assert bad.episode_id == "e2"
    assert bad.reason.startswith("FHIR R4B validation: colour: Extra inputs are not permitted")
    claim = next(p for p in problems if p.position == "entry [4] Claim/c")
    assert claim.episode_id is None and "FHIR R4B validation" in claim.reason


def test_strict_and_mapping_problems_of_one_stay_are_one_problem() -> None:
    for stay in (
        encounter(period={"start": "not a time"}, colour="red"),
        encounter(partOf={"reference": BROKEN}, colour="red"),  # not a stay: read alone
    ):
        results, _ = run(bundle(patient(), stay), strict_fhir=True)
        (problem,) = results
        assert isinstance(problem, InputProblem) and problem.position == "entry [1] Encounter/e1"
        first, validation = problem.reason.split("; FHIR R4B validation: ", 1)
        assert first in ("period.start: is not a FHIR date or dateTime", f"partOf: {NOT_IN_INPUT}")
        assert "colour: Extra inputs are not permitted" in validation


def test_strict_keeps_element_values_out_of_reasons() -> None:
    results, _ = run(bundle(patient(birthDate="19700501-secret"), encounter()), strict_fhir=True)
    reasons = " ".join(r.reason for r in results if isinstance(r, InputProblem))
    assert "birthDate" in reasons and "secret" not in reasons


def test_only_the_strict_module_imports_fhir_resources() -> None:
    users = sorted(
        str(path.relative_to(REPO / "emrlint"))
        for path in (REPO / "emrlint").rglob("*.py")
        if any(
            line.startswith(("import fhir", "from fhir"))
            for line in path.read_text("utf-8").splitlines()
        )
    )
    assert users == ["parsers/fhir/strict.py"]


# -- robustness: damaged resources never crash the reader ---------------------------------

_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.just("2024-13-45"),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=5,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


def _sample_bundle() -> dict[str, Any]:
    from tests.writers.test_fhir_writer import _kitchen_sink_episode

    return episode_to_fhir(_kitchen_sink_episode())


SAMPLE = _sample_bundle()
SAMPLE_PATHS = [path for path in _paths(SAMPLE) if path[0] == "entry" and len(path) > 3]


_DAMAGE = st.lists(st.tuples(st.sampled_from(SAMPLE_PATHS), _JUNK), min_size=1, max_size=4)


def _damaged(damage: list[tuple[Any, Any]]) -> dict[str, Any]:
    data = copy.deepcopy(SAMPLE)
    for path, junk in damage:
        target = data
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = junk
        except (KeyError, IndexError, TypeError):
            continue  # an earlier damage removed this path
    return data


@settings(max_examples=300, deadline=None)
@given(_DAMAGE)
def test_damaged_resources_give_results_never_exceptions(damage: list[tuple[Any, Any]]) -> None:
    results, _ = run(_damaged(damage))
    assert all(isinstance(r, Episode | InputProblem) for r in results)


@settings(max_examples=200, deadline=None)
@given(_DAMAGE)
def test_a_damaged_stay_gives_one_result_however_many_problems_it_has(
    damage: list[tuple[Any, Any]],
) -> None:
    results, _ = run(_damaged(damage), strict_fhir=True)
    stays = [r.id if isinstance(r, Episode) else r.episode_id for r in results]
    named = [stay for stay in stays if stay is not None]
    assert len(named) == len(set(named)), results


def test_a_value_the_model_refuses_is_reported_at_its_resource() -> None:
    bad_level = procedure(
        extension=[{"url": "https://emrlint.org/fhir/StructureDefinition/level", "valueInteger": 9}]
    )
    results, _ = run(bundle(patient(), encounter(), bad_level))
    (problem,) = results
    assert isinstance(problem, InputProblem)
    assert problem.position == "entry [2] Procedure/pr1"
    assert problem.reason.startswith("procedures.0.level:") and problem.episode_id == "e1"


@pytest.mark.parametrize("bogus", ["2024-13-45", None])
def test_strict_validation_reports_a_contained_resource_of_no_type_instead_of_crashing(
    bogus: object,
) -> None:
    """fhir.resources raises KeyError or TypeError, not a ValidationError, for these."""
    item = procedure(contained=[{"resourceType": bogus, "id": "c1"}])
    results, _ = run(bundle(patient(), encounter(), item), strict_fhir=True)
    problems = [r for r in results if isinstance(r, InputProblem)]
    assert problems and "not a valid resource" in problems[0].reason
