"""Evaluate compiled rules on one episode: one Outcome per (rule, subject).

`evaluate_episode` is a pure function of (rules, episode, settings): no clock (the caller gives
`as_of`), no I/O, no globals. An error inside a rule becomes that rule's INDETERMINATE outcome
with the reason, never a PASS; a rule past its time budget likewise.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any

from emrlint.model import CareRole, Episode
from emrlint.outcomes import Evidence, FoundItem, Outcome, Severity, Status, Subject
from emrlint.rules import plans as p
from emrlint.rules import queries as q
from emrlint.rules.compiler import CompiledRule, MessagePlan, RequirementPlan
from emrlint.rules.stay import stay_days, stay_weeks
from emrlint.rules.values import Missing, Range, format_value
from emrlint.rules.workdays import WorkdayCalendar

# Logs name rules and counts only, never episode content (docs/privacy.md).
log = logging.getLogger("emrlint.engine")

__all__ = ["RuleSet", "RuleStats", "RunSettings", "evaluate_episode", "evaluate_rule"]


@dataclass(frozen=True)
class RunSettings:
    as_of: dt.datetime
    tz: dt.tzinfo
    params: dict[str, Any]
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    budget_seconds: float | None = 2.0


@dataclass
class RuleStats:
    """Per-rule evaluation counts and time, for `--stats`. Owned by the caller."""

    calls: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, rule_id: str, seconds: float) -> None:
        self.calls[rule_id] = self.calls.get(rule_id, 0) + 1
        self.seconds[rule_id] = self.seconds.get(rule_id, 0.0) + seconds

    def merge(self, other: RuleStats) -> None:
        """Add the counts and times another process took (`--jobs`)."""
        for rule_id, calls in other.calls.items():
            self.calls[rule_id] = self.calls.get(rule_id, 0) + calls
            self.seconds[rule_id] = self.seconds.get(rule_id, 0.0) + other.seconds[rule_id]

    def slowest(self, count: int = 10) -> list[tuple[str, float, int]]:
        ranked = sorted(self.seconds.items(), key=lambda item: -item[1])[:count]
        return [(rule_id, seconds, self.calls[rule_id]) for rule_id, seconds in ranked]


@dataclass(frozen=True)
class RuleSet:
    """Rules grouped by id, every version kept; the version in force is chosen per episode."""

    versions: dict[str, tuple[CompiledRule, ...]]

    @classmethod
    def of(cls, rules: Iterable[CompiledRule]) -> RuleSet:
        grouped: dict[str, list[CompiledRule]] = {}
        for rule in rules:
            grouped.setdefault(rule.id, []).append(rule)
        return cls(
            {
                rule_id: tuple(sorted(group, key=lambda r: r.version))
                for rule_id, group in grouped.items()
            }
        )

    def __len__(self) -> int:
        return len(self.versions)

    @cached_property
    def ids(self) -> tuple[str, ...]:
        """Rule ids in the order outcomes are reported."""
        return tuple(sorted(self.versions))

    @cached_property
    def slot_count(self) -> int:
        """Slots enough for any rule: one evaluation context then serves every rule."""
        return max((r.slot_count for group in self.versions.values() for r in group), default=1)

    def in_force(self, rule_id: str, day: dt.date) -> CompiledRule | None:
        for rule in reversed(self.versions[rule_id]):
            if rule.valid_from is not None and day < rule.valid_from:
                continue
            if rule.valid_to is not None and day >= rule.valid_to:
                continue
            return rule
        return None

    def latest(self) -> list[CompiledRule]:
        return [group[-1] for group in self.versions.values()]


def evaluate_episode(
    rules: RuleSet,
    episode: Episode,
    settings: RunSettings,
    calendar: WorkdayCalendar,
    stats: RuleStats | None = None,
    passing: Counter[tuple[str, str]] | None = None,
) -> list[Outcome]:
    """Every applicable rule on one episode, in rule-id order.

    With `passing` given, PASS and NA outcomes are only counted there, by (rule id, status),
    and not returned: outputs that list findings need no more, and building several hundred
    outcomes per episode is a good part of the engine's work."""
    admitted = episode.admitted_at
    admitted_day = (
        admitted.astimezone(settings.tz).date() if isinstance(admitted, dt.datetime) else admitted
    )
    cache: dict[Any, Any] = {}
    ctx = _context(episode, settings, calendar, rules.slot_count, cache)
    outcomes: list[Outcome] = []
    for rule_id in rules.ids:
        rule = rules.in_force(rule_id, admitted_day)
        if rule is None:
            if passing is not None:
                passing[(rule_id, Status.NA.value)] += 1
                continue
            latest = rules.versions[rule_id][-1]
            outcomes.append(
                _outcome(
                    latest,
                    episode,
                    settings,
                    Status.NA,
                    _episode_subject(episode),
                    Evidence(reason="no version of this rule was in force at admission"),
                    None,
                    cache=cache,
                )
            )
            continue
        started = time.perf_counter()
        outcomes.extend(_run(rule, ctx, settings, passing))
        if stats is not None:
            stats.add(rule_id, time.perf_counter() - started)
    return outcomes


def evaluate_rule(
    rule: CompiledRule,
    episode: Episode,
    settings: RunSettings,
    calendar: WorkdayCalendar,
    cache: dict[Any, Any] | None = None,
    passing: Counter[tuple[str, str]] | None = None,
) -> list[Outcome]:
    """One rule's outcomes on one episode; with `passing`, as in `evaluate_episode`."""
    ctx = _context(episode, settings, calendar, rule.slot_count, cache if cache is not None else {})
    return _run(rule, ctx, settings, passing)


def _context(
    episode: Episode,
    settings: RunSettings,
    calendar: WorkdayCalendar,
    slot_count: int,
    cache: dict[Any, Any],
) -> p.EvalContext:
    """One episode's evaluation context. Rules share it: a rule reads a slot only after binding
    it, and its time budget is reset when it starts (`_run`)."""
    ctx = p.EvalContext(
        episode=episode,
        as_of=settings.as_of,
        tz=settings.tz,
        calendar=calendar,
        params=settings.params,
        slots=[None] * slot_count,
        cache=cache,
    )
    if settings.budget_seconds is not None:
        ctx.clock = time.perf_counter
    return ctx


def _run(
    rule: CompiledRule,
    ctx: p.EvalContext,
    settings: RunSettings,
    passing: Counter[tuple[str, str]] | None,
) -> list[Outcome]:
    if settings.budget_seconds is not None:
        ctx.budget_until = time.perf_counter() + settings.budget_seconds
    episode = ctx.episode
    try:
        return _evaluate(rule, ctx, settings, passing)
    except p.RuleBudgetExceeded:
        reason = f"the rule exceeded its time budget of {settings.budget_seconds}s"
        log.warning("rule %s exceeded its time budget on one episode", rule.id)
    except Exception as e:  # a fault in one rule must cost that rule only, never the run
        reason = f"the rule could not be evaluated: {type(e).__name__}"
        log.warning("rule %s failed with %s", rule.id, type(e).__name__)
    return [
        _outcome(
            rule,
            episode,
            settings,
            Status.INDETERMINATE,
            _episode_subject(episode),
            Evidence(reason=reason),
            ctx,
        )
    ]


def _evaluate(
    rule: CompiledRule,
    ctx: p.EvalContext,
    settings: RunSettings,
    passing: Counter[tuple[str, str]] | None,
) -> list[Outcome]:
    episode = ctx.episode
    for when in rule.whens:
        in_scope = when.evaluate(ctx)
        if isinstance(in_scope, Missing):
            return [
                _outcome(
                    rule,
                    episode,
                    settings,
                    Status.INDETERMINATE,
                    _episode_subject(episode),
                    Evidence(reason=in_scope.reason),
                    ctx,
                )
            ]
        if in_scope is False:
            if passing is not None:
                passing[(rule.id, Status.NA.value)] += 1
                return []
            return [
                _outcome(
                    rule,
                    episode,
                    settings,
                    Status.NA,
                    _episode_subject(episode),
                    Evidence(reason="the episode is out of the rule's scope"),
                    ctx,
                )
            ]
    subject_spec = rule.subject
    outcomes = []
    judged = False  # a subject was judged, so the rule has an outcome even if only counted
    for item in _subjects(subject_spec, ctx):
        ctx.check_budget()
        if subject_spec.slot is not None:
            ctx.slots[subject_spec.slot] = item
        selected = subject_spec.where.evaluate(ctx) if subject_spec.where is not None else True
        if selected is False:
            continue
        if isinstance(selected, Missing):
            subject = _subject_of(item, subject_spec, ctx)
            outcomes.append(
                _outcome(
                    rule,
                    episode,
                    settings,
                    Status.INDETERMINATE,
                    subject,
                    Evidence(reason=selected.reason),
                    ctx,
                    bound=True,
                )
            )
            continue
        status, evidence = _judge(rule.requirement, ctx, evidence_of_pass=passing is None)
        judged = True
        if passing is not None and status in _COUNTED:
            passing[(rule.id, status.value)] += 1
            continue
        subject = _subject_of(item, subject_spec, ctx)
        outcomes.append(
            _outcome(rule, episode, settings, status, subject, evidence, ctx, bound=True)
        )
    if not outcomes and not judged:
        if passing is not None:
            passing[(rule.id, Status.NA.value)] += 1
            return []
        reason = f"no {subject_spec.collection} in the rule's scope"
        outcomes.append(
            _outcome(
                rule,
                episode,
                settings,
                Status.NA,
                _episode_subject(episode),
                Evidence(reason=reason),
                ctx,
            )
        )
    return outcomes


def _subjects(spec: Any, ctx: p.EvalContext) -> Sequence[Any]:
    if spec.collection == "episode":
        return [ctx.episode]
    if spec.collection == "day":
        return stay_days(ctx)
    if spec.collection == "week":
        return stay_weeks(ctx)
    if spec.key_attr is not None:
        index_key = ("value-index", spec.list_attr, spec.event_type, spec.kinds, spec.key_attr)
        index = q.value_index(ctx, index_key, lambda c: _listed(spec, c), spec.key_attr)
        found = index.candidates(spec.key_value.evaluate(ctx)) if index is not None else None
        if found is not None:
            return found
    return _listed(spec, ctx)


def _listed(spec: Any, ctx: p.EvalContext) -> list[Any]:
    """The items of the subject's collection (and event type or record kinds), in order."""
    items = getattr(ctx.episode, spec.list_attr)
    if spec.event_type is not None:
        items = [i for i in items if i.type == spec.event_type]
    if spec.kinds is not None:
        items = [i for i in items if i.kind in spec.kinds]
    return items  # type: ignore[no-any-return]


# ---------------------------------------------------------------- judging

_COUNTED = (Status.PASS, Status.NA)  # what `passing` counts instead of building
_NO_EVIDENCE = Evidence()


def _judge(
    requirement: RequirementPlan, ctx: p.EvalContext, evidence_of_pass: bool = True
) -> tuple[Status, Evidence]:
    """`evidence_of_pass` False: a PASS (only counted) comes with empty evidence."""
    if requirement.mode == "that":
        return _judge_condition(requirement, ctx)
    return _judge_items(requirement, ctx, evidence_of_pass)


def _judge_condition(requirement: RequirementPlan, ctx: p.EvalContext) -> tuple[Status, Evidence]:
    """`require that C [due T]`. With a deadline, an unmet (or unknown) condition is PENDING
    until T; `forbid that C` fails as soon as C holds."""
    value = requirement.condition.evaluate(ctx)
    due = requirement.due.evaluate(ctx) if requirement.due is not None else None
    if isinstance(due, Missing):  # no deadline known: only a settled condition decides
        if value is True:
            return (Status.FAIL if requirement.negate else Status.PASS), Evidence()
        if ctx.episode.discharged_at is None:  # e.g. `due discharge` on a running record
            return Status.PENDING, Evidence(reason=due.reason)
        return Status.INDETERMINATE, Evidence(reason=due.reason)
    deadline = due.hi if due is not None else None
    good = Status.PASS
    bad = Status.FAIL
    if requirement.negate:  # forbid that C: C true is the violation, final at once
        if value is True:
            return bad, Evidence(deadline=deadline)
        done = value is False
    else:
        if value is True:
            return good, Evidence(deadline=deadline)
        done = False
    if deadline is not None and ctx.as_of <= deadline:
        return Status.PENDING, Evidence(deadline=deadline)
    if isinstance(value, Missing):
        return Status.INDETERMINATE, Evidence(deadline=deadline, reason=value.reason)
    return (good if done else bad), Evidence(deadline=deadline)


def _judge_items(
    requirement: RequirementPlan, ctx: p.EvalContext, evidence_of_pass: bool
) -> tuple[Status, Evidence]:
    query = requirement.query
    amount = requirement.amount.evaluate(ctx)
    if isinstance(amount, Missing):
        return Status.INDETERMINATE, Evidence(searched=requirement.searched, reason=amount.reason)
    matches = query.run(ctx)
    if isinstance(matches, Missing):
        return Status.INDETERMINATE, Evidence(searched=requirement.searched, reason=matches.reason)
    window = matches.window
    low = len(matches.yes)
    high = low + len(matches.maybe)
    closed = window.is_closed(ctx.as_of) if window is not None else False
    mode = requirement.quantity_mode
    need = int(amount)
    status = _status(mode, need, low, high, closed)
    if status == Status.PASS and not evidence_of_pass:
        return status, _NO_EVIDENCE
    # a PASS shows the items that satisfied it; anything else shows all certain matches
    # (for `at most`, the offending ones)
    satisfied = mode == "at_least" and status == Status.PASS
    found_items = matches.yes[:need] if satisfied else matches.yes
    found = tuple(_found(item, moment, query.label) for item, moment in found_items)
    nearest = None
    margin = None
    deadline = window.deadline if window is not None else None
    if status == Status.PASS and mode == "at_least" and deadline is not None and found_items:
        last_moment = found_items[-1][1]
        if last_moment is not None:
            margin = _whole_seconds(last_moment.lo - deadline.lo)
    if status == Status.FAIL and mode == "at_least" and matches.late:
        late_item, late_moment = matches.late[0]
        nearest = _found(late_item, late_moment, query.label)
        if deadline is not None:
            margin = max(_whole_seconds(late_moment.lo - deadline.hi), _ONE_SECOND)
    reason = matches.maybe[0][1] if status == Status.INDETERMINATE and matches.maybe else None
    evidence = Evidence(
        window_start=window.start.lo if window is not None and window.start else None,
        window_end=window.end.hi if window is not None and window.end else None,
        deadline=deadline.hi if deadline is not None else None,
        searched=requirement.searched,
        found=found,
        nearest=nearest,
        margin=margin,
        count=low,
        required=_required_words(mode, need),
        reason=reason,
    )
    return status, evidence


def _status(mode: str, need: int, low: int, high: int, closed: bool) -> Status:
    if mode == "at_least":
        if low >= need:
            return Status.PASS
        if not closed:
            return Status.PENDING
        return Status.INDETERMINATE if high >= need else Status.FAIL
    if mode == "at_most":
        if low > need:
            return Status.FAIL
        if not closed:
            return Status.PENDING
        return Status.INDETERMINATE if high > need else Status.PASS
    if low > need:
        return Status.FAIL
    if not closed:
        return Status.PENDING
    if low == high == need:
        return Status.PASS
    return Status.FAIL if high < need else Status.INDETERMINATE


def _whole_seconds(margin: dt.timedelta) -> dt.timedelta:
    """A margin to the nearest second. A deadline at the end of a day is its last microsecond
    (23:59:59.999999, so the day is inclusive); measured from it, a note at 10:00 would be
    "36d10h1min" late instead of 36d10h, and margin_minutes would read 52440.00000001666.
    A late item is late by at least a second (a note at 00:00 after such a deadline), which
    reads as "1min" late."""
    return dt.timedelta(seconds=round(margin.total_seconds()))


_ONE_SECOND = dt.timedelta(seconds=1)


def _required_words(mode: str, need: int) -> str:
    return {"at_least": f">= {need}", "at_most": f"<= {need}", "exactly": f"= {need}"}[mode]


def _found(item: Any, moment: Range | None, label: str) -> FoundItem:
    return FoundItem(
        type=label,
        id=q.item_key(item),
        kind=getattr(item, "kind", None),
        time=moment.lo if moment is not None else None,
    )


# ---------------------------------------------------------------- outcome assembly


def _episode_subject(episode: Episode) -> Subject:
    return Subject("episode", episode.id)


def _subject_of(item: Any, spec: Any, ctx: p.EvalContext) -> Subject:
    if spec.collection == "episode":
        return _episode_subject(ctx.episode)
    if spec.collection in ("day", "week"):
        label = item.date.isoformat() if spec.collection == "day" else f"week {item.index}"
        return Subject(spec.collection, item.id, label, item.start)
    label = getattr(item, spec.label_attr, None) if spec.label_attr else None
    moment = getattr(item, spec.time_attr, None) if spec.time_attr else None
    item_id = getattr(item, "id", None)
    if item_id is None:  # condition changes have no id: name them by their time
        item_id = f"{spec.collection}@{moment.isoformat() if moment is not None else '?'}"
    text = str(label.value if isinstance(label, Enum) else label) if label is not None else None
    return Subject(spec.collection, str(item_id), text, moment)


def _outcome(
    rule: CompiledRule,
    episode: Episode,
    settings: RunSettings,
    status: Status,
    subject: Subject,
    evidence: Evidence,
    ctx: p.EvalContext | None,
    bound: bool = False,
    cache: dict[Any, Any] | None = None,
) -> Outcome:
    """`bound`: the rule's subject is in its slot, so the message may name it; otherwise only
    a rule without `for each` renders its message (its placeholders name the episode only).
    `cache` is the episode's evaluation cache, for an outcome given without a context."""
    message_zh = message_en = ""
    renderable = ctx is not None and (bound or rule.subject.collection == "episode")
    if status not in (Status.PASS, Status.NA) and renderable:
        message_zh = _render(rule.message_zh, ctx, "zh") if rule.message_zh else rule.title_zh
        message_en = _render(rule.message_en, ctx, "en") if rule.message_en else rule.title_en
    elif status not in (Status.PASS, Status.NA):
        message_zh, message_en = rule.title_zh, rule.title_en
    moment = subject.time if isinstance(subject.time, dt.datetime) else None
    department, attending = _responsible(episode, moment, ctx.cache if ctx is not None else cache)
    return Outcome(
        rule_id=rule.id,
        rule_version=rule.version,
        status=status,
        severity=settings.severity_overrides.get(rule.id, rule.severity),
        episode_id=episode.id,
        subject=subject,
        message_zh=message_zh,
        message_en=message_en,
        tags=rule.tags,
        citation=rule.citation,
        category=rule.category,
        evidence=evidence,
        department=department,
        attending=attending,
        patient_id=episode.patient.id,
    )


def _render(message: MessagePlan, ctx: p.EvalContext, lang: str) -> str:
    values = dict(message.placeholders)
    parts = []
    for literal, field_text in message.parts:
        parts.append(literal)
        if field_text:
            plan = values.get(field_text)
            parts.append(_placeholder(plan, ctx, lang))
    return "".join(parts)


def _placeholder(plan: Any, ctx: p.EvalContext, lang: str) -> str:
    if plan is None:
        return "?"
    try:
        return format_value(plan.evaluate(ctx), lang)
    except Exception:  # a message must never fail an outcome: show the gap instead
        return "?"


def _responsible(
    episode: Episode, moment: dt.datetime | None, cache: dict[Any, Any] | None
) -> tuple[str | None, str | None]:
    """(department, attending) at `moment`; kept per moment in the episode's evaluation cache,
    since most of an episode's outcomes ask about the same few moments."""
    if cache is None:
        return department_at(episode, moment), attending_at(episode, moment)
    key = ("responsible", moment)
    answer = cache.get(key)
    if answer is None:
        answer = (department_at(episode, moment, cache), attending_at(episode, moment, cache))
        cache[key] = answer
    return answer  # type: ignore[no-any-return]


def department_at(
    episode: Episode, moment: dt.datetime | None, cache: dict[Any, Any] | None = None
) -> str | None:
    """The department responsible at `moment` (the last transfer before it), or at discharge.
    The sorted transfers are kept in the episode's evaluation `cache`: every outcome asks."""
    timeline = cache.get("department-timeline") if cache is not None else None
    if timeline is None:
        timeline = [
            (_sort_time(t.at), t.to_department)
            for t in sorted(episode.transfers, key=lambda t: _sort_time(t.at))
        ]
        if cache is not None:
            cache["department-timeline"] = timeline
    department = episode.department
    for at, to_department in timeline:
        if moment is None or at <= moment:
            department = to_department
    return department


def attending_at(
    episode: Episode, moment: dt.datetime | None, cache: dict[Any, Any] | None = None
) -> str | None:
    """The attending physician's staff id (never a name) responsible at `moment`."""
    timeline = cache.get("attending-timeline") if cache is not None else None
    if timeline is None:
        attendings = [a for a in episode.care_team if a.role == CareRole.attending]
        attendings.sort(
            key=lambda a: (_sort_time(a.start) if a.start else _EARLIEST, a.clinician.id or "")
        )
        timeline = [(_sort_time(a.start) if a.start else None, a.clinician.id) for a in attendings]
        if cache is not None:
            cache["attending-timeline"] = timeline
    chosen = None
    for start, clinician_id in timeline:
        if start is None or moment is None or start <= moment:
            chosen = clinician_id
    return chosen


_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def _sort_time(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
