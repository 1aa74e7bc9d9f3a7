"""Native input: one episode per JSON file, a JSON array of episodes, or JSONL (streamed).

JSONL is read line by line, so memory does not grow with the number of lines. A line that is
not an episode becomes an `InputProblem` naming the file and line; reading goes on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import orjson
from pydantic import ValidationError

from emrlint.model import Episode
from emrlint.parsers.problems import InputProblem, describe_validation_error

__all__ = [
    "MAX_RECORD_BYTES",
    "bounded_lines",
    "episode_from_mapping",
    "json_error_at",
    "read_json_document",
    "read_json_stream",
    "read_jsonl",
]

ParseResult = Episode | InputProblem

# One record (a JSONL line, a whole JSON document) may not exceed this: a bigger one is
# reported and skipped instead of exhausting memory. Real episodes are far below it.
MAX_RECORD_BYTES = 64 * 2**20


def episode_from_mapping(data: Any, tz: dt.tzinfo) -> Episode:
    """Validate one parsed JSON value as an episode; naive times are read in `tz`."""
    return Episode.model_validate(data, context={"tz": tz})


def _episode_or_problem(
    data: Any, tz: dt.tzinfo, file: str, position: str, line: int | None
) -> ParseResult:
    if not isinstance(data, dict):
        return InputProblem(
            file, position, f"expected a JSON object, got {_json_type(data)}", line=line
        )
    episode_id = data.get("id") if isinstance(data.get("id"), str) else None
    try:
        return episode_from_mapping(data, tz)
    except ValidationError as error:
        return InputProblem(file, position, describe_validation_error(error), episode_id, line)


def read_json_document(content: bytes, file: str, tz: dt.tzinfo) -> Iterator[ParseResult]:
    """A whole-file JSON value: one episode object or an array of them."""
    if content.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark, as Windows tools write
        content = content[3:]
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError as error:
        line, column = json_error_at(content, error)
        reason = f"invalid JSON (column {column}): {error.msg}"
        yield InputProblem(file, f"line {line}", reason, line=line)
        return
    yield from read_json_value(data, file, tz)


def read_json_value(data: Any, file: str, tz: dt.tzinfo) -> Iterator[ParseResult]:
    """A whole-file JSON value already parsed: one episode object or an array of them."""
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield _episode_or_problem(item, tz, file, f"item [{index}]", None)
    else:
        yield _episode_or_problem(data, tz, file, "whole file", None)


def read_jsonl(
    lines: Iterable[bytes | OversizedLine], file: str, tz: dt.tzinfo, first_line: int = 1
) -> Iterator[ParseResult]:
    """One episode per line; blank lines are skipped, every other line gives one result.
    `first_line` numbers the lines of a chunk cut from the middle of a file."""
    for number, raw in enumerate(lines, start=first_line):
        if isinstance(raw, OversizedLine):
            yield InputProblem(
                file,
                f"line {number}",
                f"line longer than the limit of {MAX_RECORD_BYTES // 2**20} MiB; skipped",
                line=number,
            )
            continue
        text = raw.strip()
        if not text:
            continue
        if number == 1 and text.startswith(b"\xef\xbb\xbf"):
            text = text[3:]
        try:  # the common case, in one pass of pydantic-core over the bytes
            yield Episode.model_validate_json(text, context={"tz": tz})
            continue
        except ValidationError:
            pass  # the path below parses first, to say precisely what is wrong
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            yield InputProblem(
                file,
                f"line {number}",
                f"invalid JSON (column {json_error_at(text, error)[1]}): {error.msg}",
                line=number,
            )
            continue
        yield _episode_or_problem(data, tz, file, f"line {number}", number)


class OversizedLine:
    """Stands for a line that was longer than the limit; its bytes were not kept."""


def bounded_lines(
    stream: BinaryIO, limit: int = MAX_RECORD_BYTES
) -> Iterator[bytes | OversizedLine]:
    """Lines of a stream, never holding more than `limit` bytes of one line in memory: a longer
    line is read through in chunks and given as one `OversizedLine`."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = stream.readline(limit)
        yield OversizedLine()


def read_json_stream(
    stream: BinaryIO, file: str, tz: dt.tzinfo, limit: int = MAX_RECORD_BYTES
) -> Iterator[ParseResult]:
    """A whole-file JSON document, refused with a clear reason above `limit` bytes."""
    content = stream.read(limit + 1)
    if len(content) > limit:
        yield InputProblem(
            file,
            "whole file",
            f"a single JSON document larger than "
            f"{limit // 2**20} MiB; write one episode per line (JSONL) instead",
        )
        return
    yield from read_json_document(content, file, tz)


def json_error_at(content: bytes, error: orjson.JSONDecodeError) -> tuple[int, int]:
    """Line and column (from 1; columns in characters, as an editor shows them) of the error
    orjson found in `content`. orjson counts in the decoded text, not in bytes; when the bytes
    are not UTF-8 it names the start of the input, so the first bad byte is found here."""
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as bad:
        line_start = content.rfind(b"\n", 0, bad.start) + 1
        column = len(content[line_start : bad.start].decode("utf-8")) + 1
        return content.count(b"\n", 0, bad.start) + 1, column
    return error.lineno, error.colno


def _json_type(value: Any) -> str:
    return {
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }.get(type(value), type(value).__name__)
