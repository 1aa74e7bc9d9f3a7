"""Smaller constructs of the language, each pinned on a rule that uses it."""

from __future__ import annotations

import datetime as dt

import pytest

from emrlint.rules.template import TemplateError, split_template
from tests.builders import T, build, doc, episode, procedure
from tests.rules.helpers import compile_text, outcomes_of, rule_text, statuses

H = dt.timedelta(hours=1)


def test_template_keeps_operators_and_escaped_braces() -> None:
    assert split_template("{p.level != 4} {{x}} end") == [("", "p.level != 4"), (" {x} end", None)]
    with pytest.raises(TemplateError):
        split_template("{unclosed")


def test_same_day_window_ends_at_local_midnight() -> None:
    book = compile_text(rule_text("  require discharge_note on the day of discharge"))
    ep = build(episode(doc("discharge_note", T.replace(hour=23, minute=59)), discharged_at=T))
    late = build(
        episode(
            doc(
                "discharge_note",
                T.replace(hour=23, minute=59) + 2 * 60 * 60 * dt.timedelta(seconds=1),
            ),
            discharged_at=T,
        )
    )
    assert statuses(outcomes_of(book, ep, T + 48 * H)) == ["PASS"]
    assert statuses(outcomes_of(book, late, T + 48 * H)) == ["FAIL"]


def test_condition_with_deadline_is_pending_until_due() -> None:
    book = compile_text(
        rule_text("  for each procedure p\n  require that any(operative_note) due p.start + 24h")
    )
    ep = build(episode(procedure(id="p1", start=T)))
    assert statuses(outcomes_of(book, ep, T + 2 * H)) == ["PENDING"]
    assert statuses(outcomes_of(book, ep, T + 25 * H)) == ["FAIL"]
    done = build(episode(procedure(id="p1", start=T), doc("operative_note", T + H)))
    assert statuses(outcomes_of(book, done, T + 2 * H)) == ["PASS"]


def test_contains_matches_pieces_of_names_ignoring_case() -> None:
    book = compile_text(
        rule_text(
            '  for each procedure p where p.name contains ["ct", "MRI"]\n  require that p.level = 1'
        )
    )
    ep = build(episode(procedure(name="胸部CT引导下穿刺", level=1), procedure(name="换药")))
    assert statuses(outcomes_of(book, ep, T)) == ["PASS"]


def test_unbound_subject_in_a_message_does_not_break_the_run() -> None:
    book = compile_text(
        rule_text(
            "  when any(order o where o.drug_class = antineoplastic)\n"
            "  for each day d where d.is_first\n  require progress_records on d\n"
            '  message "{d.date}" / "{d.date}"'
        )
    )
    ep = build(episode(("orders", {"id": "o1", "category": "imaging"})))
    (outcome,) = outcomes_of(book, ep, T)
    assert outcome.status.value == "INDETERMINATE"
    assert outcome.message_zh == "测试"  # the title, since the subject is not bound
