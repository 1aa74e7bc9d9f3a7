from __future__ import annotations

import datetime as dt
import itertools

import pytest

from emrlint.rules.plans import AndOp, Const, OrOp, code_matches
from emrlint.rules.values import Missing, Range, compare, logical_and, logical_or, time_range
from tests.builders import TZ

DAY = time_range(dt.date(2024, 5, 6), TZ)
NOON = time_range(dt.datetime(2024, 5, 6, 12, tzinfo=TZ), TZ)
NEXT_DAY = time_range(dt.datetime(2024, 5, 7, 1, tzinfo=TZ), TZ)


def test_a_day_only_time_cannot_decide_within_its_own_day() -> None:
    assert isinstance(compare("<=", DAY, NOON), Missing)


def test_a_day_only_time_decides_against_other_days() -> None:
    assert compare("<", DAY, NEXT_DAY) is True
    assert compare(">", DAY, NEXT_DAY) is False


def test_missing_propagates_and_keeps_its_reason() -> None:
    missing = Missing("p.start is missing")
    assert compare("<", missing, NOON) == missing


def test_kleene_logic() -> None:
    unknown = Missing("x")
    assert logical_and([unknown, False]) is False
    assert logical_or([unknown, True]) is True
    assert logical_and([unknown, True]) == unknown


def test_missing_refuses_to_be_a_python_bool() -> None:
    with pytest.raises(TypeError):
        bool(Missing("x"))


def test_counts_with_uncertain_items_compare_as_ranges() -> None:
    assert compare(">=", Range(1, 3), 2) == Missing(
        "a time known only to the day cannot decide this"
    )
    assert compare(">=", Range(2, 3), 2) is True


@pytest.mark.parametrize(
    "code, patterns, expected",
    [
        ("I63.9", ["I63"], True),
        ("I64", ["I63"], False),
        ("C50.9", ["C00-C97"], True),
        ("C97", ["C00-C97"], True),
        ("D05.1", ["C00-C97"], False),
        ("I21.1", ["I21.0-I21.3"], True),
        ("I21.4", ["I21.0-I21.3"], False),
        ("i63.0", ["I63"], True),
    ],
)
def test_icd_codes_match_prefixes_and_inclusive_ranges(
    code: str, patterns: list[str], expected: bool
) -> None:
    assert code_matches(code, patterns) is expected


def test_and_or_plans_agree_with_the_three_valued_functions() -> None:
    # AndOp and OrOp write logical_and / logical_or out for speed; they must stay the same logic
    unknown, other = Missing("a"), Missing("b")
    for values in itertools.product([True, False, unknown, other], repeat=3):
        operands = tuple(Const(v) for v in values)
        assert AndOp(operands).evaluate(None) == logical_and(list(values))  # type: ignore[arg-type]
        assert OrOp(operands).evaluate(None) == logical_or(list(values))  # type: ignore[arg-type]
