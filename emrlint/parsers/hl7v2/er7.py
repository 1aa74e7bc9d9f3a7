"""ER7 ("pipe and hat") text: framing, delimiters, field access, escapes and timestamps.

This is the lean default path of the HL7 v2 reader. It cuts a byte stream into messages
(segments separated by CR, LF or CRLF; a UTF-8 BOM, MLLP start and end bytes and FHS/BHS batch
envelopes are removed), reads each message's delimiters from MSH-1/MSH-2 and splits a field only
when the mapping asks for it. It validates nothing beyond what it needs to find a value: the
reference path (`reference.py`, hl7apy) does that. It knows nothing about episodes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

__all__ = [
    "Delimiters",
    "Er7Segment",
    "RawMessage",
    "SegmentView",
    "TimestampError",
    "clean_value",
    "iter_lines",
    "iter_raw_messages",
    "parse_timestamp",
    "unescape",
]

_BOM = b"\xef\xbb\xbf"
# Framing and padding bytes around a segment: MLLP start block (VT) and end block (FS),
# other C0 separators some interfaces leave behind, and plain blanks.
_STRIP = b" \t\x00\x0b\x0c\x1c\x1d\x1e\x1f"
_ENVELOPE = (b"FHS", b"BHS", b"BTS", b"FTS")
_DEFAULT_HEADER = b"|^~\\&"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The separators of one message, from MSH-1 and MSH-2 (None: not used by the sender)."""

    field: str
    component: str
    repetition: str | None
    escape: str | None
    subcomponent: str | None

    @classmethod
    def from_msh(cls, line: str) -> Delimiters:
        """Read MSH-1/MSH-2; ValueError when they cannot be delimiters."""
        if len(line) < 5 or not line.startswith("MSH"):
            raise ValueError("MSH-1/MSH-2 (field separator and encoding characters) are missing")
        field = line[3]
        encoding = line[4:].split(field, 1)[0]
        chars = [field, *encoding[:4]]
        if not encoding or any(c.isalnum() or c.isspace() for c in chars):
            raise ValueError("MSH-1/MSH-2 do not hold valid delimiters")
        if len(set(chars)) != len(chars):
            raise ValueError("MSH-2 repeats a delimiter")
        rest: list[str | None] = [*encoding[1:4], None, None, None]
        return cls(field, encoding[0], rest[0], rest[1], rest[2])


@dataclass(slots=True)
class RawMessage:
    """One message as cut from the stream: its segment lines, still bytes."""

    number: int  # 1-based position in the file
    line: int  # line of its first segment
    lines: list[bytes]
    has_header: bool  # False: the segments did not start with MSH


class SegmentView(Protocol):
    """What the mapping reads from a segment; the lean and the hl7apy paths both provide it.

    Positions are HL7's: field 1 is the first field after the segment id (for MSH, MSH-1 is
    the field separator), components and subcomponents count from 1, repetitions from 0.
    Values come back unescaped; empty and `""` (HL7's explicit null) come back as None.
    """

    name: str

    def value(
        self, field: int, component: int = 1, subcomponent: int = 1, repetition: int = 0
    ) -> str | None: ...

    def repetitions(self, field: int) -> int: ...

    def components(self, field: int, repetition: int = 0) -> list[str | None]: ...


def iter_lines(stream: BinaryIO, chunk_size: int = _CHUNK) -> Iterator[tuple[int, bytes]]:
    """(line number, segment bytes) for every line, separators and framing removed.

    CR, LF and CRLF each end a line (CRLF counts once, also across chunk boundaries). A BOM is
    removed wherever a line starts with one, so concatenated files read cleanly.
    """
    number = 0
    carry = b""
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            break
        pieces = (carry + chunk).splitlines(keepends=True)
        last = pieces[-1]
        # A piece ending in CR may be the first half of a CRLF split by the chunk boundary.
        carry = last if not last.endswith(b"\n") else b""
        if carry:
            pieces.pop()
        for piece in pieces:
            number += 1
            yield number, _clean_line(piece)
    if carry:
        yield number + 1, _clean_line(carry)


def _clean_line(piece: bytes) -> bytes:
    line = piece.rstrip(b"\r\n").strip(_STRIP)
    while line.startswith(_BOM):
        line = line[3:].strip(_STRIP)
    return line


def iter_raw_messages(lines: Iterable[tuple[int, bytes]]) -> Iterator[RawMessage]:
    """Group lines into messages: each MSH starts one; FHS/BHS/BTS/FTS envelopes are dropped.

    Segments before any MSH, or after an envelope, form a message without header (reported by
    the caller as "missing MSH"). A line that carries the header's delimiters right after its
    segment id (`XYZ|^~\\&|`) is a damaged MSH: it starts a new header-less message instead of
    silently joining the previous one.
    """
    current: RawMessage | None = None
    count = 0
    header = _DEFAULT_HEADER
    for number, line in lines:
        if not line:
            continue
        tag = line[:3]
        if tag == b"MSH":
            if current is not None:
                yield current
            count += 1
            current = RawMessage(count, number, [line], True)
            header = line[3:8] or _DEFAULT_HEADER
            continue
        if tag in _ENVELOPE:
            if current is not None:
                yield current
            current = None
            continue
        if current is None or line[3:8] == header:
            if current is not None:
                yield current
            count += 1
            current = RawMessage(count, number, [line], False)
            continue
        current.lines.append(line)
    if current is not None:
        yield current


class Er7Segment:
    """A segment of the lean path: the line is split into fields once, the rest on demand."""

    __slots__ = ("_delimiters", "_fields", "name")

    def __init__(self, line: str, delimiters: Delimiters) -> None:
        fields = line.split(delimiters.field)
        self.name = fields[0]
        if self.name == "MSH":
            # MSH-1 is the separator itself, so MSH-n sits at index n after this insert.
            fields.insert(1, delimiters.field)
        self._fields = fields
        self._delimiters = delimiters

    def _repetition(self, field: int, repetition: int) -> str | None:
        fields = self._fields
        if field >= len(fields) or field < 1:
            return None
        raw = fields[field]
        if not raw:
            return None
        separator = self._delimiters.repetition
        if separator is not None and separator in raw and not (self.name == "MSH" and field < 3):
            parts = raw.split(separator)
            return parts[repetition] if repetition < len(parts) else None
        return raw if repetition == 0 else None

    def value(
        self, field: int, component: int = 1, subcomponent: int = 1, repetition: int = 0
    ) -> str | None:
        raw = self._repetition(field, repetition)
        if raw is None:
            return None
        if self.name == "MSH" and field < 3:
            return raw
        d = self._delimiters
        if d.component in raw:
            parts = raw.split(d.component)
            if component > len(parts):
                return None
            raw = parts[component - 1]
        elif component > 1:
            return None
        if d.subcomponent is not None and d.subcomponent in raw:
            parts = raw.split(d.subcomponent)
            if subcomponent > len(parts):
                return None
            raw = parts[subcomponent - 1]
        elif subcomponent > 1:
            return None
        return clean_value(raw, d)

    def repetitions(self, field: int) -> int:
        fields = self._fields
        if field >= len(fields) or field < 1 or not fields[field]:
            return 0
        separator = self._delimiters.repetition
        return fields[field].count(separator) + 1 if separator is not None else 1

    def components(self, field: int, repetition: int = 0) -> list[str | None]:
        raw = self._repetition(field, repetition)
        if raw is None:
            return []
        d = self._delimiters
        out: list[str | None] = []
        for part in raw.split(d.component):
            if d.subcomponent is not None and d.subcomponent in part:
                part = part.split(d.subcomponent, 1)[0]
            out.append(clean_value(part, d))
        return out


def clean_value(raw: str, delimiters: Delimiters) -> str | None:
    """A leaf value as the model wants it: unescaped; empty or `""` (HL7 null) is None."""
    if not raw or raw == '""':
        return None
    escape = delimiters.escape
    if escape is not None and escape in raw:
        raw = unescape(raw, delimiters)
    return raw or None


def unescape(text: str, d: Delimiters) -> str:
    """Resolve HL7 escape sequences (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\.br\\ \\Xhh\\ …).

    Highlighting, formatting and character-set switches carry no data for the model and are
    dropped; an unknown or unterminated sequence is kept as written, never guessed at.
    """
    escape = d.escape
    if escape is None:
        return text
    out: list[str] = []
    i = 0
    while True:
        j = text.find(escape, i)
        k = text.find(escape, j + 1) if j >= 0 else -1
        if j < 0 or k < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        out.append(_escape_sequence(text[j + 1 : k], d, text[j : k + 1]))
        i = k + 1


_SIMPLE = {"H": "", "N": "", ".br": "\n", ".fi": "", ".nf": ""}


def _escape_sequence(body: str, d: Delimiters, literal: str) -> str:
    match body:
        case "F":
            return d.field
        case "S":
            return d.component
        case "T":
            return d.subcomponent or literal
        case "R":
            return d.repetition or literal
        case "E":
            return d.escape or literal
    if body in _SIMPLE:
        return _SIMPLE[body]
    head = body[:1]
    if head == "X" and len(body) > 1:
        try:
            return bytes.fromhex(body[1:]).decode("utf-8", errors="replace")
        except ValueError:
            return literal
    if body.startswith((".sp", ".in", ".ti", ".sk", ".ce")) or head in ("C", "M", "Z"):
        return "\n" if body.startswith(".sp") else ""
    return literal


class TimestampError(ValueError):
    """A TS/DTM value that is not a date-time HL7 allows."""


def parse_timestamp(text: str, tz: dt.tzinfo) -> dt.datetime | dt.date | None:
    """HL7 TS/DTM `YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]` as the model keeps time points.

    To the minute or finer: an aware datetime (no offset: the site timezone `tz`). To the day
    or the hour: a `date`, because the model has no hour precision and rules that need the
    time must answer INDETERMINATE rather than read an invented minute. Coarser than a day
    (YYYY, YYYYMM): None — not a time point the model can hold. TimestampError otherwise.
    """
    s = text.strip()
    offset: dt.tzinfo | None = None
    cut = max(s.rfind("+"), s.rfind("-"))
    if cut > 0:
        offset = _offset(s[cut:])
        s = s[:cut]
    fraction = ""
    if "." in s:
        s, fraction = s.split(".", 1)
        if not fraction.isdigit() or len(fraction) > 6:
            raise TimestampError("bad fraction of a second")
    if not s.isdigit() or len(s) not in (4, 6, 8, 10, 12, 14):
        raise TimestampError("not a TS/DTM value")
    try:
        if len(s) <= 6:
            dt.date(int(s[:4]), int(s[4:6] or 1), 1)
            return None
        day = dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))
        if len(s) <= 10:
            if len(s) == 10 and not 0 <= int(s[8:10]) <= 23:
                raise TimestampError("hour out of range")
            return day
        micro = int(fraction.ljust(6, "0")) if fraction else 0
        value = dt.datetime(
            day.year, day.month, day.day, int(s[8:10]), int(s[10:12]), int(s[12:14] or 0), micro
        )
    except ValueError as error:
        raise TimestampError(str(error)) from None
    return value.replace(tzinfo=offset or tz)


def _offset(text: str) -> dt.tzinfo:
    if len(text) != 5 or not text[1:].isdigit():
        raise TimestampError("bad UTC offset")
    hours, minutes = int(text[1:3]), int(text[3:5])
    if hours > 14 or minutes > 59:
        raise TimestampError("UTC offset out of range")
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-delta if text[0] == "-" else delta)
