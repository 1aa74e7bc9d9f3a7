"""XLSX: the workbook a QC office files and forwards — 概览 (what was checked, counts by status),
明细 (one row per finding with evidence columns, as in csv), 比率 (rates by department and
quarter, from the same outcomes) and 规则 (each rule with its citation and counts).

The workbook is binary and written at the end: findings are kept in memory as flat rows (a few
hundred bytes each); rates are accumulated as results stream by.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, TextIO

from emrlint.api import EpisodeResult
from emrlint.outcomes import Status
from emrlint.parsers import InputProblem
from emrlint.reporters.base import RunInfo, RunSummary, binary_stream
from emrlint.reporters.csv_report import finding_headers
from emrlint.reporters.json_report import finding_records
from emrlint.reporters.labels import STATUS_ORDER, status_label, text
from emrlint.reporters.rate_writers import format_rate, rate_table
from emrlint.reporters.rates import RateAccumulator, RateReport
from emrlint.reporters.records import FINDING_COLUMNS, flat_finding
from emrlint.reporters.run_info import rules_from_findings
from emrlint.reporters.xlsx_sheets import new_workbook, save_workbook, write_table

__all__ = ["SHEETS", "XlsxReporter"]

# Sheet names by language, in workbook order.
SHEETS = {
    "zh": ("概览", "明细", "比率", "规则"),
    "en": ("Summary", "Findings", "Rates", "Rules"),
}
RATE_DIMENSIONS_IN_WORKBOOK = ("department", "quarter")


class XlsxReporter:
    """Collects rows and rates while results stream by; writes the workbook in `finish`."""

    def __init__(self) -> None:
        self.info: RunInfo | None = None
        self.rows: list[list[Any]] = []
        self.records_for_rules: dict[str, dict[str, Any]] = {}
        self.rates: RateAccumulator | None = None

    def start(self, out: TextIO, info: RunInfo) -> None:
        binary_stream(out, "xlsx")  # refuse a terminal before any work is done
        self.info = info
        self.rates = RateAccumulator(RATE_DIMENSIONS_IN_WORKBOOK, info.rules)

    def add(self, out: TextIO, result: EpisodeResult | InputProblem) -> None:
        assert self.info is not None and self.rates is not None
        self.rates.add(result)
        for record in finding_records(result, self.info.show_pass):
            self.records_for_rules.setdefault(record["rule_id"], record)
            flat = flat_finding(record, self.info.lang)
            self.rows.append([flat[column] for column in FINDING_COLUMNS])

    def finish(self, out: TextIO, summary: RunSummary) -> None:
        assert self.info is not None and self.rates is not None
        lang = self.info.lang
        names = SHEETS["zh" if lang == "zh" else "en"]
        rates = self.rates.report(self.info.as_of)
        workbook = new_workbook()
        write_table(workbook, names[0], *self._overview(summary, rates))
        write_table(
            workbook,
            names[1],
            finding_headers(lang),
            self.rows,
            status_column=FINDING_COLUMNS.index("status"),
        )
        headers, rows = rate_table(rates, lang)
        write_table(workbook, names[2], headers, rows, percent_columns=[3 + len(rates.by)])
        write_table(workbook, names[3], *self._rules(summary))
        save_workbook(workbook, out)

    def _overview(
        self, summary: RunSummary, rates: RateReport
    ) -> tuple[list[str], list[list[Any]]]:
        assert self.info is not None
        lang = self.info.lang
        info = self.info
        overall = rates.overall()
        rows: list[list[Any]] = [
            [text("emrlint_version", lang), info.emrlint_version],
            [text("as_of", lang), info.as_of.isoformat()],
            [text("episodes", lang), summary.episodes],
            [text("input_problems", lang), summary.input_problems],
            [text("findings", lang), len(self.rows)],
            [text("compliance", lang), format_rate(overall.rate if overall else None)],
        ]
        rows.extend(
            [f"{status.value} {status_label(status, lang)}", summary.by_status.get(status, 0)]
            for status in STATUS_ORDER
        )
        rows.extend([f"input {path}", ""] for path in info.inputs)
        for book in info.rulebooks:
            rows.append([f"{text('rulebook', lang)} {book.get('id')}", book.get("path")])
            rows.append([f"  {text('sha256', lang)}", book.get("sha256") or ""])
        return [text("name", lang), ""], rows

    def _rules(self, summary: RunSummary) -> tuple[list[str], list[list[Any]]]:
        assert self.info is not None
        lang = self.info.lang
        rules = {r["id"]: r for r in rules_from_findings(self.records_for_rules.values())}
        rules.update({r["id"]: r for r in self.info.rules})
        rules["input"] = {
            "title": {"zh": "无法读取的记录", "en": "Unreadable records"},
            "severity": "critical",
            "category": "input",
        }
        counts: dict[str, Counter[str]] = {k: Counter(v) for k, v in summary.by_rule.items()}
        if summary.input_problems:
            counts["input"] = Counter({Status.INDETERMINATE.value: summary.input_problems})
        headers = [
            text("rule_id", lang),
            text("version", lang),
            text("title_zh", lang),
            text("title_en", lang),
            text("severity", lang),
            text("category", lang),
            text("tags", lang),
            text("citation", lang),
            text("rulebook", lang),
            *(s.value for s in STATUS_ORDER),
            text("subjects", lang),
        ]
        rows = []
        for rule_id in sorted(set(rules) | set(counts)):
            rule = rules.get(rule_id, {})
            rule_counts = counts.get(rule_id, Counter())
            title = rule.get("title", {"zh": "", "en": ""})
            rows.append(
                [
                    rule_id,
                    rule.get("version", ""),
                    title["zh"],
                    title["en"],
                    rule.get("severity", ""),
                    rule.get("category", ""),
                    " ".join(rule.get("tags", ())),
                    rule.get("citation", ""),
                    rule.get("rulebook", ""),
                    *(rule_counts.get(s.value, 0) for s in STATUS_ORDER),
                    sum(rule_counts.values()),
                ]
            )
        return headers, rows
