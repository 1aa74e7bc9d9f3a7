"""CSV: one row per finding with its evidence in columns (the 明细 export QC offices open in
Excel). UTF-8 with a byte-order mark, because Excel reads a BOM-less UTF-8 file as the local
ANSI code page and garbles 中文; rows end in CRLF as RFC 4180 says. Streamed: rows are written
as episodes are evaluated.

Headers are in the run's language (`--lang`); with `--lang en` they are the stable field names
of docs/output-formats.md. A text cell that a spreadsheet would read as a formula gets a
leading apostrophe (`emrlint.reporters.spreadsheet`); everything else is written as it is.
"""

from __future__ import annotations

import csv
from typing import TextIO

from emrlint.api import EpisodeResult
from emrlint.parsers import InputProblem
from emrlint.reporters.base import RunInfo, RunSummary
from emrlint.reporters.json_report import finding_records
from emrlint.reporters.labels import text
from emrlint.reporters.records import FINDING_COLUMNS, flat_finding
from emrlint.reporters.spreadsheet import inert_cell

__all__ = ["BOM", "CsvReporter", "finding_headers"]

BOM = "\ufeff"


def finding_headers(lang: str) -> list[str]:
    return [text(column, lang) for column in FINDING_COLUMNS]


class CsvReporter:
    """One row per finding, written as results arrive."""

    def __init__(self) -> None:
        self.info: RunInfo | None = None
        self.writer: csv.DictWriter[str] | None = None

    def start(self, out: TextIO, info: RunInfo) -> None:
        self.info = info
        out.write(BOM)
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(finding_headers(info.lang))
        self.writer = csv.DictWriter(out, FINDING_COLUMNS, lineterminator="\r\n")

    def add(self, out: TextIO, result: EpisodeResult | InputProblem) -> None:
        assert self.info is not None and self.writer is not None
        for record in finding_records(result, self.info.show_pass):
            row = flat_finding(record, self.info.lang)
            self.writer.writerow({k: "" if v is None else inert_cell(v) for k, v in row.items()})

    def finish(self, out: TextIO, summary: RunSummary) -> None:
        return None
