"""Rates written out: every format carries the numbers compute_rates gave, nothing recomputed."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest

from emrlint.errors import UsageError
from emrlint.reporters import RATE_FORMATS, RateReport, compute_rates, write_rates
from emrlint.reporters.base import RunInfo
from tests.reporters.conftest import Results


@pytest.fixture(scope="module")
def report(results: Results, info: RunInfo) -> RateReport:
    return compute_rates(results, ("department", "quarter"), info.rules, info.as_of)


def _text(report: RateReport, fmt: str, lang: str = "zh") -> str:
    out = io.StringIO()
    write_rates(report, fmt, out, lang)
    return out.getvalue()


def test_formats_offered_to_the_cli() -> None:
    assert RATE_FORMATS == ("text", "csv", "json", "xlsx", "measure-report")


def test_text_shows_each_rule_with_its_strata(report: RateReport, artifacts: Path) -> None:
    out = _text(report, "text")
    (artifacts / "rates.txt").write_text(out, encoding="utf-8")
    assert out.startswith("合规率  统计区间 2024-05-06 – 2024-07-31  病历数 5  无法读取的记录 1")
    block = out[out.index("综合指标 NIT-2024-VIII") :].split("\n\n")[0].splitlines()
    assert block[0] == "综合指标 NIT-2024-VIII  关键诊疗行为相关记录完整率（按病历）"
    assert block[2].split() == ["合计", "25.0%", "1/4", "2", "0", "1", "0", "1", "1", "5"]
    assert block[3].split() == [
        "心内科",
        "2024-Q3",
        "0.0%",
        "0/2",
        "1",
        "0",
        "1",
        "0",
        "0",
        "1",
        "3",
    ]
    english = _text(report, "text", "en")
    assert "composite NIT-2024-VIII  Key-treatment records complete (per episode)" in english


def test_csv_has_a_bom_and_round_trips(report: RateReport, artifacts: Path) -> None:
    out = _text(report, "csv")
    (artifacts / "rates.csv").write_text(out, encoding="utf-8", newline="")
    assert out.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(out[1:], newline="")))
    total = next(r for r in rows if r["编号"] == "MER-TL-01" and r["科室"] == "合计")
    assert total["名称"] == "入院记录24小时内完成率"
    assert (total["分子"], total["分母"], total["比率"]) == ("3", "4", "0.75")
    assert total["未到期"] == "1" and total["对象数"] == "5"
    unknown = next(r for r in rows if r["编号"] == "input" and r["科室"] != "合计")
    assert (unknown["科室"], unknown["季度"], unknown["比率"]) == ("未知", "未知", "")


def test_json_lists_rows_with_strata(report: RateReport) -> None:
    document = json.loads(_text(report, "json"))
    assert document["format"] == "emrlint.rates/1"
    assert document["by"] == ["department", "quarter"]
    row = next(
        r
        for r in document["rows"]
        if r["id"] == "RPT-1-discharge-note"
        and r["stratum"]
        == {
            "department": "心内科",
            "quarter": "2024-Q3",
        }
    )
    assert row["counts"] == {
        "FAIL": 0,
        "PENDING": 1,
        "INDETERMINATE": 0,
        "WAIVED": 0,
        "PASS": 1,
        "NA": 1,
    }
    assert (row["numerator"], row["denominator"], row["rate"], row["subjects"]) == (1, 1, 1.0, 3)


def test_xlsx_goes_to_a_binary_stream_or_a_text_file(report: RateReport, artifacts: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    binary = io.BytesIO()
    write_rates(report, "xlsx", binary)
    path = artifacts / "rates.xlsx"
    with path.open("w", encoding="utf-8") as text_file:  # as the CLI opens --output
        write_rates(report, "xlsx", text_file)
    workbook = openpyxl.load_workbook(path)
    same = openpyxl.load_workbook(io.BytesIO(binary.getvalue()))  # bytes differ by timestamps
    assert [list(s.values) for s in workbook] == [list(s.values) for s in same]
    assert workbook.sheetnames == ["概览", "比率"]
    assert workbook["比率"].cell(row=2, column=6).value == 0.6


def test_xlsx_refuses_a_text_stream_without_bytes(report: RateReport) -> None:
    with pytest.raises(UsageError, match="binary"):
        write_rates(report, "xlsx", io.StringIO())


def test_unknown_format_is_a_usage_error(report: RateReport) -> None:
    with pytest.raises(UsageError, match="measure-report"):
        write_rates(report, "pdf", io.StringIO())


def _population(group: dict[str, object], code: str) -> int:
    for population in group["population"]:  # type: ignore[attr-defined]
        if population["code"]["coding"][0]["code"] == code:
            return population["count"]  # type: ignore[no-any-return]
    raise AssertionError(code)


def test_measure_report_is_a_valid_fhir_r4_measure_report(
    report: RateReport, artifacts: Path
) -> None:
    out = _text(report, "measure-report")
    (artifacts / "rates.measure-report.json").write_text(out, encoding="utf-8")
    resource = json.loads(out)
    fhir = pytest.importorskip("fhir.resources.R4B.measurereport")
    fhir.MeasureReport.model_validate(resource)
    assert (resource["type"], resource["status"]) == ("summary", "complete")
    assert resource["period"] == {"start": "2024-05-06", "end": "2024-07-31"}
    group = next(g for g in resource["group"] if g["code"]["coding"][0]["code"] == "MER-TL-03")
    assert group["code"]["text"] == "MER-TL-03 出院记录24小时内完成率"
    assert _population(group, "initial-population") == 5
    assert _population(group, "denominator-exclusion") == 1  # NA
    assert _population(group, "denominator-exception") == 1  # PENDING
    assert _population(group, "numerator") == 2
    assert _population(group, "pending") == 1
    assert group["measureScore"]["value"] == pytest.approx(2 / 3, abs=1e-6)
    stratifier = group["stratifier"][0]
    assert [c["coding"][0]["code"] for c in stratifier["code"]] == ["department", "quarter"]
    stratum = next(
        s for s in stratifier["stratum"] if s["component"][0]["value"]["text"] == "普外科"
    )
    assert stratum["component"][1]["value"]["text"] == "2024-Q2"
    assert _population(stratum, "numerator") == 1
    assert stratum["measureScore"]["value"] == 0.5


def test_measure_report_composite_keeps_pending_in_its_denominator(report: RateReport) -> None:
    resource = json.loads(_text(report, "measure-report"))
    group = next(
        g
        for g in resource["group"]
        if g["code"]["coding"][0]
        == {"system": "urn:emrlint:rate-row:composite", "code": "NIT-2024-VIII"}
    )
    assert _population(group, "denominator-exception") == 0
    assert group["measureScore"]["value"] == 0.25


def test_csv_keeps_a_formula_like_department_inert(report: RateReport) -> None:
    """Department names come from hospital feeds: one that begins with "=" stays text."""
    department = report.by.index("department")
    rows = tuple(
        dataclasses.replace(
            row,
            stratum=tuple(
                "=1+1" if index == department else value for index, value in enumerate(row.stratum)
            ),
        )
        for row in report.rows
    )
    out = _text(dataclasses.replace(report, rows=rows), "csv")
    parsed = list(csv.DictReader(io.StringIO(out[1:], newline="")))
    stratified = [r for r in parsed if r["科室"] != "合计"]
    assert stratified and all(r["科室"] == "'=1+1" for r in stratified)
    assert all(not r["分子"].startswith("'") for r in parsed)
