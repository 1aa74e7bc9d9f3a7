"""One visit's state, and the episode built from it when the file ends.

`Visit` is what `assembly.py` builds up, message by message, in time order; `finish` turns it
into an Episode — or into the one problem that stops one — after linking scheduled procedures
to their orders, making ids unique, validating each item and dropping references to absent
items. A visit any part of which cannot be read (an item without its id, a value that is not
its type, an item the model refuses, a message of the visit that cannot be read at all) is one
InputProblem listing every reason, and no episode: checked without that part, a rule could
report a false FAIL.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from emrlint.model import (
    Administration,
    Assessment,
    Consultation,
    Diagnosis,
    Document,
    Episode,
    Event,
    Observation,
    Order,
    Procedure,
)
from emrlint.parsers.hl7v2.facts import MessageFacts, Reading
from emrlint.parsers.problems import InputProblem, combine, describe_validation_error

__all__ = ["Unreadable", "Visit", "finish", "visit_problem"]

_EVENT: TypeAdapter[Any] = TypeAdapter(Event)
_ITEM_MODELS: dict[str, type[BaseModel] | TypeAdapter[Any]] = {
    "diagnoses": Diagnosis,
    "procedures": Procedure,
    "documents": Document,
    "orders": Order,
    "observations": Observation,
    "administrations": Administration,
    "assessments": Assessment,
    "consultations": Consultation,
    "events": _EVENT,
}
_REFERENCES = (
    ("documents", "about"),
    ("orders", "about"),
    ("observations", "order_id"),
    ("consultations", "order_id"),
    ("events", "observation_id"),
)
# Who keeps an id used twice: what references point at (orders, procedures) comes first.
_ID_PRIORITY = (
    "orders",
    "procedures",
    "documents",
    "diagnoses",
    "observations",
    "assessments",
    "administrations",
    "consultations",
    "events",
)
_NOT_CHECKED = "part of this visit cannot be read, so it is not checked"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """One reason part of a visit cannot be read, and the message it is in."""

    number: int
    position: str
    line: int
    reason: str


@dataclass
class Visit:
    """The state one visit's messages build up, in time order."""

    facts: list[MessageFacts]
    admitted: bool = False
    cancelled: bool = False
    outpatient: bool = False
    stay: dict[str, Any] = field(default_factory=dict)
    current: tuple[str | None, str | None] = (None, None)  # department, ward
    moves: list[tuple[tuple[str | None, str | None], dict[str, Any] | None]] = field(
        default_factory=list
    )
    discharge: dict[str, Any] | None = None
    patient_id: str | None = None
    patient: dict[str, Any] = field(default_factory=dict)
    care: list[dict[str, Any]] = field(default_factory=list)
    conditions: list[dict[str, Any]] = field(default_factory=list)
    items: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    touched: dict[tuple[str, str], MessageFacts] = field(default_factory=dict)
    problems: list[Unreadable] = field(default_factory=list)
    overrides: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    episode: dict[str, Any] = field(default_factory=dict)  # ZFP and the Z episode lists

    def cannot_read(self, item: MessageFacts, reason: str) -> None:
        self.problems.append(Unreadable(item.number, item.position, item.line, reason))


def finish(
    key: tuple[Any, ...], visit: Visit, reading: Reading, file: str
) -> Iterator[Episode | InputProblem]:
    """The visit's episode — or the one problem that says why there is none: its admission
    was never seen or has no time, or part of it cannot be read (every reason is listed).
    A visit whose admission was cancelled, or that is not an inpatient stay, is counted, not
    reported, unless part of it cannot be read."""
    first = min(visit.facts, key=lambda f: f.number)
    episode_id = key[1] if key[0] == "visit" else None
    stay_reason = None
    if not visit.admitted:
        classes = {f.patient_class for f in visit.facts if f.patient_class is not None}
        not_inpatient = visit.outpatient or bool(
            classes and not classes & reading.mapping.inpatient_classes
        )
        if not visit.problems and visit.cancelled:
            reading.skipped["HL7 visits whose admission was cancelled (A11)"] += 1
            return
        if not visit.problems and not_inpatient:
            reading.skipped["HL7 visits that are not inpatient stays (PV1-2)"] += 1
            return
        if not visit.cancelled and not not_inpatient:
            count = len(visit.facts)
            stay_reason = (
                f"{count} message{'s' if count > 1 else ''} for this visit, but its admission"
                " (A01, or A04/A06 with an inpatient PV1-2) was never seen; no episode is made"
            )
        yield visit_problem(file, first, episode_id, stay_reason, visit.problems)
        return
    if episode_id is None:
        admitted = visit.stay.get("admitted_at")
        stamp = admitted.isoformat() if admitted is not None else "unknown"
        episode_id = f"{visit.patient_id}@{stamp}"
    yield _build(episode_id, visit, reading, file, first)


def visit_problem(
    file: str,
    first: MessageFacts,
    episode_id: str | None,
    stay_reason: str | None,
    parts: list[Unreadable],
) -> InputProblem:
    """One problem for the visit, at its first message: why there is no episode (`stay_reason`,
    else that part of it cannot be read), then every unreadable part after its message."""
    lead = InputProblem(file, first.position, stay_reason or _NOT_CHECKED, episode_id, first.line)
    found = [lead]
    for part in sorted(dict.fromkeys(parts), key=lambda p: p.number):  # each reason once
        found.append(InputProblem(file, part.position, part.reason, episode_id, part.line))
    return combine(found, limit=6)


def _build(
    episode_id: str, visit: Visit, reading: Reading, file: str, first: MessageFacts
) -> Episode | InputProblem:
    stay_reason = None
    if visit.stay.get("admitted_at") is None:
        stay_reason = "the admission has no time (PV1-44, EVN-6 and EVN-2 are empty); no episode"
    _link_scheduled_procedures(visit.items)
    _apply_overrides(visit)
    _make_ids_unique(visit)
    context = {"tz": reading.tz}
    built: dict[str, list[Any]] = {}
    refused: list[Unreadable] = []
    for list_name, entries in visit.items.items():
        built[list_name] = []
        for item_id, fields in entries.items():
            validator = _ITEM_MODELS[list_name]
            try:
                if isinstance(validator, TypeAdapter):
                    model = validator.validate_python(fields, context=context)
                else:
                    model = validator.model_validate(fields, context=context)
            except ValidationError as error:
                where = visit.touched[(list_name, item_id)]
                reason = f"{list_name} item cannot be read: {describe_validation_error(error)}"
                refused.append(Unreadable(where.number, where.position, where.line, reason))
                continue
            built[list_name].append(model)
    if stay_reason is not None or visit.problems or refused:
        return visit_problem(file, first, episode_id, stay_reason, [*visit.problems, *refused])
    _drop_dangling_references(built, reading)
    data: dict[str, Any] = {
        "id": episode_id,
        "patient": {"id": visit.patient_id, **visit.patient},
        **{k: v for k, v in visit.stay.items() if v is not None},
        "care_team": visit.care,
        "condition_levels": visit.conditions,
        "transfers": [t for _, t in visit.moves if t is not None],
        **built,
    }
    if visit.discharge is not None:
        data.update({k: v for k, v in visit.discharge.items() if v is not None})
    _apply_episode(data, visit.episode)
    try:
        return Episode.model_validate(data, context=context)
    except ValidationError as error:
        reason = describe_validation_error(error)
        return InputProblem(file, first.position, reason, episode_id, first.line)


def _link_scheduled_procedures(items: dict[str, dict[str, dict[str, Any]]]) -> None:
    """A scheduled procedure (SIU) takes the time of the order SCH-26 names (手术医嘱)."""
    orders = items.get("orders", {})
    for fields in items.get("procedures", {}).values():
        ref = fields.pop("_order_ref", None)
        if ref in orders and orders[ref].get("ordered_at") is not None:
            fields.setdefault("ordered_at", orders[ref]["ordered_at"])


def _apply_overrides(visit: Visit) -> None:
    """emrlint Z-segment item extensions (ZPR, ZDC…) restate their fields: a value replaces
    what the standard segments gave, an empty one clears it. An item absent (never sent, or
    withdrawn) stays absent."""
    for list_name, item_id, values in visit.overrides:
        fields = visit.items.get(list_name, {}).get(item_id)
        if fields is None:
            continue
        for name, value in values.items():
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value


def _apply_episode(data: dict[str, Any], episode: dict[str, Any]) -> None:
    """ZFP restates the episode's 首页 fields (empty: not recorded); ZTR, ZCC and ZCT, when
    sent, restate the transfers, condition levels and care team."""
    for name, value in episode.items():
        if name == "birth_date":
            if value is not None:
                data["patient"]["birth_date"] = value
        elif value is None:
            data.pop(name, None)
        else:
            data[name] = value


def _make_ids_unique(visit: Visit) -> None:
    """An id used twice (an order and its result share a number; a transfer's MSH-10 equals a
    document id) gets a `~2` suffix: the model wants ids unique within the episode."""
    seen: set[str] = set()

    def unique(item_id: str, taken: Container[str]) -> str:
        n = 2
        while f"{item_id}~{n}" in seen or f"{item_id}~{n}" in taken:
            n += 1
        return f"{item_id}~{n}"

    for list_name in _ID_PRIORITY:
        entries = visit.items.get(list_name, {})
        for item_id in list(entries):
            if item_id in seen:
                new_id = unique(item_id, entries)
                entries[new_id] = {**entries.pop(item_id), "id": new_id}
                visit.touched[(list_name, new_id)] = visit.touched[(list_name, item_id)]
                item_id = new_id
            seen.add(item_id)
    for _, transfer in visit.moves:
        if transfer is not None:
            if transfer["id"] in seen:
                transfer["id"] = unique(transfer["id"], ())
            seen.add(transfer["id"])


def _drop_dangling_references(built: dict[str, list[Any]], reading: Reading) -> None:
    """References to items the episode lacks (an order never received) are dropped and
    counted; an administration of such an order is dropped with it."""
    ids = {item.id for items in built.values() for item in items}
    for list_name, name in _REFERENCES:
        for n, item in enumerate(built.get(list_name, [])):
            target = getattr(item, name, None)
            if target is not None and target not in ids:
                built[list_name][n] = item.model_copy(update={name: None})
                reading.skipped["HL7 references to items not in the episode (dropped)"] += 1
    administrations = built.get("administrations", [])
    kept = [a for a in administrations if a.order_id in ids]
    if len(kept) != len(administrations):
        built["administrations"] = kept
        count = len(administrations) - len(kept)
        reading.skipped["HL7 administrations of orders not in the episode (dropped)"] += count
