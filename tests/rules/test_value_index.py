"""A search that requires `item.field = value` looks items up by value instead of testing each
one; what it finds is exactly what testing each one finds, unknown values included."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import T, build, doc, episode
from tests.rules.helpers import compile_text, outcomes_of, rule_text

# Per note with a text: is there another note with the same text? A note without a text may
# be one, so the answer is unknown for it, which the lookup must not lose.
INDEXED = compile_text(
    rule_text(
        "  for each progress_note a where a.text is present\n"
        "  require that not any(progress_note b where b.id != a.id and b.text = a.text)"
    )
)
# The same filter with the equality hidden inside `or false`: every note is tested.
SCANNED = compile_text(
    rule_text(
        "  for each progress_note a where a.text is present\n"
        "  require that not any(progress_note b where b.id != a.id and (b.text = a.text or false))"
    )
)


def test_the_indexed_search_is_recognised_and_the_hidden_one_is_not() -> None:
    def inner(book: object) -> object:
        condition = book.rules[0].requirement.condition  # type: ignore[attr-defined]
        return condition.operand.query

    assert inner(INDEXED).key_attr == "text"
    assert inner(SCANNED).key_attr is None


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["甲", "乙", "丙", None]), max_size=8))
def test_looking_up_by_value_finds_what_testing_each_item_finds(texts: list[str | None]) -> None:
    notes = [
        doc("progress_note", T + dt.timedelta(hours=i), id=f"n{i}", text=text)
        for i, text in enumerate(texts)
    ]
    stay = build(episode(*notes, discharged_at=T + dt.timedelta(days=1)))
    as_of = T + dt.timedelta(days=2)
    indexed = [(o.status, o.evidence) for o in outcomes_of(INDEXED, stay, as_of)]
    scanned = [(o.status, o.evidence) for o in outcomes_of(SCANNED, stay, as_of)]
    assert indexed == scanned


# Subjects picked by a required value, and the same rule testing every note.
SUBJECTS_INDEXED = compile_text(
    rule_text(
        '  for each progress_note a where a.text = "甲"\n'
        "  require senior_round within 1d after a.written_at"
    )
)
SUBJECTS_SCANNED = compile_text(
    rule_text(
        '  for each progress_note a where (a.text = "甲" or false)\n'
        "  require senior_round within 1d after a.written_at"
    )
)


def test_a_subject_filter_on_a_value_is_recognised() -> None:
    assert SUBJECTS_INDEXED.rules[0].subject.key_attr == "text"
    assert SUBJECTS_SCANNED.rules[0].subject.key_attr is None


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(["甲", "乙", None]), max_size=8),
    st.lists(st.integers(min_value=0, max_value=40), max_size=3),
)
def test_subjects_looked_up_by_value_are_those_found_by_testing_each_in_the_same_order(
    texts: list[str | None], round_hours: list[int]
) -> None:
    notes = [
        doc("progress_note", T + dt.timedelta(hours=3 * i), id=f"n{i}", text=text)
        for i, text in enumerate(texts)
    ]
    rounds = [doc("senior_round", T + dt.timedelta(hours=h)) for h in round_hours]
    stay = build(episode(*notes, *rounds, discharged_at=T + dt.timedelta(days=3)))
    as_of = T + dt.timedelta(days=4)

    def seen(book: object) -> list[object]:
        found = outcomes_of(book, stay, as_of)  # type: ignore[arg-type]
        return [(o.subject, o.status, o.evidence) for o in found]

    assert seen(SUBJECTS_INDEXED) == seen(SUBJECTS_SCANNED)
