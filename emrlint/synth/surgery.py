"""An operation and the records around it: consents, pre-operative summary and discussion,
anaesthesia visits and record, safety checklist, count record, operative and post-op notes.

Why a module of its own: surgery carries most of the per-requirement timing rules, and keeping
them together makes it easy to see that each record is timed against its own deadline.
"""

from __future__ import annotations

import datetime as dt

from emrlint.model import (
    Assessment,
    Clinician,
    Handover,
    HandoverPurpose,
    Observation,
    ObservationCategory,
    OrderCategory,
    Procedure,
    ProcedureCategory,
    Signature,
    SignatureRole,
    Transfusion,
)
from emrlint.model import (
    Order as OrderModel,
)
from emrlint.synth.builder import TZ, Builder

__all__ = ["add_surgery"]

_LOCAL = ("local",)


def add_surgery(
    b: Builder, admitted: dt.datetime, discharged: dt.datetime, emergency: bool
) -> dt.datetime | None:
    """Add one operation (sometimes an emergency one) and its records; return its start."""
    rng = b.rng
    op = rng.choice(b.department.operations) if b.department.operations else None
    if op is None:
        return None
    urgent = emergency and rng.random() < 0.4
    if urgent:
        start = admitted + b.hours(1.5, 5)
    else:
        first = admitted.date() + dt.timedelta(days=rng.randint(1, 3))
        start = dt.datetime.combine(first, dt.time(8, 30), tzinfo=TZ) + b.hours(0, 5)
    end = start + b.minutes(40 * op.level, 70 * op.level)
    if end + dt.timedelta(hours=20) > discharged:
        return None
    surgeon = b.chief if op.level == 4 else b.associate if op.level == 3 else b.attending
    assistants = [b.attending if surgeon is not b.attending else b.resident, b.resident]
    local = op.anesthesia in _LOCAL
    if urgent:
        ordered = start - b.minutes(30, 60)
    else:
        ordered = admitted + (start - admitted) * rng.uniform(0.5, 0.8)
        ordered = ordered.replace(second=0, microsecond=0)
    proc_id = b.nid("proc")
    procedure = Procedure(
        id=proc_id,
        code=op.code,
        name=op.name,
        level=op.level,
        category=ProcedureCategory.surgery,
        is_invasive=True,
        start=start,
        end=end,
        ordered_at=ordered,
        surgeon=surgeon,
        assistants=assistants,
        anesthesia_method=op.anesthesia,
        anesthetist=None if local else b.anesthetist,
        is_emergency=urgent,
        is_unplanned_return=False,  # a feed that states it: synth stays have no returns
        has_specimen=rng.random() < 0.6,
        has_implant=b.department.key == "orthopaedics",
        incision_class=rng.choice(("I", "II")),
    )
    b.lists["procedures"].append(procedure)
    assert procedure.ordered_at is not None and isinstance(procedure.ordered_at, dt.datetime)
    b.lists["orders"].append(
        OrderModel(
            id=b.nid("ord"),
            category=OrderCategory.surgery,
            name=op.name,
            ordered_at=procedure.ordered_at,
            start=start,
            stop=end,
            ordered_by=b.attending,
            about=proc_id,
        )
    )
    # Pre-operative records fall between the order and the incision.
    window = start - max(admitted, procedure.ordered_at)

    def before(low: float, high: float) -> dt.datetime | None:
        return b.when(b.minute(start - window * rng.uniform(low, high)), start)

    b.consent("surgery_consent", "手术知情同意书", before(0.3, 0.9), proc_id)
    if not local:
        b.consent("anesthesia_consent", "麻醉知情同意书", before(0.2, 0.8), proc_id)
        b.document(
            "anesthesia_preop_visit", "麻醉术前访视记录", before(0.2, 0.8), b.anesthetist, proc_id
        )
    if not urgent:
        b.document("preop_summary", "术前小结", before(0.3, 0.9), about=proc_id)
        held = admitted + (ordered - admitted) * rng.uniform(0.2, 0.9)
        b.document(
            "preop_discussion",
            "术前讨论记录",
            b.when(held.replace(second=0, microsecond=0), ordered),
            b.attending,
            proc_id,
            participants=_team(surgeon, b.chief, b.attending, b.resident),
        )
    seen = start - min(window, dt.timedelta(hours=20)) * rng.uniform(0.2, 0.9)
    b.document(
        "senior_round",
        "术者术前查房记录",
        b.when(seen.replace(second=0, microsecond=0), start),
        surgeon,
    )
    b.document(
        "senior_round",
        "术者术后查房记录",
        b.when(end + b.hours(2, 20), end + dt.timedelta(hours=24)),
        surgeon,
    )
    _after_operation(b, procedure, end, discharged)
    if op.level == 4:
        b.lists["events"].append(
            Handover(
                id=b.nid("handover"),
                at=min(end + b.hours(0.5, 2), end.replace(hour=23, minute=30)),
                purpose=HandoverPurpose.shift,
                is_bedside=True,
                giver=b.resident,
                receiver=b.attending,
            )
        )
    if op.anesthesia == "general":
        reading = start + dt.timedelta(minutes=15)
        while reading < end:
            b.lists["observations"].append(
                Observation(
                    id=b.nid("temp"),
                    category=ObservationCategory.vital,
                    code="8310-5",
                    name="鼻咽温",
                    value=round(rng.gauss(36.4, 0.3), 1),
                    unit="Cel",
                    at=reading,
                )
            )
            reading += dt.timedelta(minutes=30)
    if op.level == 4 and not urgent:
        b.document(
            "mdt_discussion",
            "多学科讨论记录",
            before(0.4, 0.9),
            b.chief,
            proc_id,
            participants=[b.chief, b.associate, b.anesthetist],
        )
    checked = b.when(start - b.minutes(5, 20), start)
    if checked is not None:
        signers = [(SignatureRole.surgeon, surgeon), (SignatureRole.nurse, b.nurse)]
        if not local:
            signers.append((SignatureRole.anesthetist, b.anesthetist))
        b.document(
            "surgical_safety_checklist",
            "手术安全核查表",
            checked,
            surgeon,
            proc_id,
            signatures=[Signature(role=r, signer=s, at=checked) for r, s in signers],
        )
    if not local:
        b.document(
            "anesthesia_record",
            "麻醉记录单",
            b.when(end + b.minutes(5, 30), None),
            b.anesthetist,
            proc_id,
        )
        b.document(
            "anesthesia_postop_visit",
            "麻醉术后访视记录",
            b.when(end + b.hours(4, 20), end + dt.timedelta(hours=24)),
            b.anesthetist,
            proc_id,
        )
    b.document("surgical_count_record", "手术清点记录", b.when(end, None), surgeon, proc_id)
    b.document(
        "operative_note",
        "手术记录",
        b.when(end + b.hours(0.5, 10), end + dt.timedelta(hours=24)),
        surgeon,
        proc_id,
    )
    b.document(
        "postop_first_note",
        "术后首次病程记录",
        b.when(end + b.minutes(10, 50), end + dt.timedelta(hours=1)),
        assistants[0],
        proc_id,
    )
    if op.level >= 3 and rng.random() < 0.25:
        _transfusion(b, start, end)
    return start


def _team(*members: Clinician) -> list[Clinician]:
    """Distinct participants in order (the surgeon may also be the chief or attending)."""
    return list({member.id: member for member in members}.values())


def _after_operation(
    b: Builder, procedure: Procedure, end: dt.datetime, discharged: dt.datetime
) -> None:
    """Post-operative VTE reassessment with mechanical prophylaxis, and the pathology report."""
    at = b.when(end + b.hours(1, 12), end + dt.timedelta(hours=24))
    if at is not None:
        b.lists["assessments"].append(
            Assessment(
                id=b.nid("asm"),
                kind="vte_risk",
                tool="caprini",
                score=float(b.rng.randint(3, 6)),
                level="moderate",
                at=at,
                author=b.resident,
            )
        )
    begin = end + b.hours(0.5, 2)
    b.lists["orders"].append(
        OrderModel(
            id=b.nid("ord"),
            category=OrderCategory.mechanical_prophylaxis,
            name="间歇充气加压装置",
            ordered_at=begin - b.minutes(5, 20),
            start=begin,
            stop=max(begin + dt.timedelta(hours=2), discharged - b.hours(1, 3)),
            ordered_by=b.resident,
        )
    )
    if procedure.has_specimen:
        b.lists["observations"].append(
            Observation(
                id=b.nid("path"),
                category=ObservationCategory.pathology,
                name=f"{procedure.name}标本病理",
                value="见病理报告",
                at=end + b.hours(48, 96),
            )
        )


def _transfusion(b: Builder, start: dt.datetime, end: dt.datetime) -> None:
    """An intra-operative transfusion with its consent and record."""
    begin = b.minute(start + (end - start) / 2)
    event = Transfusion(
        id=b.nid("tx"),
        start=begin,
        end=begin + b.minutes(40, 90),
        component="red_cells",
        volume_ml=400.0,
    )
    b.lists["events"].append(event)
    indicated = b.when(start - b.minutes(20, 60), begin)
    for kind, at, level in (
        ("transfusion_indication", indicated, "Hb 65 g/L"),
        ("post_transfusion_evaluation", end + b.hours(2, 12), "Hb 88 g/L"),
    ):
        if at is not None:
            b.lists["assessments"].append(
                Assessment(id=b.nid("asm"), kind=kind, level=level, at=at, author=b.resident)
            )
    b.lists["orders"].append(
        OrderModel(
            id=b.nid("ord"),
            category=OrderCategory.transfusion,
            name="悬浮红细胞 2U",
            ordered_at=begin - b.minutes(30, 60),
            start=begin,
            stop=event.end,
            ordered_by=b.attending,
        )
    )
    b.consent(
        "transfusion_consent",
        "输血治疗知情同意书",
        b.when(start - b.minutes(5, 30), begin),
        event.id,
    )
    b.document(
        "transfusion_record", "输血记录", b.when(end + b.hours(0.5, 6), None), about=event.id
    )
