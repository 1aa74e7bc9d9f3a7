"""emrlint's Z-segments: the model fields no standard HL7 v2 segment carries.

A Z-segment is site-defined by HL7's rules; these are emrlint's convention, read only when the
mapping's `z_segments` lists them (all by default; a site sets `z_segments = []` to ignore
them). Each one is described here field by field, once, and both the writer and the reader
use the description. docs/hl7v2-mapping.md ("emrlint Z-segments") is the reference.

Three kinds: item extensions (ZDG, ZPR, ZDC, ZSG, ZOR, ZOB, ZAS) name the item they complete
by id in field 1 and restate every field they list — their value wins over what the standard
segments gave, an empty field clears it; items only Z-segments carry (ZEV, ZCN, ZAD); and the
episode's own fields (ZFP, with ZTR, ZCC, ZCT restating the transfers, condition levels and
care team). Clinicians inside Z-segments are written whole, as components `id ^ name ^
department ^ rank ^ role ^ department head (Y/N)`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from emrlint.parsers.hl7v2.er7 import SegmentView, TimestampError, parse_timestamp

__all__ = ["SPECS", "ZSpec", "decode", "encode", "escape", "format_timestamp"]

_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))
_PERSON = ("id", "name", "department", "rank", "role", "is_department_head")


@dataclass(frozen=True)
class ZSpec:
    """One Z-segment: what it holds (`target`) and its fields in order, as (name, type).

    Types: str, ts (HL7 TS), bool (Y/N), int, num, person (a whole clinician), persons
    (repetitions of it), strs (repetitions of text), json (extensions, as JSON text)."""

    name: str
    target: str
    fields: tuple[tuple[str, str], ...]


def _spec(name: str, target: str, fields: str) -> ZSpec:
    pairs = tuple(tuple(item.split(":")) for item in fields.split())
    return ZSpec(name, target, pairs)  # type: ignore[arg-type]


SPECS: dict[str, ZSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "ZFP",
            "episode",
            "autopsy_report_at:ts readmission_plan_31d:bool is_unplanned_readmission:bool"
            " rescue_count:int rescue_success_count:int front_page_completed_at:ts"
            " archived_at:ts onset_at:ts discharge_department:str disposition:str died_at:ts"
            " total_cost:num birth_date:ts extensions:json",
        ),
        _spec(
            "ZTR", "transfers", "id:str at:ts from_department:str to_department:str arrived_at:ts"
        ),
        _spec("ZCC", "condition_levels", "at:ts level:str"),
        _spec("ZCT", "care_team", "role:str clinician:person start:ts"),
        _spec(
            "ZDG",
            "diagnoses",
            "id:str present_on_admission:str morphology_code:str external_cause_code:str"
            " extensions:json",
        ),
        _spec(
            "ZPR",
            "procedures",
            "id:str level:int is_invasive:bool is_restricted_technology:bool"
            " is_planned_reoperation:bool is_unplanned_return:bool has_specimen:bool"
            " has_implant:bool incision_class:str ordered_at:ts surgeon:person"
            " anesthetist:person assistants:persons anesthesia_method:str extensions:json",
        ),
        _spec(
            "ZDC",
            "documents",
            "id:str is_backfilled:bool signed_at:ts author:person participants:persons"
            " extensions:json",
        ),
        _spec("ZSG", "signatures", "document:str role:str signer:person at:ts"),
        _spec(
            "ZOR",
            "orders",
            "id:str drug_class:str antibiotic_tier:str route:str ordered_by:person extensions:json",
        ),
        _spec("ZOB", "observations", "id:str extensions:json"),
        _spec("ZAS", "assessments", "id:str author:person extensions:json"),
        _spec(
            "ZEV",
            "events",
            "id:str type:str start:ts end:ts at:ts leader:person is_successful:bool"
            " observation_id:str reported_at:ts received_at:ts handled_at:ts component:str"
            " volume_ml:num is_emergency:bool purpose:str is_bedside:bool giver:person"
            " receiver:person extensions:json",
        ),
        _spec(
            "ZCN",
            "consultations",
            "id:str urgency:str department:str requested_at:ts requested_by:person"
            " arrived_at:ts completed_at:ts consultant:person purpose:str is_agreed:bool"
            " order_id:str extensions:json",
        ),
        _spec("ZAD", "administrations", "id:str order_id:str at:ts extensions:json"),
    )
}


# ---------------------------------------------------------------- writing


def escape(value: Any) -> str:
    """Text as an HL7 value: delimiters and the escape character escaped, line breaks `\\.br\\`."""
    if value is None:
        return ""
    text = str(value)
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text.replace("\r\n", "\\.br\\").replace("\n", "\\.br\\").replace("\r", "\\.br\\")


def format_timestamp(value: dt.datetime | dt.date) -> str:
    """HL7 TS: a date stays a date; a datetime keeps its offset and 1/10 000 s."""
    if not isinstance(value, dt.datetime):
        return value.strftime("%Y%m%d")
    text = value.strftime("%Y%m%d%H%M%S")
    if value.microsecond:
        text += f".{value.microsecond // 100:04d}"
    offset = value.utcoffset() or dt.timedelta()
    sign = "-" if offset < dt.timedelta() else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{text}{sign}{minutes // 60:02d}{minutes % 60:02d}"


def _person(person: Any) -> str:
    if person is None:
        return ""
    data = person if isinstance(person, Mapping) else person.model_dump()
    parts = [_plain(data.get(name)) for name in _PERSON]
    return "^".join(escape(p) for p in parts).rstrip("^")


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return "Y" if value else "N"
    return getattr(value, "value", value)


_WRITERS: dict[str, Callable[[Any], str]] = {
    "str": lambda v: escape(_plain(v)),
    "ts": lambda v: format_timestamp(v) if v is not None else "",
    "bool": lambda v: "" if v is None else ("Y" if v else "N"),
    "int": lambda v: "" if v is None else str(int(v)),
    "num": lambda v: "" if v is None else repr(float(v)),
    "person": _person,
    "persons": lambda v: "~".join(_person(p) for p in v or ()),
    "strs": lambda v: "~".join(escape(x) for x in v or ()),
    "json": lambda v: escape(json.dumps(v, ensure_ascii=False, sort_keys=True)) if v else "",
}


def encode(spec: ZSpec, values: Mapping[str, Any] | Any) -> str:
    """The segment for `values` (a mapping, or a model record read by attribute)."""

    def get(name: str) -> Any:
        if isinstance(values, Mapping):
            return values.get(name)
        return getattr(values, name, None)

    fields = [_WRITERS[kind](get(name)) for name, kind in spec.fields]
    return "|".join((spec.name, *fields)).rstrip("|")


# ---------------------------------------------------------------- reading


def decode(
    spec: ZSpec, segment: SegmentView, tz: dt.tzinfo, bad: Callable[[str, str], None]
) -> dict[str, Any]:
    """Every field of the spec, None where the segment leaves it empty; `bad(where, type)` is
    told of a value that cannot be read as its type (`ZFP-4 (rescue_count)`, `int`), which
    reads as empty."""
    found: dict[str, Any] = {}
    for position, (name, kind) in enumerate(spec.fields, start=1):
        try:
            found[name] = _read(segment, position, kind, tz)
        except (TimestampError, KeyError, ValueError):
            bad(f"{spec.name}-{position} ({name})", kind)
            found[name] = None
    return found


def _read(segment: SegmentView, n: int, kind: str, tz: dt.tzinfo) -> Any:
    if kind == "person":
        return _read_person(segment.components(n))
    if kind == "persons":
        people = [_read_person(segment.components(n, r)) for r in range(segment.repetitions(n))]
        return [p for p in people if p is not None]
    if kind == "strs":
        values = [segment.value(n, repetition=r) for r in range(segment.repetitions(n))]
        return [v for v in values if v is not None]
    text = segment.value(n) if kind in ("ts", "bool", "int", "num") else _whole(segment, n)
    if text is None:
        return None
    if kind == "ts":
        return parse_timestamp(text, tz)
    if kind == "bool":
        return {"Y": True, "N": False}[text]
    if kind == "int":
        return int(text)
    if kind == "num":
        number = float(text)
        if not math.isfinite(number):  # NaN and infinity are no model values
            raise ValueError(text)
        return number
    if kind == "json":
        return json.loads(text)
    return text


def _whole(segment: SegmentView, n: int) -> str | None:
    """A text field: its value (text fields are written escaped, as one component)."""
    return segment.value(n)


def _read_person(parts: list[str | None]) -> dict[str, Any] | None:
    person: dict[str, Any] = {}
    for name, value in zip(_PERSON, parts, strict=False):
        if value is None:
            continue
        person[name] = {"Y": True, "N": False}.get(value) if name == "is_department_head" else value
    person = {k: v for k, v in person.items() if v is not None}
    return person or None
