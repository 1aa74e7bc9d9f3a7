"""What one message says, before it is placed in an episode: `MessageFacts`, and the small
readers of shared HL7 data types (XCN/PPN clinicians, TS times) the extractors use.

Facts are plain data with model field names, so later messages can update earlier items key by
key and the assembler can build model records once, at the end.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from emrlint.model.vocabulary import Vocabulary
from emrlint.parsers.hl7v2.er7 import SegmentView, TimestampError, parse_timestamp
from emrlint.parsers.hl7v2.mapping import Hl7Mapping

__all__ = ["Address", "MessageFacts", "Reading", "Skip", "StayFacts"]

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class Skip(Exception):
    """The message is not read: `reason` becomes an InputProblem, or with `count` set a
    counted skip (known message types the model has no place for)."""

    def __init__(self, reason: str, count: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.count = count


@dataclass(slots=True)
class StayFacts:
    """The stay as one ADT message describes it (None: the message does not say)."""

    patient_class: str | None = None
    admitted_at: dt.datetime | dt.date | None = None
    discharged_at: dt.datetime | dt.date | None = None
    department: str | None = None
    ward: str | None = None
    admission_route: str | None = None
    disposition: str | None = None
    died_at: dt.datetime | dt.date | None = None
    death_indicated: bool = False
    site_id: str | None = None
    total_cost: float | None = None
    condition: str | None = None
    event_at: dt.datetime | dt.date | None = None


@dataclass(slots=True)
class MessageFacts:
    """One message's contribution. `items` are upserts (list name, id, fields); `removed`
    are deletions (list name, id); `care` are care-team assignments with what to do: "add",
    "remove", or "default" (PV1-7: added only when that clinician has no such role yet)."""

    number: int
    line: int
    label: str
    action: str
    time: dt.datetime
    control_id: str | None = None
    patient_class: str | None = None
    visit: str | None = None
    patient_id: str | None = None
    admit_key: dt.datetime | dt.date | None = None
    prior_patient_id: str | None = None
    prior_visit: str | None = None
    patient: dict[str, Any] = field(default_factory=dict)
    stay: StayFacts | None = None
    care: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    items: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    # what of the message cannot be read (an item without its id, a value that is not its
    # type): each makes the message's stay one InputProblem instead of an episode
    problems: list[str] = field(default_factory=list)
    # emrlint Z-segments (zitems.py): item fields that win at the end, and the episode's own
    overrides: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    episode: dict[str, Any] | None = None

    @property
    def position(self) -> str:
        return f"message {self.number} ({self.label}, line {self.line})"


@dataclass(frozen=True, slots=True)
class Address:
    """What a message that cannot be read still says about its stay, to find that stay by:
    PV1-19, PID-3 and PV1-44 as the tokenizer finds them, and its MSH-7 time."""

    visit: str | None
    patient_id: str | None
    admit_key: dt.datetime | dt.date | None
    time: dt.datetime | None


@dataclass
class Reading:
    """Everything an extractor needs besides the segments; counts what it ignores, and
    collects in `unreadable` the values of the message being read that are not their type."""

    mapping: Hl7Mapping
    vocabulary: Vocabulary
    tz: dt.tzinfo
    skipped: Counter[str]
    _kinds: dict[tuple[str | None, str | None], str | None] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def time(
        self,
        segment: SegmentView | None,
        field_no: int,
        component: int = 1,
        repetition: int = 0,
    ) -> dt.datetime | dt.date | None:
        """A TS field as a time point. A value that is not a valid TS reads as empty and is
        noted in `unreadable` (by its position, never its value): the message's stay cannot be
        read whole."""
        if segment is None:
            return None
        text = segment.value(field_no, component, repetition=repetition)
        if text is None:
            return None
        try:
            return parse_timestamp(text, self.tz)
        except TimestampError:
            where = f"{segment.name}-{field_no}" + (f".{component}" if component != 1 else "")
            self.unreadable.append(f"{where} is not a valid date/time (TS)")
            return None

    def clinician(
        self, segment: SegmentView | None, field_no: int, repetition: int = 0, ppn: bool = False
    ) -> dict[str, Any] | None:
        """XCN (or PPN, whose components after 14 shift by one) -> Clinician fields."""
        if segment is None:
            return None
        parts = segment.components(field_no, repetition)
        if not any(parts):
            return None
        found: dict[str, Any] = {}
        if _part(parts, 1):
            found["id"] = _part(parts, 1)
        name = join_name(_part(parts, 2), _part(parts, 3))
        if name:
            found["name"] = name
        department = _part(parts, self.mapping.clinician_department_component)
        if department:
            found["department"] = department
        for component in self.mapping.clinician_rank_components:
            if ppn and component > 14:
                component += 1
            rank = self.mapping.code("title_ranks", _part(parts, component))
            if rank is not None:
                found["rank"] = rank
                break
        return found or None

    def kind(self, code: str | None, title: str | None) -> str | None:
        """TXA-2 and title -> record kind: site table, vocabulary codes, kind names, titles."""
        key = (code, title)
        if key not in self._kinds:
            self._kinds[key] = self._resolve_kind(code, title)
        return self._kinds[key]

    def _resolve_kind(self, code: str | None, title: str | None) -> str | None:
        vocabulary = self.vocabulary
        if code:
            mapped = self.mapping.code("document_types", code)
            if mapped is not None:
                return str(mapped)
            candidates = [
                info.name
                for info in vocabulary.kinds.values()
                if code in (info.wst500, info.loinc) or code in info.site_codes
            ]
            if len(candidates) > 1 and title:
                by_title = vocabulary.by_title(title)
                if by_title in candidates:
                    return by_title
            if candidates:
                return candidates[0]
            if code in vocabulary.kinds:
                return code
        return vocabulary.by_title(title) if title else None


def _part(parts: list[str | None], component: int) -> str | None:
    return parts[component - 1] if 0 < component <= len(parts) else None


def join_name(family: str | None, given: str | None) -> str | None:
    """Family and given name as one string: no space between Chinese names."""
    if family and given:
        separator = "" if _CJK.search(family) or _CJK.search(given) else " "
        return f"{family}{separator}{given}"
    return family or given
