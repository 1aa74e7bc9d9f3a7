"""Compiling expressions, queries and time windows of the rule language: name resolution
(variables, parameters, definitions, model fields, record kinds, enum symbols), type checking
against the model catalogue, and plan objects. `compiler.py` builds rules on top of this.

Errors are collected, never raised here, each with a position and a "did you mean".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from emrlint.diagnostics import Diagnostic, Span, did_you_mean
from emrlint.model.vocabulary import Vocabulary
from emrlint.rules import nodes as n
from emrlint.rules import plans as p
from emrlint.rules import queries as q
from emrlint.rules.catalogue import (
    ANY,
    ASSESSMENT_KINDS,
    BOOL,
    COLLECTIONS,
    DURATION,
    NUMBER,
    TEXT,
    TIME,
    WORKDAYS,
    Collection,
    EnumType,
    ItemType,
    ListType,
    Type,
    episode_time_fields,
    fields_of,
)
from emrlint.rules.invariant import per_episode
from emrlint.rules.stay import EPISODE_FIELDS

__all__ = [
    "DOC_KIND",
    "ExpressionCompiler",
    "ParamSpec",
    "Scope",
    "expr_text",
    "literal_value",
    "span_of",
    "type_of_value",
]

DOC_KIND = Type("record kind")
ASSESSMENT_KIND = Type("assessment kind")
_INTERVAL_TYPES = ("day", "week", "interval")
# Fields a message may not show: outputs must stay free of names, identifiers and free text
# (docs/privacy.md). The episode id and patient id travel in their own, pseudonymisable fields.
PRIVATE_FIELDS = {
    ("patient", "name"),
    ("patient", "id"),
    ("episode", "id"),
    ("document", "text"),
    ("clinician", "name"),
}


@dataclass(frozen=True, slots=True)
class ParamSpec:
    name: str
    default: Any
    type: Any
    description: str | None
    rulebook: str


@dataclass
class Scope:
    variables: dict[str, tuple[int, Any]] = field(default_factory=dict)
    next_slot: int = 0
    max_slot: int = 0
    params_used: set[str] = field(default_factory=set)

    def bind(self, name: str, value_type: Any) -> int:
        slot = self.next_slot
        self.variables[name] = (slot, value_type)
        self.next_slot += 1
        self.max_slot = max(self.max_slot, self.next_slot)
        return slot

    def child(self) -> Scope:
        return Scope(dict(self.variables), self.next_slot, self.max_slot, self.params_used)

    def absorb(self, child: Scope) -> None:
        self.max_slot = max(self.max_slot, child.max_slot)


class ExpressionCompiler:
    """Shared state of one rulebook's compilation and the expression half of it."""

    def __init__(self, vocabulary: Vocabulary, lines: list[str]) -> None:
        self.vocabulary = vocabulary
        self.lines = lines
        self.errors: list[Diagnostic] = []
        self.params: dict[str, ParamSpec] = {}
        self.defines: dict[str, tuple[Any, Any]] = {}
        self.define_nodes: dict[str, n.Expr] = {}
        self.kind_groups = vocabulary.groups
        self.in_message = False

    # -------------------------------------------------------------- errors
    def error(
        self,
        code: str,
        slug: str,
        message: str,
        span: Span | None,
        help: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        if suggestion and help is None:
            help = f"did you mean `{suggestion}`?"
        source_line = None
        if span is not None and 0 < span.line <= len(self.lines):
            source_line = self.lines[span.line - 1]
        self.errors.append(Diagnostic(code, slug, message, span, help, source_line, suggestion))

    # -------------------------------------------------------------- file

    def collection_for(
        self, names: Iterable[tuple[str, Span]]
    ) -> tuple[Collection, frozenset[str] | None] | None:
        """Resolve what `for each` or a finder ranges over."""
        collections: set[str] = set()
        kinds: set[str] = set()
        assessment_kinds: set[str] = set()
        for name, span in names:
            if name in COLLECTIONS:
                collections.add(name)
            elif name in self.vocabulary.kinds:
                kinds.add(name)
            elif name in self.kind_groups:
                kinds.update(self.kind_groups[name])
            elif name in self.defines and self.defines[name][1] == ListType(DOC_KIND):
                kinds.update(self.defines[name][0].value)
            elif name in ASSESSMENT_KINDS:
                assessment_kinds.add(name)
            elif name in episode_time_fields() and len(list(names)) == 1:
                # `require archived_at within 2 workdays after discharge`: the episode is the
                # item, present when the field is; its time is the field.
                return Collection(name, None, "episode", name), None
            else:
                choices = [
                    *COLLECTIONS,
                    *episode_time_fields(),
                    *self.vocabulary.kinds,
                    *self.kind_groups,
                    *ASSESSMENT_KINDS,
                ]
                zh = {info.zh: info.name for info in self.vocabulary.kinds.values()}
                suggestion = did_you_mean(name, choices) or zh.get(name)
                self.error(
                    "E103",
                    "unknown-kind",
                    f"`{name}` is not a record kind or collection",
                    span,
                    suggestion=suggestion,
                    help=None if suggestion else "`emrlint kinds` lists the record kinds",
                )
                return None
        if sum(bool(x) for x in (collections, kinds, assessment_kinds)) > 1 or len(collections) > 1:
            self.error(
                "E104",
                "mixed-kinds",
                "a list may not mix collections and kinds",
                next(iter(names))[1],
            )
            return None
        if collections:
            return COLLECTIONS[collections.pop()], None
        if kinds:
            return COLLECTIONS["document"], frozenset(kinds)
        return COLLECTIONS["assessment"], frozenset(assessment_kinds)

    # -------------------------------------------------------------- requirements

    def finder_query(
        self, finder: n.Finder, temporal: n.Temporal | None, scope: Scope, always: bool = False
    ) -> tuple[q.EpisodeQuery | None, tuple[str, ...]]:
        """A query over an episode collection; `always` gives an unwindowed requirement the
        whole record as its window, due at discharge."""
        resolved = self.collection_for(finder.kinds)
        if resolved is None:
            return None, ()
        collection, kinds = resolved
        if collection.name in ("day", "week"):
            self.error(
                "E105",
                "bad-subject",
                f"`{collection.name}` can only follow `for each`",
                finder.span,
            )
            return None, ()
        window = self.window(temporal, scope) if temporal is not None else None
        if window is None and always:
            window = q.WindowPlan("always", None)
        inner = scope.child()
        slot = inner.bind(finder.binding or f"_{collection.name}", ItemType(collection.item_type))
        where = self.condition(finder.where, inner) if finder.where is not None else None
        scope.absorb(inner)
        time_attr = collection.time_attr
        if finder.timed_by is not None:
            name, span = finder.timed_by
            fields = fields_of(collection.item_type)
            if name not in fields or fields[name].type != TIME:
                times = [f for f, info in fields.items() if info.type == TIME]
                self.error(
                    "E102",
                    "unknown-field",
                    f"{collection.item_type} has no time `{name}`",
                    span,
                    suggestion=did_you_mean(name, times),
                )
            time_attr = name
        label = collection.item_type
        searched = tuple(sorted(kinds)) if kinds else (collection.name,)
        query = q.EpisodeQuery(
            collection.list_attr,
            collection.event_type,
            kinds,
            slot,
            where,
            window,
            time_attr,
            label,
        )
        return query, searched

    def window(self, temporal: n.Temporal, scope: Scope) -> q.WindowPlan:
        anchor_plan, anchor_type = self.expr(temporal.anchor, scope)  # type: ignore[arg-type]
        if temporal.kind == "during":
            if not (isinstance(anchor_type, ItemType) and anchor_type.name in _INTERVAL_TYPES):
                self.error(
                    "E106",
                    "type-mismatch",
                    f"`during`/`on` needs a day, a week or `stay`, not {anchor_type}",
                    temporal.span,
                )
            return q.WindowPlan("during", anchor_plan)
        self.expect_type(anchor_type, TIME, temporal.span)
        duration_plan = until_plan = None
        if temporal.duration is not None:
            duration_plan, duration_type = self.expr(temporal.duration, scope)
            if duration_type not in (DURATION, WORKDAYS, ANY):
                self.error(
                    "E106",
                    "type-mismatch",
                    f"expected a duration such as 6h or 5 workdays, not {duration_type}",
                    span_of(temporal.duration),
                )
        if temporal.until is not None:
            until_plan, until_type = self.expr(temporal.until, scope)
            self.expect_type(until_type, TIME, span_of(temporal.until))
        return q.WindowPlan(temporal.kind, anchor_plan, duration_plan, until_plan)

    def condition(self, node: n.Expr, scope: Scope) -> Any:
        plan, value_type = self.expr(node, scope)
        self.expect_type(value_type, BOOL, span_of(node))
        return plan

    def expect_type(self, actual: Any, expected: Any, span: Span | None) -> None:
        if actual in (expected, ANY):
            return
        self.error(
            "E106",
            "type-mismatch",
            f"expected {_type_word(expected)}, found {_type_word(actual)}",
            span,
        )

    def expr(self, node: Any, scope: Scope, hint: Any = None) -> tuple[Any, Any]:
        method = getattr(self, f"expr_{type(node).__name__}")
        return method(node, scope, hint)  # type: ignore[no-any-return]

    def expr_Literal(self, node: n.Literal, scope: Scope, hint: Any) -> tuple[Any, Any]:
        value = node.value
        if isinstance(value, str) and hint in (DOC_KIND, ASSESSMENT_KIND):
            self.check_kind_symbol(value, hint, node.span)
        if isinstance(value, dt.datetime | dt.date):
            return p.TimeConst(value), TIME
        return p.Const(value), type_of_value(value)

    def expr_ListLiteral(self, node: n.ListLiteral, scope: Scope, hint: Any) -> tuple[Any, Any]:
        element_hint = hint.element if isinstance(hint, ListType) else hint
        plans = []
        element_type: Any = ANY
        for item in node.items:
            plan, item_type = self.expr(item, scope, element_hint)
            plans.append(plan)
            element_type = item_type if element_type is ANY else element_type
        if all(isinstance(plan, p.Const) for plan in plans):
            return p.Const(tuple(plan.value for plan in plans)), ListType(element_type)
        return p.ListOf(tuple(plans)), ListType(element_type)

    def expr_ObjectValue(self, node: n.ObjectValue, scope: Scope, hint: Any) -> tuple[Any, Any]:
        self.error(
            "E106", "type-mismatch", "an object { … } is only allowed in examples", node.span
        )
        return p.Const(None), ANY

    def expr_Name(self, node: n.Name, scope: Scope, hint: Any) -> tuple[Any, Any]:
        name = node.name
        if name in scope.variables:
            slot, value_type = scope.variables[name]
            return p.Slot(slot), value_type
        if name in self.params:
            scope.params_used.add(name)
            spec = self.params[name]
            if isinstance(hint, EnumType) and spec.type == TEXT:
                # `o.author.rank >= hx_min_rank` with `param hx_min_rank = attending`
                if _enum_member(hint.enum, str(spec.default)) is None:
                    self.error(
                        "E111",
                        "bad-parameter",
                        f"parameter `{name}` = {spec.default} is not {hint}",
                        node.span,
                    )
                return p.AsEnum(p.ParamRef(name), hint.enum, name), hint
            return p.ParamRef(name), spec.type
        if name in self.defines:
            return self.use_define(name, scope)
        if isinstance(hint, EnumType):
            member = _enum_member(hint.enum, name)
            if member is not None:
                return p.Const(member), hint
        if hint in (DOC_KIND, ASSESSMENT_KIND):
            self.check_kind_symbol(name, hint, node.span)
            return p.Const(name), hint
        episode_fields = fields_of("episode")
        if name in episode_fields:
            return self.field_plan(p.EpisodeRef(), "episode", name, episode_fields[name], node.span)
        candidates = [*scope.variables, *self.params, *self.defines, *episode_fields]
        if isinstance(hint, EnumType):
            candidates += [str(e.value) for e in hint.enum]
        self.error(
            "E101",
            "unknown-name",
            f"unknown name `{name}`",
            node.span,
            suggestion=did_you_mean(name, candidates),
            help=None
            if did_you_mean(name, candidates)
            else f"expected {hint}"
            if isinstance(hint, EnumType)
            else None,
        )
        return p.Const(None), ANY

    def use_define(self, name: str, scope: Scope) -> tuple[Any, Any]:
        """Compile a definition where it is used, so that the slots its queries bind continue
        after the rule's own (a definition compiled once would share slot 0 with the rule's
        subject). Its errors were reported once, where it is defined."""
        node = self.define_nodes.get(name)
        if node is None:  # a kind list: a constant
            return self.defines[name]
        inner = Scope({}, scope.next_slot, scope.max_slot, scope.params_used)
        errors = len(self.errors)
        plan, value_type = self.expr(node, inner)
        del self.errors[errors:]
        scope.absorb(inner)
        return plan, value_type

    def check_kind_symbol(self, name: str, hint: Any, span: Span) -> None:
        known = list(self.vocabulary.kinds) if hint == DOC_KIND else list(ASSESSMENT_KINDS)
        if name not in known:
            self.error(
                "E103",
                "unknown-kind",
                f"`{name}` is not a known {hint}",
                span,
                suggestion=did_you_mean(name, known),
            )

    def expr_FieldAccess(self, node: n.FieldAccess, scope: Scope, hint: Any) -> tuple[Any, Any]:
        target_plan, target_type = self.expr(node.target, scope)
        is_list = isinstance(target_type, ListType)
        item_type = target_type.element if is_list else target_type
        if target_type is ANY:
            return p.Const(None), ANY
        if not isinstance(item_type, ItemType):
            self.error(
                "E102", "unknown-field", f"{_type_word(target_type)} has no fields", node.span
            )
            return p.Const(None), ANY
        fields = fields_of(item_type.name)
        info = fields.get(node.field)
        if info is None:
            self.error(
                "E102",
                "unknown-field",
                f"{item_type.name} has no field `{node.field}`",
                node.span,
                suggestion=did_you_mean(node.field, fields),
            )
            return p.Const(None), ANY
        plan, value_type = self.field_plan(target_plan, item_type.name, node.field, info, node.span)
        if is_list:
            value_type = value_type if isinstance(value_type, ListType) else ListType(value_type)
        return plan, value_type

    def field_plan(
        self, target: Any, item_type: str, name: str, info: Any, span: Span | None = None
    ) -> tuple[Any, Any]:
        if self.in_message and (item_type, name) in PRIVATE_FIELDS:
            self.error(
                "E114",
                "private-field",
                f"a message may not show {item_type}.{name}",
                span,
                help="names, identifiers and free text never go into outputs",
            )
        value_type = info.type
        if (item_type, name) == ("document", "kind"):
            value_type = DOC_KIND
        elif (item_type, name) == ("assessment", "kind"):
            value_type = ASSESSMENT_KIND
        label = f"{item_type}.{name}"
        if info.attr is None and item_type == "episode":
            return p.Computed(target, EPISODE_FIELDS[name], name), value_type
        attr = info.attr or name
        return p.FieldGet(target, attr, value_type == TIME, label), value_type

    def expr_BinaryOp(self, node: n.BinaryOp, scope: Scope, hint: Any) -> tuple[Any, Any]:
        left, left_type = self.expr(node.left, scope)
        right, right_type = self.expr(node.right, scope)
        result = _arithmetic_type(node.op, left_type, right_type)
        if result is None:
            self.error(
                "E106",
                "type-mismatch",
                f"cannot compute {_type_word(left_type)} {node.op} {_type_word(right_type)}",
                node.span,
            )
            result = ANY
        return p.Arithmetic(node.op, left, right), result

    def expr_Compare(self, node: n.Compare, scope: Scope, hint: Any) -> tuple[Any, Any]:
        left, left_type = self.expr(node.left, scope)
        right, right_type = self.expr(node.right, scope, left_type)
        if isinstance(node.left, n.Name) and left_type is ANY and right_type is not ANY:
            left, left_type = self.expr(node.left, scope, right_type)
        if not _comparable(left_type, right_type):
            self.error(
                "E106",
                "type-mismatch",
                f"cannot compare {_type_word(left_type)} with {_type_word(right_type)}",
                node.span,
            )
        return p.CompareOp(node.op, left, right), BOOL

    def expr_Membership(self, node: n.Membership, scope: Scope, hint: Any) -> tuple[Any, Any]:
        value, value_type = self.expr(node.value, scope)
        if node.op == "contains":
            return self.contains(node, value, value_type, scope)
        collection, collection_type = self.expr(node.collection, scope, ListType(value_type))
        if node.op == "matches":
            if value_type not in (TEXT, ANY):
                self.error("E106", "type-mismatch", "`matches` needs a code (text)", node.span)
            return p.CodeMatch(value, collection), BOOL
        if not isinstance(collection_type, ListType) and collection_type is not ANY:
            self.error(
                "E106",
                "type-mismatch",
                f"`in` needs a list, found {_type_word(collection_type)}",
                span_of(node.collection),
            )
        return p.Membership(value, collection, node.op == "not in"), BOOL

    def contains(
        self, node: n.Membership, value: Any, value_type: Any, scope: Scope
    ) -> tuple[Any, Any]:
        """`name contains "CT"`: a text holds a piece, or (a list) any of the pieces."""
        part, part_type = self.expr(node.collection, scope)
        if value_type not in (TEXT, ANY) or part_type not in (TEXT, ListType(TEXT), ANY):
            self.error(
                "E106",
                "type-mismatch",
                '`contains` compares texts: name contains "CT" or name contains ["CT", "MRI"]',
                node.span,
            )
        return p.TextContains(value, part), BOOL

    def expr_PresenceTest(self, node: n.PresenceTest, scope: Scope, hint: Any) -> tuple[Any, Any]:
        value, _ = self.expr(node.value, scope)
        return p.Presence(value, node.is_present), BOOL

    def expr_ExactTest(self, node: n.ExactTest, scope: Scope, hint: Any) -> tuple[Any, Any]:
        value, value_type = self.expr(node.value, scope)
        self.expect_type(value_type, TIME, node.span)
        return p.Exactness(value), BOOL

    def expr_BoolOp(self, node: n.BoolOp, scope: Scope, hint: Any) -> tuple[Any, Any]:
        operands = tuple(self.condition(operand, scope) for operand in node.operands)
        return (p.AndOp(operands) if node.op == "and" else p.OrOp(operands)), BOOL

    def expr_Not(self, node: n.Not, scope: Scope, hint: Any) -> tuple[Any, Any]:
        return p.NotOp(self.condition(node.operand, scope)), BOOL

    def expr_Conditional(self, node: n.Conditional, scope: Scope, hint: Any) -> tuple[Any, Any]:
        condition = self.condition(node.condition, scope)
        then, then_type = self.expr(node.then, scope, hint)
        otherwise, otherwise_type = self.expr(node.otherwise, scope, hint)
        if not _comparable(then_type, otherwise_type):
            self.error("E106", "type-mismatch", "both branches must have the same type", node.span)
        return p.Conditional(condition, then, otherwise), then_type

    def expr_Aggregate(self, node: n.Aggregate, scope: Scope, hint: Any) -> tuple[Any, Any]:
        if node.function == "count_distinct":
            value, _ = self.expr(node.argument, scope)
            return q.CountDistinct(value), NUMBER
        inner = scope.child()
        query, item_type = self.query(node.argument, inner)
        scope.absorb(inner)
        if query is None:
            return p.Const(None), ANY
        if node.function == "count":
            return per_episode(q.Count(query)), NUMBER
        if node.function == "any":
            return per_episode(q.AnyOf(query)), BOOL
        if node.function == "all":
            if not isinstance(query, q.ListQuery):
                self.error(
                    "E106",
                    "type-mismatch",
                    "`all` ranges over a list: all(x in ... where ...)",
                    node.span,
                )
            return per_episode(q.AllOf(query)), BOOL
        first_or_last = q.FirstOrLast(query, node.function == "last", str(item_type))
        return per_episode(first_or_last), item_type

    def query(self, node: Any, scope: Scope) -> tuple[Any, Any]:
        if isinstance(node, n.ListQuery):
            source, source_type = self.expr(node.source, scope)
            if not isinstance(source_type, ListType):
                if source_type is not ANY:
                    self.error(
                        "E106",
                        "type-mismatch",
                        f"`in` needs a list, found {_type_word(source_type)}",
                        span_of(node.source),
                    )
                return None, ANY
            slot = scope.bind(node.binding, source_type.element)
            where = self.condition(node.where, scope) if node.where is not None else None
            return q.ListQuery(source, slot, where), source_type.element
        query, _ = self.finder_query(node.finder, node.temporal, scope)
        if query is None:
            return None, ANY
        return query, ItemType(query.label)


# ---------------------------------------------------------------- helpers


def literal_value(node: Any) -> Any:
    """The Python value of a literal node (parameter defaults, config values), else None."""
    if isinstance(node, n.Literal):
        return node.value
    if isinstance(node, n.Name):
        return node.name
    if isinstance(node, n.ListLiteral):
        values = [literal_value(item) for item in node.items]
        return None if any(v is None for v in values) else tuple(values)
    return None


def type_of_value(value: Any) -> Any:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUMBER
    if isinstance(value, dt.timedelta):
        return DURATION
    if isinstance(value, n.WorkdayCount):
        return WORKDAYS
    if isinstance(value, dt.datetime | dt.date):
        return TIME
    if isinstance(value, str):
        return TEXT
    if isinstance(value, tuple):
        return ListType(type_of_value(value[0]) if value else ANY)
    return ANY


def _enum_member(enum: type[Enum], name: str) -> Enum | None:
    for member in enum:
        if member.value == name:
            return member
    return None


def _comparable(a: Any, b: Any) -> bool:
    if ANY in (a, b) or a == b:
        return True
    spans = {DURATION, WORKDAYS}
    if a in spans and b in spans:
        return True
    kinds = {TEXT, DOC_KIND, ASSESSMENT_KIND}
    return a in kinds and b in kinds


def _arithmetic_type(op: str, left: Any, right: Any) -> Any:
    if ANY in (left, right):
        return ANY
    if left == TIME and right in (DURATION, WORKDAYS):
        return TIME
    if op == "-" and left == TIME and right == TIME:
        return DURATION
    if left == NUMBER and right == NUMBER:
        return NUMBER
    if left == DURATION and right == DURATION:
        return DURATION
    return None


def _type_word(value_type: Any) -> str:
    if isinstance(value_type, EnumType):
        return value_type.enum.__name__
    return f"a {value_type}" if isinstance(value_type, Type | ItemType) else str(value_type)


def span_of(node: Any) -> Span | None:
    return getattr(node, "span", None)


def expr_text(node: Any) -> str:
    """A rule expression written back as text, for `explain` and evidence descriptions."""
    if node is None:
        return ""
    if isinstance(node, n.Name):
        return node.name
    if isinstance(node, n.FieldAccess):
        return f"{expr_text(node.target)}.{node.field}"
    if isinstance(node, n.Literal):
        value = node.value
        if isinstance(value, dt.timedelta):
            from emrlint.rules.values import format_duration

            return format_duration(value)
        if isinstance(value, n.WorkdayCount):
            return f"{value.days} statutory workdays"
        return str(value)
    if isinstance(node, n.BinaryOp):
        return f"{expr_text(node.left)} {node.op} {expr_text(node.right)}"
    return "…"
