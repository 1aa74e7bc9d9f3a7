"""The shipped catalogue covers every goal issue 3 names, and `explain` shows citation and
examples for every rule."""

from __future__ import annotations

import pytest

from emrlint.api import code_matches_selector
from emrlint.rules.explain import explain_rule
from tests.rulebooks.test_examples import BOOKS, RULES

GOAL_TAGS = [
    *(f"NIT-2024-{n}" for n in ("I", "II", "III", "IV", "VII", "VIII", "IX")),
    *(
        f"PIT-2025-{n}"
        for n in ("01", "10", "13", "14", "17", "24", "31", "38", "40", "41", "43", "49")
    ),
    *(f"MER-TL-0{n}" for n in range(1, 5)),
    *(f"MER-ME-0{n}" for n in range(1, 4)),
    *(f"MER-DT-0{n}" for n in range(1, 9)),
    "MER-TQ-01",
    "MER-TQ-07",
    "MER-TQ-08",
    *(f"HX-2018-{n:02d}" for n in (2, 3, 5, 6, 7, 8, 9, 11, 14, 16, 17)),
    "BW-2010",
    "SY-2016",
    "NIT-2021-PATHOGEN",
]


@pytest.mark.parametrize("tag", GOAL_TAGS)
def test_every_goal_tag_has_rules(tag: str) -> None:
    assert any(code_matches_selector(t, tag) for _, rule in RULES for t in rule.tags), tag


@pytest.mark.parametrize("book, rule", RULES, ids=[rule.id for _, rule in RULES])
def test_explain_shows_citation_and_examples(book, rule) -> None:  # type: ignore[no-untyped-def]
    specs = {name: spec for b in BOOKS for name, spec in b.params.items()}
    text = explain_rule(rule, specs, {name: spec.default for name, spec in specs.items()})
    assert rule.citation in text
    for example in rule.examples:
        assert f"example {example.name}" in text
