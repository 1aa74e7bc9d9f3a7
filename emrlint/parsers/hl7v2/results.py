"""ORU/OUL result groups (OBR + OBX) -> observations, or assessments when the group's OBR-24
is an assessment section (see [assessments] in the mapping).

Like `items.py`, it records an item it cannot identify as a problem of the message and goes
on with the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emrlint.parsers.hl7v2.er7 import SegmentView
from emrlint.parsers.hl7v2.facts import MessageFacts, Reading
from emrlint.parsers.hl7v2.items import number_of, put, value_of

__all__ = ["read_results"]


def read_results(
    facts: MessageFacts, segments: Sequence[SegmentView], r: Reading, msh: SegmentView
) -> None:
    """OBR opens a result group; each OBX after it is one observation. Id: the filler number
    (OBR-3) for a lone OBX; filler-sub id (OBX-4, else OBX-1) when the group has several."""
    groups: list[tuple[SegmentView | None, SegmentView | None, list[SegmentView]]] = []
    orc: SegmentView | None = None
    for segment in segments:
        if segment.name == "ORC":
            orc = segment
        elif segment.name == "OBR":
            groups.append((orc, segment, []))
        elif segment.name == "OBX":
            if not groups:
                groups.append((orc, None, []))
            groups[-1][2].append(segment)
    for orc, obr, observations in groups:
        base = value_of(obr, 3) or value_of(orc, 3) or value_of(obr, 2) or msh.value(10)
        if obr is not None and obr.value(24) in r.mapping.assessment_sections:
            _read_assessment(facts, r, obr, observations, base)
            continue
        order_id = value_of(obr, 2) or value_of(orc, 2)
        category = r.mapping.code("observation_categories", value_of(obr, 24)) or "other"
        for ordinal, obx in enumerate(observations, start=1):
            suffix = None if len(observations) == 1 else obx.value(4) or obx.value(1) or ordinal
            _read_observation(facts, r, obr, obx, base, suffix, order_id, category)


def _read_observation(
    facts: MessageFacts,
    r: Reading,
    obr: SegmentView | None,
    obx: SegmentView,
    base: str | None,
    suffix: str | int | None,
    order_id: str | None,
    category: str,
) -> None:
    if base is None:
        facts.problems.append("a result has no filler number (OBR-3) to identify it by")
        return
    item_id = base if suffix is None else f"{base}-{suffix}"
    status = obx.value(11)
    if status in ("D", "W"):
        facts.removed.append(("observations", item_id))
        return
    fields: dict[str, Any] = {"id": item_id, "category": category}
    put(fields, "code", obx.value(3))
    put(fields, "name", obx.value(3, 2))
    put(fields, "value", _observation_value(obx))
    put(fields, "unit", obx.value(6) or obx.value(6, 2))
    put(fields, "at", r.time(obr, 22) or r.time(obx, 19))
    put(fields, "specimen_at", r.time(obr, 7) or r.time(obx, 14))
    flags = {obx.value(8, repetition=n) for n in range(obx.repetitions(8))}
    if flags & r.mapping.critical_flags:
        fields["is_critical"] = True
    put(fields, "order_id", order_id)
    facts.items.append(("observations", item_id, fields))


def _read_assessment(
    facts: MessageFacts,
    r: Reading,
    obr: SegmentView,
    observations: list[SegmentView],
    base: str | None,
) -> None:
    """An assessment group (see [assessments] in the mapping): kind from OBR-4, score and
    grade from the OBX coded score_code / level_code, tool from OBX-17, assessor OBX-16."""
    kind = r.mapping.assessment_kind(obr.value(4))
    if base is None or kind is None:
        facts.problems.append("an assessment (OBR-24) has no id (OBR-3) or no known kind (OBR-4)")
        return
    fields: dict[str, Any] = {"id": base, "kind": kind}
    put(fields, "at", r.time(obr, 22) or r.time(obr, 7))
    for obx in observations:
        code = obx.value(3)
        if code == r.mapping.score_code:
            put(fields, "score", number_of(obx.value(5)))
        elif code == r.mapping.level_code:
            put(fields, "level", _observation_value(obx))
        if "tool" not in fields:
            put(fields, "tool", obx.value(17))
        if "author" not in fields:
            put(fields, "author", r.clinician(obx, 16))
        if "at" not in fields:
            put(fields, "at", r.time(obx, 14))
    facts.items.append(("assessments", base, fields))


def _observation_value(obx: SegmentView) -> float | str | None:
    value_type = obx.value(2)
    if value_type == "ED" or value_type == "RP":
        return None
    if value_type == "NM":
        text = obx.value(5)
        number = number_of(text)
        return number if number is not None else text
    if value_type == "SN":
        parts = [p for p in obx.components(5) if p]
        number = number_of(parts[0]) if len(parts) == 1 else None
        return number if number is not None else ("".join(parts) or None)
    if value_type in ("CE", "CWE", "CNE"):
        return obx.value(5, 2) or obx.value(5)
    texts = [obx.value(5, repetition=n) or "" for n in range(obx.repetitions(5))]
    return "\n".join(texts) or None
