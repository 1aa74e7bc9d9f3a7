"""A folder of single FHIR resources is read as one unit, so references across files resolve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emrlint.model import Episode
from emrlint.parsers import is_fhir_bulk_folder, read_paths
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
