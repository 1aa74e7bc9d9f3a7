"""The items of a message -> upserts in `MessageFacts`: DG1 diagnoses, PR1 procedures, MDM
documents (TXA + OBX), orders (ORC + OBR/RXO/RXE/RXR/TQ1), SIU scheduled procedures
(SCH/AIS/AIP) and RAS administrations (RXA). Results and assessments are in `results.py`.

Each reader takes the message's segments in order and the shared `Reading`; it records an
item it cannot identify as a problem of the message (which makes the message's stay a problem,
see building.py) and goes on with the next item.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from emrlint.parsers.hl7v2.er7 import SegmentView
from emrlint.parsers.hl7v2.facts import MessageFacts, Reading

__all__ = [
    "number_of",
    "put",
    "read_administrations",
    "read_diagnoses",
    "read_documents",
    "read_orders",
    "read_procedures",
    "read_schedule",
    "value_of",
]

_TEXT_TYPES = frozenset({"TX", "FT", "ST", "CF", "CE", "CWE", "SN", "NM", "TS", "DT", "DTM"})
_ATC_SYSTEMS = frozenset({"ATC", "WHOATC"})


def put(fields: dict[str, Any], name: str, value: Any) -> None:
    """Set a field only when the message gives it, so a later message keeps what it lacks."""
    if value is not None and value != []:
        fields[name] = value


def read_diagnoses(facts: MessageFacts, segments: Sequence[SegmentView], r: Reading) -> None:
    """DG1: code, name, role from DG1-6 (final: principal when DG1-15 is 1), time DG1-5."""
    for dg1 in (s for s in segments if s.name == "DG1"):
        code = dg1.value(3)
        role = r.mapping.code("diagnosis_roles", dg1.value(6))
        if role is None:
            r.skipped["HL7 DG1 segments with an unmapped diagnosis type (DG1-6)"] += 1
            continue
        if role == "final":
            role = "principal" if dg1.value(15) == "1" else "secondary"
        item_id = dg1.value(20) or f"dg1-{role}-{code or dg1.value(1) or '?'}"
        fields: dict[str, Any] = {"id": item_id, "role": role}
        put(fields, "code", code)
        other, system = dg1.value(3, 4), dg1.value(3, 6)
        if other and system in r.mapping.morphology_systems:
            fields["morphology_code"] = other
        elif other and system in r.mapping.external_cause_systems and other[:1] in "VWXY":
            fields["external_cause_code"] = other
        put(fields, "name", dg1.value(3, 2) or dg1.value(4))
        put(fields, "recorded_at", r.time(dg1, 5))
        facts.items.append(("diagnoses", item_id, fields))


def read_procedures(facts: MessageFacts, segments: Sequence[SegmentView], r: Reading) -> None:
    """PR1: code/name, start PR1-5 (+ PR1-7 minutes = end), category PR1-6, anaesthesia
    PR1-8/9, surgeon PR1-11, assistants PR1-12; level from the site's code catalogue."""
    for pr1 in (s for s in segments if s.name == "PR1"):
        code = pr1.value(3)
        start = r.time(pr1, 5)
        raw_start = pr1.value(5)
        item_id = pr1.value(19) or f"pr1-{code or '?'}-{raw_start or pr1.value(1) or '?'}"
        fields: dict[str, Any] = {"id": item_id}
        put(fields, "code", code)
        put(fields, "name", pr1.value(3, 2) or pr1.value(4))
        put(fields, "level", r.mapping.code("procedure_levels", code))
        put(fields, "is_invasive", r.mapping.code("procedure_invasive", code))
        put(fields, "category", r.mapping.code("procedure_categories", pr1.value(6)))
        put(fields, "start", start)
        minutes = number_of(pr1.value(7))
        if isinstance(start, dt.datetime) and minutes is not None and minutes >= 0:
            fields["end"] = start + dt.timedelta(minutes=minutes)
        put(fields, "anesthetist", r.clinician(pr1, 8))
        method = pr1.value(9)
        put(fields, "anesthesia_method", r.mapping.code("anesthesia_methods", method) or method)
        put(fields, "surgeon", r.clinician(pr1, 11))
        assistants = [r.clinician(pr1, 12, n) for n in range(pr1.repetitions(12))]
        put(fields, "assistants", [a for a in assistants if a])
        facts.items.append(("procedures", item_id, fields))


def read_documents(facts: MessageFacts, segments: Sequence[SegmentView], r: Reading) -> None:
    """TXA + OBX body -> one document (see docs/hl7v2-mapping.md for each field)."""
    txa = next((s for s in segments if s.name == "TXA"), None)
    if txa is None:
        facts.problems.append("MDM message has no TXA segment")
        return
    doc_id = txa.value(12)
    if doc_id is None:
        facts.problems.append("TXA-12 unique document number is missing")
        return
    action = facts.action.split(":", 1)[1]
    parent = txa.value(13)
    if action == "replace" and parent and parent != doc_id:
        facts.removed.append(("documents", parent))
    if action == "cancel" or txa.value(19) in r.mapping.withdrawn_statuses:
        facts.removed.append(("documents", doc_id))
        return
    text_parts: list[str] = []
    sections: list[str] = []
    body_title = None
    for obx in (s for s in segments if s.name == "OBX"):
        if obx.value(3) == r.mapping.section_code:
            _put_list(sections, obx.value(3, 2))
            continue
        if obx.value(2) not in _TEXT_TYPES:
            continue
        body_title = body_title or obx.value(3, 2)
        for repetition in range(obx.repetitions(5)):
            _put_list(text_parts, obx.value(5, repetition=repetition))
    code = txa.value(2)
    title = txa.value(2, 2) or body_title
    kind = r.kind(code, title)
    if kind is None:
        facts.problems.append(
            "document type (TXA-2) maps to no record kind; add it to [mapping.hl7v2."
            "document_types] or to a kind's site_codes"
        )
        return
    fields: dict[str, Any] = {"id": doc_id, "kind": kind}
    put(fields, "title", title)
    put(fields, "written_at", r.time(txa, 4) or r.time(txa, 6))
    author = r.clinician(txa, 9)
    put(fields, "author", author)
    participants = [r.clinician(txa, 5, n) for n in range(txa.repetitions(5))]
    put(fields, "participants", [p for p in participants if p])
    if txa.value(17) in r.mapping.signed_statuses or txa.value(17) is None:
        _read_signatures(fields, txa, r, author)
    put(fields, "about", txa.value(14))
    put(fields, "sections", sections)
    put(fields, "text", "\n".join(text_parts) if text_parts else None)
    facts.items.append(("documents", doc_id, fields))


def _read_signatures(
    fields: dict[str, Any], txa: SegmentView, r: Reading, author: dict[str, Any] | None
) -> None:
    """TXA-22 authentications: the originator's is the author signature and its time is
    `signed_at`; the others are reviewer signatures (上级医师审签)."""
    signatures = []
    author_id = author.get("id") if author else None
    for n in range(txa.repetitions(22)):
        signer = r.clinician(txa, 22, n, ppn=True)
        at = r.time(txa, 22, 15, n)
        if signer is None and at is None:
            continue
        is_author = author_id is not None and signer is not None and signer.get("id") == author_id
        signature: dict[str, Any] = {"role": "author" if is_author else "reviewer"}
        put(signature, "signer", signer)
        put(signature, "at", at)
        signatures.append(signature)
        if is_author and at is not None and "signed_at" not in fields:
            fields["signed_at"] = at
    put(fields, "signatures", signatures)


def read_orders(facts: MessageFacts, segments: Sequence[SegmentView], r: Reading) -> None:
    """Each ORC opens an order; the OBR/RXO/RXE/RXR/TQ1 after it, up to the next ORC, fill it."""
    groups: list[list[SegmentView]] = []
    for segment in segments:
        if segment.name == "ORC":
            groups.append([segment])
        elif groups and segment.name in ("OBR", "RXO", "RXE", "RXR", "TQ1"):
            groups[-1].append(segment)
    for group in groups:
        _read_order(facts, group, r)


def _read_order(facts: MessageFacts, group: list[SegmentView], r: Reading) -> None:
    first: dict[str, SegmentView] = {}
    for segment in group:
        first.setdefault(segment.name, segment)
    orc, obr, rxe, rxo = first["ORC"], first.get("OBR"), first.get("RXE"), first.get("RXO")
    order_id = orc.value(2) or value_of(obr, 2) or orc.value(3) or value_of(obr, 3)
    if order_id is None:
        facts.problems.append("an order has no placer or filler number (ORC-2/ORC-3)")
        return
    mapping = r.mapping
    control, status = orc.value(1), orc.value(5)
    fields: dict[str, Any] = {"id": order_id}
    if rxe is not None or rxo is not None:
        fields["category"] = "medication"
        if rxe is not None:
            _read_drug(fields, rxe, 2, r)
        elif rxo is not None:
            _read_drug(fields, rxo, 1, r)
        indication = value_of(rxe, 27) or value_of(rxo, 20)
        put(fields, "purpose", mapping.code("order_purposes", indication))
        route = value_of(first.get("RXR"), 1)
        put(fields, "route", mapping.code("routes", route) or (route.lower() if route else None))
    elif obr is not None:
        category = mapping.code("order_categories", obr.value(24))
        put(fields, "category", category or "other")
        put(fields, "code", obr.value(4))
        put(fields, "name", obr.value(4, 2))
        put(fields, "purpose", mapping.code("order_purposes", obr.value(31)))
    tq1 = first.get("TQ1")
    timing = [(tq1, 3, 7, 8, 1), (orc, 7, 4, 5, 2), (rxe, 1, 4, 5, 2), (obr, 27, 4, 5, 2)]
    for segment, field_no, start_c, end_c, pattern_c in timing:
        if segment is None:
            continue
        # a time is read only where it is used: not from a later source once one has given it
        if "start" not in fields:
            start = r.time(tq1, 7) if segment is tq1 else r.time(segment, field_no, start_c)
            put(fields, "start", start)
        if "stop" not in fields:
            stop = r.time(tq1, 8) if segment is tq1 else r.time(segment, field_no, end_c)
            put(fields, "stop", stop)
        pattern = segment.value(field_no, pattern_c)
        if pattern and "duration" not in fields:
            fields["duration"] = "one_off" if pattern in mapping.one_off_patterns else "long_term"
    put(fields, "ordered_at", r.time(orc, 9))
    put(fields, "ordered_by", r.clinician(orc, 12) or r.clinician(obr, 16))
    put(fields, "about", orc.value(8))
    if control in mapping.cancel_controls or status == "CA":
        fields["is_cancelled"] = True
    if (control in mapping.stop_controls or status == "DC") and "stop" not in fields:
        put(fields, "stop", r.time(orc, 9))
    facts.items.append(("orders", order_id, fields))


def _read_drug(fields: dict[str, Any], segment: SegmentView, field_no: int, r: Reading) -> None:
    """Give code: primary coding (1-3) and alternate (4-6); an ATC coding gives the class."""
    parts = segment.components(field_no)
    padded = [*parts, None, None, None, None, None, None]
    put(fields, "code", padded[0])
    put(fields, "name", padded[1] or padded[4])
    for code, system in ((padded[0], padded[2]), (padded[3], padded[5])):
        if code and system in _ATC_SYSTEMS and "drug_class" not in fields:
            put(fields, "drug_class", r.mapping.drug_class(code))
    for code in (padded[0], padded[3]):
        if "antibiotic_tier" not in fields:
            put(fields, "antibiotic_tier", r.mapping.code("antibiotic_tiers", code))


def read_schedule(facts: MessageFacts, segments: Sequence[SegmentView], r: Reading) -> None:
    """SIU: SCH names the appointment (a scheduled procedure); AIS its service and time, AIP
    its surgeon, anaesthetist and assistants; SCH-7 tells an emergency operation."""
    sch = next((s for s in segments if s.name == "SCH"), None)
    if sch is None:
        facts.problems.append("SIU message has no SCH segment")
        return
    item_id = sch.value(1) or sch.value(2)
    if item_id is None:
        facts.problems.append("SCH-1/SCH-2 appointment id is missing")
        return
    if facts.action.endswith(":cancel"):
        facts.removed.append(("procedures", item_id))
        return
    mapping = r.mapping
    fields: dict[str, Any] = {"id": item_id}
    reason = sch.value(7) or sch.value(7, 2)
    fields["is_emergency"] = reason in mapping.emergency_reasons
    tq1 = next((s for s in segments if s.name == "TQ1"), None)
    put(fields, "start", r.time(tq1, 7) or r.time(sch, 11, 4))
    put(fields, "end", r.time(tq1, 8) or r.time(sch, 11, 5))
    ais = next((s for s in segments if s.name == "AIS"), None)
    if ais is not None:
        code = ais.value(3)
        put(fields, "code", code)
        put(fields, "name", ais.value(3, 2))
        put(fields, "level", mapping.code("procedure_levels", code))
        put(fields, "is_invasive", mapping.code("procedure_invasive", code))
        put(fields, "start", r.time(ais, 4))
    assistants = []
    for aip in (s for s in segments if s.name == "AIP"):
        resource = aip.value(4) or aip.value(4, 2)
        person = r.clinician(aip, 3)
        if person is None:
            continue
        if resource in mapping.surgeon_types:
            fields["surgeon"] = person
        elif resource in mapping.anesthetist_types:
            fields["anesthetist"] = person
        elif resource in mapping.assistant_types:
            assistants.append(person)
    put(fields, "assistants", assistants)
    put(fields, "_order_ref", sch.value(26))
    facts.items.append(("procedures", item_id, fields))


def read_administrations(facts: MessageFacts, segments: Sequence[SegmentView], r: Reading) -> None:
    """RAS: each RXA after an ORC is one administration of that order (id: order-RXA-2)."""
    order_id = None
    for segment in segments:
        if segment.name == "ORC":
            order_id = segment.value(2) or segment.value(3)
        elif segment.name == "RXA":
            if order_id is None:
                facts.problems.append("an administration (RXA) follows no ORC with an order id")
                continue
            item_id = f"{order_id}-{segment.value(2) or segment.value(1) or '1'}"
            if segment.value(21) == "D":
                facts.removed.append(("administrations", item_id))
                continue
            fields: dict[str, Any] = {"id": item_id, "order_id": order_id}
            put(fields, "at", r.time(segment, 3))
            facts.items.append(("administrations", item_id, fields))


def value_of(segment: SegmentView | None, field_no: int, component: int = 1) -> str | None:
    """A value of a segment the message may lack."""
    return segment.value(field_no, component) if segment is not None else None


def _put_list(target: list[str], value: str | None) -> None:
    if value:
        target.append(value)


def number_of(text: str | None) -> float | None:
    """An NM value as a float; text that is not a number is None (the caller decides). "NaN"
    and "Infinity", which Python's float() reads, are not HL7 numbers and not model values."""
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
