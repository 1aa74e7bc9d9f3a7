"""Compile a rule snippet and evaluate it, for engine tests that read like the rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from emrlint.model import Episode
from emrlint.model.vocabulary import default_vocabulary
from emrlint.outcomes import Outcome
from emrlint.rules.compiler import CompiledRulebook, compile_rulebook
from emrlint.rules.engine import RunSettings, evaluate_rule
from emrlint.rules.syntax import parse_rulebook
from emrlint.rules.workdays import WorkdayCalendar
from tests.builders import TZ

HEADER = 'severity major category timeliness tags X-1 cites "test"'


def compile_text(text: str, path: str = "test.rules") -> CompiledRulebook:
    return compile_rulebook(parse_rulebook(text, path), text, default_vocabulary())


def rule_text(body: str, params: str = "") -> str:
    return f'{params}\nrule X-1-test "测试" / "test"\n  {HEADER}\n{body}\n'


def outcomes_of(
    book: CompiledRulebook, episode: Episode, as_of: dt.datetime, **params: Any
) -> list[Outcome]:
    values = {name: spec.default for name, spec in book.params.items()} | params
    settings = RunSettings(as_of=as_of, tz=TZ, params=values, budget_seconds=None)
    calendar = WorkdayCalendar()
    return [o for rule in book.rules for o in evaluate_rule(rule, episode, settings, calendar)]


def statuses(outcomes: list[Outcome]) -> list[str]:
    return [o.status.value for o in outcomes]
