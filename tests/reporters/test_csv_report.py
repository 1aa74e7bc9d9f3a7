"""CSV opens in Excel with 中文 intact (UTF-8 BOM) and round-trips through the csv module."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

from emrlint.api import EpisodeResult
from emrlint.reporters.base import RunInfo
from emrlint.reporters.labels import text
from emrlint.reporters.records import FINDING_COLUMNS
from tests.reporters import sample
from tests.reporters.conftest import Results, write_file


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_starts_with_a_bom_and_uses_crlf(
    results: Results, info: RunInfo, artifacts: Path
) -> None:
    path = write_file("csv", results, info, artifacts / "findings.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data and b"\r\r\n" not in data


def test_csv_round_trips_with_chinese_intact(
    results: Results, info: RunInfo, artifacts: Path
) -> None:
    rows = _read(write_file("csv", results, info, artifacts / "findings.csv"))
    assert len(rows) == 8
    assert list(rows[0]) == [text(c, "zh") for c in FINDING_COLUMNS]
    discharge = rows[0]
    assert discharge["规则编号"] == "RPT-1-discharge-note"
    assert discharge["说明"] == "出院后24小时内未见出院记录"
    assert discharge["科室"] == "普外科"
    assert discharge["依据"] == "病历书写基本规范 第二十二条（二十）"
    assert discharge["检索的文书"] == "出院记录"
    late = next(r for r in rows if r["超时"] == "6h" and r["规则编号"].startswith("RPT-2"))
    assert late["超时找到的文书"] == "手术记录 e2-op 2024-05-04 19:00"
    assert late["时限"] == "2024-05-04 13:00"
    assert late["对象"] == "剖腹探查术"
    problem = rows[-1]
    assert (problem["规则编号"], problem["结果"]) == ("input", "INDETERMINATE")
    assert problem["位置"] == "line 6" and problem["文件"].endswith("episodes.jsonl")


def test_csv_round_trip_is_exact(results: Results, info: RunInfo, artifacts: Path) -> None:
    """Write what was read with the csv module again: the same bytes after the BOM."""
    path = write_file("csv", results, info, artifacts / "findings.csv")
    original = path.read_bytes()[3:].decode("utf-8")
    rows = list(csv.reader(io.StringIO(original, newline="")))
    again = io.StringIO()
    csv.writer(again, lineterminator="\r\n").writerows(rows)
    assert again.getvalue() == original


def test_csv_headers_are_field_names_in_english(
    sample_run: tuple[Results, object], artifacts: Path
) -> None:
    results, rules = sample_run
    info = sample.run_info(rules, lang="en")
    rows = _read(write_file("csv", results, info, artifacts / "findings-en.csv"))
    assert list(rows[0]) == list(FINDING_COLUMNS)
    assert rows[0]["message"] == "No discharge note within 24 h after discharge"
    assert rows[0]["searched"] == "discharge_note"


def test_csv_keeps_formula_like_record_text_inert(
    results: Results, info: RunInfo, artifacts: Path
) -> None:
    """A hospital feed's department or id that begins with "=" must not run in Excel; the count
    column stays a number."""
    first = next(
        r
        for r in results
        if isinstance(r, EpisodeResult) and any(o.status.value == "FAIL" for o in r.outcomes)
    )
    hostile = dataclasses.replace(
        first,
        outcomes=[
            dataclasses.replace(o, department='=HYPERLINK("http://x.invalid")', episode_id="@1")
            for o in first.outcomes
        ],
    )
    rows = _read(write_file("csv", [hostile], info, artifacts / "findings-inert.csv"))
    assert rows
    for row in rows:
        assert row[text("department", "zh")] == '\'=HYPERLINK("http://x.invalid")'
        assert row[text("episode_id", "zh")] == "'@1"
    assert all(not row[text("count", "zh")].startswith("'") for row in rows)
