"""The engine's two shortcuts change no outcome: counting PASS and NA instead of building them
(`passing`), and computing an episode-invariant aggregate once per episode (`PerEpisode`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings

from emrlint.api import load_rules, run_settings
from emrlint.config import Config
from emrlint.model import Episode
from emrlint.outcomes import Outcome, Status
from emrlint.rules.engine import evaluate_episode
from emrlint.rules.invariant import PerEpisode, free_slots
from emrlint.rules.workdays import WorkdayCalendar
from emrlint.synth import generate
from tests.builders import TZ
from tests.rules.helpers import compile_text, rule_text
from tests.strategies import episodes

AS_OF = dt.datetime(2025, 12, 31, tzinfo=TZ)
RULES = load_rules(Config())
SETTINGS = run_settings(RULES, Config(), AS_OF)


def _both_ways(episode: Episode) -> tuple[list[Outcome], list[Outcome], Counter[tuple[str, str]]]:
    full = evaluate_episode(RULES.rules, episode, SETTINGS, WorkdayCalendar())
    passing: Counter[tuple[str, str]] = Counter()
    findings = evaluate_episode(RULES.rules, episode, SETTINGS, WorkdayCalendar(), None, passing)
    return full, findings, passing


def _assert_counting_loses_nothing(episode: Episode) -> None:
    full, findings, passing = _both_ways(episode)
    assert findings == [o for o in full if o.status not in (Status.PASS, Status.NA)]
    assert passing == Counter(
        (o.rule_id, o.status.value) for o in full if o.status in (Status.PASS, Status.NA)
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(episodes())
def test_counting_passes_keeps_every_finding_and_counts_the_rest(episode: Episode) -> None:
    _assert_counting_loses_nothing(episode)


@pytest.mark.parametrize("size", ["small", "typical"])
def test_counting_passes_on_synthetic_stays_with_defects(size: str) -> None:
    for episode in generate(12, seed=3, defect_rate=0.3, size=size):
        _assert_counting_loses_nothing(episode)


def _compiled_where(condition: str) -> object:
    book = compile_text(rule_text(f"  for each day d where {condition}\n  require that true"))
    return book.rules[0].subject.where


def test_an_aggregate_over_the_episode_is_computed_once_per_episode() -> None:
    where = _compiled_where("any(order o where o.drug_class = antibiotic)")
    assert isinstance(where, PerEpisode)
    assert free_slots(where.plan) == frozenset()


def test_an_aggregate_that_reads_the_subject_is_computed_for_each_subject() -> None:
    where = _compiled_where("any(progress_note n where n.written_at >= d.start)")
    assert not isinstance(where, PerEpisode)
    assert free_slots(where) == frozenset({0})


def test_equal_aggregates_in_different_rules_share_one_cache_entry() -> None:
    text = rule_text("  when any(order o where o.is_cancelled)\n  require that true")
    text += text.replace("X-1-test", "X-2-test")
    first, second = (rule.whens[0] for rule in compile_text(text).rules)
    assert isinstance(first, PerEpisode) and first.key == second.key


def test_a_shared_aggregate_is_named_without_memory_addresses() -> None:
    # a computed field (`age`) is a function: its name, not its address, goes into the key,
    # so keys mean the same in every process (compiled rules are cached and sent to workers)
    where = _compiled_where("any(diagnosis x where age >= 65)")
    assert isinstance(where, PerEpisode)
    assert "0x" not in where.key and "emrlint.rules.stay._age" in where.key
