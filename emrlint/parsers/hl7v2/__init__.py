"""HL7 v2 input: message streams (ADT, MDM, ORM/OMG/OML/OMP/RDE, ORU/OUL, SIU, RAS) grouped
into episodes. `read_hl7v2` is the entry point the format detector calls.

    er7.py        bytes -> messages -> segments (the lean default path: framing, delimiters,
                  escapes, timestamps)
    reference.py  hl7apy parses, and with --strict-hl7 validates, each message instead
    mapping.py    shipped code tables + the site's [mapping.hl7v2] overrides
    facts.py      MessageFacts, and reading shared data types (XCN clinicians, TS times)
    extract.py    one message -> MessageFacts (header, patient, visit, ADT stay)
    items.py      its items: diagnoses, procedures, documents, orders, schedules, …
    results.py    its results and assessments (ORU/OUL)
    assembly.py   facts -> visits: grouping, merges, MSH-7 order, ADT semantics
    building.py   a visit -> its Episode, or the problem that stops one

A message that cannot be used becomes an InputProblem naming the file, the message number and
the reason; reading goes on with the next message. A stay any part of which cannot be read —
one of its messages, an item, a value — is one InputProblem listing every reason, never an
episode checked without that part. docs/hl7v2-mapping.md is the reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Literal

from emrlint.model import Episode
from emrlint.parsers.context import ParseContext
from emrlint.parsers.hl7v2.assembly import assemble
from emrlint.parsers.hl7v2.er7 import (
    Delimiters,
    Er7Segment,
    RawMessage,
    SegmentView,
    iter_lines,
    iter_raw_messages,
)
from emrlint.parsers.hl7v2.extract import (
    NEEDED_SEGMENTS,
    address_of,
    extract_message,
    safe_code,
)
from emrlint.parsers.hl7v2.facts import Address, MessageFacts, Reading, Skip
from emrlint.parsers.hl7v2.mapping import MappingError, load_mapping
from emrlint.parsers.problems import InputProblem

__all__ = ["ParsePath", "read_hl7v2", "read_hl7v2_with", "read_message"]

ParsePath = Literal["lean", "reference", "strict"]
_ZSEGMENTS = "HL7 Z-segments (not mapped, ignored)"


def read_hl7v2(
    stream: BinaryIO, name: str, context: ParseContext
) -> Iterator[Episode | InputProblem]:
    """Every episode of an HL7 v2 file, or for a stay part of which cannot be read the one
    problem that lists every reason; and a problem for each unusable message of no stay.

    The lean tokenizer reads by default; `context.strict_hl7` has hl7apy parse and validate
    every message instead, and a message hl7apy rejects is reported and not used.
    """
    yield from read_hl7v2_with(stream, name, context, "strict" if context.strict_hl7 else "lean")


def read_hl7v2_with(
    stream: BinaryIO, name: str, context: ParseContext, path: ParsePath
) -> Iterator[Episode | InputProblem]:
    """`read_hl7v2` with the parsing path chosen: "lean", "strict", or "reference" (hl7apy
    without validation: what the differential test compares the lean path with)."""
    try:
        mapping = load_mapping(context.mapping("hl7v2"))
    except MappingError as error:
        yield InputProblem(name, "whole file", f"configuration [mapping.hl7v2]: {error}")
        return
    reading = Reading(mapping, context.vocabulary, context.tz, context.skipped)
    facts: list[MessageFacts] = []
    unread: list[tuple[Address | None, InputProblem, int]] = []
    for raw in iter_raw_messages(iter_lines(stream)):
        result = read_message(raw, reading, name, path)
        if isinstance(result, InputProblem):  # kept for the stay it may belong to
            unread.append((address_of(raw, reading), result, raw.number))
        elif result is not None:
            facts.append(result)
    yield from assemble(facts, reading, name, unread)


def read_message(
    raw: RawMessage, reading: Reading, file: str, path: ParsePath
) -> MessageFacts | InputProblem | None:
    """One message -> its facts, a problem, or None (a known message the model has no use
    for, counted in `reading.skipped`)."""
    where = f"message {raw.number} (line {raw.line})"
    if not raw.has_header:
        segment = safe_code(raw.lines[0][:3].decode("ascii", "replace"))
        reason = f"missing MSH: the message starts with segment {segment}"
        return InputProblem(file, where, reason, line=raw.line)
    header = raw.lines[0].decode("ascii", "replace")
    try:
        delimiters = Delimiters.from_msh(header)
    except ValueError as error:  # MSH-1/MSH-2 cannot be delimiters: the message is unreadable
        return InputProblem(file, where, str(error), line=raw.line)
    try:
        header_segment = Er7Segment(header, delimiters)
        code, event = header_segment.value(9, 1), header_segment.value(9, 2)
        if code is not None:
            label = f"{safe_code(code)}^{safe_code(event)}" if event else safe_code(code)
            where = f"message {raw.number} ({label}, line {raw.line})"
        lines = _decode(raw, reading)
        msh = Er7Segment(lines[0], delimiters)
        segments = _segments(lines, delimiters, msh, reading, path)
        return extract_message(segments, reading, raw.number, raw.line)
    except Skip as skip:
        if skip.count is not None:
            reading.skipped[skip.count] += 1
            return None
        return InputProblem(file, where, skip.reason, line=raw.line)
    except Exception as error:  # a reader bug must not end the run: report it, go on
        reason = f"could not be read: internal error ({type(error).__name__})"
        return InputProblem(file, where, reason, line=raw.line)


def _decode(raw: RawMessage, reading: Reading) -> list[str]:
    header = raw.lines[0]
    fields = header.split(header[3:4]) if len(header) > 3 else []
    declared = fields[17].split(b"^")[0].decode("ascii", "replace") if len(fields) > 17 else ""
    codec = reading.mapping.code("charsets", declared) if declared else "utf-8"
    if codec is None:
        raise Skip("MSH-18 names a character set that is not in [mapping.hl7v2.charsets]")
    try:
        return [line.decode(codec) for line in raw.lines]
    except UnicodeDecodeError:
        named = "MSH-18 names no other character set" if not declared else "as MSH-18 says"
        raise Skip(f"not valid {codec} text ({named})") from None


def _segments(
    lines: list[str], delimiters: Delimiters, msh: Er7Segment, reading: Reading, path: ParsePath
) -> list[SegmentView]:
    """The segments the mapping reads. emrlint's Z-segments (when mapped) are always split by
    the lean tokenizer: hl7apy knows no Z-segment, so the strict path validates the message
    without them and reads them exactly as the default path does."""
    mapped = reading.mapping.z_segments
    zsegments = sum(1 for line in lines if line[:1] == "Z" and line[:3] not in mapped)
    if zsegments:
        reading.skipped[_ZSEGMENTS] += zsegments
    if path == "lean":
        segments: list[SegmentView] = [msh]
        segments.extend(
            Er7Segment(line, delimiters)
            for line in lines[1:]
            if line[:3] in NEEDED_SEGMENTS or line[:3] in mapped
        )
        return segments
    from emrlint.parsers.hl7v2.reference import ReferenceRejection, reference_segments

    standard = [lines[0], *(line for line in lines[1:] if line[:3] not in mapped)]
    own = [Er7Segment(line, delimiters) for line in lines[1:] if line[:3] in mapped]
    try:
        found = list(reference_segments(standard, delimiters, path == "strict", NEEDED_SEGMENTS))
    except ReferenceRejection as rejection:
        raise Skip(rejection.reason) from None
    return [*found, *own]
