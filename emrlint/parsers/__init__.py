"""Input: find files, detect their format, and turn them into Episodes or InputProblems.

`read_paths` is the one entry point. It never raises for bad records: each becomes an
`InputProblem`. It raises `UsageError` only for a path that cannot be opened at all.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from emrlint.errors import UsageError
from emrlint.model import Episode
from emrlint.parsers.context import ParseContext
from emrlint.parsers.native import bounded_lines, read_json_stream, read_json_value, read_jsonl
from emrlint.parsers.problems import InputProblem
from emrlint.parsers.sniff import NOT_PARSED, InputFormat, detect_format, sniff, sniff_file

__all__ = [
    "InputFormat",
    "InputProblem",
    "ParseContext",
    "detect_format",
    "is_fhir_bulk_folder",
    "iter_input_files",
    "read_input",
    "read_paths",
    "sniff_file",
]

# Logs name files, positions and formats only: never record content (docs/privacy.md).
log = logging.getLogger("emrlint.parsers")

INPUT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".hl7", ".txt", ".er7")
_BULK_SUFFIXES = (".ndjson", ".json")  # what read_fhir_bulk reads of a bulk folder
_SNIFF_BYTES = 4096


def iter_input_files(paths: Iterable[str], skipped: Counter[str] | None = None) -> Iterator[str]:
    """Expand folders recursively (sorted, so runs are reproducible); `-` stands for stdin.

    A folder holding a FHIR bulk export (`*.ndjson` files of FHIR resources) is yielded as
    the folder itself, since those files are only meaningful together; its other input files
    (HL7 v2, JSONL…) and subfolders are expanded as usual. Files in folders whose suffix is
    not in INPUT_SUFFIXES are counted in `skipped`, never dropped unseen.
    """
    for raw in paths:
        if raw == "-":
            yield raw
            continue
        path = Path(raw)
        if path.is_dir():
            yield from _expand_folder(path, skipped)
        elif path.is_file():
            yield str(path)
        else:
            raise UsageError(f"cannot open {raw}: no such file or folder")


def _expand_folder(folder: Path, skipped: Counter[str] | None) -> Iterator[str]:
    bulk = is_fhir_bulk_folder(folder)
    if bulk:
        yield str(folder)
    for child in sorted(folder.iterdir()):
        suffix = child.suffix.lower()
        if child.is_dir():
            yield from _expand_folder(child, skipped)
        elif not child.is_file() or (bulk and suffix in _BULK_SUFFIXES):
            continue
        elif suffix in INPUT_SUFFIXES:
            yield str(child)
        elif skipped is not None:
            skipped[f"files in folders not read (suffix {suffix or 'none'})"] += 1


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


def read_paths(
    paths: Iterable[str],
    context: ParseContext | dt.tzinfo,
    input_format: InputFormat = InputFormat.auto,
    stdin: BinaryIO | None = None,
) -> Iterator[Episode | InputProblem]:
    """Every record of every input, in input order. `context` may be just a timezone."""
    if not isinstance(context, ParseContext):
        context = ParseContext(tz=context)
    for file in iter_input_files(paths, context.skipped):
        yield from read_input(file, context, input_format, stdin)


def read_input(
    file: str,
    context: ParseContext,
    input_format: InputFormat = InputFormat.auto,
    stdin: BinaryIO | None = None,
) -> Iterator[Episode | InputProblem]:
    """Every record of one input as `iter_input_files` gives it: a file, `-` (stdin), or a
    FHIR bulk folder (read as one unit, without the folder's other files)."""
    if file == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        yield from _read_stream(stream, "<stdin>", context, input_format)
        return
    if Path(file).is_dir():
        from emrlint.parsers.fhir import read_fhir_bulk

        yield from read_fhir_bulk(Path(file), context)
        return
    try:
        handle = open(file, "rb")  # noqa: SIM115 - closed below, after streaming
    except OSError as error:
        yield InputProblem(file, "whole file", f"cannot read: {error.strerror}")
        return
    with handle:
        yield from _read_stream(handle, file, context, input_format)


def _read_document(
    document: Any, fmt: InputFormat, name: str, context: ParseContext
) -> Iterator[Episode | InputProblem]:
    if fmt == InputFormat.fhir:
        from emrlint.parsers.fhir import read_fhir_value

        yield from read_fhir_value(document, name, context)
    else:
        yield from read_json_value(document, name, context.tz)


def _read_stream(
    stream: BinaryIO, name: str, context: ParseContext, input_format: InputFormat
) -> Iterator[Episode | InputProblem]:
    tz = context.tz
    fmt = input_format
    if input_format == InputFormat.auto:
        sniffed = sniff(stream, name)
        if sniffed.format is None:
            yield InputProblem(name, "whole file", sniffed.problem or "cannot be read")
            return
        fmt, stream = sniffed.format, sniffed.stream
        if sniffed.document is not NOT_PARSED:  # parsed to decide: read it, do not parse again
            log.debug("reading %s as a %s document", name, fmt.value)
            yield from _read_document(sniffed.document, fmt, name, context)
            return
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
