"""An input's format is decided from its content as a person would: the first line, or the
whole document, not just the first few KiB."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from emrlint.model import Episode
from emrlint.parsers import InputFormat, InputProblem, read_paths, sniff_file
from emrlint.parsers.sniff import sniff
from tests.builders import TZ, episode
from tests.parsers.test_fhir import bundle, encounter, patient

LONG_NOTE = "患者一般情况可，继续当前治疗。" * 400  # a line far longer than 4 KiB


def _long_episode(index: int) -> dict[str, object]:
    return episode(id=f"ep-{index}", extensions={"note": LONG_NOTE})


def _lines(count: int) -> bytes:
    return "".join(
        json.dumps(_long_episode(i), ensure_ascii=False) + "\n" for i in range(count)
    ).encode()


def _ids(results: list[Episode | InputProblem]) -> list[str]:
    return [r.id if isinstance(r, Episode) else f"problem: {r.reason}" for r in results]


def test_jsonl_with_long_lines_is_read_line_by_line_from_stdin() -> None:
    results = list(read_paths(["-"], TZ, stdin=io.BufferedReader(io.BytesIO(_lines(3)))))
    assert _ids(results) == ["ep-0", "ep-1", "ep-2"]


def test_jsonl_with_long_lines_is_read_whatever_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(_lines(3))
    assert sniff_file(str(path)) == InputFormat.jsonl
    assert _ids(list(read_paths([str(path)], TZ))) == ["ep-0", "ep-1", "ep-2"]


def test_an_episode_quoting_a_fhir_resource_in_its_extensions_stays_native(
    tmp_path: Path,
) -> None:
    quoted = episode(id="ep-q", extensions={"source": {"resourceType": "Encounter", "id": "x"}})
    one_line = tmp_path / "one-line.json"
    one_line.write_text(json.dumps(quoted))
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(quoted, indent=2))
    for path in (one_line, pretty):
        assert sniff_file(str(path)) == InputFormat.native
        assert _ids(list(read_paths([str(path)], TZ))) == ["ep-q"]


def test_a_pretty_printed_fhir_bundle_is_fhir_wherever_resource_type_stands(
    tmp_path: Path,
) -> None:
    data = bundle(patient(), encounter())
    reordered = {key: data[key] for key in ("entry", "type", "resourceType")}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(reordered, indent=2))
    assert sniff_file(str(path)) == InputFormat.fhir
    assert _ids(list(read_paths([str(path)], TZ))) == ["e1"]


def test_utf16_text_is_one_problem_that_names_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "utf16.jsonl"
    path.write_bytes(_lines(3).decode("utf-8").encode("utf-16"))
    (problem,) = list(read_paths([str(path)], TZ))
    assert isinstance(problem, InputProblem) and "UTF-16" in problem.reason


@given(st.binary(max_size=20_000), st.sampled_from(["in.json", "in.jsonl", "in.hl7", "-"]))
def test_sniffing_gives_back_every_byte_it_read(data: bytes, name: str) -> None:
    sniffed = sniff(io.BufferedReader(io.BytesIO(data)), name)
    assert sniffed.stream.read() == data
