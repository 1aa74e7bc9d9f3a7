"""What evaluation produces: one Outcome per (rule, subject), written by the engine and read by
reporters. Nothing here evaluates or formats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Evidence", "FoundItem", "Outcome", "Severity", "Status", "Subject"]


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    PENDING = "PENDING"  # unmet, but the deadline is still ahead of as_of
    NA = "NA"  # out of scope, or no subject to judge
    INDETERMINATE = "INDETERMINATE"  # data missing or too imprecise, or input broken
    WAIVED = "WAIVED"  # a recorded waiver applies


class Severity(StrEnum):
    info = "info"
    minor = "minor"
    major = "major"
    critical = "critical"

    @property
    def order(self) -> int:
        return list(Severity).index(self)


@dataclass(frozen=True, slots=True)
class Subject:
    type: str  # "episode", "procedure", "day", "rescue", ...
    id: str
    label: str | None = None
    time: dt.datetime | dt.date | None = None


@dataclass(frozen=True, slots=True)
class FoundItem:
    type: str  # "document", "assessment", ...
    id: str
    kind: str | None
    time: dt.datetime | dt.date | None


@dataclass(frozen=True, slots=True)
class Evidence:
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    deadline: dt.datetime | None = None
    searched: tuple[str, ...] = ()  # kinds or collections searched
    found: tuple[FoundItem, ...] = ()  # items that satisfied the requirement
    nearest: FoundItem | None = None  # a matching item outside the window (written late)
    margin: dt.timedelta | None = None  # found time - deadline (negative: early; positive: late)
    count: int | None = None
    required: str | None = None  # e.g. ">= 2"
    reason: str | None = None  # for INDETERMINATE / NA: what was missing or out of scope


@dataclass(frozen=True, slots=True)
class Outcome:
    rule_id: str
    rule_version: int
    status: Status
    severity: Severity
    episode_id: str
    subject: Subject
    message_zh: str = ""
    message_en: str = ""
    tags: tuple[str, ...] = ()
    citation: str = ""
    category: str = ""
    evidence: Evidence = field(default_factory=Evidence)
    department: str | None = None
    attending: str | None = None
    patient_id: str | None = None
