"""docs/rule-coverage.md stays true: it names only rules that exist, and every shipped rule."""

from __future__ import annotations

import re

from tests.conftest import REPO
from tests.rulebooks.test_examples import RULES

DOC = (REPO / "docs" / "rule-coverage.md").read_text("utf-8")
RULE_ID = re.compile(
    r"\b(?:BW-2010|HX-2018|NIT-2024|NIT-2021|MER|PIT-2025|SY-2016)"
    r"(?:-[A-Za-z0-9]+)*-[a-z][a-z0-9-]*[a-z0-9]\b"
)
SHIPPED = {rule.id for _, rule in RULES}


def test_every_rule_id_named_in_the_coverage_doc_exists() -> None:
    named = set(RULE_ID.findall(DOC))
    assert named, "the pattern found no rule ids"
    assert sorted(named - SHIPPED) == []


def test_every_shipped_rule_is_in_the_coverage_doc() -> None:
    assert sorted(rule_id for rule_id in SHIPPED if rule_id not in DOC) == []
