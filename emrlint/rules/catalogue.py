"""What a rule may name: item types and their fields, derived from the pydantic model, plus
the subjects (`for each ...`) and the computed fields rules need (days and weeks of the stay,
age, anchors such as `admission` and `death`). One source of truth: the model."""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from emrlint import model as m

__all__ = [
    "ANY",
    "ASSESSMENT_KINDS",
    "BOOL",
    "COLLECTIONS",
    "DURATION",
    "NUMBER",
    "TEXT",
    "TIME",
    "WORKDAYS",
    "Collection",
    "EnumType",
    "FieldInfo",
    "ItemType",
    "ListType",
    "Type",
    "episode_time_fields",
    "fields_of",
]


@dataclass(frozen=True, slots=True)
class Type:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class EnumType:
    enum: type[Enum]

    @property
    def name(self) -> str:
        return self.enum.__name__

    def __str__(self) -> str:
        return f"one of {', '.join(str(e.value) for e in self.enum)}"


@dataclass(frozen=True, slots=True)
class ItemType:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class ListType:
    element: Any

    @property
    def name(self) -> str:
        return f"list of {self.element}"

    def __str__(self) -> str:
        return self.name


TIME = Type("time")
DURATION = Type("duration")
WORKDAYS = Type("workdays")
NUMBER = Type("number")
BOOL = Type("boolean")
TEXT = Type("text")
ANY = Type("value")
KINDS = Type("kind list")
INTERVAL = ItemType("interval")

# Assessment kinds a rule may name (free strings in the model, checked here).
ASSESSMENT_KINDS = (
    "vte_risk",
    "bleeding_risk",
    "nutrition",
    "pain",
    "pain_comprehensive",
    "cap_severity",
    "psychiatric_risk",
    "adl",
    "tnm_staging",
    "cnlc_staging",
    "birads",
    "performance_status",
    "child_pugh",
    "post_transfusion_evaluation",
    "transfusion_indication",
    "sepsis_recognition",
    "fluid_responsiveness",
    "glasgow",
    "nihss",
    "ecg_reading",
    "vte_prophylaxis_contraindication",
    "other",
)


@dataclass(frozen=True, slots=True)
class FieldInfo:
    name: str
    type: Any
    attr: str | None  # the model attribute; None for computed fields
    description: str = ""


@dataclass(frozen=True, slots=True)
class Collection:
    """Something `for each` and `require` can range over."""

    name: str  # singular, as written in rules
    list_attr: str | None  # Episode attribute, or None for computed subjects (day, week)
    item_type: str
    time_attr: str | None  # default time of an item, for windows
    event_type: str | None = None  # filter on Event.type


COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection("procedure", "procedures", "procedure", "start"),
        Collection("diagnosis", "diagnoses", "diagnosis", "recorded_at"),
        Collection("document", "documents", "document", "written_at"),
        Collection("order", "orders", "order", "ordered_at"),
        Collection("administration", "administrations", "administration", "at"),
        Collection("assessment", "assessments", "assessment", "at"),
        Collection("observation", "observations", "observation", "at"),
        Collection("consultation", "consultations", "consultation", "requested_at"),
        Collection("transfer", "transfers", "transfer", "at"),
        Collection("rescue", "events", "rescue", "start", "rescue"),
        Collection("critical_value", "events", "critical_value", "reported_at", "critical_value"),
        Collection("transfusion", "events", "transfusion", "start", "transfusion"),
        Collection("handover", "events", "handover", "at", "handover"),
        Collection("condition", "condition_levels", "condition_change", "at"),
        Collection("day", None, "day", "start"),
        Collection("week", None, "week", "start"),
    )
}

_MODEL_ITEMS: dict[str, type[BaseModel]] = {
    "episode": m.Episode,
    "patient": m.Patient,
    "procedure": m.Procedure,
    "diagnosis": m.Diagnosis,
    "document": m.Document,
    "order": m.Order,
    "administration": m.Administration,
    "assessment": m.Assessment,
    "observation": m.Observation,
    "consultation": m.Consultation,
    "transfer": m.Transfer,
    "rescue": m.Rescue,
    "critical_value": m.CriticalValue,
    "transfusion": m.Transfusion,
    "handover": m.Handover,
    "clinician": m.Clinician,
    "signature": m.Signature,
    "care_assignment": m.CareAssignment,
    "condition_change": m.ConditionChange,
}
_ITEM_NAMES = {cls: name for name, cls in _MODEL_ITEMS.items()}

# Fields the engine computes; each maps to a function in `computed.py`.
_COMPUTED: dict[str, dict[str, tuple[Any, str]]] = {
    "episode": {
        "admission": (TIME, "the admission time (admitted_at)"),
        "discharge": (TIME, "the discharge time (discharged_at)"),
        "death": (TIME, "the time of death (died_at)"),
        "age": (NUMBER, "age in whole years at admission"),
        "length_of_stay": (DURATION, "discharged_at - admitted_at"),
        "stay": (INTERVAL, "the stay, from admission to discharge (or as_of)"),
        "principal_diagnosis": (ItemType("diagnosis"), "the diagnosis with role principal"),
        "is_discharged": (BOOL, "true once discharged_at is known"),
    },
    "day": {
        "date": (TIME, "the calendar day (a day-only time)"),
        "start": (TIME, "00:00 of the day"),
        "end": (TIME, "23:59:59.999999 of the day"),
        "index": (NUMBER, "day of stay, 1 = admission day"),
        "is_workday": (BOOL, "a statutory working day (with 调休)"),
        "is_full": (BOOL, "the whole day lies inside the stay"),
        "is_first": (BOOL, "the admission day"),
        "is_last": (BOOL, "the discharge day"),
        "condition": (EnumType(m.ConditionLevel), "condition level in force at the day's start"),
        "id": (TEXT, "day-N"),
    },
    "week": {
        "start": (TIME, "start of the 7-day block"),
        "end": (TIME, "end of the 7-day block"),
        "index": (NUMBER, "week of stay, 1 = first"),
        "is_full": (BOOL, "the whole block lies inside the stay"),
        "id": (TEXT, "week-N"),
    },
    "interval": {
        "start": (TIME, "start"),
        "end": (TIME, "end"),
    },
}


def item_type_names() -> list[str]:
    return sorted({*_MODEL_ITEMS, *_COMPUTED})


def fields_of(item_type: str) -> dict[str, FieldInfo]:
    """Every field a rule may read on an item of this type."""
    found: dict[str, FieldInfo] = {}
    model_class = _MODEL_ITEMS.get(item_type)
    if model_class is not None:
        for name, info in model_class.model_fields.items():
            field_type = _type_of(info.annotation)
            if field_type is not None:
                found[name] = FieldInfo(name, field_type, name, info.description or "")
    for name, (field_type, description) in _COMPUTED.get(item_type, {}).items():
        found[name] = FieldInfo(name, field_type, None, description)
    return found


def episode_time_fields() -> tuple[str, ...]:
    """Episode time fields a finder may treat as an item (`require archived_at within …`)."""
    return tuple(
        name
        for name, info in fields_of("episode").items()
        if info.type == TIME and info.attr is not None
    )


def _type_of(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if dt.datetime in members:
            return TIME
        if len(members) == 1:
            return _type_of(members[0])
        if all(isinstance(a, type) and issubclass(a, BaseModel) for a in members):
            return ItemType("event")
        return ANY
    if origin is list:
        element = _type_of(typing.get_args(annotation)[0])
        return ListType(element) if element is not None else None
    if origin is dict or origin is typing.Literal:
        return None
    if annotation is bool:
        return BOOL
    if annotation in (int, float):
        return NUMBER
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return EnumType(annotation)
    if annotation is str:
        return TEXT
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ItemType(_ITEM_NAMES[annotation])
    return ANY
