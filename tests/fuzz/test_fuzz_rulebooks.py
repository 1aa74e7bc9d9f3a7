"""Mutated rulebook text: loading gives a compiled rulebook or a RulebookError with a
position — never another exception — and running the examples of whatever compiles never
raises."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emrlint.errors import RulebookError
from emrlint.model.vocabulary import default_vocabulary
from emrlint.rules.compiler import compile_rulebook
from emrlint.rules.examples import run_rule_examples
from emrlint.rules.syntax import parse_rulebook
from tests.fuzz.conftest import FUZZ_EXAMPLES
from tests.rules.test_grammar import SAMPLE

VOCABULARY = default_vocabulary()
SEEDS = [
    (Path(__file__).parents[1] / "fixtures" / "mini.rules").read_text("utf-8"),
    SAMPLE,
]
PIECES = [
    "require",
    "forbid",
    "that",
    "within",
    "after",
    "before",
    "6h",
    "5 workdays",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "p.start",
    "for each",
    "where",
    "and",
    "or",
    "not",
    "=",
    ">=",
    '"',
    "抢救记录",
    "example",
    "expect FAIL",
    "due",
    "on the day of",
    "T + 1h",
    "\n",
    " ",
    "count(",
    "any(",
    "is missing",
    "is exact",
    "#",
    'rule X-9-z "z" / "z"',
]


@st.composite
def mutated_rulebook(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(PIECES) | st.text(max_size=6))
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        else:
            text = text[:at] + piece + text[at + len(piece) :]
    return text


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_rulebook())
def test_mutated_rulebooks_fail_cleanly_or_compile(fuzz, text: str) -> None:
    with fuzz.case("rulebook text"):
        try:
            book = compile_rulebook(parse_rulebook(text, "fuzz.rules"), text, VOCABULARY)
        except RulebookError as error:
            assert error.diagnostics
            assert all(d.span is not None and d.span.line >= 1 for d in error.diagnostics)
            assert str(error)  # renders
            return
        defaults = {name: spec.default for name, spec in book.params.items()}
        for rule in book.rules:
            run_rule_examples(rule, defaults, VOCABULARY)
