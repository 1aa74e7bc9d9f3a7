"""Outcomes and input problems as plain records: the nested JSON-ready shape (json, jsonl, the
published docs/report-schema.json) and its flat form with evidence columns (csv, xlsx, html).
One shape for every format, so a finding says the same thing wherever it is read."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

from emrlint.model.vocabulary import KindInfo, default_vocabulary
from emrlint.outcomes import FoundItem, Outcome, Status
from emrlint.parsers import InputProblem
from emrlint.rules.values import format_duration

__all__ = [
    "FINDING_COLUMNS",
    "REPORT_FORMAT",
    "display_time",
    "finding_record",
    "flat_finding",
    "kind_name",
    "problem_record",
]

REPORT_FORMAT = "emrlint.report/1"


def _time(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _item(found: FoundItem | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"type": found.type, "id": found.id, "kind": found.kind, "time": _time(found.time)}


def finding_record(outcome: Outcome) -> dict[str, Any]:
    evidence = outcome.evidence
    margin = evidence.margin
    return {
        "rule_id": outcome.rule_id,
        "rule_version": outcome.rule_version,
        "status": outcome.status.value,
        "severity": outcome.severity.value,
        "category": outcome.category,
        "tags": list(outcome.tags),
        "citation": outcome.citation,
        "message": {"zh": outcome.message_zh, "en": outcome.message_en},
        "episode_id": outcome.episode_id,
        "patient_id": outcome.patient_id,
        "department": outcome.department,
        "attending": outcome.attending,
        "subject": {
            "type": outcome.subject.type,
            "id": outcome.subject.id,
            "label": outcome.subject.label,
            "time": _time(outcome.subject.time),
        },
        "evidence": {
            "window_start": _time(evidence.window_start),
            "window_end": _time(evidence.window_end),
            "deadline": _time(evidence.deadline),
            "searched": list(evidence.searched),
            "found": [_item(f) for f in evidence.found],
            "nearest": _item(evidence.nearest),
            "margin_minutes": margin.total_seconds() / 60 if margin is not None else None,
            "margin": format_duration(margin) if margin is not None else None,
            "count": evidence.count,
            "required": evidence.required,
            "reason": evidence.reason,
        },
    }


def problem_record(problem: InputProblem) -> dict[str, Any]:
    """An unreadable record, shaped like a finding so that lists and counts include it."""
    return {
        "rule_id": "input",
        "rule_version": 1,
        "status": Status.INDETERMINATE.value,
        "severity": "critical",
        "category": "input",
        "tags": [],
        "citation": "",
        "message": {
            "zh": f"无法读取记录：{problem.reason}",
            "en": f"record could not be read: {problem.reason}",
        },
        "episode_id": problem.episode_id,
        "patient_id": None,
        "department": None,
        "attending": None,
        "subject": {
            "type": "input",
            "id": problem.location,
            "label": problem.position,
            "time": None,
        },
        "evidence": {
            "file": problem.file,
            "position": problem.position,
            "line": problem.line,
            "reason": problem.reason,
        },
    }


# The flat columns of one finding (csv and the xlsx 明细 sheet), in order. Input problems fill
# `file` and `position`; findings fill the evidence columns.
FINDING_COLUMNS = (
    "rule_id",
    "rule_version",
    "status",
    "severity",
    "category",
    "tags",
    "message",
    "episode_id",
    "patient_id",
    "department",
    "attending",
    "subject_type",
    "subject_id",
    "subject_label",
    "subject_time",
    "window_start",
    "window_end",
    "deadline",
    "searched",
    "found",
    "nearest",
    "margin",
    "margin_minutes",
    "count",
    "required",
    "reason",
    "citation",
    "file",
    "position",
)


def display_time(value: str | None) -> str:
    """An ISO time from a record as people read it: to the minute, in its own offset."""
    if not value:
        return ""
    if len(value) == 10:
        return value
    try:
        return dt.datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


@functools.cache
def _kinds() -> Mapping[str, KindInfo]:
    return default_vocabulary().kinds  # read once: the shipped table does not change in a run


def kind_name(kind: str | None, lang: str, en_title: bool = False) -> str:
    """A record kind as QC staff call it (出院记录) in 中文 reports; in English its name
    (discharge_note), or its English title with `en_title`. Unknown kinds stay as they are."""
    if not kind:
        return ""
    info = _kinds().get(kind)
    if info is None:
        return kind
    if lang == "zh":
        return info.zh
    return info.en if en_title else kind


def _flat_item(item: dict[str, Any] | None, lang: str) -> str:
    if not item:
        return ""
    kind = kind_name(item.get("kind"), lang) or item["type"]
    parts = [kind, item["id"], display_time(item.get("time"))]
    return " ".join(p for p in parts if p)


def flat_finding(record: dict[str, Any], lang: str) -> dict[str, str | int | float | None]:
    """One record (from `finding_record` or `problem_record`) as FINDING_COLUMNS values.

    Lists become `; `-joined text so a cell holds them; times are shown to the minute; the
    message is in `lang`. Counts stay numbers so a spreadsheet can sum them.
    """
    evidence = record["evidence"]
    subject = record["subject"]
    message = record["message"]
    return {
        "rule_id": record["rule_id"],
        "rule_version": record["rule_version"],
        "status": record["status"],
        "severity": record["severity"],
        "category": record["category"],
        "tags": " ".join(record["tags"]),
        "message": message["zh" if lang == "zh" else "en"] or message["zh"],
        "episode_id": record["episode_id"] or "",
        "patient_id": record["patient_id"] or "",
        "department": record["department"] or "",
        "attending": record["attending"] or "",
        "subject_type": subject["type"],
        "subject_id": subject["id"],
        "subject_label": subject["label"] or "",
        "subject_time": display_time(subject["time"]),
        "window_start": display_time(evidence.get("window_start")),
        "window_end": display_time(evidence.get("window_end")),
        "deadline": display_time(evidence.get("deadline")),
        "searched": "; ".join(kind_name(k, lang) for k in evidence.get("searched") or ()),
        "found": "; ".join(_flat_item(item, lang) for item in evidence.get("found") or ()),
        "nearest": _flat_item(evidence.get("nearest"), lang),
        "margin": evidence.get("margin") or "",
        "margin_minutes": evidence.get("margin_minutes"),
        "count": evidence.get("count"),
        "required": evidence.get("required") or "",
        "reason": evidence.get("reason") or "",
        "citation": record["citation"],
        "file": evidence.get("file") or "",
        "position": evidence.get("position") or "",
    }
