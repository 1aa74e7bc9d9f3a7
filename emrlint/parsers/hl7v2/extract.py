"""One message's segments -> `MessageFacts`: the header, the patient and visit (PID, PV1, EVN,
MRG), and the ADT stay; the other message kinds are read by `items.py`.

The extractor reads only the segments and fields the mapping names and never decides how
messages combine; `assembly.py` does. It raises `Skip` for a message it cannot or should not
use.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from emrlint.parsers.hl7v2.er7 import (
    Delimiters,
    Er7Segment,
    RawMessage,
    SegmentView,
    TimestampError,
    parse_timestamp,
)
from emrlint.parsers.hl7v2.facts import (
    Address,
    MessageFacts,
    Reading,
    Skip,
    StayFacts,
    join_name,
)
from emrlint.parsers.hl7v2.items import (
    number_of,
    read_administrations,
    read_diagnoses,
    read_documents,
    read_orders,
    read_procedures,
    read_schedule,
)
from emrlint.parsers.hl7v2.results import read_results
from emrlint.parsers.hl7v2.zitems import read_zsegments

__all__ = ["NEEDED_SEGMENTS", "address_of", "extract_message"]

# Segments any extractor reads; the tokenizer may drop the others unsplit.
NEEDED_SEGMENTS = frozenset(
    {
        "MSH",
        "EVN",
        "PID",
        "PV1",
        "PV2",
        "MRG",
        "ROL",
        "DG1",
        "PR1",
        "TXA",
        "OBX",
        "ORC",
        "OBR",
        "RXO",
        "RXE",
        "RXR",
        "RXA",
        "TQ1",
        "SCH",
        "AIS",
        "AIP",
    }
)
_CODE = re.compile(r"^[A-Z0-9_]{1,7}$")
_STANDARD = Delimiters("|", "^", "~", "\\", "&")


def safe_code(text: str | None) -> str:
    """A code from the message, fit to appear in a reason: HL7 message types, events and
    segment ids are short upper-case codes; anything else (a shifted field in a damaged
    message could hold patient data) is shown as "?"."""
    return text if text is not None and _CODE.match(text) else "?"


def extract_message(
    segments: Sequence[SegmentView], reading: Reading, number: int, line: int
) -> MessageFacts:
    """Read one message. Skip(reason) when it cannot be used; Skip(reason, count) when it is
    a known kind of message that carries nothing the model holds."""
    msh = segments[0]
    code = msh.value(9, 1)
    event = msh.value(9, 2)
    if code is None:
        raise Skip("MSH-9 message type is missing")
    label = f"{safe_code(code)}^{safe_code(event)}" if event else safe_code(code)
    if code.startswith("Z"):
        raise Skip("", count="HL7 Z-messages (site-defined, not read)")
    action = reading.mapping.code("messages", code)
    if action is None:
        raise Skip(f"unknown message type {label}")
    if action == "ignore":
        raise Skip("", count=f"HL7 {safe_code(code)} messages (not used)")
    sub_action = _sub_action(reading, action, event, label)
    time = reading.time(msh, 7)
    reading.unreadable.clear()
    if time is None:
        raise Skip("MSH-7 message time is missing or not a valid TS value")
    if not isinstance(time, dt.datetime):
        time = dt.datetime.combine(time, dt.time(), tzinfo=reading.tz)
    facts = MessageFacts(number, line, label, sub_action, time, control_id=msh.value(10))
    first = _first_segments(segments)
    _read_patient(facts, first.get("PID"), first.get("MRG"), reading)
    _read_visit(facts, first.get("PV1"), reading)
    if sub_action in ("merge_patient", "merge_visit"):
        if first.get("MRG") is None:
            raise Skip(f"{label} has no MRG segment naming what it merges")
        return facts
    if facts.visit is None and facts.patient_id is None:
        raise Skip("neither a visit number (PV1-19) nor a patient id (PID-3) to group it by")
    if action == "adt":
        facts.stay = _read_stay(msh, first, reading)
        _read_care_team(facts, segments, first.get("PV1"), reading)
        read_diagnoses(facts, segments, reading)
        read_procedures(facts, segments, reading)
    elif action == "documents":
        read_documents(facts, segments, reading)
    elif action == "orders":
        read_orders(facts, segments, reading)
    elif action == "results":
        read_results(facts, segments, reading, msh)
    elif action == "schedule":
        read_schedule(facts, segments, reading)
    else:
        read_administrations(facts, segments, reading)
    read_zsegments(facts, segments, reading)
    for reason in reading.unreadable:  # a field read twice is named once
        if reason not in facts.problems:
            facts.problems.append(reason)
    reading.unreadable.clear()
    return facts


def address_of(raw: RawMessage, reading: Reading) -> Address | None:
    """Where a message that cannot be read belongs, so that its stay is not checked without it:
    its PV1-19, PID-3 and PV1-44 (and MSH-7), read as far as the tokenizer gets — with its own
    delimiters, else the standard ones, and its character set with undecodable bytes replaced.
    None when it names neither a visit nor a patient (a header cut short, a stray segment)."""
    try:
        header = raw.lines[0].decode("ascii", "replace")
        try:
            delimiters = Delimiters.from_msh(header) if raw.has_header else _STANDARD
        except ValueError:
            delimiters = _STANDARD
        msh = Er7Segment(header, delimiters) if raw.has_header else None
        declared = msh.value(18) if msh is not None else None
        codec = (reading.mapping.code("charsets", declared) if declared else None) or "utf-8"
        first: dict[str, Er7Segment] = {}
        for line in raw.lines:
            name = line[:3]
            if name in (b"PID", b"PV1") and name.decode() not in first:
                first[name.decode()] = Er7Segment(line.decode(codec, "replace"), delimiters)
        pid, pv1 = first.get("PID"), first.get("PV1")
        patient = (_patient_id(pid, 3, reading) or pid.value(2)) if pid is not None else None
        visit = pv1.value(19) if pv1 is not None else None
        admit_key = _quiet_time(pv1, 44, reading) if pv1 is not None and visit is None else None
        time = _quiet_time(msh, 7, reading) if msh is not None else None
        if time is not None and not isinstance(time, dt.datetime):
            time = dt.datetime.combine(time, dt.time(), tzinfo=reading.tz)
    except Exception:  # a message this damaged names no stay
        return None
    if visit is None and patient is None:
        return None
    return Address(visit, patient, admit_key, time)


def _quiet_time(
    segment: SegmentView, field_no: int, reading: Reading
) -> dt.datetime | dt.date | None:
    text = segment.value(field_no)
    try:
        return parse_timestamp(text, reading.tz) if text is not None else None
    except TimestampError:
        return None


def _sub_action(reading: Reading, action: str, event: str | None, label: str) -> str:
    """ADT, MDM and SIU act by trigger event; an event their table lacks is unknown."""
    mapping = reading.mapping
    if action == "adt":
        sub = mapping.code("adt_events", event)
        if sub is None:
            raise Skip(f"unknown event {label}")
        if sub == "ignore":
            raise Skip("", count=f"HL7 {label} messages (not used)")
        return str(sub)
    if action == "documents":
        sub = mapping.code("document_events", event)
    elif action == "schedule":
        sub = mapping.code("schedule_events", event)
    else:
        return action
    if sub is None:
        raise Skip(f"unknown event {label}")
    return f"{action}:{sub}"


def _first_segments(segments: Sequence[SegmentView]) -> dict[str, SegmentView]:
    first: dict[str, SegmentView] = {}
    for segment in segments:
        first.setdefault(segment.name, segment)
    return first


def _read_patient(
    facts: MessageFacts, pid: SegmentView | None, mrg: SegmentView | None, reading: Reading
) -> None:
    if mrg is not None:
        facts.prior_patient_id = _patient_id(mrg, 1, reading)
        facts.prior_visit = mrg.value(5)
    if pid is None:
        return
    facts.patient_id = _patient_id(pid, 3, reading) or pid.value(2)
    name = join_name(pid.value(5, 1), pid.value(5, 2))
    patient: dict[str, Any] = {}
    if name:
        patient["name"] = name
    sex = reading.mapping.code("sexes", pid.value(8))
    if sex is not None:
        patient["sex"] = sex
    birth = reading.time(pid, 7)
    if birth is not None:
        patient["birth_date"] = birth.date() if isinstance(birth, dt.datetime) else birth
    facts.patient = patient


def _patient_id(segment: SegmentView, field_no: int, reading: Reading) -> str | None:
    """The identifier whose CX-5 type the mapping prefers (病案号), else the first one."""
    count = segment.repetitions(field_no)
    for wanted in reading.mapping.patient_id_types:
        for repetition in range(count):
            if segment.value(field_no, 5, repetition=repetition) == wanted:
                found = segment.value(field_no, 1, repetition=repetition)
                if found:
                    return found
    for repetition in range(count):
        found = segment.value(field_no, 1, repetition=repetition)
        if found:
            return found
    return None


def _read_visit(facts: MessageFacts, pv1: SegmentView | None, reading: Reading) -> None:
    if pv1 is None:
        return
    facts.visit = pv1.value(19)
    facts.patient_class = pv1.value(2)
    if facts.visit is None:  # the admit time groups only a message without a visit number
        facts.admit_key = reading.time(pv1, 44)


def _read_stay(msh: SegmentView, first: dict[str, SegmentView], reading: Reading) -> StayFacts:
    mapping = reading.mapping
    pv1, pid, evn = first.get("PV1"), first.get("PID"), first.get("EVN")
    stay = StayFacts(site_id=msh.value(4))
    pv2 = first.get("PV2")
    if pv2 is not None:
        stay.condition = mapping.code("condition_levels", pv2.value(42))
    if evn is not None:
        stay.event_at = reading.time(evn, 6) or reading.time(evn, 2)
    if pid is not None:
        stay.died_at = reading.time(pid, 29)
        stay.death_indicated = pid.value(30) == "Y" or stay.died_at is not None
    if pv1 is None:
        return stay
    stay.patient_class = pv1.value(2)
    stay.admitted_at = reading.time(pv1, 44)
    stay.discharged_at = reading.time(pv1, 45)
    department_code = pv1.value(10)
    stay.department = (
        mapping.code("departments", department_code) or pv1.value(10, 2) or department_code
    )
    stay.ward = pv1.value(3)
    route = mapping.code("admission_routes", pv1.value(14))
    stay.admission_route = route or mapping.code("admission_types", pv1.value(4))
    stay.disposition = mapping.code("dispositions", pv1.value(36))
    cost = pv1.value(47)
    stay.total_cost = number_of(cost)
    if cost is not None and stay.total_cost is None:
        reading.unreadable.append("PV1-47 total charges is not a number")
    return stay


def _read_care_team(
    facts: MessageFacts,
    segments: Sequence[SegmentView],
    pv1: SegmentView | None,
    reading: Reading,
) -> None:
    """ROL segments outside procedure groups with a mapped role; else PV1-7 as attending."""
    in_procedure = False
    for segment in segments:
        if segment.name == "PR1":
            in_procedure = True
        elif segment.name in ("DG1", "GT1", "IN1", "PV1", "PV2"):
            in_procedure = False
        if segment.name != "ROL" or in_procedure:
            continue
        role = reading.mapping.code("care_roles", segment.value(3))
        clinician = reading.clinician(segment, 4)
        if role is None or clinician is None:
            continue
        assignment: dict[str, Any] = {"role": role, "clinician": clinician}
        start = reading.time(segment, 5)
        if start is not None:
            assignment["start"] = start
        facts.care.append((assignment, "remove" if segment.value(2) == "DE" else "add"))
    if facts.care or pv1 is None:
        return
    for repetition in range(pv1.repetitions(7)):
        clinician = reading.clinician(pv1, 7, repetition)
        if clinician is not None:
            facts.care.append(({"role": "attending", "clinician": clinician}, "default"))
