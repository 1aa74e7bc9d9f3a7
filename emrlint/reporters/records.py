"""Outcomes and input problems as plain JSON-ready records (shared by the json and jsonl
reporters; the field names are the documented output schema)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from emrlint.outcomes import FoundItem, Outcome, Status
from emrlint.parsers import InputProblem
from emrlint.rules.values import format_duration

__all__ = ["REPORT_FORMAT", "finding_record", "problem_record"]

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
