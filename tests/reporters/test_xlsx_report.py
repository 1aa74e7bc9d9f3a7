"""The xlsx workbook: four sheets (概览 明细 比率 规则) that openpyxl reads back."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from emrlint.errors import UsageError
from emrlint.reporters import make_reporter
from emrlint.reporters.base import RunInfo
from tests.reporters.conftest import Results, drive, write_file

openpyxl = pytest.importorskip("openpyxl", reason="openpyxl is needed for the xlsx format")


@pytest.fixture(scope="module")
def workbook(results: Results, info: RunInfo, artifacts: Path) -> object:
    path = write_file("xlsx", results, info, artifacts / "report.xlsx")
    return openpyxl.load_workbook(path)


def _rows(sheet: object) -> list[tuple[object, ...]]:
    return list(sheet.iter_rows(values_only=True))  # type: ignore[attr-defined]


def test_xlsx_has_the_four_sheets(workbook: object) -> None:
    assert workbook.sheetnames == ["概览", "明细", "比率", "规则"]  # type: ignore[attr-defined]


def test_detail_sheet_has_one_row_per_finding_with_evidence(workbook: object) -> None:
    rows = _rows(workbook["明细"])  # type: ignore[index]
    header, body = rows[0], rows[1:]
    assert len(body) == 8
    assert "时限" in header and "超时找到的文书" in header and "依据" in header
    by_name = [dict(zip(header, row, strict=True)) for row in body]
    late = next(r for r in by_name if r["规则编号"] == "RPT-3-rescue-record" and r["超时"])
    assert late["超时（分钟）"] == 180
    assert late["说明"] == "抢救结束后6小时内未见抢救记录"
    assert by_name[-1]["规则编号"] == "input"


def test_rates_sheet_holds_rates_as_percent_numbers(workbook: object) -> None:
    sheet = workbook["比率"]  # type: ignore[index]
    rows = _rows(sheet)
    header = rows[0]
    assert header[:5] == ("类型", "编号", "名称", "科室", "季度")
    total = dict(zip(header, rows[1], strict=True))
    assert (total["编号"], total["科室"], total["比率"]) == ("all", "合计", 0.6)
    assert sheet.cell(row=2, column=6).number_format == "0.0%"
    composite = next(r for r in rows if r[1] == "NIT-2024-VIII" and r[0] == "综合指标")
    assert composite[5] == 0.25


def test_rules_sheet_lists_rules_with_citations_and_counts(workbook: object) -> None:
    rows = _rows(workbook["规则"])  # type: ignore[index]
    header = rows[0]
    rules = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    rescue = rules["RPT-3-rescue-record"]
    assert rescue["中文标题"] == "抢救结束后6小时内完成抢救记录"
    assert rescue["依据"] == "医疗质量安全核心制度要点 七-4"
    assert rescue["标签"] == "HX-2018-07 MER-DT-08 NIT-2024-VIII"
    assert (rescue["FAIL"], rescue["INDETERMINATE"], rescue["对象数"]) == (1, 1, 5)
    assert rules["input"]["INDETERMINATE"] == 1


def test_overview_sheet_names_the_run(workbook: object) -> None:
    values = dict(row[:2] for row in _rows(workbook["概览"])[1:])  # type: ignore[index]
    assert values["病历数"] == 5
    assert values["无法读取的记录"] == 1
    assert values["总体达标率"] == "60.0%"


def test_rules_sheet_falls_back_to_the_findings(results: Results, info: RunInfo) -> None:
    from dataclasses import replace

    out = io.BytesIO()
    drive(make_reporter("xlsx"), results, replace(info, rules=[]), out)
    rows = _rows(openpyxl.load_workbook(io.BytesIO(out.getvalue()))["规则"])
    rules = {row[0]: row for row in rows[1:]}
    assert rules["RPT-2-operative-note"][7] == "病历书写基本规范 第二十二条（十五）"


def test_a_workbook_is_not_written_to_a_terminal(info: RunInfo) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    with pytest.raises(UsageError, match="--output"):
        make_reporter("xlsx").start(Terminal(), info)
