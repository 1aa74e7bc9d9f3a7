"""Excel sheets as QC offices use them: a bold frozen header with filters, readable widths,
percentages as numbers formatted as %, status cells coloured. The only importer of openpyxl,
imported when a workbook is made so that other formats do not need it.

Cells are always written as values, never as formulas: a message or id that begins with "="
stays text (no formula injection from record data).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import IO, Any

from emrlint.outcomes import Status
from emrlint.reporters.base import binary_stream
from emrlint.reporters.labels import display_width

__all__ = ["new_workbook", "save_workbook", "write_table"]

_STATUS_FILL = {
    Status.FAIL.value: "F8D7DA",
    Status.PENDING.value: "FFF3CD",
    Status.INDETERMINATE.value: "E2D9F3",
    Status.WAIVED.value: "D6E4F0",
    Status.PASS.value: "D4EDDA",
    Status.NA.value: "EEEEEE",
}
_HEADER_FILL = "1F4E79"
_MAX_WIDTH = 60


def new_workbook() -> Any:
    """An empty openpyxl Workbook (its default sheet removed)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def _clean(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def write_table(
    workbook: Any,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    percent_columns: Sequence[int] = (),
    status_column: int | None = None,
) -> Any:
    """A sheet holding one table: header row frozen and filterable, widths from the content.

    Column numbers are 0-based indexes into `headers`.
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    sheet.append(list(headers))
    widths = [display_width(h) for h in headers]
    fills = {k: PatternFill("solid", fgColor=v) for k, v in _STATUS_FILL.items()}
    count = 0
    for count, row in enumerate(rows, start=1):
        sheet.append([_clean(v) for v in row])
        excel_row = count + 1
        for index, value in enumerate(row):
            cell = sheet.cell(row=excel_row, column=index + 1)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # keep it text: never a formula
            if index in percent_columns and isinstance(value, int | float):
                cell.number_format = "0.0%"
            widths[index] = max(widths[index], min(display_width(value), _MAX_WIDTH))
        if status_column is not None and row[status_column] in fills:
            sheet.cell(row=excel_row, column=status_column + 1).fill = fills[row[status_column]]
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    for index in range(len(headers)):
        cell = sheet.cell(row=1, column=index + 1)
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center")
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(
            widths[index] + 2, _MAX_WIDTH
        )
    sheet.freeze_panes = "A2"
    if headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    return sheet


def save_workbook(workbook: Any, out: IO[Any]) -> None:
    """Write the workbook's bytes to `out` (a binary stream, or a text stream's buffer)."""
    import io

    data = io.BytesIO()
    workbook.save(data)
    stream = binary_stream(out, "xlsx")
    stream.write(data.getvalue())
    stream.flush()
