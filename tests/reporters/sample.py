"""A small, hand-built run for the reporter tests: four rules, five episodes, one unreadable line.

Every expected number in the rate tests is worked out from the table below by hand, so a change
here means re-deriving them. As of 2024-08-01 08:00:

| episode | dept  | attending | counted in | RPT-1   | RPT-2 | RPT-3     | RPT-4     | NIT-VIII |
|---------|-------|-----------|------------|---------|-------|-----------|-----------|----------|
| ep-1    | 普外科 | D01       | 2024-05 Q2 | PASS    | PASS  | NA        | PASS      | PASS     |
| ep-2    | 普外科 | D02       | 2024-05 Q2 | FAIL    | FAIL  | NA        | FAIL late | FAIL     |
| ep-3    | 心内科 | D03       | 2024-07 Q3 | PASS    | NA    | FAIL late | PASS      | FAIL     |
| ep-4    | 心内科 | D03       | 2024-07 Q3 | PENDING | NA    | INDET.    | PASS      | INDET.   |
| ep-5    | 心内科 | —         | 2024-07 Q3†| NA      | NA    | NA        | PENDING   | NA       |

RPT-1 discharge note, RPT-2 operative note, RPT-3 rescue record, RPT-4 admission note.
† ep-5 is still in hospital: counted by its admission month. RPT-1..3 carry the tag
NIT-2024-VIII; RPT-4 does not. Line 6 of the input is truncated JSON (an input problem).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from emrlint.api import EpisodeResult, check, load_rules
from emrlint.config import load_config
from emrlint.parsers import InputProblem
from emrlint.reporters.run_info import rule_entries, rulebook_entries
from tests.builders import TZ, T, doc, episode, procedure, rescue

AS_OF = dt.datetime(2024, 8, 1, 8, 0, tzinfo=TZ)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)

RULES = """
rulebook RPT-TEST "报表测试规则" / "Report test rules"

rule RPT-1-discharge-note "出院记录24小时内完成" / "Discharge note within 24 h"
  severity major category timeliness tags MER-TL-03 NIT-2024-VIII
  cites "病历书写基本规范 第二十二条（二十）"
  when is_discharged
  require discharge_note within 24h after discharge
  message "出院后24小时内未见出院记录" / "No discharge note within 24 h after discharge"
  example pass-on-time
    episode { discharged_at: T }
    discharge_note { written_at: T + 2h }
    expect PASS
  example fail-absent
    episode { discharged_at: T }
    expect FAIL

rule RPT-2-operative-note "手术记录24小时内完成" / "Operative note within 24 h"
  severity major category timeliness tags MER-TL-02 NIT-2024-VIII
  cites "病历书写基本规范 第二十二条（十五）"
  for each procedure p
  require operative_note within 24h after p.end
  message "手术结束后24小时内未见手术记录" / "No operative note within 24 h after surgery"
  example pass-on-time
    procedure p1 { start: T - 2h, end: T }
    operative_note { written_at: T + 3h }
    expect PASS
  example fail-absent
    procedure p1 { start: T - 2h, end: T }
    expect FAIL

rule RPT-3-rescue-record "抢救结束后6小时内完成抢救记录" / "Rescue record within 6 h"
  severity critical category timeliness tags HX-2018-07 MER-DT-08 NIT-2024-VIII
  cites "医疗质量安全核心制度要点 七-4"
  for each rescue r
  require rescue_record within 6h after r.end
  message "抢救结束后6小时内未见抢救记录" / "No rescue record within 6 h after the rescue"
  example pass-on-time
    rescue r { start: T - 1h, end: T }
    rescue_record { written_at: T + 6h }
    expect PASS
  example fail-absent
    rescue r { start: T - 1h, end: T }
    expect FAIL

rule RPT-4-admission-note "入院记录24小时内完成" / "Admission note within 24 h"
  severity minor category timeliness tags MER-TL-01
  cites "病历书写基本规范 第十七条"
  require admission_note within 24h after admission
  message "入院后24小时内未见入院记录" / "No admission note within 24 h after admission"
  example pass-on-time
    admission_note { written_at: T - 10d + 1h }
    expect PASS
  example fail-absent
    expect FAIL
"""


def _care(doctor: str | None) -> dict[str, Any]:
    if doctor is None:
        return {}
    return {"care_team": [{"role": "attending", "clinician": {"id": doctor}}]}


def episodes() -> list[dict[str, Any]]:
    """The five episodes of the module docstring, as native JSON dicts."""
    a1 = T - 10 * D
    a2 = T - 8 * D
    a3 = dt.datetime(2024, 7, 1, 10, 0, tzinfo=TZ)
    a4 = dt.datetime(2024, 7, 20, 10, 0, tzinfo=TZ)
    a5 = dt.datetime(2024, 7, 31, 12, 0, tzinfo=TZ)
    op1 = T - 5 * D
    op2 = T - 3 * D
    return [
        episode(
            doc("admission_note", a1 + 2 * H, id="e1-adm"),
            doc("operative_note", op1 + 5 * H, id="e1-op"),
            doc("discharge_note", T + 2 * H, id="e1-dis"),
            procedure(id="e1-p1", name="腹腔镜胆囊切除术", level=3, start=op1, end=op1 + 2 * H),
            id="ep-1",
            admitted_at=a1,
            discharged_at=T,
            department="普外科",
            **_care("D01"),
        ),
        episode(
            doc("admission_note", a2 + 30 * H, id="e2-adm"),
            doc("operative_note", op2 + 33 * H, id="e2-op"),
            doc("progress_note", op2 + 20 * H, id="e2-pn"),
            procedure(id="e2-p1", name="剖腹探查术", level=4, start=op2, end=op2 + 3 * H),
            id="ep-2",
            admitted_at=a2,
            discharged_at=T + D,
            department="普外科",
            **_care("D02"),
        ),
        episode(
            doc("admission_note", a3 + H, id="e3-adm"),
            doc("rescue_record", a3 + 4 * D + 10 * H, id="e3-rr"),
            doc("discharge_note", a3 + 9 * D + 5 * H, id="e3-dis"),
            rescue(start=a3 + 4 * D, end=a3 + 4 * D + H, id="e3-r1"),
            id="ep-3",
            admitted_at=a3,
            discharged_at=a3 + 9 * D,
            department="心内科",
            **_care("D03"),
        ),
        episode(
            doc("admission_note", a4 + 3 * H, id="e4-adm"),
            rescue(start=a4 + 2 * D, id="e4-r1"),
            id="ep-4",
            admitted_at=a4,
            discharged_at=dt.datetime(2024, 7, 31, 20, 0, tzinfo=TZ),
            department="心内科",
            **_care("D03"),
        ),
        episode(id="ep-5", admitted_at=a5, department="心内科"),
    ]


def write_inputs(folder: Path) -> tuple[Path, Path]:
    """The rulebook and a JSONL file of the five episodes plus one truncated line."""
    rules = folder / "report-test.rules"
    rules.write_text(RULES, encoding="utf-8")
    lines = [json.dumps(e, ensure_ascii=False) for e in episodes()]
    lines.insert(5, '{"id": "ep-6", "admitted_')
    records = folder / "episodes.jsonl"
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rules, records


def run(folder: Path) -> tuple[list[EpisodeResult | InputProblem], Any]:
    """One evaluation of the sample (results in input order) and the loaded rules."""
    rules_path, records = write_inputs(folder)
    config = load_config(None)
    rules = load_rules(config, [rules_path], use_cache=False)
    return list(check([str(records)], config, rules, AS_OF)), rules


def run_info(rules: Any, lang: str = "zh", show_pass: bool = False) -> Any:
    """RunInfo as the CLI fills it."""
    from emrlint import __version__
    from emrlint.reporters.base import RunInfo

    return RunInfo(
        emrlint_version=__version__,
        as_of=AS_OF,
        rulebooks=rulebook_entries(rules.books),
        config={"file": None, "timezone": "Asia/Shanghai"},
        lang=lang,
        show_pass=show_pass,
        rules=rule_entries(rules.rules.latest()),
        inputs=["episodes.jsonl"],
    )
