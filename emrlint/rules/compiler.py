"""Checked syntax nodes → compiled rules.

The compiler resolves every name (variables, parameters, definitions, model fields, record
kinds, enum symbols), checks types against the model catalogue, and emits plan objects. It
collects *all* errors of a file, each with a position and a "did you mean", and raises them
together. It never evaluates anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from emrlint.diagnostics import Diagnostic, Span, did_you_mean
from emrlint.errors import RulebookError
from emrlint.model.vocabulary import Vocabulary
from emrlint.outcomes import Severity
from emrlint.rules import nodes as n
from emrlint.rules import plans as p
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
from emrlint.rules.stay import EPISODE_FIELDS
from emrlint.rules.syntax import parse_expression
from emrlint.rules.template import TemplateError, split_template

__all__ = [
    "CATEGORIES",
    "CompiledRule",
    "CompiledRulebook",
    "ParamSpec",
    "compile_rulebook",
    "literal_value",
]

CATEGORIES = ("timeliness", "completeness", "consistency", "coding")
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


@dataclass(frozen=True, slots=True)
class Subject:
    """How a rule picks its subjects: an episode collection, days or weeks, or the episode."""

    collection: str  # "episode", a collection name, "day", "week"
    list_attr: str | None
    event_type: str | None
    kinds: frozenset[str] | None
    slot: int | None
    where: Any | None
    label_attr: str | None
    time_attr: str | None


@dataclass(frozen=True, slots=True)
class RequirementPlan:
    mode: str  # items, that
    negate: bool  # forbid
    query: p.EpisodeQuery | None
    quantity_mode: str  # at_least, at_most, exactly
    amount: Any  # plan
    condition: Any | None
    searched: tuple[str, ...]
    description: str
    due: Any | None = None  # a deadline for `require that`


@dataclass(frozen=True, slots=True)
class MessagePlan:
    template: str
    placeholders: tuple[tuple[str, Any], ...]  # (field text, plan)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    version: int
    title_zh: str
    title_en: str
    severity: Severity
    category: str
    tags: tuple[str, ...]
    citation: str
    why: str | None
    provisional: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    whens: tuple[Any, ...]
    subject: Subject
    requirement: RequirementPlan
    message_zh: MessagePlan | None
    message_en: MessagePlan | None
    examples: tuple[n.Example, ...]
    params_used: tuple[str, ...]
    slot_count: int
    rulebook: str
    source_file: str
    source_line: int
    source_text: str


@dataclass(frozen=True)
class CompiledRulebook:
    id: str
    title_zh: str
    title_en: str | None
    path: str
    source: str | None
    valid_from: dt.date | None
    params: dict[str, ParamSpec]
    rules: tuple[CompiledRule, ...]


# ---------------------------------------------------------------- scope


@dataclass
class _Scope:
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

    def child(self) -> _Scope:
        return _Scope(dict(self.variables), self.next_slot, self.max_slot, self.params_used)

    def absorb(self, child: _Scope) -> None:
        self.max_slot = max(self.max_slot, child.max_slot)


class _Compiler:
    def __init__(self, tree: n.RulebookFile, text: str, vocabulary: Vocabulary) -> None:
        self.tree = tree
        self.lines = text.splitlines()
        self.vocabulary = vocabulary
        self.errors: list[Diagnostic] = []
        self.params: dict[str, ParamSpec] = {}
        self.defines: dict[str, tuple[Any, Any]] = {}
        self.rulebook_id = tree.header.id if tree.header else _stem(tree.path)
        self.kind_groups = vocabulary.groups
        self.in_message = False
        self.define_nodes: dict[str, n.Expr] = {}

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
    def compile(self) -> CompiledRulebook:
        header_fields = {k: v for k, v, _ in self.tree.header.fields} if self.tree.header else {}
        for param in self.tree.params:
            self.compile_param(param)
        for define in self.tree.defines:
            if define.name in self.defines or define.name in self.params:
                self.error(
                    "E108", "duplicate-name", f"`{define.name}` is defined twice", define.span
                )
            self.defines[define.name] = self.define_value(define)
        rules = []
        seen: set[tuple[str, int]] = set()
        for rule in self.tree.rules:
            compiled = self.compile_rule(rule, header_fields.get("valid_from"))
            if compiled is None:
                continue
            key = (compiled.id, compiled.version)
            if key in seen:
                self.error(
                    "E109",
                    "duplicate-rule",
                    f"rule {compiled.id} version {compiled.version} is defined twice",
                    rule.span,
                    help="raise `version` and set valid_from/valid_to",
                )
            seen.add(key)
            rules.append(compiled)
        if self.errors:
            raise RulebookError(self.errors)
        header = self.tree.header
        return CompiledRulebook(
            id=self.rulebook_id,
            title_zh=header.title_zh if header else self.rulebook_id,
            title_en=header.title_en if header else None,
            path=self.tree.path,
            source=header_fields.get("source"),  # type: ignore[arg-type]
            valid_from=header_fields.get("valid_from"),  # type: ignore[arg-type]
            params=self.params,
            rules=tuple(rules),
        )

    def define_value(self, define: n.Define) -> tuple[Any, Any]:
        """A define is an expression, or a list of record kinds for finders to use."""
        value = define.value
        if (
            isinstance(value, n.ListLiteral)
            and value.items
            and all(
                isinstance(item, n.Name) and item.name in self.vocabulary.kinds
                for item in value.items
            )
        ):
            return p.Const(tuple(item.name for item in value.items)), ListType(DOC_KIND)
        self.define_nodes[define.name] = value
        return self.expr(value, _Scope())

    def compile_param(self, param: n.Param) -> None:
        if param.name in self.params:
            self.error(
                "E108", "duplicate-name", f"parameter `{param.name}` is declared twice", param.span
            )
            return
        value = literal_value(param.default)
        if value is None:
            self.error(
                "E111",
                "bad-parameter",
                "a parameter default must be a literal: a number, duration, text, "
                "date, true/false or a list",
                param.span,
            )
            return
        self.params[param.name] = ParamSpec(
            param.name, value, _type_of_value(value), param.description, self.rulebook_id
        )

    # -------------------------------------------------------------- rules
    def compile_rule(self, rule: n.Rule, book_valid_from: Any) -> CompiledRule | None:
        meta = {key: (value, span) for key, value, span in rule.fields}
        severity = self.severity(meta, rule)
        category = meta.get("category", (None, rule.span))
        if category[0] is None:
            self.error(
                "E110",
                "missing-metadata",
                f"rule {rule.id} has no `category`",
                rule.span,
                help=f"add `category` with one of {', '.join(CATEGORIES)}",
            )
        elif category[0] not in CATEGORIES:
            self.error(
                "E112",
                "bad-metadata",
                f"unknown category `{category[0]}`",
                category[1],
                suggestion=did_you_mean(str(category[0]), CATEGORIES),
            )
        for required in ("cites", "tags"):
            if required not in meta:
                self.error(
                    "E110",
                    "missing-metadata",
                    f"rule {rule.id} has no `{required}`",
                    rule.span,
                    help="every rule names its source clause and tags",
                )
        if rule.title_en is None:
            self.error(
                "E110",
                "missing-metadata",
                f"rule {rule.id} has no English title",
                rule.span,
                help='write the titles as "中文" / "English"',
            )
        scope = _Scope()
        whens = []
        subject = Subject("episode", None, None, None, None, None, None, None)
        for clause in rule.scopes:
            if isinstance(clause, n.When):
                if subject.collection != "episode":
                    self.error(
                        "E113",
                        "when-after-for-each",
                        "`when` judges the episode, so it comes before `for each`",
                        clause.span,
                        help="filter subjects with `for each ... where ...`",
                    )
                whens.append(self.condition(clause.condition, scope))
            else:
                if subject.collection != "episode":
                    self.error(
                        "E113", "two-subjects", "a rule has at most one `for each`", clause.span
                    )
                subject = self.subject(clause, scope)
        requirement = self.requirement(rule.requirement, scope, subject)
        message_zh = message_en = None
        if rule.message is not None:
            message_zh = self.message(rule.message.zh, rule.message.span, scope)
            if rule.message.en is not None:
                message_en = self.message(rule.message.en, rule.message.span, scope)
        start = rule.span.line - 1
        end = rule.span.end_line or rule.span.line
        return CompiledRule(
            id=rule.id,
            version=int(meta.get("version", (1, None))[0]),  # type: ignore[arg-type]
            title_zh=rule.title_zh,
            title_en=rule.title_en or rule.title_zh,
            severity=severity,
            category=str(category[0]),
            tags=tuple(meta.get("tags", ((), None))[0]),  # type: ignore[arg-type]
            citation=str(meta.get("cites", ("", None))[0]),
            why=meta.get("why", (None, None))[0],  # type: ignore[arg-type]
            provisional=meta.get("provisional", (None, None))[0],  # type: ignore[arg-type]
            valid_from=meta.get("valid_from", (book_valid_from, None))[0],  # type: ignore[arg-type]
            valid_to=meta.get("valid_to", (None, None))[0],  # type: ignore[arg-type]
            whens=tuple(whens),
            subject=subject,
            requirement=requirement,
            message_zh=message_zh,
            message_en=message_en,
            examples=rule.examples,
            params_used=tuple(sorted(scope.params_used)),
            slot_count=max(scope.max_slot, 1),
            rulebook=self.rulebook_id,
            source_file=self.tree.path,
            source_line=rule.span.line,
            source_text="\n".join(self.lines[start:end]).rstrip(),
        )

    def severity(self, meta: dict[str, Any], rule: n.Rule) -> Severity:
        value, span = meta.get("severity", (None, rule.span))
        if value is None:
            self.error(
                "E110",
                "missing-metadata",
                f"rule {rule.id} has no `severity`",
                rule.span,
                help="add `severity` with one of info, minor, major, critical",
            )
            return Severity.minor
        try:
            return Severity(value)
        except ValueError:
            self.error(
                "E112",
                "bad-metadata",
                f"unknown severity `{value}`",
                span,
                suggestion=did_you_mean(str(value), [s.value for s in Severity]),
            )
            return Severity.minor

    def subject(self, clause: n.ForEach, scope: _Scope) -> Subject:
        resolved = self.collection_for(clause.kinds or [(clause.subject_type, clause.type_span)])
        if resolved is None:
            return Subject("episode", None, None, None, None, None, None, None)
        collection, kinds = resolved
        if collection.item_type == "episode":
            self.error(
                "E105",
                "bad-subject",
                f"`for each` needs a collection, not the episode field `{collection.name}`",
                clause.type_span,
            )
        slot = scope.bind(clause.binding, ItemType(collection.item_type))
        where = self.condition(clause.where, scope) if clause.where is not None else None
        label = {
            "document": "kind",
            "procedure": "name",
            "diagnosis": "code",
            "order": "name",
            "assessment": "kind",
            "observation": "name",
            "consultation": "department",
            "condition_change": "level",
        }.get(collection.item_type)
        return Subject(
            collection.name,
            collection.list_attr,
            collection.event_type,
            kinds,
            slot,
            where,
            label,
            collection.time_attr,
        )

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
    def requirement(self, node: n.Requirement, scope: _Scope, subject: Subject) -> RequirementPlan:
        negate = node.mode.startswith("forbid")
        if node.condition is not None:
            condition = self.condition(node.condition, scope)
            due = None
            description = _describe_condition(negate)
            if node.due is not None:
                due, due_type = self.expr(node.due, scope)
                self.expect_type(due_type, TIME, _span_of(node.due))
                description += f"; due by {_text(node.due)} (PENDING until then)"
            return RequirementPlan(
                "that", negate, None, "at_least", p.Const(1), condition, (), description, due
            )
        assert node.finder is not None
        query, searched = self.finder_query(node.finder, node.temporal, scope, always=True)
        quantity_mode, amount = "at_least", p.Const(1)
        if negate:
            quantity_mode, amount = "at_most", p.Const(0)
        if node.quantity is not None:
            quantity_mode = node.quantity.mode
            amount, amount_type = self.expr(node.quantity.amount, scope)
            self.expect_type(amount_type, NUMBER, node.quantity.span)
        description = self.describe_window(node.temporal)
        return RequirementPlan(
            "items", negate, query, quantity_mode, amount, None, searched, description
        )

    def finder_query(
        self, finder: n.Finder, temporal: n.Temporal | None, scope: _Scope, always: bool = False
    ) -> tuple[p.EpisodeQuery | None, tuple[str, ...]]:
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
            window = p.WindowPlan("always", None)
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
        query = p.EpisodeQuery(
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

    def window(self, temporal: n.Temporal, scope: _Scope) -> p.WindowPlan:
        anchor_plan, anchor_type = self.expr(temporal.anchor, scope)  # type: ignore[arg-type]
        if temporal.kind == "during":
            if not (isinstance(anchor_type, ItemType) and anchor_type.name in _INTERVAL_TYPES):
                self.error(
                    "E106",
                    "type-mismatch",
                    f"`during`/`on` needs a day, a week or `stay`, not {anchor_type}",
                    temporal.span,
                )
            return p.WindowPlan("during", anchor_plan)
        self.expect_type(anchor_type, TIME, temporal.span)
        duration_plan = until_plan = None
        if temporal.duration is not None:
            duration_plan, duration_type = self.expr(temporal.duration, scope)
            if duration_type not in (DURATION, WORKDAYS, ANY):
                self.error(
                    "E106",
                    "type-mismatch",
                    f"expected a duration such as 6h or 5 workdays, not {duration_type}",
                    _span_of(temporal.duration),
                )
        if temporal.until is not None:
            until_plan, until_type = self.expr(temporal.until, scope)
            self.expect_type(until_type, TIME, _span_of(temporal.until))
        return p.WindowPlan(temporal.kind, anchor_plan, duration_plan, until_plan)

    def describe_window(self, temporal: n.Temporal | None) -> str:
        if temporal is None:
            return "at any time during the record; due by discharge"
        anchor = _text(temporal.anchor)
        duration = _text(temporal.duration) if temporal.duration is not None else ""
        kind = temporal.kind
        if kind == "within_after":
            return (
                f"timed in [{anchor}, {anchor} + {duration}] (inclusive); "
                f"due by {anchor} + {duration}"
            )
        if kind == "within_before":
            return f"timed in [{anchor} - {duration}, {anchor}] (inclusive); due by {anchor}"
        if kind == "before":
            return f"timed at or before {anchor}; due by {anchor}"
        if kind == "after":
            return f"timed at or after {anchor}; due by discharge"
        if kind == "same_day":
            return f"timed from {anchor} to the end of that calendar day; due by that day's end"
        if kind == "between":
            until = _text(temporal.until)
            return f"timed in [{anchor}, {until}] (inclusive); due by {until}"
        return f"timed within {anchor} (from its start to its end, inclusive); due by its end"

    def message(self, template: str, span: Span, scope: _Scope) -> MessagePlan:
        placeholders = []
        try:
            parsed = split_template(template)
        except TemplateError:
            self.error(
                "E107",
                "bad-message",
                "unbalanced { } in the message",
                span,
                help="write {{ and }} for literal braces",
            )
            return MessagePlan(template, ())
        for _, field_text in parsed:
            if not field_text:
                continue
            try:
                node = parse_expression(field_text, span.file, span.line, span.column)
            except RulebookError as error:
                self.errors.extend(error.diagnostics)
                continue
            before = len(self.errors)
            self.in_message = True
            try:
                plan, _ = self.expr(node, scope)
            finally:
                self.in_message = False
            self.errors[before:] = [_at(error, span, self.lines) for error in self.errors[before:]]
            placeholders.append((field_text, plan))
        return MessagePlan(template, tuple(placeholders))

    # -------------------------------------------------------------- expressions
    def condition(self, node: n.Expr, scope: _Scope) -> Any:
        plan, value_type = self.expr(node, scope)
        self.expect_type(value_type, BOOL, _span_of(node))
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

    def expr(self, node: Any, scope: _Scope, hint: Any = None) -> tuple[Any, Any]:
        method = getattr(self, f"expr_{type(node).__name__}")
        return method(node, scope, hint)  # type: ignore[no-any-return]

    def expr_Literal(self, node: n.Literal, scope: _Scope, hint: Any) -> tuple[Any, Any]:
        value = node.value
        if isinstance(value, str) and hint in (DOC_KIND, ASSESSMENT_KIND):
            self.check_kind_symbol(value, hint, node.span)
        if isinstance(value, dt.datetime | dt.date):
            return p.TimeConst(value), TIME
        return p.Const(value), _type_of_value(value)

    def expr_ListLiteral(self, node: n.ListLiteral, scope: _Scope, hint: Any) -> tuple[Any, Any]:
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

    def expr_ObjectValue(self, node: n.ObjectValue, scope: _Scope, hint: Any) -> tuple[Any, Any]:
        self.error(
            "E106", "type-mismatch", "an object { … } is only allowed in examples", node.span
        )
        return p.Const(None), ANY

    def expr_Name(self, node: n.Name, scope: _Scope, hint: Any) -> tuple[Any, Any]:
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

    def use_define(self, name: str, scope: _Scope) -> tuple[Any, Any]:
        """Compile a definition where it is used, so that the slots its queries bind continue
        after the rule's own (a definition compiled once would share slot 0 with the rule's
        subject). Its errors were reported once, where it is defined."""
        node = self.define_nodes.get(name)
        if node is None:  # a kind list: a constant
            return self.defines[name]
        inner = _Scope({}, scope.next_slot, scope.max_slot, scope.params_used)
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

    def expr_FieldAccess(self, node: n.FieldAccess, scope: _Scope, hint: Any) -> tuple[Any, Any]:
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

    def expr_BinaryOp(self, node: n.BinaryOp, scope: _Scope, hint: Any) -> tuple[Any, Any]:
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

    def expr_Compare(self, node: n.Compare, scope: _Scope, hint: Any) -> tuple[Any, Any]:
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

    def expr_Membership(self, node: n.Membership, scope: _Scope, hint: Any) -> tuple[Any, Any]:
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
                _span_of(node.collection),
            )
        return p.Membership(value, collection, node.op == "not in"), BOOL

    def contains(
        self, node: n.Membership, value: Any, value_type: Any, scope: _Scope
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

    def expr_PresenceTest(self, node: n.PresenceTest, scope: _Scope, hint: Any) -> tuple[Any, Any]:
        value, _ = self.expr(node.value, scope)
        return p.Presence(value, node.is_present), BOOL

    def expr_ExactTest(self, node: n.ExactTest, scope: _Scope, hint: Any) -> tuple[Any, Any]:
        value, value_type = self.expr(node.value, scope)
        self.expect_type(value_type, TIME, node.span)
        return p.Exactness(value), BOOL

    def expr_BoolOp(self, node: n.BoolOp, scope: _Scope, hint: Any) -> tuple[Any, Any]:
        operands = tuple(self.condition(operand, scope) for operand in node.operands)
        return (p.AndOp(operands) if node.op == "and" else p.OrOp(operands)), BOOL

    def expr_Not(self, node: n.Not, scope: _Scope, hint: Any) -> tuple[Any, Any]:
        return p.NotOp(self.condition(node.operand, scope)), BOOL

    def expr_Conditional(self, node: n.Conditional, scope: _Scope, hint: Any) -> tuple[Any, Any]:
        condition = self.condition(node.condition, scope)
        then, then_type = self.expr(node.then, scope, hint)
        otherwise, otherwise_type = self.expr(node.otherwise, scope, hint)
        if not _comparable(then_type, otherwise_type):
            self.error("E106", "type-mismatch", "both branches must have the same type", node.span)
        return p.Conditional(condition, then, otherwise), then_type

    def expr_Aggregate(self, node: n.Aggregate, scope: _Scope, hint: Any) -> tuple[Any, Any]:
        if node.function == "count_distinct":
            value, _ = self.expr(node.argument, scope)
            return p.CountDistinct(value), NUMBER
        inner = scope.child()
        query, item_type = self.query(node.argument, inner)
        scope.absorb(inner)
        if query is None:
            return p.Const(None), ANY
        if node.function == "count":
            return p.Count(query), NUMBER
        if node.function == "any":
            return p.AnyOf(query), BOOL
        if node.function == "all":
            if not isinstance(query, p.ListQuery):
                self.error(
                    "E106",
                    "type-mismatch",
                    "`all` ranges over a list: all(x in ... where ...)",
                    node.span,
                )
            return p.AllOf(query), BOOL
        return p.FirstOrLast(query, node.function == "last", str(item_type)), item_type

    def query(self, node: Any, scope: _Scope) -> tuple[Any, Any]:
        if isinstance(node, n.ListQuery):
            source, source_type = self.expr(node.source, scope)
            if not isinstance(source_type, ListType):
                if source_type is not ANY:
                    self.error(
                        "E106",
                        "type-mismatch",
                        f"`in` needs a list, found {_type_word(source_type)}",
                        _span_of(node.source),
                    )
                return None, ANY
            slot = scope.bind(node.binding, source_type.element)
            where = self.condition(node.where, scope) if node.where is not None else None
            return p.ListQuery(source, slot, where), source_type.element
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


def _type_of_value(value: Any) -> Any:
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
        return ListType(_type_of_value(value[0]) if value else ANY)
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


def _span_of(node: Any) -> Span | None:
    return getattr(node, "span", None)


def _text(node: Any) -> str:
    """A rule expression written back as text, for `explain` and evidence descriptions."""
    if node is None:
        return ""
    if isinstance(node, n.Name):
        return node.name
    if isinstance(node, n.FieldAccess):
        return f"{_text(node.target)}.{node.field}"
    if isinstance(node, n.Literal):
        value = node.value
        if isinstance(value, dt.timedelta):
            from emrlint.rules.values import format_duration

            return format_duration(value)
        if isinstance(value, n.WorkdayCount):
            return f"{value.days} statutory workdays"
        return str(value)
    if isinstance(node, n.BinaryOp):
        return f"{_text(node.left)} {node.op} {_text(node.right)}"
    return "…"


def _describe_condition(negate: bool) -> str:
    return "the condition must be false" if negate else "the condition must hold"


def _at(error: Diagnostic, span: Span, lines: list[str]) -> Diagnostic:
    """Message placeholders are compiled alone; point their errors at the message itself."""
    source_line = lines[span.line - 1] if 0 < span.line <= len(lines) else None
    return Diagnostic(
        error.code,
        error.slug,
        error.message + " (in the message)",
        span,
        error.help,
        source_line,
        error.suggestion,
    )


def _stem(path: str) -> str:
    from pathlib import Path

    return Path(path).stem


def compile_rulebook(tree: n.RulebookFile, text: str, vocabulary: Vocabulary) -> CompiledRulebook:
    """Compile one parsed rulebook; raise RulebookError with every error found."""
    return _Compiler(tree, text, vocabulary).compile()
