from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

from lark import Lark, Tree

from emrlint.rules import nodes
from emrlint.rules.syntax import grammar_text, parse_rulebook
from tests.rules.helpers import rule_text

SAMPLE = rule_text(
    "  when died_at is present or (disposition is present and disposition = death)\n"
    '  for each procedure p where p.level >= 3 and p.code matches ["51", "45.7-45.9"]\n'
    "  require at least 2 [preop_discussion, mdt_discussion] m\n"
    "    where count(x in m.participants where x.rank >= attending) >= 2\n"
    "    within 3 workdays before p.start\n"
    '  message "{p.name} 于 {p.start}" / "{p.name} at {p.start}"\n'
    "  example pass-x\n    procedure p1 { level: 3, start: T }\n    expect PASS\n",
    params="param k = 2\ndefine senior = [senior_round]",
)


def test_grammar_has_no_collisions_in_strict_mode() -> None:
    Lark(grammar_text(), parser="lalr", strict=True)


def _walk(value: Any) -> None:
    assert not isinstance(value, Tree), f"raw lark tree survived: {value.data}"
    if is_dataclass(value):
        for item in fields(value):
            _walk(getattr(value, item.name))
    elif isinstance(value, tuple | list):
        for item in value:
            _walk(item)


def test_transformer_leaves_no_raw_tree() -> None:
    parsed = parse_rulebook(SAMPLE, "sample.rules")
    assert isinstance(parsed, nodes.RulebookFile)
    _walk(parsed)


def test_nodes_carry_positions_of_their_tokens() -> None:
    parsed = parse_rulebook(SAMPLE, "sample.rules")
    (rule,) = parsed.rules
    for_each = next(s for s in rule.scopes if isinstance(s, nodes.ForEach))
    assert (for_each.type_span.line, for_each.type_span.column) == (6, 12)
    requirement = rule.requirement
    assert requirement.quantity is not None and requirement.quantity.mode == "at_least"
    assert requirement.temporal is not None and requirement.temporal.kind == "within_before"
