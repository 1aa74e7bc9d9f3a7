"""Every example of every shipped rule runs as its own test (id: rule/example), and every rule
has at least one PASS and one FAIL example."""

from __future__ import annotations

import pytest

from emrlint.model.vocabulary import default_vocabulary
from emrlint.rules.examples import run_rule_examples
from emrlint.rules.loader import default_rulebook_dir, load_rulebooks

VOCABULARY = default_vocabulary()
BOOKS = load_rulebooks([default_rulebook_dir()], VOCABULARY, use_cache=False)
RULES = [(book, rule) for book in BOOKS for rule in book.rules]


def test_shipped_rulebooks_hold_at_least_100_rules() -> None:
    assert len({rule.id for _, rule in RULES}) >= 100


@pytest.mark.parametrize("book, rule", RULES, ids=[rule.id for _, rule in RULES])
def test_rule_examples(book, rule) -> None:  # type: ignore[no-untyped-def]
    defaults = {name: spec.default for name, spec in book.params.items()}
    results = run_rule_examples(rule, defaults, VOCABULARY)
    failures = [f"{r.example} ({r.file}:{r.line}): {r.detail}" for r in results if not r.passed]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("book, rule", RULES, ids=[rule.id for _, rule in RULES])
def test_rule_metadata_is_complete(book, rule) -> None:  # type: ignore[no-untyped-def]
    assert rule.citation and rule.tags and rule.title_en and rule.message_zh
    assert rule.message_en is not None, "every rule has an English message too"
