"""Seeded synthetic inpatient episodes: realistic case mix, every required record on time or
(with probability `defect_rate` per requirement) late or missing.

Why: benchmarks and load tests need hospital-sized inputs with a known defect rate, and no
real record may leave a hospital. Episode `i` of seed `s` is drawn from its own
`random.Random(f"{s}:{i}")`, so output is identical across runs and independent of `count`.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator, Mapping

from emrlint.model import (
    AdmissionRoute,
    Assessment,
    CareAssignment,
    CareRole,
    ConditionChange,
    ConditionLevel,
    Diagnosis,
    DiagnosisRole,
    Disposition,
    Episode,
    Handover,
    HandoverPurpose,
    Patient,
    PresentOnAdmission,
    Rescue,
    Sex,
    Signature,
    SignatureRole,
    Transfer,
)
from emrlint.rules.workdays import WorkdayCalendar
from emrlint.synth.builder import TZ, Builder
from emrlint.synth.catalog import DEPARTMENTS, FAMILY_NAMES, GIVEN_NAMES, Department
from emrlint.synth.clinical import (
    Density,
    add_assessments,
    add_consultations,
    add_labs,
    add_medications,
)
from emrlint.synth.surgery import add_surgery

__all__ = ["SIZES", "generate", "generate_one"]

SIZES: dict[str, Density] = {
    "small": Density(
        extra_drugs=0, doses_per_day=1, vitals_per_day=0, lab_every_days=7, labs_per_panel=3
    ),
    "typical": Density(
        extra_drugs=2, doses_per_day=2, vitals_per_day=3, lab_every_days=3, labs_per_panel=6
    ),
    "large": Density(
        extra_drugs=7, doses_per_day=3, vitals_per_day=9, lab_every_days=1, labs_per_panel=8
    ),
}

_EPOCH = dt.datetime(2024, 1, 1, tzinfo=TZ)
_CALENDAR = WorkdayCalendar()


def generate(
    count: int,
    seed: int = 0,
    defect_rate: float = 0.1,
    size: str = "typical",
    departments: Mapping[str, float] | None = None,
) -> Iterator[Episode]:
    """Yield `count` episodes lazily (memory stays flat however large `count` is).

    `departments` maps department keys (see `catalog.DEPARTMENTS`) to relative weights; the
    default is a general hospital's mix."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    if not 0.0 <= defect_rate <= 1.0:
        raise ValueError("defect_rate must be between 0 and 1")
    pool = [d for d in DEPARTMENTS if departments is None or d.key in departments]
    if not pool:
        raise ValueError("no known department in the department mix")
    weights = [departments[d.key] if departments else d.weight for d in pool]
    for index in range(count):
        rng = random.Random(f"{seed}:{index}")
        department = rng.choices(pool, weights)[0]
        yield generate_one(rng, index, department, defect_rate, SIZES[size])


def generate_one(
    rng: random.Random, index: int, dept: Department, defect_rate: float, density: Density
) -> Episode:
    """One stay: skeleton first (times, level, outcome), then the records it requires."""
    b = Builder(rng, dept, defect_rate)
    emergency = rng.random() < 0.35
    day = _EPOCH + dt.timedelta(days=rng.randint(0, 700))
    hour = rng.randint(0, 23) if emergency else rng.randint(8, 16)
    admitted = day.replace(hour=hour, minute=rng.randint(0, 59))
    los_days = min(30.0, max(1.1, rng.lognormvariate(math.log(dept.median_los_days), 0.55)))
    discharged = admitted + dt.timedelta(minutes=round(los_days * 24 * 60))
    discharged = discharged.replace(hour=rng.randint(9, 16))
    if discharged - admitted < dt.timedelta(hours=26):
        discharged = admitted + b.hours(26, 40)
    died = rng.random() < dept.death_rate
    serious = died or rng.random() < dept.serious_rate

    levels = [ConditionChange(at=admitted, level=ConditionLevel.stable)]
    if serious:
        worse = ConditionLevel.critical if died or rng.random() < 0.4 else ConditionLevel.serious
        onset = admitted + b.hours(0.5, min(48, (discharged - admitted).total_seconds() / 7200))
        levels.append(ConditionChange(at=onset, level=worse))
        notice = b.when(onset + b.minutes(10, 50), onset + dt.timedelta(hours=1))
        b.consent("critical_notice", "病危（重）通知书", notice)
        better = discharged
        if not died:
            better = b.minute(onset + (discharged - onset) * rng.uniform(0.3, 0.7))
            levels.append(ConditionChange(at=better, level=ConditionLevel.stable))
        _bedside_handovers(b, onset, better, discharged)

    _diagnoses(b, admitted, discharged)
    ward_dept = dept.name
    if rng.random() < 0.05 and discharged - admitted > dt.timedelta(days=3):
        ward_dept = _transfer(b, admitted, discharged)
    surgery_start = None
    if rng.random() < dept.surgery_rate and not died:
        surgery_start = add_surgery(b, admitted, discharged, emergency)
    vte_high = rng.random() < (0.5 if surgery_start or serious else 0.15)
    add_assessments(b, admitted, surgery_start is not None, vte_high)
    add_medications(b, admitted, discharged, density, surgery_start, vte_high)
    add_labs(b, admitted, discharged, density)
    add_consultations(b, admitted, discharged)
    rescues = _rescues(b, admitted, discharged, died, serious)
    _progress(b, admitted, discharged)
    _closing(b, admitted, discharged, died)

    patient_no = f"SYN-{index + 1:08d}"
    sex = rng.choice((Sex.male, Sex.female))
    if dept.key == "gynaecology" or b.dx_code.startswith("C50"):
        sex = Sex.female
    if b.dx_code.startswith("N40") or dept.key == "urology":
        sex = Sex.male
    family, given = rng.choice(FAMILY_NAMES), rng.choice(GIVEN_NAMES)
    return Episode(
        id=patient_no,
        patient=Patient(
            id=f"SYN-P{index + 1:08d}",
            name=f"测试{family}{given}（虚构）",
            sex=sex,
            birth_date=dt.date(
                admitted.year - rng.randint(18, 90), rng.randint(1, 12), rng.randint(1, 28)
            ),
        ),
        site_id="SYN-HOSP",
        admitted_at=admitted,
        admission_route=AdmissionRoute.emergency if emergency else AdmissionRoute.outpatient,
        department=dept.name,
        ward=f"{dept.name}{rng.randint(1, 3)}病区",
        discharged_at=discharged,
        discharge_department=ward_dept,
        disposition=Disposition.death if died else Disposition.routine,
        died_at=discharged if died else None,
        rescue_count=len(rescues),
        rescue_success_count=sum(1 for r in rescues if r.is_successful),
        total_cost=round(los_days * rng.uniform(1500, 6000) + (30000 if surgery_start else 0), 2),
        readmission_plan_31d=rng.random() < 0.1,
        is_unplanned_readmission=False,  # a feed that states it (the 首页 does)
        front_page_completed_at=discharged + b.hours(2, 20),
        archived_at=dt.datetime.combine(
            _CALENDAR.add_workdays(discharged.date(), rng.randint(1, 2)),
            dt.time(rng.randint(9, 16), rng.randint(0, 59)),
            tzinfo=TZ,
        ),
        care_team=[
            CareAssignment(role=CareRole.resident, clinician=b.resident),
            CareAssignment(role=CareRole.attending, clinician=b.attending),
            CareAssignment(role=CareRole.chief, clinician=b.chief),
        ],
        condition_levels=levels,
        **b.lists,
    )


def _diagnoses(b: Builder, admitted: dt.datetime, discharged: dt.datetime) -> None:
    """Admission and principal diagnoses, with the codes the front-page rules expect
    (ICD-O morphology for neoplasms, an external cause for injuries)."""
    code = b.dx_code
    morphology = "M8140/3" if code.startswith("C") else None
    external = "W19" if code.startswith("S") else None
    rows = (
        ("dx-admission", DiagnosisRole.admission, admitted + b.hours(1, 8)),
        ("dx-principal", DiagnosisRole.principal, discharged - b.hours(0, 3)),
    )
    for ident, role, at in rows:
        b.lists["diagnoses"].append(
            Diagnosis(
                id=ident,
                code=code,
                name=b.dx_name,
                role=role,
                present_on_admission=PresentOnAdmission.yes,
                recorded_at=at,
                morphology_code=morphology,
                external_cause_code=external,
            )
        )


def _bedside_handovers(
    b: Builder, onset: dt.datetime, until: dt.datetime, discharged: dt.datetime
) -> None:
    """A bedside shift handover each morning while the patient is 病危/病重 (HX 五-6)."""
    day = onset.date() + dt.timedelta(days=1)
    while day <= until.date():
        at = b.when(dt.datetime.combine(day, dt.time(8, b.rng.randint(0, 30)), tzinfo=TZ), None)
        if at is not None and at < discharged:
            b.lists["events"].append(
                Handover(
                    id=b.nid("handover"),
                    at=at,
                    purpose=HandoverPurpose.shift,
                    is_bedside=True,
                    giver=b.resident,
                    receiver=b.attending,
                )
            )
        day += dt.timedelta(days=1)


def _transfer(b: Builder, admitted: dt.datetime, discharged: dt.datetime) -> str:
    """One move to another department, with transfer-out (before) and transfer-in notes."""
    target = b.rng.choice([d for d in DEPARTMENTS if d is not b.department])
    at = b.minute(admitted + (discharged - admitted) * b.rng.uniform(0.2, 0.6))
    b.lists["transfers"].append(
        Transfer(
            id=b.nid("xfer"), at=at, from_department=b.department.name, to_department=target.name
        )
    )
    b.document("transfer_out_note", "转出记录", b.when(at - b.hours(0.5, 3), at))
    b.document(
        "transfer_in_note", "转入记录", b.when(at + b.hours(0.5, 12), at + dt.timedelta(hours=24))
    )
    assessed = b.when(at + b.hours(1, 12), at + dt.timedelta(hours=24))
    if assessed is not None:
        b.lists["assessments"].append(
            Assessment(
                id=b.nid("asm"),
                kind="vte_risk",
                tool="padua",
                score=float(b.rng.randint(0, 3)),
                level="low",
                at=assessed,
                author=b.resident,
            )
        )
    return target.name


def _rescues(
    b: Builder, admitted: dt.datetime, discharged: dt.datetime, died: bool, serious: bool
) -> list[Rescue]:
    """Rescues (抢救): a failed one before every death, occasional successful ones otherwise."""
    rescues = []
    if died:
        rescues.append((discharged - b.hours(0.5, 2), discharged, False))
    elif serious and b.rng.random() < 0.2:
        start = b.minute(admitted + (discharged - admitted) * b.rng.uniform(0.1, 0.5))
        rescues.append((start, start + b.hours(0.5, 2), True))
    events = []
    for start, end, ok in rescues:
        rescue = Rescue(
            id=b.nid("rescue"), start=start, end=end, leader=b.attending, is_successful=ok
        )
        b.lists["events"].append(rescue)
        events.append(rescue)
        b.document(
            "rescue_record",
            "抢救记录",
            b.when(end + b.hours(0.5, 5), end + dt.timedelta(hours=6)),
            b.attending,
            about=rescue.id,
            backfilled=True,
        )
    return events


def _progress(b: Builder, admitted: dt.datetime, discharged: dt.datetime) -> None:
    """Admission note, first progress note, attending's first round, then ward rounds:
    two on each statutory working day, one otherwise; a chief round twice a week."""
    b.document(
        "admission_note",
        "入院记录",
        b.when(admitted + b.hours(2, 20), admitted + dt.timedelta(hours=24)),
        sections=["主诉", "现病史", "既往史", "体格检查", "初步诊断"],
    )
    b.document(
        "first_progress_note",
        "首次病程记录",
        b.when(admitted + b.hours(0.5, 7), admitted + dt.timedelta(hours=8)),
        sections=["病例特点", "拟诊讨论", "诊疗计划"],
    )
    b.document(
        "senior_round",
        "主治医师首次查房记录",
        b.when(admitted + b.hours(6, 40), admitted + dt.timedelta(hours=48)),
        b.attending,
    )
    day = admitted.date()
    index = 0
    while day <= discharged.date():
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=TZ)
        workday = _CALENDAR.is_workday(day)
        slots = ((8.5, 10.5), (15.0, 17.5)) if workday else ((9.0, 11.0),)
        for n, (low, high) in enumerate(slots):
            at = midnight + b.hours(low, high)
            if not admitted < at < discharged:
                continue
            if b.defect_rate and b.rng.random() < b.defect_rate:
                continue
            if n == 0 and index % 7 in (1, 4):
                b.document("senior_round", "主任医师查房记录", at, b.chief)
            elif n == 1 or (not workday and index % 2 == 0):
                b.document("senior_round", "主治医师查房记录", at, b.attending)
            else:
                b.document("progress_note", "日常病程记录", at, b.resident)
        day += dt.timedelta(days=1)
        index += 1
        if index % 28 == 0 and midnight + dt.timedelta(days=1) < discharged:
            b.document("stage_summary", "阶段小结", midnight + b.hours(14, 16))


def _closing(b: Builder, admitted: dt.datetime, discharged: dt.datetime, died: bool) -> None:
    """Discharge note, or death note and the death-case discussion within 5 working days."""
    day = dt.timedelta(hours=24)
    if not died:
        b.document(
            "discharge_note", "出院记录", b.when(discharged - b.hours(0, 3), discharged + day)
        )
        return
    b.document("death_note", "死亡记录", b.when(discharged + b.hours(1, 20), discharged + day))
    held = _CALENDAR.add_workdays(discharged.date(), b.rng.randint(1, 4))
    late = _CALENDAR.add_workdays(discharged.date(), 5)
    on_time = dt.datetime.combine(held, dt.time(15, b.rng.randint(0, 59)), tzinfo=TZ)
    deadline = dt.datetime.combine(late, dt.time(23, 59), tzinfo=TZ)
    chair = b.chief
    b.document(
        "death_discussion",
        "死亡病例讨论记录",
        b.when(on_time, deadline),
        b.resident,
        signatures=[Signature(role=SignatureRole.chair, signer=chair, at=on_time)],
        participants=[chair, b.associate, b.attending, b.resident],
    )
