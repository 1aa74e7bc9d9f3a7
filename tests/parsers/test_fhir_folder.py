"""A folder of single FHIR resources is read as one unit, so references across files resolve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emrlint.model import Episode
from emrlint.parsers import ParseContext, is_fhir_bulk_folder, read_paths
from emrlint.writers.fhir import episode_to_fhir
from tests.builders import TZ
from tests.conftest import REPO


def _relative(value: Any, urls: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            k: (urls.get(v, v) if k == "reference" else _relative(v, urls))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_relative(v, urls) for v in value]
    return value


def test_a_folder_of_single_resources_reads_as_one_episode(tmp_path: Path) -> None:
    native = REPO / "examples" / "native" / "13-short-stay-polypectomy.json"
    episode = Episode.model_validate(json.loads(native.read_text("utf-8")), context={"tz": TZ})
    bundle = episode_to_fhir(episode)
    urls = {
        e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle["entry"]
    }
    for index, entry in enumerate(bundle["entry"]):
        resource = _relative(entry["resource"], urls)
        (tmp_path / f"{index:03d}.json").write_text(json.dumps(resource, ensure_ascii=False))
    assert is_fhir_bulk_folder(tmp_path)
    (result,) = list(read_paths([str(tmp_path)], TZ))
    assert result == episode


def test_a_folder_of_bundles_is_read_file_by_file() -> None:
    assert not is_fhir_bulk_folder(REPO / "examples" / "fhir")
    assert not is_fhir_bulk_folder(REPO / "examples" / "native")


def test_a_bulk_folder_still_reads_its_other_input_files_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    """The FHIR NDJSON is read as one unit; the HL7 archive and the native JSONL beside it are
    read as inputs of their own, and a file emrlint does not read is counted, not lost."""
    examples = REPO / "examples"
    fhir = json.loads((examples / "fhir" / "04-rescue-record-late.json").read_text("utf-8"))
    (tmp_path / "Bundle.ndjson").write_text(json.dumps(fhir) + "\n", encoding="utf-8")
    hl7 = examples / "hl7v2" / "06-death-without-discussion.hl7"
    (tmp_path / hl7.name).write_bytes(hl7.read_bytes())
    native = json.loads((examples / "native" / "02-elective-level4-without-mdt.json").read_text())
    (tmp_path / "more.jsonl").write_text(json.dumps(native) + "\n", encoding="utf-8")
    (tmp_path / "notes.csv").write_text("a,b\n", encoding="utf-8")
    assert is_fhir_bulk_folder(tmp_path)
    context = ParseContext(tz=TZ)
    results = list(read_paths([str(tmp_path)], context))
    ids = sorted(r.id for r in results if isinstance(r, Episode))
    assert ids == ["EX-02", "EX-04", "EX-06"], results
    assert context.skipped["files in folders not read (suffix .csv)"] == 1
