"""Helpers, no tests: small HL7 v2 messages written the way a ward's feed writes them.

`adt("A01", at=..., visit=...)` gives one message (CR separators); `read(*messages)` runs the
reader over them joined by newlines and sorts what comes back.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emrlint.model import Episode
from emrlint.parsers.context import ParseContext
from emrlint.parsers.hl7v2 import ParsePath, read_hl7v2_with
from emrlint.parsers.problems import InputProblem
from tests.builders import TZ

T0 = dt.datetime(2025, 3, 3, 9, 20, tzinfo=TZ)


def ts(value: dt.datetime | None) -> str:
    return value.strftime("%Y%m%d%H%M%S") if value is not None else ""


def seg(name: str, fields: Mapping[int, str]) -> str:
    """A segment from {position: value}; positions are HL7's (PV1-19 is 19)."""
    values = [""] * max(fields, default=0)
    for position, value in fields.items():
        values[position - 1] = value
    return "|".join([name, *values])


def msh(kind: str, at: dt.datetime, control: str = "C1", version: str = "2.5") -> str:
    return f"MSH|^~\\&|HIS|H1|EMRLINT|H1|{ts(at)}||{kind}|{control}|P|{version}"


def pid(patient: str = "P001", name: str = "测试患者", extra: str = "") -> str:
    return f"PID|1||{patient}^^^H1^MR||{name}||19630512|M{extra}"


def pv1(
    visit: str = "V001",
    patient_class: str = "I",
    department: str = "普外科",
    ward: str = "W2",
    admitted: dt.datetime | None = T0,
    discharged: dt.datetime | None = None,
    disposition: str = "",
) -> str:
    fields = [""] * 45
    fields[0], fields[1], fields[2] = "1", patient_class, ward
    fields[9], fields[18] = department, visit
    fields[35] = disposition
    fields[43], fields[44] = ts(admitted), ts(discharged)
    return "PV1|" + "|".join(fields)


def adt(
    event: str,
    at: dt.datetime,
    visit: str = "V001",
    patient: str = "P001",
    control: str | None = None,
    pid_extra: str = "",
    extra: tuple[str, ...] = (),
    **pv1_fields: Any,
) -> str:
    segments = [
        msh(f"ADT^{event}", at, control or f"{event}-{ts(at)}"),
        f"EVN|{event}|{ts(at)}||||{ts(at)}",
        pid(patient, extra=pid_extra),
        pv1(visit, **pv1_fields),
        *extra,
    ]
    return "\r".join(segments)


def mdm(
    doc_id: str,
    at: dt.datetime,
    doc_type: str = "C0038",
    event: str = "T02",
    visit: str = "V001",
    text: str = "患者一般情况可",
    author: str = "D01^褚示例^^^^^住院医师^^^^^^^普外科",
    status: str = "AU",
    signers: str = "",
    extra: tuple[str, ...] = (),
) -> str:
    txa = [""] * 22
    txa[0], txa[1], txa[2], txa[3] = "1", doc_type, "TX", ts(at)
    txa[8], txa[11], txa[16], txa[18], txa[21] = author, doc_id, status, "AV", signers
    return "\r".join(
        [
            msh(f"MDM^{event}", at, f"M-{doc_id}-{event}"),
            f"EVN|{event}|{ts(at)}",
            pid(),
            f"PV1|1|I|||||||||||||||||{visit}",
            "TXA|" + "|".join(txa),
            f"OBX|1|TX|{doc_type}^标题||{text}||||||F",
            *extra,
        ]
    )


@dataclass
class Read:
    episodes: list[Episode]
    problems: list[InputProblem]
    skipped: Counter[str]

    @property
    def episode(self) -> Episode:
        assert len(self.episodes) == 1, (self.episodes, self.problems)
        return self.episodes[0]


def read_bytes(
    data: bytes,
    mapping: Mapping[str, Any] | None = None,
    path: ParsePath = "lean",
    name: str = "feed.hl7",
) -> Read:
    context = ParseContext(tz=TZ, mappings={"hl7v2": dict(mapping or {})})
    results = list(read_hl7v2_with(io.BytesIO(data), name, context, path))
    episodes = [r for r in results if isinstance(r, Episode)]
    problems = [r for r in results if isinstance(r, InputProblem)]
    assert len(episodes) + len(problems) == len(results)
    return Read(episodes, problems, context.skipped)


def read(
    *messages: str, mapping: Mapping[str, Any] | None = None, path: ParsePath = "lean"
) -> Read:
    return read_bytes(("\n".join(messages) + "\n").encode("utf-8"), mapping, path)
