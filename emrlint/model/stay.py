"""The stay itself: how the patient came, moved, how ill they were, and how they left."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from emrlint.model.base import Identifier, Record
from emrlint.model.people import Clinician
from emrlint.model.time import TimePoint

__all__ = [
    "AdmissionRoute",
    "CareAssignment",
    "CareRole",
    "ConditionChange",
    "ConditionLevel",
    "Disposition",
    "Patient",
    "Sex",
    "Transfer",
]


class Sex(StrEnum):
    male = "male"
    female = "female"
    unknown = "unknown"


class AdmissionRoute(StrEnum):
    """入院途径 (首页 RC026)."""

    emergency = "emergency"  # 1 急诊
    outpatient = "outpatient"  # 2 门诊
    transfer_in = "transfer_in"  # 3 其他医疗机构转入
    other = "other"  # 9 其他


class Disposition(StrEnum):
    """离院方式 (首页 RC019)."""

    routine = "routine"  # 1 医嘱离院
    transfer = "transfer"  # 2 医嘱转院
    community = "community"  # 3 医嘱转社区/乡镇卫生院
    against_advice = "against_advice"  # 4 非医嘱离院
    death = "death"  # 5 死亡
    other = "other"  # 9 其他


class ConditionLevel(StrEnum):
    """病情等级: drives progress-note frequency (BW 第二十二条（二）)."""

    critical = "critical"  # 病危
    serious = "serious"  # 病重
    stable = "stable"  # 一般/稳定


class CareRole(StrEnum):
    resident = "resident"  # 住院医师 (经治医师)
    attending = "attending"  # 主治医师
    chief = "chief"  # 主任/副主任医师 (三级查房的最高一级)


class Patient(Record):
    id: Identifier = Field(description="Patient id or MRN (病案号); never logged.")
    name: str | None = Field(default=None, description="Name; never logged.")
    sex: Sex = Field(default=Sex.unknown, description="Administrative sex.")
    birth_date: TimePoint | None = Field(default=None, description="Birth date.")


class Transfer(Record):
    """A move between departments (转科)."""

    id: Identifier
    at: TimePoint = Field(description="When the patient left the old department.")
    from_department: str = Field(description="Department left.")
    to_department: str = Field(description="Department entered.")
    arrived_at: TimePoint | None = Field(
        default=None, description="Arrival in the new department, if different from `at`."
    )


class ConditionChange(Record):
    """The condition level from `at` until the next change."""

    at: TimePoint
    level: ConditionLevel


class CareAssignment(Record):
    """A responsible physician from `start` on (until the next one in the same role)."""

    role: CareRole
    clinician: Clinician
    start: TimePoint | None = Field(default=None, description="From when; absent: whole stay.")
