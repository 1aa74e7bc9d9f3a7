"""Keep record text inert when a spreadsheet opens a CSV file.

Excel, LibreOffice Calc and WPS read a cell that begins with `=`, `+`, `-`, `@`, a tab or a
carriage return as a formula, and a formula can fetch a URL or, in old Excel, start a program.
Record fields (ids, department names, document titles) come from hospital feeds, and QC staff
open the CSV exports in Excel by design, so such a cell is written with a leading apostrophe:
the spreadsheet shows the text and hides the apostrophe. Numbers stay numbers, so counts can
still be summed. Programs should read jsonl or json, which carry every value exactly.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["FORMULA_TRIGGERS", "inert_cell"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_Cell = TypeVar("_Cell")


def inert_cell(value: _Cell) -> _Cell | str:
    """`value` as a spreadsheet will show it, never evaluate it."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
