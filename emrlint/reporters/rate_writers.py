"""A RateReport written out: text (a table per rule or tag), csv (UTF-8 with BOM, for Excel),
json (`emrlint.rates/1`), xlsx (one 比率 sheet plus an overview) and a FHIR MeasureReport.
Formats only: every number comes from `rates.compute_rates`.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import IO, Any

import orjson

from emrlint.errors import UsageError
from emrlint.reporters.labels import (
    STATUS_ORDER,
    dimension_label,
    display_width,
    pad,
    status_label,
    text,
)
from emrlint.reporters.measure_report import measure_report
from emrlint.reporters.rates import RateReport, RateRow
from emrlint.reporters.spreadsheet import inert_cell

__all__ = [
    "RATES_FORMAT",
    "RATE_FORMATS",
    "format_rate",
    "rate_table",
    "rates_document",
    "rates_text",
    "write_rates",
]

RATE_FORMATS = ("text", "csv", "json", "xlsx", "measure-report")
RATES_FORMAT = "emrlint.rates/1"
BOM = "\ufeff"


def write_rates(report: RateReport, fmt: str, out: IO[Any], lang: str = "zh") -> None:
    """Write `report` in `fmt` (one of RATE_FORMATS) to `out`.

    `out` is a text stream for every format; xlsx writes its bytes to the stream's `.buffer`
    (or to `out` itself when it is already binary) and refuses a terminal with UsageError.
    """
    if fmt == "text":
        out.write(rates_text(report, lang))
    elif fmt == "csv":
        _write_csv(report, out, lang)
    elif fmt == "json":
        out.write(orjson.dumps(rates_document(report), option=orjson.OPT_INDENT_2).decode())
        out.write("\n")
    elif fmt == "measure-report":
        document = measure_report(report, lang)
        out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
        out.write("\n")
    elif fmt == "xlsx":
        _write_xlsx(report, out, lang)
    else:
        raise UsageError(f"rates format {fmt!r}: use one of {', '.join(RATE_FORMATS)}")


def rates_document(report: RateReport) -> dict[str, Any]:
    """The json rates format: run facts, then one object per row (stratum null for totals)."""
    return {
        "format": RATES_FORMAT,
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "by": list(report.by),
        "period": {
            "start": report.period_start.isoformat() if report.period_start else None,
            "end": report.period_end.isoformat() if report.period_end else None,
        },
        "episodes": report.episodes,
        "input_problems": report.input_problems,
        "rows": [
            {
                "kind": row.kind,
                "id": row.id,
                "name": {"zh": row.name_zh, "en": row.name_en},
                "stratum": None if row.is_total else dict(zip(report.by, row.stratum, strict=True)),
                "counts": {s.value: row.count(s) for s in STATUS_ORDER},
                "subjects": row.subjects,
                "numerator": row.numerator,
                "denominator": row.denominator,
                "rate": row.rate,
            }
            for row in report.rows
        ],
    }


def rate_table(report: RateReport, lang: str) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of a rate table (xlsx and csv share it): one row per RateRow."""
    headers = [
        text("kind", lang),
        text("id", lang),
        text("name", lang),
        *(dimension_label(name, lang) for name in report.by),
        text("rate", lang),
        text("numerator", lang),
        text("denominator", lang),
        *(status_label(s, lang) if lang == "zh" else s.value for s in STATUS_ORDER),
        text("subjects", lang),
    ]
    rows = []
    for row in report.rows:
        dims = (
            [text("total", lang)] * len(report.by)
            if row.is_total
            else [v if v is not None else text("unknown", lang) for v in row.stratum]
        )
        rows.append(
            [
                text(f"kind_{row.kind}", lang),
                row.id,
                row.name(lang),
                *dims,
                round(row.rate, 6) if row.rate is not None else None,
                row.numerator,
                row.denominator,
                *(row.count(s) for s in STATUS_ORDER),
                row.subjects,
            ]
        )
    return headers, rows


def _write_csv(report: RateReport, out: IO[str], lang: str) -> None:
    headers, rows = rate_table(report, lang)
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(["" if value is None else inert_cell(value) for value in row] for row in rows)


def _write_xlsx(report: RateReport, out: IO[Any], lang: str) -> None:
    from emrlint.reporters.xlsx_sheets import new_workbook, save_workbook, write_table

    workbook = new_workbook()
    write_table(workbook, "概览" if lang == "zh" else "Summary", *_overview(report, lang))
    headers, rows = rate_table(report, lang)
    write_table(workbook, "比率" if lang == "zh" else "Rates", headers, rows, [3 + len(report.by)])
    save_workbook(workbook, out)


def _overview(report: RateReport, lang: str) -> tuple[list[str], list[list[Any]]]:
    period = (
        f"{report.period_start} – {report.period_end}"
        if report.period_start and report.period_end
        else ""
    )
    rows: list[list[Any]] = [
        [text("as_of", lang), report.as_of.isoformat() if report.as_of else ""],
        [text("period", lang), period],
        [text("by", lang), "、".join(dimension_label(d, lang) for d in report.by)],
        [text("episodes", lang), report.episodes],
        [text("input_problems", lang), report.input_problems],
    ]
    return [text("name", lang), ""], rows


# ------------------------------------------------------------------ text


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _table(rows: Sequence[Sequence[str]], right_from: int) -> list[str]:
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(pad(cell, widths[i], i >= right_from) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def rates_text(report: RateReport, lang: str = "zh") -> str:
    """A block per rule, tag or composite: its total, then one line per stratum."""
    zh = lang == "zh"
    head = [("合规率" if zh else "Compliance rates")]
    if report.period_start and report.period_end:
        head.append(f"{text('period', lang)} {report.period_start} – {report.period_end}")
    head.append(f"{text('episodes', lang)} {report.episodes}")
    head.append(f"{text('input_problems', lang)} {report.input_problems}")
    if report.by:
        separator = "、" if zh else ", "
        dims = separator.join(dimension_label(d, lang) for d in report.by)
        head.append(f"{text('by', lang)} {dims}")
    lines = ["  ".join(head), ""]
    header = [
        *(dimension_label(d, lang) for d in report.by),
        text("rate", lang),
        f"{text('numerator', lang)}/{text('denominator', lang)}",
        *(status_label(s, lang) if zh else s.value for s in STATUS_ORDER),
        text("subjects", lang),
    ]
    for total in report.totals():
        kind = text(f"kind_{total.kind}", lang)
        name = total.name(lang)
        if total.kind == "all":
            lines.append(name)
        else:
            lines.append(f"{kind} {total.id}" + (f"  {name}" if name else ""))
        table = [header, _cells(report, total, lang)]
        table.extend(_cells(report, row, lang) for row in report.strata(total.kind, total.id))
        lines.extend("  " + line for line in _table(table, len(report.by)))
        lines.append("")
    return "\n".join(lines)


def _cells(report: RateReport, row: RateRow, lang: str) -> list[str]:
    if row.is_total:
        dims = [text("total", lang)] + [""] * (len(report.by) - 1) if report.by else []
    else:
        dims = [v if v is not None else text("unknown", lang) for v in row.stratum]
    return [
        *dims,
        format_rate(row.rate),
        f"{row.numerator}/{row.denominator}",
        *(str(row.count(s)) for s in STATUS_ORDER),
        str(row.subjects),
    ]
