"""Orders, administrations, assessments, observations and consultations for a synthetic stay.

These are the bulk of an episode's items, so the `Density` knobs (how many drugs, how often
given, how many vitals and labs) are what the "small / typical / large" sizes turn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from emrlint.model import (
    Administration,
    AntibioticTier,
    Assessment,
    Clinician,
    Consultation,
    ConsultationUrgency,
    CriticalValue,
    DrugClass,
    Observation,
    ObservationCategory,
    Order,
    OrderCategory,
    OrderDuration,
    OrderPurpose,
)
from emrlint.synth.builder import Builder
from emrlint.synth.catalog import ANTIBIOTICS, DEPARTMENTS, LABS

__all__ = ["Density", "add_assessments", "add_consultations", "add_labs", "add_medications"]


@dataclass(frozen=True, slots=True)
class Density:
    """How much routine data a day of stay produces; the size presets differ only here."""

    extra_drugs: int
    doses_per_day: int
    vitals_per_day: int
    lab_every_days: int
    labs_per_panel: int


def _order(
    b: Builder,
    category: OrderCategory,
    name: str,
    start: dt.datetime,
    stop: dt.datetime | None,
    by: Clinician | None = None,
    **fields: object,
) -> Order:
    order = Order(
        id=b.nid("ord"),
        category=category,
        name=name,
        ordered_at=start - b.minutes(5, 60),
        start=start,
        stop=stop,
        ordered_by=by or b.resident,
        duration=OrderDuration.long_term
        if stop and stop - start > dt.timedelta(days=1)
        else OrderDuration.one_off,
        **fields,  # type: ignore[arg-type]
    )
    b.lists["orders"].append(order)
    return order


def _give(b: Builder, order: Order, per_day: int) -> None:
    """Administrations of a long-term order, `per_day` times a day from start to stop."""
    assert order.start is not None and isinstance(order.start, dt.datetime)
    stop = order.stop if isinstance(order.stop, dt.datetime) else order.start
    step = dt.timedelta(hours=24 / max(per_day, 1))
    at = order.start
    while at <= stop:
        b.lists["administrations"].append(
            Administration(id=b.nid("adm"), order_id=order.id, at=at + b.minutes(0, 20))
        )
        at += step


def add_medications(
    b: Builder,
    admitted: dt.datetime,
    discharged: dt.datetime,
    density: Density,
    surgery_start: dt.datetime | None,
    anticoagulate: bool,
) -> None:
    """Antibiotics (with tiers and the special-use consultation), anticoagulants, chemotherapy,
    antipsychotics and a few ordinary drugs, each with its administrations."""
    rng = b.rng
    dept = b.department
    start = admitted + b.hours(1, 4)
    if surgery_start is not None:
        code, name, _ = ANTIBIOTICS[rng.randrange(2)]
        order = _order(
            b,
            OrderCategory.medication,
            name,
            surgery_start - b.minutes(30, 60),
            surgery_start + b.hours(20, 24),
            code=code,
            drug_class=DrugClass.antibiotic,
            antibiotic_tier=AntibioticTier.unrestricted,
            purpose=OrderPurpose.prophylactic,
            route="iv",
        )
        _give(b, order, 2)
    if rng.random() < (0.7 if dept.key in ("icu", "internal_medicine") else 0.15):
        code, name, tier = rng.choice(ANTIBIOTICS)
        begin = start + b.hours(8, 24)
        taken = begin - b.hours(0.5, 3)
        b.lists["observations"].append(
            Observation(
                id=b.nid("micro"),
                category=ObservationCategory.microbiology,
                code="600-7",
                name="血培养",
                value=rng.choice(("无细菌生长", "大肠埃希菌", "肺炎克雷伯菌")),
                at=taken + b.hours(48, 72),
                specimen_at=taken,
            )
        )
        stop = min(discharged - b.hours(1, 3), begin + dt.timedelta(days=rng.randint(3, 10)))
        stop = max(stop, begin + dt.timedelta(hours=2))
        order = _order(
            b,
            OrderCategory.medication,
            name,
            begin,
            stop,
            {"special": b.chief, "restricted": b.attending}.get(tier),
            code=code,
            drug_class=DrugClass.antibiotic,
            antibiotic_tier=AntibioticTier(tier),
            purpose=OrderPurpose.therapeutic,
            route="iv",
        )
        if tier == "special":
            requested = begin - b.hours(3, 7)
            consult_id = b.nid("cons")
            b.lists["consultations"].append(
                Consultation(
                    id=consult_id,
                    urgency=ConsultationUrgency.routine,
                    department="感染科",
                    requested_at=requested,
                    requested_by=b.resident,
                    arrived_at=requested + b.hours(0.5, 2),
                    completed_at=begin - b.minutes(70, 120),
                    consultant=b.staff(DEPARTMENTS[0], b.attending.rank, 9, "感染科"),  # type: ignore[arg-type]
                    purpose="special_antibiotic",
                    is_agreed=True,
                    order_id=order.id,
                )
            )
            b.document(
                "consultation_record", "会诊记录", begin - b.minutes(10, 60), about=consult_id
            )
        _give(b, order, density.doses_per_day)
    if anticoagulate and surgery_start is not None:
        _order(
            b,
            OrderCategory.mechanical_prophylaxis,
            "间歇充气加压装置",
            start + b.hours(1, 6),
            discharged - b.hours(1, 3),
        )
    if anticoagulate:
        begin = (surgery_start + b.hours(12, 24)) if surgery_start else start + b.hours(2, 10)
        if begin < discharged:
            order = _order(
                b,
                OrderCategory.medication,
                "依诺肝素",
                begin,
                discharged - b.hours(1, 3),
                code="B01AB05",
                drug_class=DrugClass.anticoagulant,
                purpose=OrderPurpose.prophylactic,
                route="sc",
            )
            _give(b, order, 1)
    if dept.is_oncology and rng.random() < 0.6:
        chemo = start + b.hours(20, 40)
        consent = b.when(chemo - b.hours(3, 12), chemo - dt.timedelta(hours=1))
        b.consent("special_treatment_consent", "化疗知情同意书", consent)
        order = _order(
            b,
            OrderCategory.medication,
            "顺铂",
            chemo,
            None,
            code="L01XA01",
            drug_class=DrugClass.antineoplastic,
            route="iv",
        )
        b.lists["administrations"].append(
            Administration(id=b.nid("adm"), order_id=order.id, at=order.start)
        )
    if dept.is_psychiatry:
        order = _order(
            b,
            OrderCategory.medication,
            "奥氮平",
            start,
            discharged - b.hours(1, 3),
            code="N05AH03",
            drug_class=DrugClass.antipsychotic,
            route="po",
        )
        _give(b, order, 1)
    for _ in range(density.extra_drugs):
        begin = start + b.hours(0, 12)
        order = _order(
            b,
            OrderCategory.medication,
            rng.choice(("氨氯地平", "奥美拉唑", "二甲双胍", "氯化钾")),
            begin,
            max(begin + dt.timedelta(hours=1), discharged - b.hours(1, 4)),
            drug_class=DrugClass.other,
            route="po",
        )
        _give(b, order, density.doses_per_day)


def add_labs(b: Builder, admitted: dt.datetime, discharged: dt.datetime, density: Density) -> None:
    """Vital signs, lab panels (some critical, with the 危急值 chain) and one imaging report."""
    rng = b.rng
    day = 0
    while True:
        base = admitted.replace(hour=6, minute=0) + dt.timedelta(days=day)
        if base > discharged:
            break
        for k in range(density.vitals_per_day):
            at = base + dt.timedelta(hours=2 + 16 * k / max(density.vitals_per_day, 1))
            if admitted < at < discharged:
                b.lists["observations"].append(
                    Observation(
                        id=b.nid("vit"),
                        category=ObservationCategory.vital,
                        code="8310-5",
                        name="体温",
                        value=round(rng.gauss(36.8, 0.4), 1),
                        unit="Cel",
                        at=at,
                    )
                )
        if day % density.lab_every_days == 0:
            taken = max(base + b.hours(0, 1), admitted + b.minutes(20, 90))
            if taken < discharged:
                _panel(b, taken, density.labs_per_panel)
        day += 1
    order = _order(
        b, OrderCategory.imaging, "胸部CT", admitted + b.hours(1, 6), None, code="CT-CHEST"
    )
    assert isinstance(order.start, dt.datetime)
    b.lists["observations"].append(
        Observation(
            id=b.nid("img"),
            category=ObservationCategory.imaging,
            name="胸部CT",
            value="未见明显异常",
            at=order.start + b.hours(1, 5),
            order_id=order.id,
        )
    )


def _panel(b: Builder, taken: dt.datetime, size: int) -> None:
    rng = b.rng
    order = _order(b, OrderCategory.lab, "血常规+生化", taken - b.minutes(10, 60), None)
    reported = taken + b.hours(1, 3)
    for code, name, unit, low, high, _crit_low, crit_high in rng.sample(LABS, min(size, len(LABS))):
        critical = rng.random() < 0.02
        value = crit_high * 1.1 if critical else rng.uniform(low, high)
        obs = Observation(
            id=b.nid("lab"),
            category=ObservationCategory.lab,
            code=code,
            name=name,
            value=round(value, 2),
            unit=unit or None,
            at=reported,
            specimen_at=taken,
            is_critical=critical,
            order_id=order.id,
        )
        b.lists["observations"].append(obs)
        if critical:
            received = reported + b.minutes(1, 8)
            b.lists["events"].append(
                CriticalValue(
                    id=b.nid("crit"),
                    observation_id=obs.id,
                    reported_at=reported,
                    received_at=received,
                    handled_at=received + b.minutes(5, 40),
                )
            )
            b.document("progress_note", "危急值处理记录", received + b.minutes(45, 90))


def add_assessments(b: Builder, admitted: dt.datetime, surgical: bool, vte_high: bool) -> None:
    """Admission assessments: VTE (Caprini for surgery, Padua otherwise), bleeding, nutrition,
    pain, ADL, plus department-specific ones (psychiatric risk, TNM staging)."""
    rng = b.rng
    at = admitted + b.hours(1, 6)
    tool = "caprini" if surgical else "padua"
    rows: list[tuple[str, str | None, float | None, str | None]] = [
        (
            "vte_risk",
            tool,
            5.0 if vte_high else float(rng.randint(0, 2)),
            "high" if vte_high else "low",
        ),
        ("bleeding_risk", "improve", float(rng.randint(0, 6)), "low"),
        ("nutrition", "nrs2002", float(rng.randint(0, 4)), None),
        ("pain", "nrs", float(rng.randint(0, 6)), None),
        ("adl", "barthel", float(rng.choice((40, 60, 80, 100))), None),
    ]
    if b.department.is_psychiatry:
        rows.append(("psychiatric_risk", "local", None, rng.choice(("low", "medium", "high"))))
    if b.dx_code.startswith("C"):
        rows.append(("tnm_staging", "ajcc8", None, rng.choice(("cT2N0M0", "cT3N1M0", "cT4N2M1"))))
        rows.append(("pain_comprehensive", "bpi", float(rng.randint(0, 6)), None))
    if b.dx_code.startswith("J18"):
        rows.append(("cap_severity", "curb65", float(rng.randint(0, 3)), None))
    for kind, tool_name, score, level in rows:
        b.lists["assessments"].append(
            Assessment(
                id=b.nid("asm"),
                kind=kind,
                tool=tool_name,
                score=score,
                level=level,
                at=at,
                author=b.resident,
            )
        )


def add_consultations(b: Builder, admitted: dt.datetime, discharged: dt.datetime) -> None:
    """Routine (record within 24 h) and urgent (consultant on the ward within 10 min) consults,
    with their consultation records; lateness is a defect like any other."""
    rng = b.rng
    count = rng.choices((0, 1, 2, 3), (0.5, 0.3, 0.15, 0.05))[0]
    for _ in range(count):
        urgent = rng.random() < 0.2
        span = max((discharged - admitted).total_seconds() / 3600 - 30, 1)
        requested = admitted + b.hours(1, span)
        deadline = requested + dt.timedelta(minutes=10 if urgent else 24 * 60)
        on_time = requested + (b.minutes(2, 9) if urgent else b.hours(1, 20))
        arrived = b.when(on_time, deadline) or deadline + b.minutes(5, 120)
        completed = arrived + b.minutes(20, 90)
        consult_id = b.nid("cons")
        dept = rng.choice(DEPARTMENTS)
        b.lists["consultations"].append(
            Consultation(
                id=consult_id,
                urgency=ConsultationUrgency.urgent if urgent else ConsultationUrgency.routine,
                department=dept.name,
                requested_at=requested,
                requested_by=b.resident,
                arrived_at=arrived,
                completed_at=completed,
                consultant=b.staff(dept, b.attending.rank, 5),  # type: ignore[arg-type]
            )
        )
        record_at = completed if urgent else b.when(completed, requested + dt.timedelta(days=1))
        b.document("consultation_record", "会诊记录", record_at, about=consult_id)
