"""The reference path: hl7apy parses (and, for --strict-hl7, validates) each message, and its
object tree is turned into the same `SegmentView`s the lean tokenizer gives.

This is the only module of the package that imports hl7apy; no hl7apy object leaves it. It
resolves no escape sequences itself (hl7apy keeps raw text): both paths share `clean_value`, so
the differential test compares how each splits a message, which is where they could disagree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.exceptions import HL7apyException, MaxLengthReached, UnsupportedVersion
from hl7apy.parser import parse_message
from hl7apy.validation import Validator

from emrlint.parsers.hl7v2.er7 import Delimiters, clean_value

__all__ = ["ReferenceRejection", "TreeSegment", "reference_segments"]

_INDEX = re.compile(r"_(\d+)$")
# Versions whose structures the mapping's positions are written for; a message declaring
# another version is read against 2.5 on the reference path (see `reference_segments`).
_MAPPED_VERSIONS = frozenset({"2.3", "2.3.1", "2.4", "2.5", "2.5.1"})
_DATATYPE_VALUE = re.compile(r"is not an HL7 valid (\w+) value")


class ReferenceRejection(Exception):
    """hl7apy could not parse or would not validate the message; `reason` names no values."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# field -> repetitions -> component -> subcomponent -> raw text
_Tree = dict[int, list[dict[int, dict[int, str]]]]


class TreeSegment:
    """A segment read from hl7apy's tree, offering the lean path's `SegmentView` interface."""

    __slots__ = ("_delimiters", "_fields", "name")

    def __init__(self, name: str, fields: _Tree, delimiters: Delimiters) -> None:
        self.name = name
        self._fields = fields
        self._delimiters = delimiters

    def value(
        self, field: int, component: int = 1, subcomponent: int = 1, repetition: int = 0
    ) -> str | None:
        repetitions = self._fields.get(field)
        if not repetitions or repetition >= len(repetitions):
            return None
        raw = repetitions[repetition].get(component, {}).get(subcomponent)
        if raw is None:
            return None
        if self.name == "MSH" and field < 3:
            return raw
        return clean_value(raw, self._delimiters)

    def repetitions(self, field: int) -> int:
        return len(self._fields.get(field, ()))

    def components(self, field: int, repetition: int = 0) -> list[str | None]:
        repetitions = self._fields.get(field)
        if not repetitions or repetition >= len(repetitions):
            return []
        components = repetitions[repetition]
        if not components:
            return []
        return [
            clean_value(components.get(n, {}).get(1, ""), self._delimiters)
            for n in range(1, max(components) + 1)
        ]


def reference_segments(
    lines: Sequence[str], delimiters: Delimiters, validate: bool, needed: frozenset[str]
) -> list[TreeSegment]:
    """Parse with hl7apy.

    Validating (--strict-hl7): the whole message, STRICT, against the version it declares,
    then `Validator.validate`. Not validating (the differential test's reference): TOLERANT,
    only the segments the mapping reads (`needed`), and against the 2.5 structures when the
    message declares a version outside 2.3-2.5.1 — the mapping reads 2.5 positions, and
    hl7apy's later structures mark fields withdrawn since 2.5 as having no position.
    """
    if validate:
        text = "\r".join(lines)
    else:
        kept = [lines[0], *(line for line in lines[1:] if line[:3] in needed)]
        kept[0] = _as_mapped_version(kept[0], delimiters)
        text = "\r".join(kept)
    try:
        if validate:
            message = parse_message(
                text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True
            )
            Validator.validate(message)
        else:
            message = parse_message(
                text, validation_level=VALIDATION_LEVEL.TOLERANT, find_groups=False
            )
        return [_segment(s, delimiters) for s in _segments_of(message)]
    except ReferenceRejection:
        raise
    except Exception as error:  # hl7apy raises many types; each becomes a named rejection
        raise ReferenceRejection(_describe(error)) from None


def _as_mapped_version(msh: str, delimiters: Delimiters) -> str:
    fields = msh.split(delimiters.field)
    if len(fields) > 11:
        version = fields[11].split(delimiters.component)[0]
        if version not in _MAPPED_VERSIONS:
            fields[11] = "2.5"
    return delimiters.field.join(fields)


def _segments_of(element: Any) -> list[Any]:
    found = []
    for child in element.children:
        if child.classname == "Segment":
            found.append(child)
        else:
            found.extend(_segments_of(child))
    return found


def _segment(segment: Any, delimiters: Delimiters) -> TreeSegment:
    fields: _Tree = {}
    for field in segment.children:
        index = _index(field.name) if field.name else None
        if index is None:  # a field hl7apy knows only as withdrawn: its position is lost
            continue
        components: dict[int, dict[int, str]] = {}
        for order, component in enumerate(field.children, start=1):
            position = _index(component.name, order)
            if position is None:  # past the data type's last component: position unknown
                continue
            subs: dict[int, str] = {}
            for sub_order, sub in enumerate(component.children, start=1):
                sub_position = _index(sub.name, sub_order)
                if sub_position is not None:
                    subs[sub_position] = _raw(sub.value)
            components[position] = subs
        fields.setdefault(index, []).append(components)
    return TreeSegment(segment.name, fields, delimiters)


def _index(name: str | None, order: int = 1) -> int | None:
    """Position from an hl7apy name (`PID_3`, `CX_1`); a bare data-type name (`ST`) means the
    parts of a simple type, in order; None (past the type's definition) means unknown."""
    if name is None:
        return None
    found = _INDEX.search(name)
    return int(found.group(1)) if found else order


def _raw(value: Any) -> str:
    """The text as written: textual types keep it in `.value`; others re-encode it."""
    if value is None:
        return ""
    inner = getattr(value, "value", value)
    if isinstance(inner, str):
        return inner
    return str(value.to_er7()) if hasattr(value, "to_er7") else str(value)


def _describe(error: Exception) -> str:
    """hl7apy's complaint without the values it quotes (they may be patient data)."""
    kind = type(error).__name__
    if isinstance(error, MaxLengthReached):
        detail = f"a value is longer than the maximum length {error.limit}"
    elif isinstance(error, UnsupportedVersion):
        detail = "MSH-12 names a version hl7apy does not support"
    elif isinstance(error, ValueError) and not isinstance(error, HL7apyException):
        found = _DATATYPE_VALUE.search(str(error))
        detail = f"a value is not a valid {found.group(1)}" if found else "a value is not valid"
    elif isinstance(error, HL7apyException) and "Invalid date offset" not in str(error):
        detail = str(error)
    else:
        detail = "the message could not be parsed"
    return f"rejected by hl7apy ({kind}): {detail}"[:300]
