"""Reporters: each turns a stream of results into one output format, reading outcomes only.

    reporter = make_reporter("csv")                 # a name from FORMATS
    reporter.start(out, info); reporter.add(out, result) ...; reporter.finish(out, summary)

Rates come from the same results: `compute_rates(results, by)` then `write_rates(report, fmt,
out)`. docs/output-formats.md shows every format.
"""

from emrlint.reporters.base import Reporter, RunInfo, RunSummary
from emrlint.reporters.csv_report import CsvReporter
from emrlint.reporters.html_report import HtmlReporter
from emrlint.reporters.json_report import JsonLinesReporter, JsonReporter
from emrlint.reporters.rate_writers import RATE_FORMATS, write_rates
from emrlint.reporters.rates import (
    RATE_DIMENSIONS,
    RateAccumulator,
    RateReport,
    RateRow,
    compute_rates,
    parse_by,
)
from emrlint.reporters.run_info import rule_entries, rulebook_entries
from emrlint.reporters.text import TextReporter
from emrlint.reporters.xlsx_report import XlsxReporter

__all__ = [
    "FORMATS",
    "RATE_DIMENSIONS",
    "RATE_FORMATS",
    "CsvReporter",
    "HtmlReporter",
    "JsonLinesReporter",
    "JsonReporter",
    "RateAccumulator",
    "RateReport",
    "RateRow",
    "Reporter",
    "RunInfo",
    "RunSummary",
    "TextReporter",
    "XlsxReporter",
    "compute_rates",
    "make_reporter",
    "parse_by",
    "rule_entries",
    "rulebook_entries",
    "write_rates",
]

_REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "jsonl": JsonLinesReporter,
    "csv": CsvReporter,
    "xlsx": XlsxReporter,
    "html": HtmlReporter,
}
FORMATS = tuple(_REPORTERS)


def make_reporter(name: str, **options: object) -> Reporter:
    """A new reporter for the format `name` (one of FORMATS); only "text" takes `colour=`."""
    return _REPORTERS[name](**options)  # type: ignore[arg-type]
