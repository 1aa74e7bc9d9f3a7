"""--strict-hl7: hl7apy parses and validates every message; what it rejects is reported (with
no values from the message) and not used — its stay is one problem, not checked without it —
and what it accepts reads as on the default path."""

from __future__ import annotations

import datetime as dt

from emrlint.model import Episode
from emrlint.writers.hl7v2 import episode_to_hl7v2
from tests.builders import TZ
from tests.parsers.test_hl7v2_helpers import T0, msh, pid, read, seg, ts

H = dt.timedelta(hours=1)

EPISODE = Episode.model_validate(
    {
        "id": "V9",
        "patient": {"id": "P9", "name": "测试患者", "sex": "female", "birth_date": "1970-01-02"},
        "admitted_at": T0.isoformat(),
        "department": "心内科",
        "discharged_at": (T0 + 48 * H).isoformat(),
        "disposition": "routine",
        "documents": [
            {
                "id": "d1",
                "kind": "admission_note",
                "written_at": (T0 + 3 * H).isoformat(),
                "author": {"id": "D1", "name": "褚示例", "rank": "resident"},
                "text": "主诉：胸痛2小时。",
            }
        ],
        "orders": [
            {
                "id": "o1",
                "category": "medication",
                "name": "阿司匹林",
                "drug_class": "analgesic",
                "route": "po",
                "ordered_at": (T0 + H).isoformat(),
            }
        ],
        "observations": [
            {"id": "x1", "category": "lab", "name": "肌钙蛋白", "value": 2.5, "is_critical": True}
        ],
    },
    context={"tz": TZ},
)


def test_messages_hl7apy_accepts_read_as_on_the_default_path() -> None:
    text = episode_to_hl7v2(EPISODE).rstrip("\n").split("\n")
    strict = read(*text, path="strict")
    assert strict.problems == []
    assert strict.episode == read(*text).episode


def test_a_rejected_message_makes_its_stay_one_problem_without_its_values() -> None:
    messages = episode_to_hl7v2(EPISODE).rstrip("\n").split("\n")
    bad = "\r".join(
        [
            msh("ORU^R01^ORU_R01", T0 + 5 * H, "BAD1"),
            "PID|1||P9^^^H1^MR||测试患者||SECRET-12ab|F",
            "PV1|1|I|||||||||||||||||V9",
            seg("OBR", {1: "1", 3: "F9", 4: "X^Y", 22: ts(T0 + 5 * H)}),
            "OBX|1|NM|X^Y||7.5||||||F",
        ]
    )
    result = read(*messages, bad, path="strict")
    assert result.episodes == []  # checked without the result, a rule could FAIL falsely
    [problem] = result.problems
    assert (problem.position, problem.episode_id) == ("message 1 (ADT^A01, line 1)", "V9")
    where = f"message {len(messages) + 1} (ORU^R01, line "
    assert f"{where}" in problem.reason and ": rejected by hl7apy" in problem.reason
    assert "SECRET" not in problem.reason and "P9" not in problem.reason
    assert read(*messages, path="strict").episode.id == "V9"
    [lean] = read(*messages, bad).problems  # the default path cannot read PID-7 either
    assert "PID-7 is not a valid date/time (TS)" in lean.reason and "SECRET" not in lean.reason


def test_versions_2_3_and_2_4_are_validated_against_their_own_structures() -> None:
    for version in ("2.3", "2.4"):
        admit = "\r".join(
            [
                msh("ADT^A01", T0, "A1", version),
                f"EVN|A01|{ts(T0)}",
                pid(),
                "PV1|1|I|W1|||||||普外科|||||||||V1" + "|" * 25 + ts(T0),
            ]
        )
        result = read(admit, path="strict")
        assert result.problems == [], version
        assert result.episode.admitted_at == T0
