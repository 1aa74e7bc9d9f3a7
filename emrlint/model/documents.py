"""Documents (病历文书): one class for every kind; the kind vocabulary lives in data."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from emrlint.model.base import Extensions, Identifier, Record
from emrlint.model.people import Clinician
from emrlint.model.time import TimePoint

__all__ = ["Document", "Signature", "SignatureRole"]


class SignatureRole(StrEnum):
    author = "author"
    reviewer = "reviewer"  # 上级医师审签
    surgeon = "surgeon"
    anesthetist = "anesthetist"
    nurse = "nurse"
    leader = "leader"  # 抢救主持人
    chair = "chair"  # 讨论主持人
    patient = "patient"
    proxy = "proxy"  # 法定代理人 / 授权委托人 / 近亲属
    physician = "physician"


class Signature(Record):
    role: SignatureRole
    signer: Clinician | None = Field(default=None, description="Who signed, if staff.")
    at: TimePoint | None = None


class Document(Record):
    id: Identifier
    kind: str = Field(
        description="Record kind from the vocabulary (`emrlint kinds`), e.g. discharge_note.",
        pattern=r"^[a-z][a-z0-9_]*$",
    )
    title: str | None = Field(default=None, description="Title as written by the source.")
    written_at: TimePoint | None = Field(default=None, description="Record time (记录时间).")
    signed_at: TimePoint | None = Field(default=None, description="Signature time.")
    author: Clinician | None = None
    participants: list[Clinician] = Field(
        default_factory=list, description="Participants of a discussion or rescue."
    )
    signatures: list[Signature] = Field(default_factory=list)
    about: str | None = Field(
        default=None, description="Id of the procedure, event, order or consultation it is about."
    )
    is_backfilled: bool | None = Field(default=None, description="Marked as 补记.")
    sections: list[str] = Field(default_factory=list, description="Section names present.")
    text: str | None = Field(default=None, description="Free text; never logged.")
    extensions: Extensions
