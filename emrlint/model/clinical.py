"""Diagnoses, procedures, assessments, observations and consultations."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from emrlint.model.base import Extensions, Identifier, Record
from emrlint.model.people import Clinician
from emrlint.model.time import TimePoint

__all__ = [
    "Assessment",
    "Consultation",
    "ConsultationUrgency",
    "Diagnosis",
    "DiagnosisRole",
    "Observation",
    "ObservationCategory",
    "PresentOnAdmission",
    "Procedure",
    "ProcedureCategory",
    "SurgicalLevel",
]

SurgicalLevel = Annotated[int, Field(ge=1, le=4, description="手术级别 1-4 (首页 RC029).")]


class DiagnosisRole(StrEnum):
    outpatient = "outpatient"  # 门(急)诊诊断
    admission = "admission"  # 入院诊断
    principal = "principal"  # 出院主要诊断
    secondary = "secondary"  # 出院其他诊断
    death_cause = "death_cause"  # 死亡原因


class PresentOnAdmission(StrEnum):
    """入院病情 (首页 RC027)."""

    yes = "yes"  # 1 有
    unclear = "unclear"  # 2 临床未确定
    unknown = "unknown"  # 3 情况不明
    no = "no"  # 4 无: arose in hospital


class Diagnosis(Record):
    id: Identifier
    code: str | None = Field(default=None, description="ICD-10 code, e.g. I63.9.")
    name: str | None = Field(default=None, description="Diagnosis text.")
    role: DiagnosisRole
    present_on_admission: PresentOnAdmission | None = None
    recorded_at: TimePoint | None = None
    morphology_code: str | None = Field(
        default=None, description="ICD-O morphology code for neoplasms (e.g. M8140/3)."
    )
    external_cause_code: str | None = Field(
        default=None, description="External-cause code (V01-Y98) for injuries and poisoning."
    )
    extensions: Extensions


class ProcedureCategory(StrEnum):
    """国临版 procedure category flag."""

    surgery = "surgery"  # 手术
    intervention = "intervention"  # 介入治疗
    therapeutic = "therapeutic"  # 治疗性操作
    diagnostic = "diagnostic"  # 诊断性操作


class Procedure(Record):
    id: Identifier
    code: str | None = Field(default=None, description="ICD-9-CM-3 code, e.g. 51.23.")
    name: str | None = None
    level: SurgicalLevel | None = None
    category: ProcedureCategory | None = None
    is_invasive: bool | None = Field(
        default=None,
        description="有创诊疗操作 (needs an operation note and a consent, BW 22(九), 26).",
    )
    is_restricted_technology: bool = Field(
        default=False, description="限制类技术: managed as level 4 for the MDT goal."
    )
    start: TimePoint | None = Field(default=None, description="Incision / procedure start.")
    end: TimePoint | None = None
    ordered_at: TimePoint | None = Field(default=None, description="手术医嘱 time.")
    surgeon: Clinician | None = None
    assistants: list[Clinician] = Field(default_factory=list)
    anesthesia_method: str | None = Field(default=None, description="e.g. general, spinal.")
    anesthetist: Clinician | None = None
    is_emergency: bool = Field(default=False, description="急诊手术.")
    is_planned_reoperation: bool = Field(default=False, description="分期/计划再手术.")
    is_unplanned_return: bool | None = Field(
        default=None,
        description=(
            "非计划重返手术室. Unknown when not given: a later operation then cannot be ruled"
            " out as an unplanned return, so the NIT-2024-IX rules answer INDETERMINATE."
        ),
    )
    has_specimen: bool | None = Field(default=None, description="Specimen sent to pathology.")
    has_implant: bool | None = None
    incision_class: str | None = Field(default=None, description="切口等级 0/I/II/III.")
    extensions: Extensions


class Assessment(Record):
    """A scored or graded assessment, including staging statements (cTNM, CNLC, BI-RADS)."""

    id: Identifier
    kind: str = Field(
        description=(
            "What was assessed: vte_risk, bleeding_risk, nutrition, pain, pain_comprehensive,"
            " cap_severity, psychiatric_risk, adl, tnm_staging, cnlc_staging, birads,"
            " post_transfusion_evaluation, sepsis_recognition,"
            " vte_prophylaxis_contraindication, other."
        ),
        pattern=r"^[a-z][a-z0-9_]*$",
    )
    tool: str | None = Field(default=None, description="Instrument, e.g. caprini, padua, nrs2002.")
    score: float | None = None
    level: str | None = Field(default=None, description="Grade or stage, e.g. high, cT2N0M0.")
    at: TimePoint | None = None
    author: Clinician | None = None
    extensions: Extensions


class ObservationCategory(StrEnum):
    lab = "lab"
    vital = "vital"
    imaging = "imaging"
    pathology = "pathology"
    microbiology = "microbiology"
    ecg = "ecg"
    other = "other"


class Observation(Record):
    """A result: lab value, vital sign, imaging or pathology report."""

    id: Identifier
    category: ObservationCategory = ObservationCategory.other
    code: str | None = Field(default=None, description="LOINC or local code.")
    name: str | None = None
    value: float | str | None = None
    unit: str | None = None
    at: TimePoint | None = Field(default=None, description="Result / report time.")
    specimen_at: TimePoint | None = Field(default=None, description="Specimen collection time.")
    is_critical: bool = Field(default=False, description="危急值.")
    order_id: str | None = Field(default=None, description="The order it answers.")
    extensions: Extensions


class ConsultationUrgency(StrEnum):
    routine = "routine"  # 普通会诊
    urgent = "urgent"  # 急会诊
    mdt = "mdt"  # 多学科会诊


class Consultation(Record):
    id: Identifier
    urgency: ConsultationUrgency = ConsultationUrgency.routine
    department: str | None = Field(default=None, description="Consulted department.")
    requested_at: TimePoint | None = None
    requested_by: Clinician | None = None
    arrived_at: TimePoint | None = None
    completed_at: TimePoint | None = Field(default=None, description="Opinion signed.")
    consultant: Clinician | None = None
    purpose: str | None = Field(default=None, description="e.g. special_antibiotic.")
    is_agreed: bool | None = Field(default=None, description="Consultant agreed (e.g. to use).")
    order_id: str | None = Field(default=None, description="The order it is about, if any.")
    extensions: Extensions
