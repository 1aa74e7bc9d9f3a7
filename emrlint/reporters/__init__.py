"""Reporters: each turns a stream of results into one output format. They read outcomes only."""

from emrlint.reporters.base import Reporter, RunSummary
from emrlint.reporters.json_report import JsonLinesReporter, JsonReporter
from emrlint.reporters.text import TextReporter

__all__ = [
    "JsonLinesReporter",
    "JsonReporter",
    "Reporter",
    "RunSummary",
    "TextReporter",
    "make_reporter",
]

_REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "jsonl": JsonLinesReporter,
}
FORMATS = tuple(_REPORTERS)


def make_reporter(name: str, **options: object) -> Reporter:
    return _REPORTERS[name](**options)  # type: ignore[arg-type]
