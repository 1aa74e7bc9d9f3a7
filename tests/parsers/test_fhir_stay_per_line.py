"""`[mapping.fhir] ndjson = "stay-per-line"`: each NDJSON line is a whole stay, read and checked
before the next line is read, so a feed of any length is read in flat memory."""

from __future__ import annotations

import io
import json

import orjson
import pytest

from emrlint.errors import ConfigError
from emrlint.model import Episode
from emrlint.parsers.context import ParseContext
from emrlint.parsers.fhir import read_fhir
from emrlint.parsers.fhir.tables import load_tables
from emrlint.parsers.native import MAX_RECORD_BYTES
from emrlint.parsers.problems import InputProblem
from emrlint.synth import generate
from emrlint.writers.fhir import episode_to_fhir
from tests.builders import TZ
from tests.parsers.test_fhir import bundle, encounter, patient, procedure

PER_LINE = {"fhir": {"ndjson": "stay-per-line"}}


def _read(data: bytes, name: str, mappings: dict[str, dict[str, str]]) -> list[object]:
    context = ParseContext(tz=TZ, mappings=mappings)
    return list(read_fhir(io.BytesIO(data), name, context))


def _stay_lines(count: int) -> bytes:
    return b"".join(orjson.dumps(episode_to_fhir(e)) + b"\n" for e in generate(count, seed=11))


def test_stays_read_line_by_line_equal_the_stays_read_together() -> None:
    data = _stay_lines(4)
    together = _read(data, "feed.ndjson", {})
    one_by_one = _read(data, "feed.ndjson", PER_LINE)
    assert len(one_by_one) == 4 and all(isinstance(r, Episode) for r in one_by_one)
    assert one_by_one == together


def test_a_stay_is_given_before_the_next_line_is_read() -> None:
    data = _stay_lines(3)
    stream = io.BytesIO(data)
    results = read_fhir(stream, "feed.ndjson", ParseContext(tz=TZ, mappings=PER_LINE))
    first = next(results)
    assert isinstance(first, Episode)
    assert stream.tell() == data.index(b"\n") + 1  # the first line only
    assert len(list(results)) == 2


def test_an_item_whose_encounter_is_on_another_line_is_counted_not_linked() -> None:
    """Read line by line, the Procedure on line 2 cannot reach the Encounter on line 1: like
    any item linked to no stay in its input, it is counted as skipped, never attached."""
    lines = [bundle(patient(), encounter()), procedure(link="Encounter/e1")]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    together = _read(data, "feed.ndjson", {})
    assert [len(r.procedures) for r in together if isinstance(r, Episode)] == [1]
    context = ParseContext(tz=TZ, mappings=PER_LINE)
    (episode,) = read_fhir(io.BytesIO(data), "feed.ndjson", context)
    assert isinstance(episode, Episode) and episode.procedures == []
    assert context.skipped["FHIR Procedure not linked to an inpatient Encounter"] == 1


def test_a_bad_line_is_reported_and_the_next_lines_are_still_read() -> None:
    data = _stay_lines(2)
    first_end = data.index(b"\n") + 1
    broken = data[:first_end] + b'{"resourceType": "Bundle", \n' + data[first_end:]
    results = _read(broken, "feed.ndjson", PER_LINE)
    assert [type(r).__name__ for r in results] == ["Episode", "InputProblem", "Episode"]
    assert isinstance(results[1], InputProblem) and results[1].line == 2


def test_a_json_document_is_read_whole_in_either_mode() -> None:
    data = json.dumps(bundle(patient(), encounter(), procedure())).encode()
    assert _read(data, "stay.json", PER_LINE) == _read(data, "stay.json", {})


def test_an_unknown_ndjson_mode_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as error:
        load_tables({"ndjson": "per-line"})
    assert "ndjson" in str(error.value) and "stay-per-line" in str(error.value)


@pytest.mark.parametrize("mappings", [{}, PER_LINE], ids=["bulk", "stay-per-line"])
def test_a_first_line_over_the_record_limit_is_one_problem_and_the_next_line_is_read(
    mappings: dict[str, dict[str, str]],
) -> None:
    huge = b'{"resourceType": "Bundle", "id": "' + b"x" * MAX_RECORD_BYTES + b'"}\n'
    results = _read(huge + _stay_lines(1), "feed.ndjson", mappings)
    assert [type(r).__name__ for r in results] == ["InputProblem", "Episode"]
    assert isinstance(results[0], InputProblem) and results[0].line == 1
    assert "longer than the limit" in results[0].reason
