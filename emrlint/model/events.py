"""Clinical events whose shapes differ, as one discriminated union on `type`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from emrlint.model.base import Extensions, Identifier, Record
from emrlint.model.people import Clinician
from emrlint.model.time import TimePoint

__all__ = ["CriticalValue", "Event", "Handover", "HandoverPurpose", "Rescue", "Transfusion"]


class Rescue(Record):
    """抢救: start and end to the minute (BW 第二十二条（八）)."""

    type: Literal["rescue"] = "rescue"
    id: Identifier
    start: TimePoint | None = None
    end: TimePoint | None = None
    leader: Clinician | None = Field(default=None, description="Who led the rescue.")
    is_successful: bool | None = None
    extensions: Extensions


class CriticalValue(Record):
    """危急值: reported by the lab, received by the ward, handled by a physician."""

    type: Literal["critical_value"] = "critical_value"
    id: Identifier
    observation_id: str | None = None
    reported_at: TimePoint | None = None
    received_at: TimePoint | None = None
    handled_at: TimePoint | None = None
    extensions: Extensions


class Transfusion(Record):
    type: Literal["transfusion"] = "transfusion"
    id: Identifier
    start: TimePoint | None = None
    end: TimePoint | None = None
    component: str | None = Field(default=None, description="e.g. red_cells, plasma.")
    volume_ml: float | None = None
    is_emergency: bool = False
    extensions: Extensions


class HandoverPurpose(StrEnum):
    shift = "shift"  # 值班交接班 (HX 五): no handover note required
    physician_change = "physician_change"  # 经治医师更替: 交班/接班记录 required (BW 22(五))


class Handover(Record):
    """交接班."""

    type: Literal["handover"] = "handover"
    id: Identifier
    at: TimePoint | None = None
    purpose: HandoverPurpose | None = Field(
        default=None,
        description="shift (值班交接班) or physician_change (经治医师更替, needs 交接班记录).",
    )
    is_bedside: bool | None = None
    giver: Clinician | None = None
    receiver: Clinician | None = None
    extensions: Extensions


Event = Annotated[
    Rescue | CriticalValue | Transfusion | Handover,
    Field(discriminator="type"),
]
