"""Orders (医嘱) and their administrations."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from emrlint.model.base import Extensions, Identifier, Record
from emrlint.model.people import Clinician
from emrlint.model.time import TimePoint

__all__ = [
    "Administration",
    "AntibioticTier",
    "DrugClass",
    "Order",
    "OrderCategory",
    "OrderDuration",
    "OrderPurpose",
]


class OrderCategory(StrEnum):
    medication = "medication"
    lab = "lab"
    imaging = "imaging"
    pathology = "pathology"
    surgery = "surgery"
    transfusion = "transfusion"
    consultation = "consultation"
    nursing = "nursing"
    mechanical_prophylaxis = "mechanical_prophylaxis"  # IPC / GCS
    radiotherapy = "radiotherapy"
    discharge = "discharge"
    other = "other"


class DrugClass(StrEnum):
    antibiotic = "antibiotic"
    anticoagulant = "anticoagulant"
    antipsychotic = "antipsychotic"
    antineoplastic = "antineoplastic"
    immunosuppressant = "immunosuppressant"
    biologic = "biologic"
    antiviral = "antiviral"
    anti_influenza = "anti_influenza"
    thrombolytic = "thrombolytic"
    vasopressor = "vasopressor"
    crystalloid = "crystalloid"
    analgesic = "analgesic"
    other = "other"


class AntibioticTier(StrEnum):
    """抗菌药物分级 (HX 十六)."""

    unrestricted = "unrestricted"  # 非限制使用级
    restricted = "restricted"  # 限制使用级
    special = "special"  # 特殊使用级


class OrderDuration(StrEnum):
    long_term = "long_term"  # 长期医嘱
    one_off = "one_off"  # 临时医嘱


class OrderPurpose(StrEnum):
    therapeutic = "therapeutic"
    prophylactic = "prophylactic"


class Order(Record):
    id: Identifier
    category: OrderCategory
    code: str | None = None
    name: str | None = None
    drug_class: DrugClass | None = None
    antibiotic_tier: AntibioticTier | None = None
    purpose: OrderPurpose | None = None
    route: str | None = Field(default=None, description="e.g. iv, po, im.")
    duration: OrderDuration | None = None
    ordered_at: TimePoint | None = None
    start: TimePoint | None = None
    stop: TimePoint | None = None
    ordered_by: Clinician | None = None
    about: str | None = Field(default=None, description="Id of the procedure it is for.")
    is_cancelled: bool = False
    extensions: Extensions


class Administration(Record):
    id: Identifier
    order_id: str = Field(description="The order administered.")
    at: TimePoint | None = None
    extensions: Extensions
