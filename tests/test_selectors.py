from __future__ import annotations

import pytest

from emrlint.api import code_matches_selector


@pytest.mark.parametrize(
    "code, selector, expected",
    [
        ("NIT-2024-I", "NIT-2024-I", True),
        ("NIT-2024-II", "NIT-2024-I", False),
        ("NIT-2024-IX", "NIT-2024-I", False),
        ("NIT-2024-I-reperfusion", "NIT-2024-I", True),
        ("HX-2018-07", "HX-2018", True),
        ("HX-2018-07", "HX", True),
        ("BW-2010-22-08-rescue-record", "BW-2010-22", True),
        ("BW-2010-22-08-rescue-record", "BW-2010-2", False),
        ("MER-TL-01", "MER-TL-", True),
    ],
)
def test_selectors_match_whole_parts(code: str, selector: str, expected: bool) -> None:
    assert code_matches_selector(code, selector) is expected
