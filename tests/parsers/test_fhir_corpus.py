"""The FHIR reader on real public inputs (../shared/corpus) and on examples/fhir.

* Synthea: every bundle reads without a problem, with one episode per inpatient Encounter
  (counted here independently, with plain JSON); a few encounters are pinned field by field.
* The FHIR R4 specification's examples: each file is read or cleanly reported, never a crash.
* Differential: the default path (parsed JSON) and --strict-fhir (fhir.resources models) build
  the same episodes on every corpus file and every examples/fhir file.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import orjson
import pytest

from emrlint.model import Episode
from emrlint.parsers.context import ParseContext
from emrlint.parsers.fhir import read_fhir
from emrlint.parsers.problems import InputProblem
from tests.builders import TZ
from tests.conftest import REPO

UTC = dt.UTC
EXAMPLES_FHIR = sorted((REPO / "examples" / "fhir").glob("*.json"))


def read(path: Path, strict: bool = False) -> tuple[list[Episode | InputProblem], Counter[str]]:
    context = ParseContext(tz=TZ, strict_fhir=strict)
    with path.open("rb") as stream:
        return list(read_fhir(stream, str(path), context)), context.skipped


def _files(corpus: Path, folder: str) -> list[Path]:
    return sorted((corpus / "fhir" / folder).glob("*.json"))


def _inpatient_encounters(path: Path) -> int:
    bundle = orjson.loads(path.read_bytes())
    return sum(
        1
        for entry in bundle.get("entry", [])
        if entry.get("resource", {}).get("resourceType") == "Encounter"
        and entry["resource"].get("class", {}).get("code") in ("IMP", "ACUTE", "NONAC")
    )


def test_every_synthea_bundle_reads_one_episode_per_inpatient_encounter(corpus: Path) -> None:
    files = _files(corpus, "synthea-smart")
    assert len(files) == 28
    total = 0
    for path in files:
        results, skipped = read(path)
        problems = [result for result in results if isinstance(result, InputProblem)]
        assert problems == [], path.name
        assert len(results) == _inpatient_encounters(path), path.name
        total += len(results)
        assert skipped["FHIR resources of a type emrlint does not read: Claim"] > 0
    assert total == 201


def _episode(corpus: Path, name: str, episode_id: str) -> Episode:
    (path,) = (corpus / "fhir" / "synthea-smart").glob(f"{name}_*.json")
    results, _ = read(path)
    return next(r for r in results if isinstance(r, Episode) and r.id == episode_id)


def test_synthea_appendectomy_stay_is_pinned(corpus: Path) -> None:
    episode = _episode(corpus, "Filiberto_Ryan", "6bd1936c-4f22-4ab6-86ec-89b6ebe96be6")
    assert episode.admitted_at == dt.datetime(2017, 12, 28, 10, 47, 29, tzinfo=UTC)
    assert episode.discharged_at == dt.datetime(2017, 12, 31, 11, 39, 29, tzinfo=UTC)
    assert episode.disposition == "routine"  # NUBC 01: discharged home
    assert episode.patient.id == "0c63fb2c-e9ef-4e6a-bb8c-dc84f00a2f3c"
    assert episode.patient.sex == "male"
    (procedure,) = episode.procedures
    assert (procedure.code, procedure.name) == ("80146002", "Appendectomy")
    assert procedure.start == dt.datetime(2017, 12, 28, 10, 47, 29, tzinfo=UTC)
    assert procedure.end == dt.datetime(2017, 12, 28, 11, 39, 29, tzinfo=UTC)
    (diagnosis,) = episode.diagnoses
    assert (diagnosis.name, diagnosis.role, diagnosis.code) == (
        "History of appendectomy",
        "secondary",  # no Encounter.diagnosis, no category: the configured default role
        None,  # SNOMED CT only: not an ICD-10 code
    )


def test_synthea_heart_failure_stay_is_pinned(corpus: Path) -> None:
    episode = _episode(corpus, "Barrett_Douglas", "df5ae81f-2654-4e55-bcad-59c910672f37")
    assert episode.admitted_at == dt.datetime(2010, 1, 15, 19, 20, 6, tzinfo=UTC)
    assert episode.discharged_at == dt.datetime(2010, 1, 16, 19, 20, 6, tzinfo=UTC)
    assert [(p.code, p.name) for p in episode.procedures] == [
        ("433236007", "Transthoracic echocardiography"),
        ("399208008", "Plain chest X-ray"),
    ]
    (order,) = episode.orders
    assert (order.category, order.code) == ("medication", "1719286")
    assert order.ordered_at == episode.admitted_at
    assert len(episode.observations) == 8
    assert episode.site_id is not None


def test_synthea_wisdom_tooth_stay_is_pinned(corpus: Path) -> None:
    episode = _episode(corpus, "Elvina_Lemke", "90660235-6978-45d4-a3ef-e00ef3339a25")
    assert episode.admitted_at == dt.datetime(2017, 8, 25, 14, 59, 16, tzinfo=UTC)
    assert episode.discharged_at == dt.datetime(2017, 8, 26, 15, 14, 16, tzinfo=UTC)
    assert [d.name for d in episode.diagnoses] == ["Impacted molars"]
    assert [p.name for p in episode.procedures] == ["Extraction of wisdom tooth"]
    (assessment,) = episode.assessments  # LOINC 72514-3, pain 0-10
    assert (assessment.kind, assessment.tool) == ("pain", "nrs")
    assert assessment.score is not None


def test_every_specification_example_is_read_or_cleanly_reported(corpus: Path) -> None:
    files = _files(corpus, "spec-examples")
    assert len(files) == 185
    episodes, problems = [], []
    for path in files:
        results, _ = read(path)
        for result in results:
            (episodes if isinstance(result, Episode) else problems).append((path.name, result))
    assert sorted(name for name, _ in episodes) == [
        "document-example-dischargesummary.json",
        "encounter-example-emerg.json",
        "encounter-example-f203-20130311.json",
    ]
    assert [(name, p.position) for name, p in problems] == [
        ("encounter-example.json", "Encounter/example")
    ]
    assert "period" in problems[0][1].reason


def test_specification_discharge_summary_document_becomes_a_discharge_note(corpus: Path) -> None:
    results, _ = read(corpus / "fhir" / "spec-examples" / "document-example-dischargesummary.json")
    (episode,) = results
    assert isinstance(episode, Episode)
    (document,) = episode.documents
    assert document.kind == "discharge_note"  # LOINC 28655-9 via [document_type]
    assert document.written_at == dt.datetime(2013, 2, 1, 12, 30, 2, tzinfo=UTC)
    assert document.author is not None and document.author.name == "Adam Careful"
    assert document.sections == [
        "Reason for admission",
        "Medications on Discharge",
        "Known allergies",
    ]


def test_specification_emergency_admission_keeps_its_route_and_open_stay(corpus: Path) -> None:
    results, _ = read(corpus / "fhir" / "spec-examples" / "encounter-example-emerg.json")
    (episode,) = results
    assert isinstance(episode, Episode)
    assert episode.admission_route == "emergency"
    assert episode.discharged_at is None
    assert episode.patient.id == "example"  # Patient/example is not in the file


def test_a_self_referencing_part_of_does_not_loop(corpus: Path) -> None:
    results, _ = read(corpus / "fhir" / "spec-examples" / "encounter-example-f203-20130311.json")
    (episode,) = results
    assert isinstance(episode, Episode)
    assert episode.admitted_at == dt.date(2013, 3, 11)  # a day-only period stays a date
    assert episode.discharged_at == dt.date(2013, 3, 20)


@pytest.mark.parametrize("folder", ["synthea-smart", "spec-examples"])
def test_strict_and_default_paths_build_identical_episodes_on_the_corpus(
    corpus: Path, folder: str
) -> None:
    for path in _files(corpus, folder):
        default, _ = read(path)
        strict, _ = read(path, strict=True)
        assert strict == default, path.name


@pytest.mark.parametrize("path", EXAMPLES_FHIR, ids=[p.stem for p in EXAMPLES_FHIR])
def test_strict_and_default_paths_build_identical_episodes_on_examples(path: Path) -> None:
    default, _ = read(path)
    strict, _ = read(path, strict=True)
    assert all(isinstance(result, Episode) for result in default)
    assert strict == default
