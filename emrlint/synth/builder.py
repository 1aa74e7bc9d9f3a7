"""The mutable scratch pad one synthetic episode is assembled on, plus its timing helpers.

Every draw goes through the builder's own `random.Random`, and times are built from the
admission time only, so the output never depends on the wall clock or on other episodes.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from emrlint.model import Clinician, Document, Signature, SignatureRole, TitleRank
from emrlint.model.episode import ITEM_LISTS
from emrlint.synth.catalog import FAMILY_NAMES, GIVEN_NAMES, Department

__all__ = ["TZ", "Builder"]

TZ = dt.timezone(dt.timedelta(hours=8), "CST")


class Builder:
    """Collects one episode's items and hands out ids, staff and (possibly defective) times."""

    def __init__(self, rng: random.Random, department: Department, defect_rate: float) -> None:
        self.rng = rng
        self.department = department
        self.defect_rate = defect_rate
        self.lists: dict[str, list[Any]] = {name: [] for name in ITEM_LISTS}
        self._serial = 0
        self.dx_code, self.dx_name = rng.choice(department.diagnoses)
        self.resident = self.staff(department, TitleRank.resident, 1)
        self.attending = self.staff(department, TitleRank.attending, 2)
        self.chief = self.staff(department, TitleRank.chief, 3, head=True)
        self.associate = self.staff(department, TitleRank.associate_chief, 4)
        self.anesthetist = self.staff(None, TitleRank.attending, rng.randint(1, 9), "麻醉科")
        self.nurse = Clinician(id=f"RN{rng.randint(100, 999)}", name="模拟护士", role="巡回护士")

    def nid(self, prefix: str) -> str:
        """Ids unique within the episode (the Episode validator insists on it)."""
        self._serial += 1
        return f"{prefix}-{self._serial:04d}"

    def staff(
        self,
        department: Department | None,
        rank: TitleRank,
        number: int,
        department_name: str | None = None,
        head: bool = False,
    ) -> Clinician:
        """A fictitious clinician whose id is stable per department, so teams recur."""
        name = department_name or (department.name if department else "")
        key = department.key[:3].upper() if department else "ANE"
        family = FAMILY_NAMES[number % len(FAMILY_NAMES)]
        given = GIVEN_NAMES[(number * 3) % len(GIVEN_NAMES)]
        return Clinician(
            id=f"SYN-{key}{number:03d}",
            name=f"{family}{given}医师",
            department=name,
            rank=rank,
            is_department_head=True if head else None,
        )

    def minutes(self, low: float, high: float) -> dt.timedelta:
        """A random whole-minute span between `low` and `high` minutes."""
        return dt.timedelta(minutes=self.rng.randint(int(low), int(high)))

    def hours(self, low: float, high: float) -> dt.timedelta:
        return self.minutes(low * 60, high * 60)

    @staticmethod
    def minute(at: dt.datetime) -> dt.datetime:
        """Truncate to the minute: records are timed to the minute (BW 第二十八条)."""
        return at.replace(second=0, microsecond=0)

    def when(self, on_time: dt.datetime, deadline: dt.datetime | None) -> dt.datetime | None:
        """The time a required record is written: on time, or — with probability
        `defect_rate` — late (past `deadline`) or missing (None), half and half."""
        if self.defect_rate > 0 and self.rng.random() < self.defect_rate:
            if deadline is None or self.rng.random() < 0.5:
                return None
            return deadline + self.hours(0.02, 30)
        return on_time

    def document(
        self,
        kind: str,
        title: str,
        at: dt.datetime | None,
        author: Clinician | None = None,
        about: str | None = None,
        signatures: list[Signature] | None = None,
        participants: list[Clinician] | None = None,
        sections: list[str] | None = None,
        backfilled: bool | None = None,
    ) -> str | None:
        """Append a document unless `at` is None (a defect: the record is missing)."""
        if at is None:
            return None
        author = author or self.resident
        signed_at = at + self.minutes(1, 20)
        doc_id = self.nid(kind.replace("_", "-"))
        if signatures is None:
            signatures = [Signature(role=SignatureRole.author, signer=author, at=at)]
        self.lists["documents"].append(
            Document(
                id=doc_id,
                kind=kind,
                title=title,
                written_at=at,
                signed_at=signed_at,
                author=author,
                about=about,
                signatures=signatures,
                participants=participants or [],
                sections=sections or [],
                is_backfilled=backfilled,
            )
        )
        return doc_id

    def consent(
        self, kind: str, title: str, at: dt.datetime | None, about: str | None = None
    ) -> None:
        """A form signed by the patient side and the physician (BW 第十条)."""
        if at is None:
            return
        side = SignatureRole.patient if self.rng.random() < 0.8 else SignatureRole.proxy
        physician = self.attending
        self.document(
            kind,
            title,
            at,
            physician,
            about,
            [
                Signature(role=side, at=at),
                Signature(role=SignatureRole.physician, signer=physician, at=at),
            ],
        )
