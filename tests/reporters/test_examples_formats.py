"""Every output format, produced by the CLI for the bundled examples (issue 6): the JSON
validates against its published schema, the CSV opens with 中文 intact, the workbook has its
four sheets, the HTML is one self-contained file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from tests.conftest import REPO, run_cli

EXAMPLES = str(REPO / "examples" / "native")


def _check(tmp_path: Path, fmt: str) -> Path:
    out = tmp_path / f"report.{fmt}"
    result = run_cli(
        "check", EXAMPLES, "--as-of", "2025-12-31", "--format", fmt, "--output", str(out)
    )
    assert result.returncode == 1, result.stderr  # the examples hold five findings
    return out


def test_json_report_of_the_examples_validates(tmp_path: Path) -> None:
    schema = json.loads((REPO / "docs" / "report-schema.json").read_text("utf-8"))
    document = json.loads(_check(tmp_path, "json").read_text("utf-8"))
    jsonschema.validate(document, schema)
    assert len(document["findings"]) == 5


def test_csv_report_of_the_examples_has_a_bom_and_chinese(tmp_path: Path) -> None:
    raw = _check(tmp_path, "csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) == 6  # header + five findings
    assert any("抢救" in cell for row in rows for cell in row)


def test_xlsx_report_of_the_examples_has_four_sheets(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(_check(tmp_path, "xlsx"))
    assert workbook.sheetnames == ["概览", "明细", "比率", "规则"]


@pytest.mark.parametrize("fmt", ["jsonl", "text"])
def test_streamed_formats_of_the_examples(tmp_path: Path, fmt: str) -> None:
    text = _check(tmp_path, fmt).read_text("utf-8")
    assert "BW-2010-22-08-rescue-record" in text


def test_html_report_of_the_examples_is_self_contained(tmp_path: Path) -> None:
    html = _check(tmp_path, "html").read_text("utf-8")
    for external in ("http://", "https://", 'src="http', "<link"):
        assert external not in html
    assert "<svg" in html and "BW-2010-22-08-rescue-record" in html
