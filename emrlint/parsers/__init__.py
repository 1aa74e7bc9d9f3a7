"""Input: find files, detect their format, and turn them into Episodes or InputProblems.

`read_paths` is the one entry point. It never raises for bad records: each becomes an
`InputProblem`. It raises `UsageError` only for a path that cannot be opened at all.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from emrlint.errors import UsageError
from emrlint.model import Episode
from emrlint.parsers.native import read_json_document, read_jsonl
from emrlint.parsers.problems import InputProblem

__all__ = ["InputFormat", "InputProblem", "detect_format", "iter_input_files", "read_paths"]

INPUT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".hl7", ".txt", ".er7")
_SNIFF_BYTES = 4096


class InputFormat(StrEnum):
    auto = "auto"
    native = "native"  # JSON document or JSON array
    jsonl = "jsonl"
    fhir = "fhir"
    hl7v2 = "hl7v2"


def iter_input_files(paths: Iterable[str]) -> Iterator[str]:
    """Expand folders recursively (sorted, so runs are reproducible); `-` stands for stdin."""
    for raw in paths:
        if raw == "-":
            yield raw
            continue
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in INPUT_SUFFIXES:
                    yield str(child)
        elif path.is_file():
            yield str(path)
        else:
            raise UsageError(f"cannot open {raw}: no such file or folder")


def detect_format(head: bytes, name: str) -> InputFormat:
    """Decide by content; the file name only breaks ties (a one-line JSONL file)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"MSH|", b"FHS|", b"BHS|", b"\x0bMSH|")):
        return InputFormat.hl7v2
    if b'"resourceType"' in head:
        return InputFormat.fhir
    if name.lower().endswith((".jsonl", ".ndjson")):
        return InputFormat.jsonl
    first_line, _, rest = text.partition(b"\n")
    if first_line.rstrip().endswith(b"}") and rest.lstrip().startswith(b"{"):
        return InputFormat.jsonl
    return InputFormat.native


def read_paths(
    paths: Iterable[str],
    tz: dt.tzinfo,
    input_format: InputFormat = InputFormat.auto,
    stdin: BinaryIO | None = None,
) -> Iterator[Episode | InputProblem]:
    for file in iter_input_files(paths):
        if file == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _read_stream(stream, "<stdin>", tz, input_format)
            continue
        try:
            handle = open(file, "rb")  # noqa: SIM115 - closed below, after streaming
        except OSError as error:
            yield InputProblem(file, "whole file", f"cannot read: {error.strerror}")
            continue
        with handle:
            yield from _read_stream(handle, file, tz, input_format)


def _read_stream(
    stream: BinaryIO, name: str, tz: dt.tzinfo, input_format: InputFormat
) -> Iterator[Episode | InputProblem]:
    head = stream.peek(_SNIFF_BYTES)[:_SNIFF_BYTES] if hasattr(stream, "peek") else b""
    fmt = detect_format(head, name) if input_format == InputFormat.auto else input_format
    if fmt == InputFormat.jsonl:
        yield from read_jsonl(stream, name, tz)
    elif fmt == InputFormat.native:
        yield from read_json_document(stream.read(), name, tz)
    else:
        yield InputProblem(
            name,
            "whole file",
            f"{fmt.value} input is recognised but not supported yet; convert it to native JSON",
        )
