"""Input: find files, detect their format, and turn them into Episodes or InputProblems.

`read_paths` is the one entry point. It never raises for bad records: each becomes an
`InputProblem`. It raises `UsageError` only for a path that cannot be opened at all.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from emrlint.errors import UsageError
from emrlint.model import Episode
from emrlint.parsers.context import ParseContext
from emrlint.parsers.native import bounded_lines, read_json_stream, read_jsonl
from emrlint.parsers.problems import InputProblem

__all__ = [
    "InputFormat",
    "InputProblem",
    "ParseContext",
    "detect_format",
    "is_fhir_bulk_folder",
    "iter_input_files",
    "read_paths",
]

# Logs name files, positions and formats only: never record content (docs/privacy.md).
log = logging.getLogger("emrlint.parsers")

INPUT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".hl7", ".txt", ".er7")
_SNIFF_BYTES = 4096


class InputFormat(StrEnum):
    auto = "auto"
    native = "native"  # JSON document or JSON array
    jsonl = "jsonl"
    fhir = "fhir"
    hl7v2 = "hl7v2"


def iter_input_files(paths: Iterable[str]) -> Iterator[str]:
    """Expand folders recursively (sorted, so runs are reproducible); `-` stands for stdin.

    A folder holding a FHIR bulk export (`*.ndjson` files of FHIR resources) is yielded as
    the folder itself: its files are only meaningful together.
    """
    for raw in paths:
        if raw == "-":
            yield raw
            continue
        path = Path(raw)
        if path.is_dir():
            yield from _expand_folder(path)
        elif path.is_file():
            yield str(path)
        else:
            raise UsageError(f"cannot open {raw}: no such file or folder")


def _expand_folder(folder: Path) -> Iterator[str]:
    if is_fhir_bulk_folder(folder):
        yield str(folder)
        return
    for child in sorted(folder.iterdir()):
        if child.is_dir():
            yield from _expand_folder(child)
        elif child.is_file() and child.suffix.lower() in INPUT_SUFFIXES:
            yield str(child)


def is_fhir_bulk_folder(folder: Path) -> bool:
    """A folder read as one FHIR unit, because its files are only meaningful together: NDJSON
    files of FHIR resources (a Bulk Data $export), or JSON files that each hold one FHIR
    resource other than a Bundle (a folder of single resources)."""
    ndjson = sorted(folder.glob("*.ndjson"))
    if ndjson:
        head = _head(ndjson[0])
        return head is not None and b'"resourceType"' in head
    documents = sorted(folder.glob("*.json"))
    if not documents or any(child.is_dir() for child in folder.iterdir()):
        return False
    for document in documents:
        head = _head(document)
        if head is None or not _SINGLE_RESOURCE.search(head) or _BUNDLE.search(head):
            return False
    return True


_SINGLE_RESOURCE = re.compile(rb'"resourceType"\s*:')
_BUNDLE = re.compile(rb'"resourceType"\s*:\s*"Bundle"')


def _head(path: Path) -> bytes | None:
    try:
        with path.open("rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except OSError:
        return None


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
    context: ParseContext | dt.tzinfo,
    input_format: InputFormat = InputFormat.auto,
    stdin: BinaryIO | None = None,
) -> Iterator[Episode | InputProblem]:
    """Every record of every input, in input order. `context` may be just a timezone."""
    if not isinstance(context, ParseContext):
        context = ParseContext(tz=context)
    for file in iter_input_files(paths):
        if file == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _read_stream(stream, "<stdin>", context, input_format)
            continue
        if Path(file).is_dir():
            from emrlint.parsers.fhir import read_fhir_bulk

            yield from read_fhir_bulk(Path(file), context)
            continue
        try:
            handle = open(file, "rb")  # noqa: SIM115 - closed below, after streaming
        except OSError as error:
            yield InputProblem(file, "whole file", f"cannot read: {error.strerror}")
            continue
        with handle:
            yield from _read_stream(handle, file, context, input_format)


def _read_stream(
    stream: BinaryIO, name: str, context: ParseContext, input_format: InputFormat
) -> Iterator[Episode | InputProblem]:
    tz = context.tz
    head = stream.peek(_SNIFF_BYTES)[:_SNIFF_BYTES] if hasattr(stream, "peek") else b""
    fmt = detect_format(head, name) if input_format == InputFormat.auto else input_format
    log.debug("reading %s as %s", name, fmt.value)
    if fmt == InputFormat.jsonl:
        yield from read_jsonl(bounded_lines(stream), name, tz)
    elif fmt == InputFormat.native:
        yield from read_json_stream(stream, name, tz)
    elif fmt == InputFormat.fhir:
        from emrlint.parsers.fhir import read_fhir

        yield from read_fhir(stream, name, context)
    else:
        from emrlint.parsers.hl7v2 import read_hl7v2

        yield from read_hl7v2(stream, name, context)
