"""Clinicians as records name them, with the title rank the core systems reason about."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from emrlint.model.base import Record

__all__ = ["Clinician", "TitleRank"]


class TitleRank(StrEnum):
    """Professional title (职称), ordered: a rule may say ``author.rank >= attending``."""

    intern = "intern"  # 实习/试用期医师: may write, may not sign alone (BW 第八条)
    resident = "resident"  # 住院医师
    attending = "attending"  # 主治医师
    associate_chief = "associate_chief"  # 副主任医师
    chief = "chief"  # 主任医师

    @property
    def order(self) -> int:
        return _RANK_ORDER[self]


_RANK_ORDER = {rank: index for index, rank in enumerate(TitleRank)}


class Clinician(Record):
    """A person who wrote, signed, performed or took part in something."""

    id: str | None = Field(default=None, description="Staff number, if the source gives one.")
    name: str | None = Field(default=None, description="Name; never logged.")
    department: str | None = Field(default=None, description="Department (科室) at the time.")
    rank: TitleRank | None = Field(default=None, description="Title rank (职称).")
    role: str | None = Field(
        default=None,
        description="Free role label from the source, e.g. 主持人, 记录者, 巡回护士.",
    )
    is_department_head: bool | None = Field(
        default=None, description="True for the head of department (科主任)."
    )
