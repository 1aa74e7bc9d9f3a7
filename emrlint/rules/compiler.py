"""Checked syntax nodes → compiled rules.

The compiler resolves every name (variables, parameters, definitions, model fields, record
kinds, enum symbols), checks types against the model catalogue, and emits plan objects. It
collects *all* errors of a file, each with a position and a "did you mean", and raises them
together. It never evaluates anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from emrlint.diagnostics import Diagnostic, Span, did_you_mean
from emrlint.errors import RulebookError
from emrlint.model.vocabulary import Vocabulary
from emrlint.outcomes import Severity
from emrlint.rules import nodes as n
from emrlint.rules import plans as p
from emrlint.rules import queries as q
from emrlint.rules.catalogue import (
    NUMBER,
    TIME,
    ItemType,
    ListType,
)
from emrlint.rules.expressions import (
    DOC_KIND,
    ExpressionCompiler,
    ParamSpec,
    Scope,
    expr_text,
    literal_value,
    span_of,
    type_of_value,
)
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


@dataclass(frozen=True, slots=True)
class Subject:
    """How a rule picks its subjects: an episode collection, days or weeks, or the episode.

    A filter that requires `x.field = VALUE` (`for each observation x where x.category =
    imaging`) is kept as (`key_attr`, `key_value`), so the engine looks the subjects up by
    value instead of testing every item (queries.ValueIndex)."""

    collection: str  # "episode", a collection name, "day", "week"
    list_attr: str | None
    event_type: str | None
    kinds: frozenset[str] | None
    slot: int | None
    where: Any | None
    label_attr: str | None
    time_attr: str | None
    key_attr: str | None = field(init=False, compare=False, repr=False)
    key_value: Any = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        attr, value = (None, None)
        if self.list_attr is not None:
            attr, value = q.required_equality(self.where, self.slot, others_bound=False)
        object.__setattr__(self, "key_attr", attr)
        object.__setattr__(self, "key_value", value)


@dataclass(frozen=True, slots=True)
class RequirementPlan:
    mode: str  # items, that
    negate: bool  # forbid
    query: q.EpisodeQuery | None
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
    parts: tuple[tuple[str, str | None], ...] = ()  # the template, split once when compiled


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


class _Compiler(ExpressionCompiler):
    """Rule-level compilation; expressions, queries and windows are the base class's."""

    def __init__(self, tree: n.RulebookFile, text: str, vocabulary: Vocabulary) -> None:
        super().__init__(vocabulary, text.splitlines())
        self.tree = tree
        self.rulebook_id = tree.header.id if tree.header else _stem(tree.path)

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
        return self.expr(value, Scope())

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
            param.name, value, type_of_value(value), param.description, self.rulebook_id
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
        scope = Scope()
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

    def subject(self, clause: n.ForEach, scope: Scope) -> Subject:
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

    def requirement(self, node: n.Requirement, scope: Scope, subject: Subject) -> RequirementPlan:
        negate = node.mode.startswith("forbid")
        if node.condition is not None:
            condition = self.condition(node.condition, scope)
            due = None
            description = _describe_condition(negate)
            if node.due is not None:
                due, due_type = self.expr(node.due, scope)
                self.expect_type(due_type, TIME, span_of(node.due))
                description += f"; due by {expr_text(node.due)} (PENDING until then)"
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

    def describe_window(self, temporal: n.Temporal | None) -> str:
        if temporal is None:
            return "at any time during the record; due by discharge"
        anchor = expr_text(temporal.anchor)
        duration = expr_text(temporal.duration) if temporal.duration is not None else ""
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
            until = expr_text(temporal.until)
            return f"timed in [{anchor}, {until}] (inclusive); due by {until}"
        return f"timed within {anchor} (from its start to its end, inclusive); due by its end"

    def message(self, template: str, span: Span, scope: Scope) -> MessagePlan:
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
            return MessagePlan(template, (), ((template, None),))
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
        return MessagePlan(template, tuple(placeholders), tuple(parsed))

    # -------------------------------------------------------------- expressions


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
