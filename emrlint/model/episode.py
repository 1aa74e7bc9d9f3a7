"""Episode: one inpatient stay, everything the rules read.

The after-validator checks what no single item can: ids unique within the episode, and every
reference (`about`, `order_id`, `observation_id`) pointing at an item that exists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Final, Literal, get_args

from pydantic import Field, model_validator

from emrlint.model.base import Extensions, Identifier, Record
from emrlint.model.clinical import Assessment, Consultation, Diagnosis, Observation, Procedure
from emrlint.model.documents import Document
from emrlint.model.events import Event
from emrlint.model.orders import Administration, Order
from emrlint.model.stay import (
    AdmissionRoute,
    CareAssignment,
    ConditionChange,
    Disposition,
    Patient,
    Transfer,
)
from emrlint.model.time import TimePoint

__all__ = ["FORMAT_VERSION", "ITEM_LISTS", "Episode"]

# The one native format version: `format` accepts this value only (docs/native-format.md).
FormatVersion = Literal["emrlint.episode/1"]
FORMAT_VERSION: Final[str] = get_args(FormatVersion)[0]

ITEM_LISTS = (
    "transfers",
    "diagnoses",
    "procedures",
    "documents",
    "orders",
    "administrations",
    "assessments",
    "observations",
    "consultations",
    "events",
)


_REFERENCE_FIELDS = ("about", "order_id", "observation_id")


class Episode(Record):
    """One inpatient stay (住院一次), from admission to discharge or death."""

    format: FormatVersion = Field(
        default=FORMAT_VERSION,
        description="Native format version tag; no other value is accepted.",
    )
    id: Identifier = Field(description="Episode id: the visit number (住院号+次数).")
    patient: Patient
    site_id: str | None = Field(default=None, description="Hospital or campus id.")
    admitted_at: TimePoint = Field(description="Arrival on the ward (SY 第八条), to the minute.")
    admission_route: AdmissionRoute | None = None
    department: str | None = Field(default=None, description="Admitting department.")
    ward: str | None = None
    discharged_at: TimePoint | None = Field(
        default=None,
        description="Leaving the ward, or the time of death; absent while in hospital.",
    )
    discharge_department: str | None = None
    disposition: Disposition | None = None
    died_at: TimePoint | None = None
    autopsy_report_at: TimePoint | None = Field(default=None, description="尸检报告 time.")
    readmission_plan_31d: bool | None = Field(
        default=None, description="首页: 出院31天内再住院计划."
    )
    is_unplanned_readmission: bool | None = Field(
        default=None, description="Readmitted unplanned within 31 days of a previous discharge."
    )
    rescue_count: int | None = Field(default=None, ge=0, description="首页 抢救次数.")
    rescue_success_count: int | None = Field(default=None, ge=0, description="首页 成功次数.")
    total_cost: float | None = Field(default=None, ge=0, description="Total cost in CNY.")
    front_page_completed_at: TimePoint | None = Field(default=None, description="首页 completed.")
    archived_at: TimePoint | None = Field(default=None, description="Record archived (归档).")
    onset_at: TimePoint | None = Field(
        default=None, description="Symptom onset of the presenting illness (stroke, STEMI)."
    )
    care_team: list[CareAssignment] = Field(default_factory=list)
    condition_levels: list[ConditionChange] = Field(default_factory=list)
    transfers: list[Transfer] = Field(default_factory=list)
    diagnoses: list[Diagnosis] = Field(default_factory=list)
    procedures: list[Procedure] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    orders: list[Order] = Field(default_factory=list)
    administrations: list[Administration] = Field(default_factory=list)
    assessments: list[Assessment] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    consultations: list[Consultation] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    extensions: Extensions

    def iter_items(self) -> Iterator[tuple[str, Record]]:
        for list_name in ITEM_LISTS:
            for item in getattr(self, list_name):
                yield list_name, item

    @model_validator(mode="after")
    def _check_ids_and_references(self) -> Episode:
        ids = Counter(item.id for _, item in self.iter_items())  # type: ignore[attr-defined]
        duplicates = sorted(item_id for item_id, n in ids.items() if n > 1)
        if duplicates:
            raise ValueError(f"duplicate item ids in episode: {', '.join(duplicates)}")
        # ask only classes that have the field: a missing attribute on a pydantic model is an
        # exception inside, and this loop runs for every item of every episode
        references: dict[type, tuple[str, ...]] = {}
        for list_name, item in self.iter_items():
            kind = type(item)
            if kind not in references:
                references[kind] = tuple(f for f in _REFERENCE_FIELDS if f in kind.model_fields)
            for field in references[kind]:
                target = getattr(item, field)
                if target is not None and target not in ids:
                    raise ValueError(
                        f"{list_name} item {item.id!r}: {field} refers to {target!r},"  # type: ignore[attr-defined]
                        " which is not in this episode"
                    )
        if self.discharged_at is not None and _is_before(self.discharged_at, self.admitted_at):
            raise ValueError("discharged_at is before admitted_at")
        return self


def _is_before(a: object, b: object) -> bool:
    """Compare two time points only when both are exact; day-only values are left to rules."""
    import datetime as dt

    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a < b
    return False
