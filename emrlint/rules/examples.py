"""Run the examples written beside each rule (`emrlint test`, and the test suite).

An example is a mini-episode that lists only what the rule reads; `build_example_episode` fills
the rest with defaults. Times are written relative to the anchor `T` (default Monday
2024-05-06 10:00 in the site timezone), so a boundary shows without arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from emrlint.model import Episode
from emrlint.model.vocabulary import Vocabulary
from emrlint.outcomes import Outcome, Status
from emrlint.parsers.problems import describe_validation_error
from emrlint.rules import nodes as n
from emrlint.rules.catalogue import ASSESSMENT_KINDS, COLLECTIONS
from emrlint.rules.compiler import CompiledRule, CompiledRulebook
from emrlint.rules.engine import RunSettings, evaluate_rule
from emrlint.rules.values import format_duration, format_value
from emrlint.rules.workdays import WorkdayCalendar

__all__ = ["DEFAULT_ANCHOR", "ExampleResult", "build_example_episode", "run_examples"]

EXAMPLE_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_ANCHOR = dt.datetime(2024, 5, 6, 10, 0, tzinfo=EXAMPLE_TZ)
_DEFAULT_ADMISSION = dt.timedelta(days=10)
_DEFAULT_AS_OF = dt.timedelta(days=30)


@dataclass(frozen=True, slots=True)
class ExampleResult:
    rule_id: str
    example: str
    passed: bool
    detail: str
    file: str
    line: int


class ExampleError(Exception):
    """The example itself is malformed (not the rule's fault)."""


def run_examples(
    books: Iterable[CompiledRulebook],
    vocabulary: Vocabulary,
    calendar: WorkdayCalendar | None = None,
    rule_filter: Iterable[str] | None = None,
) -> list[ExampleResult]:
    wanted = set(rule_filter) if rule_filter is not None else None
    results = []
    for book in books:
        defaults = {name: spec.default for name, spec in book.params.items()}
        for rule in book.rules:
            if wanted is not None and rule.id not in wanted:
                continue
            results.extend(run_rule_examples(rule, defaults, vocabulary, calendar))
    return results


def run_rule_examples(
    rule: CompiledRule,
    defaults: dict[str, Any],
    vocabulary: Vocabulary,
    calendar: WorkdayCalendar | None = None,
) -> list[ExampleResult]:
    results = []
    statuses = set()
    for example in rule.examples:
        try:
            outcomes = _run(rule, example, defaults, vocabulary, calendar)
            problems = _check(example, outcomes, _lets(example))
        except ExampleError as error:
            problems = [f"the example is malformed: {error}"]
        for expect in example.expects:
            statuses.add(expect.status)
        results.append(
            ExampleResult(
                rule.id,
                example.name,
                not problems,
                "; ".join(problems),
                example.span.file,
                example.span.line,
            )
        )
    missing = [s for s in ("PASS", "FAIL") if s not in statuses]
    if missing:
        results.append(
            ExampleResult(
                rule.id,
                "(coverage)",
                False,
                f"the rule needs at least one {' and one '.join(missing)} example",
                rule.source_file,
                rule.source_line,
            )
        )
    return results


def _run(
    rule: CompiledRule,
    example: n.Example,
    defaults: dict[str, Any],
    vocabulary: Vocabulary,
    calendar: WorkdayCalendar | None,
) -> list[Outcome]:
    lets = _lets(example)
    episode = build_example_episode(example, vocabulary, lets)
    as_of = _value(example.as_of, lets) if example.as_of is not None else lets["T"] + _DEFAULT_AS_OF
    if not isinstance(as_of, dt.datetime):
        raise ExampleError("as_of must be a date-time such as T + 3h")
    params = dict(defaults)
    for name, value, _ in example.params:
        if name not in params:
            raise ExampleError(f"`with {name}`: the rulebook declares no such parameter")
        params[name] = _value(value, lets)
    settings = RunSettings(as_of=as_of, tz=EXAMPLE_TZ, params=params, budget_seconds=None)
    return evaluate_rule(rule, episode, settings, calendar or WorkdayCalendar())


def _lets(example: n.Example) -> dict[str, Any]:
    lets: dict[str, Any] = {"T": DEFAULT_ANCHOR}
    for name, value, _ in example.lets:
        lets[name] = _value(value, lets)
    return lets


def build_example_episode(
    example: n.Example, vocabulary: Vocabulary, lets: dict[str, Any] | None = None
) -> Episode:
    lets = lets if lets is not None else _lets(example)
    anchor = lets["T"]
    data: dict[str, Any] = {
        "id": "example",
        "patient": {"id": "example-patient"},
        "admitted_at": (anchor - _DEFAULT_ADMISSION).isoformat(),
    }
    counters: dict[str, int] = {}
    for item in example.items:
        _add_item(data, item, lets, vocabulary, counters)
    try:
        return Episode.model_validate(data, context={"tz": EXAMPLE_TZ})
    except ValidationError as error:
        raise ExampleError(describe_validation_error(error)) from None


def _add_item(
    data: dict[str, Any],
    item: n.ExampleItem,
    lets: dict[str, Any],
    vocabulary: Vocabulary,
    counters: dict[str, int],
) -> None:
    fields = {name: _json(_value(value, lets)) for name, value, _ in item.fields}
    head = item.head
    if head == "episode":
        data.update(fields)
        return
    if head == "patient":
        data["patient"] = {**data["patient"], **fields}
        return
    if head == "condition":
        data.setdefault("condition_levels", []).append(fields)
        return
    if head == "care":
        data.setdefault("care_team", []).append(fields)
        return
    counters[head] = counters.get(head, 0) + 1
    fields.setdefault("id", item.name or f"{head}-{counters[head]}")
    if head in vocabulary.kinds:
        fields.setdefault("kind", head)
        head = "document"
    elif head in ASSESSMENT_KINDS:
        fields.setdefault("kind", head)
        head = "assessment"
    collection = COLLECTIONS.get(head)
    if collection is None or collection.list_attr is None:
        raise ExampleError(f"`{item.head}` is not an item an example can hold")
    if collection.event_type is not None:
        fields["type"] = collection.event_type
    data.setdefault(collection.list_attr, []).append(fields)


def _value(node: Any, lets: dict[str, Any]) -> Any:
    """Evaluate an example value: literals, let names, time ± duration, objects, lists."""
    if isinstance(node, n.Literal):
        if isinstance(node.value, dt.datetime) and node.value.tzinfo is None:
            return node.value.replace(tzinfo=EXAMPLE_TZ)
        return node.value
    if isinstance(node, n.Name):
        return lets.get(node.name, node.name)
    if isinstance(node, n.ObjectValue):
        return {name: _value(value, lets) for name, value, _ in node.fields}
    if isinstance(node, n.ListLiteral):
        return [_value(item, lets) for item in node.items]
    if isinstance(node, n.BinaryOp):
        left, right = _value(node.left, lets), _value(node.right, lets)
        try:
            return left + right if node.op == "+" else left - right
        except TypeError:
            raise ExampleError(f"cannot compute {left!r} {node.op} {right!r}") from None
    raise ExampleError("only literals, names, T ± durations, { } and [ ] may appear here")


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def _check(example: n.Example, outcomes: list[Outcome], lets: dict[str, Any]) -> list[str]:
    problems = []
    for expect in example.expects:
        if expect.subject is not None:
            chosen = [
                o
                for o in outcomes
                if o.subject.id in (expect.subject, expect.subject.replace("_", "-"))
            ]
            if not chosen:
                ids = ", ".join(o.subject.id for o in outcomes) or "none"
                problems.append(f"no outcome for subject `{expect.subject}` (subjects: {ids})")
                continue
        else:
            chosen = outcomes
        for outcome in chosen:
            if outcome.status != Status(expect.status):
                why = outcome.evidence.reason
                problems.append(
                    f"expected {expect.status}, got {outcome.status.value} for "
                    f"{outcome.subject.type} {outcome.subject.id}" + (f" ({why})" if why else "")
                )
            else:
                problems.extend(_check_evidence(expect, outcome, lets))
    return problems


def _check_evidence(expect: n.Expect, outcome: Outcome, lets: dict[str, Any]) -> list[str]:
    problems = []
    evidence = outcome.evidence
    for name, node, _ in expect.fields:
        wanted = _value(node, lets)
        if name == "deadline":
            actual: Any = evidence.deadline
            ok = actual is not None and _same_minute(actual, wanted)
        elif name == "margin":
            actual = evidence.margin
            ok = (
                actual is not None
                and isinstance(wanted, dt.timedelta)
                and format_duration(actual) == format_duration(wanted)
            )
            wanted, actual = (
                format_duration(wanted),
                format_duration(actual) if actual is not None else None,
            )
        elif name == "count":
            actual = evidence.count
            ok = actual == wanted
        elif name == "found":
            actual = [f.id for f in evidence.found] + [f.kind for f in evidence.found]
            ok = wanted in actual
        elif name == "nearest":
            actual = evidence.nearest.id if evidence.nearest else None
            ok = actual == wanted
        else:
            problems.append(
                f"unknown expectation `{name}` (deadline, margin, count, found, nearest)"
            )
            continue
        if not ok:
            problems.append(f"expected {name} {format_value(wanted)}, got {format_value(actual)}")
    return problems


def _same_minute(actual: dt.datetime, wanted: Any) -> bool:
    if not isinstance(wanted, dt.datetime):
        return False
    return abs(actual - wanted) < dt.timedelta(minutes=1)
