from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from emrlint.model import Episode
from emrlint.parsers import InputFormat, InputProblem, detect_format, read_paths
from tests.builders import TZ, episode


def _good(index: int) -> dict:
    return episode(id=f"ep-{index}")


def _read(path: Path) -> list[Episode | InputProblem]:
    return list(read_paths([str(path)], TZ))


def test_one_episode_per_json_file(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(_good(1)))
    (result,) = _read(path)
    assert isinstance(result, Episode) and result.id == "ep-1"


def test_json_array_of_episodes_reports_each_item(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(json.dumps([_good(1), {"id": "bad"}, _good(3)]))
    results = _read(path)
    assert [type(r).__name__ for r in results] == ["Episode", "InputProblem", "Episode"]
    problem = results[1]
    assert isinstance(problem, InputProblem)
    assert problem.position == "item [1]" and "patient" in problem.reason


def test_jsonl_with_a_truncated_line_in_the_middle_keeps_the_rest(tmp_path: Path) -> None:
    lines = [json.dumps(_good(i)) for i in range(5)]
    lines[2] = lines[2][: len(lines[2]) // 2]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n")
    results = _read(path)
    assert [r.id for r in results if isinstance(r, Episode)] == ["ep-0", "ep-1", "ep-3", "ep-4"]
    (problem,) = [r for r in results if isinstance(r, InputProblem)]
    assert problem.line == 3 and "invalid JSON" in problem.reason


def test_wrong_types_name_the_field_not_the_value(tmp_path: Path) -> None:
    data = _good(1) | {"admitted_at": 12345, "patient": {"id": "SECRET-MRN", "sex": "x"}}
    path = tmp_path / "typed.json"
    path.write_text(json.dumps(data))
    (problem,) = _read(path)
    assert isinstance(problem, InputProblem)
    assert "admitted_at" in problem.reason and "patient.sex" in problem.reason
    assert "SECRET-MRN" not in problem.reason


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "id": "x",\n  oops\n}')
    (problem,) = _read(path)
    assert isinstance(problem, InputProblem) and problem.line == 3


def test_jsonl_is_streamed_line_by_line() -> None:
    consumed = []

    def lines():  # a generator shows whether the reader pulls lazily
        for i in range(3):
            consumed.append(i)
            yield (json.dumps(_good(i)) + "\n").encode()

    from emrlint.parsers.native import read_jsonl

    reader = read_jsonl(lines(), "<gen>", TZ)
    first = next(reader)
    assert isinstance(first, Episode) and consumed == [0]


def test_format_is_detected_by_content() -> None:
    assert detect_format(b'{"id": 1}\n{"id": 2}\n', "x.json") == InputFormat.jsonl
    assert detect_format(b'{\n  "id": 1\n}', "x.json") == InputFormat.native
    assert detect_format(b"MSH|^~\\&|A", "x.txt") == InputFormat.hl7v2
    assert detect_format(b'{"resourceType": "Bundle"}', "x.json") == InputFormat.fhir


def test_stdin_is_read_as_jsonl() -> None:
    stream = io.BufferedReader(
        io.BytesIO(b"\n".join(json.dumps(_good(i)).encode() for i in range(2)))
    )
    results = list(read_paths(["-"], TZ, stdin=stream))
    assert [r.id for r in results] == ["ep-0", "ep-1"]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "input.jsonl"
    path.write_bytes(data)
    for result in read_paths([str(path)], TZ):
        assert isinstance(result, Episode | InputProblem)


def test_an_oversized_jsonl_line_is_reported_and_the_next_line_read() -> None:
    from emrlint.parsers.native import bounded_lines, read_jsonl

    big = b'{"id": "' + b"x" * 5000 + b'"}\n'
    stream = io.BufferedReader(io.BytesIO(big + (json.dumps(_good(2)) + "\n").encode()))
    results = list(read_jsonl(bounded_lines(stream, limit=1000), "<big>", TZ))
    assert isinstance(results[0], InputProblem) and "longer than the limit" in results[0].reason
    assert isinstance(results[1], Episode) and results[1].id == "ep-2"


def test_an_oversized_json_document_is_refused_with_a_hint() -> None:
    from emrlint.parsers.native import read_json_stream

    stream = io.BytesIO(json.dumps([_good(i) for i in range(50)]).encode())
    (problem,) = list(read_json_stream(stream, "<big>", TZ, limit=1000))
    assert isinstance(problem, InputProblem) and "JSONL" in problem.reason


def test_deeply_nested_json_is_a_clean_problem(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    (problem,) = _read(path)
    assert isinstance(problem, InputProblem)


def test_invalid_json_after_multibyte_text_names_the_exact_line_and_column(
    tmp_path: Path,
) -> None:
    department = "心血管内科" * 20  # 100 characters, 300 bytes: bytes and characters part ways
    path = tmp_path / "broken.json"
    text = f'{{\n  "id": "ep-1",\n  "department": "{department}",\n  "ward": "七病区",,\n}}'
    path.write_bytes(text.encode("utf-8"))
    (problem,) = _read(path)
    assert isinstance(problem, InputProblem)
    assert (problem.line, problem.position) == (4, "line 4")
    assert problem.reason.startswith("invalid JSON (column 17): ")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=6), st.data())
def test_invalid_json_is_located_in_characters_whatever_the_text_before_it(
    texts: list[str], data: st.DataObject
) -> None:
    from emrlint.parsers.native import read_json_document

    lines = json.dumps({"id": "ep-1", "notes": texts}, ensure_ascii=False, indent=2).split("\n")
    broken = data.draw(st.integers(0, len(lines) - 1), label="broken line (from 0)")
    lines[broken] += "@"  # never valid after a line of a pretty-printed document
    content = "\n".join(lines).encode("utf-8")
    (problem,) = read_json_document(content, "<doc>", TZ)
    assert isinstance(problem, InputProblem) and problem.line == broken + 1
    assert problem.reason.startswith(f"invalid JSON (column {len(lines[broken])}): ")


def test_bytes_that_are_not_utf8_are_located_at_the_first_bad_byte() -> None:
    from emrlint.parsers.native import read_json_document, read_jsonl

    document = '{\n  "ward": "七病区",\n  "bed": "'.encode() + b'\xff"\n}'
    (problem,) = read_json_document(document, "<doc>", TZ)
    assert isinstance(problem, InputProblem) and problem.line == 3
    assert problem.reason.startswith("invalid JSON (column 11): ")
    line = '{"ward": "七病区", "bed": "'.encode() + b'\xff"}\n'
    (problem,) = read_jsonl([line], "<lines>", TZ)
    assert isinstance(problem, InputProblem) and problem.line == 1
    assert problem.reason.startswith("invalid JSON (column 25): ")
