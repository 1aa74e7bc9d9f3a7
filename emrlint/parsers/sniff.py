"""Which reader an input needs, decided from its content the way a person would look at it.

The first bytes tell HL7 v2 (``MSH|``) and text emrlint cannot read (UTF-16/32). For JSON the
first *line* decides, whatever its length: a whole JSON object on it is a line of JSONL or
NDJSON (FHIR when the object has a top-level ``resourceType``), a line that is not a whole
value starts one JSON document, which is then parsed to see whether it is FHIR. Looking only at
the first few KiB, as an earlier version did, misread native JSONL whose lines are longer than
that (a typical stay is ~30 KB) as one broken document, and an episode whose extensions quote a
FHIR resource as FHIR.

What is read to decide is given back: `sniff` returns a stream that replays those bytes, so it
works on stdin as on files.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, BinaryIO

import orjson

from emrlint.parsers.native import MAX_RECORD_BYTES

__all__ = ["NOT_PARSED", "InputFormat", "Sniffed", "detect_format", "sniff", "sniff_file"]


class InputFormat(StrEnum):
    auto = "auto"
    native = "native"  # JSON document or JSON array
    jsonl = "jsonl"
    fhir = "fhir"
    hl7v2 = "hl7v2"


_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16 (and UTF-32 LE, which starts the same)
_HL7_STARTS = (b"MSH|", b"FHS|", b"BHS|", b"\x0bMSH|")
_LINE_NAMES = (".jsonl", ".ndjson")


NOT_PARSED = object()  # Sniffed.document when sniffing did not parse a whole document


@dataclass(frozen=True)
class Sniffed:
    """The format to read (None: the input cannot be read at all, `problem` says why) and the
    stream to read it from, which replays what was read to decide. A JSON document that had
    to be parsed to decide comes along as `document`, so it is not parsed twice."""

    format: InputFormat | None
    stream: BinaryIO
    problem: str | None = None
    document: Any = NOT_PARSED


def detect_format(head: bytes, name: str) -> InputFormat:
    """A guess from the first bytes alone, for when nothing more can be read. `sniff` is the
    decision readers use: it also reads the first line, or the whole document."""
    text = head.lstrip(_BOM + b" \t\r\n")
    if text.startswith(_HL7_STARTS):
        return InputFormat.hl7v2
    if b'"resourceType"' in head:
        return InputFormat.fhir
    if name.lower().endswith(_LINE_NAMES):
        return InputFormat.jsonl
    first_line, _, rest = text.partition(b"\n")
    if first_line.rstrip().endswith(b"}") and rest.lstrip().startswith(b"{"):
        return InputFormat.jsonl
    return InputFormat.native


def sniff(stream: BinaryIO, name: str, whole_documents: bool = True) -> Sniffed:
    """Decide how to read `stream` (named `name`, whose suffix only breaks ties).
    `whole_documents` False: a JSON document is judged by its first bytes instead of being
    parsed, for a caller that only needs to know whether the input is read line by line."""
    first = stream.readline(MAX_RECORD_BYTES + 1)
    text = first.removeprefix(_BOM)
    if text.startswith(_WIDE_BOMS):
        return Sniffed(None, _replay(first, stream), _WIDE_TEXT)
    if text.lstrip(b" \t\r\n").startswith(_HL7_STARTS):
        return Sniffed(InputFormat.hl7v2, _replay(first, stream))
    value = _whole_value(text)
    if isinstance(value, dict):
        if "resourceType" in value:
            return Sniffed(InputFormat.fhir, _replay(first, stream))
        lines = name.lower().endswith(_LINE_NAMES) or _more_follows(stream)
        return Sniffed(InputFormat.jsonl if lines else InputFormat.native, _replay(first, stream))
    if value is not None:  # a JSON array (or a bare value) on one line: one document
        return Sniffed(InputFormat.native, _replay(first, stream))
    if name.lower().endswith(_LINE_NAMES):  # NDJSON whose first line is broken
        return Sniffed(detect_format(first[:4096], name), _replay(first, stream))
    if not whole_documents:
        return Sniffed(detect_format(first[:4096], name), _replay(first, stream))
    content = first + stream.read(MAX_RECORD_BYTES + 1 - len(first))
    document = _parsed(content)
    if document is NOT_PARSED:  # too large, or not JSON: the right reader reports what is wrong
        return Sniffed(detect_format(content[:4096], name), _replay(content, stream))
    is_fhir = isinstance(document, dict) and "resourceType" in document
    fmt = InputFormat.fhir if is_fhir else InputFormat.native
    return Sniffed(fmt, _replay(content, stream), document=document)


def sniff_file(path: str, whole_documents: bool = True) -> InputFormat | None:
    """`sniff` for a file on disk; None when it cannot be read as any format."""
    with open(path, "rb") as handle:
        return sniff(handle, path, whole_documents).format


_WIDE_TEXT = "the file is UTF-16 or UTF-32 text; emrlint reads UTF-8: convert it (e.g. iconv)"


def _whole_value(line: bytes) -> Any:
    """The JSON value of one line if the line is exactly one, else None."""
    if not line.strip() or len(line) > MAX_RECORD_BYTES:
        return None
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return None


def _more_follows(stream: BinaryIO) -> bool:
    """Whether a non-blank line follows, looking without consuming where the stream allows
    (a file or stdin: both are buffered readers); a stream that cannot look ahead is taken to
    hold more, so its lines are read one by one."""
    peek: Callable[[int], bytes] | None = getattr(stream, "peek", None)
    if peek is None:
        return True
    ahead = peek(4096)
    return bool(ahead.strip()) or len(ahead) >= 4096


def _parsed(content: bytes) -> Any:
    """One JSON document's value, or NOT_PARSED when it is over the record limit or not JSON."""
    if len(content) > MAX_RECORD_BYTES:
        return NOT_PARSED
    try:
        return orjson.loads(content.removeprefix(_BOM))
    except orjson.JSONDecodeError:
        return NOT_PARSED


class _Replay(io.RawIOBase):
    """`prefix`, then the rest of `stream`: what sniffing read, given back."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            count = min(len(buffer), len(self._prefix))
            buffer[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _replay(prefix: bytes, stream: BinaryIO) -> BinaryIO:
    return io.BufferedReader(_Replay(prefix, stream), buffer_size=1 << 16)
