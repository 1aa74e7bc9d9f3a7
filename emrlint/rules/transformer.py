"""Lark parse tree → `nodes`. One method per grammar rule or alias, no checking, no state but
the file name that goes into every Span."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from lark import Token, Transformer, Tree, v_args

from emrlint.diagnostics import Span
from emrlint.rules import nodes as n

__all__ = ["ToNodes", "parse_duration", "unquote"]

_DURATION_PART = re.compile(r"(\d+)(min|h|d|w)")
_UNITS = {
    "min": dt.timedelta(minutes=1),
    "h": dt.timedelta(hours=1),
    "d": dt.timedelta(days=1),
    "w": dt.timedelta(weeks=1),
}


def parse_duration(text: str) -> dt.timedelta:
    total = dt.timedelta()
    for amount, unit in _DURATION_PART.findall(text):
        total += int(amount) * _UNITS[unit]
    return total


def unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _parse_datetime(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace(" ", "T", 1).replace("Z", "+00:00"))
    return value


@v_args(inline=True, meta=True)
class ToNodes(Transformer[Token, Any]):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    # -------------------------------------------------------------- helpers
    def _span(self, meta: Any) -> Span:
        if getattr(meta, "empty", False):
            return Span(self.path, 1, 1)
        return Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _token_span(self, token: Token) -> Span:
        return Span(self.path, token.line or 1, token.column or 1, token.end_line, token.end_column)

    # -------------------------------------------------------------- file
    def start(self, meta: Any, *items: Any) -> n.RulebookFile:
        header = items[0] if items and isinstance(items[0], n.RulebookHeader) else None
        return n.RulebookFile(
            path=self.path,
            header=header,
            params=tuple(i for i in items if isinstance(i, n.Param)),
            defines=tuple(i for i in items if isinstance(i, n.Define)),
            rules=tuple(i for i in items if isinstance(i, n.Rule)),
        )

    def rulebook_header(
        self,
        meta: Any,
        code: Token,
        titles: tuple[str, str | None],
        *fields: tuple[str, object, Span],
    ) -> n.RulebookHeader:
        return n.RulebookHeader(str(code), titles[0], titles[1], fields, self._span(meta))

    def titles(self, meta: Any, zh: Token, en: Token | None = None) -> tuple[str, str | None]:
        return unquote(zh), unquote(en) if en is not None else None

    def _field(self, meta: Any, key: str, value: object) -> tuple[str, object, Span]:
        return key, value, self._span(meta)

    def source(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return self._field(meta, "source", unquote(value))

    def issued_by(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return self._field(meta, "issued_by", unquote(value))

    def valid_from(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return self._field(meta, "valid_from", dt.date.fromisoformat(value))

    def valid_to(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return self._field(meta, "valid_to", dt.date.fromisoformat(value))

    def scope_note(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return self._field(meta, "scope", unquote(value))

    def param(
        self, meta: Any, name: Token, default: n.Expr, description: Token | None = None
    ) -> n.Param:
        text = unquote(description) if description is not None else None
        return n.Param(str(name), default, text, self._span(meta))

    def define(self, meta: Any, name: Token, value: n.Expr) -> n.Define:
        return n.Define(str(name), value, self._span(meta))

    # -------------------------------------------------------------- rules
    def rule(self, meta: Any, code: Token, titles: tuple[str, str | None], *rest: Any) -> n.Rule:
        fields = tuple(r for r in rest if isinstance(r, tuple))
        scopes = tuple(r for r in rest if isinstance(r, n.When | n.ForEach))
        requirement = next(r for r in rest if isinstance(r, n.Requirement))
        message = next((r for r in rest if isinstance(r, n.Message)), None)
        examples = tuple(r for r in rest if isinstance(r, n.Example))
        return n.Rule(
            str(code),
            titles[0],
            titles[1],
            fields,
            scopes,
            requirement,
            message,
            examples,
            self._span(meta),
        )

    def severity(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return "severity", str(value), self._token_span(value)

    def category(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return "category", str(value), self._token_span(value)

    def tags(self, meta: Any, *codes: Token) -> tuple[str, object, Span]:
        return self._field(meta, "tags", tuple(str(c) for c in codes))

    def cites(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return self._field(meta, "cites", unquote(value))

    def why(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return self._field(meta, "why", unquote(value))

    def provisional(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return self._field(meta, "provisional", unquote(value))

    def version(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return self._field(meta, "version", int(value))

    def rule_valid_from(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return self._field(meta, "valid_from", dt.date.fromisoformat(value))

    def rule_valid_to(self, meta: Any, value: Token) -> tuple[str, object, Span]:
        return self._field(meta, "valid_to", dt.date.fromisoformat(value))

    def when(self, meta: Any, condition: n.Expr) -> n.When:
        return n.When(condition, self._span(meta))

    def for_each(
        self, meta: Any, kinds: Tree, binding: Token, where: n.Expr | None = None
    ) -> n.ForEach:
        names = tuple(kinds.children)
        return n.ForEach(names[0][0], str(binding), where, self._span(meta), names[0][1], names)

    def require_items(self, meta: Any, *parts: Any) -> n.Requirement:
        return self._items("require_items", meta, parts)

    def forbid_items(self, meta: Any, *parts: Any) -> n.Requirement:
        return self._items("forbid_items", meta, parts)

    def _items(self, mode: str, meta: Any, parts: tuple[Any, ...]) -> n.Requirement:
        quantity = next((p for p in parts if isinstance(p, n.Quantity)), None)
        finder = next(p for p in parts if isinstance(p, n.Finder))
        temporal = next((p for p in parts if isinstance(p, n.Temporal)), None)
        return n.Requirement(mode, finder, temporal, quantity, None, self._span(meta))

    def require_that(self, meta: Any, condition: n.Expr, due: Any = None) -> n.Requirement:
        return n.Requirement(
            "require_that",
            None,
            None,
            None,
            condition,
            self._span(meta),
            due[1] if due is not None else None,
        )

    def forbid_that(self, meta: Any, condition: n.Expr, due: Any = None) -> n.Requirement:
        return n.Requirement(
            "forbid_that",
            None,
            None,
            None,
            condition,
            self._span(meta),
            due[1] if due is not None else None,
        )

    def due(self, meta: Any, moment: n.Expr) -> tuple[str, n.Expr]:
        return "due", moment

    def at_least(self, meta: Any, amount: n.Expr) -> n.Quantity:
        return n.Quantity("at_least", amount, self._span(meta))

    def at_most(self, meta: Any, amount: n.Expr) -> n.Quantity:
        return n.Quantity("at_most", amount, self._span(meta))

    def exactly(self, meta: Any, amount: n.Expr) -> n.Quantity:
        return n.Quantity("exactly", amount, self._span(meta))

    def finder(self, meta: Any, kinds: Tree, *rest: Any) -> n.Finder:
        binding = next((str(r) for r in rest if isinstance(r, Token)), None)
        timed_by = next((r[1] for r in rest if isinstance(r, tuple) and r[0] == "timed_by"), None)
        where = next((r for r in rest if not isinstance(r, Token | tuple)), None)
        return n.Finder(tuple(kinds.children), binding, where, timed_by, self._span(meta))

    def timed_by(self, meta: Any, name: Token) -> tuple[str, tuple[str, Span]]:
        return "timed_by", (str(name), self._token_span(name))

    def kind_name(self, meta: Any, name: Token) -> Tree:
        return Tree("kinds", [(str(name), self._token_span(name))])

    def kind_list(self, meta: Any, *names: Token) -> Tree:
        return Tree("kinds", [(str(name), self._token_span(name)) for name in names])

    def within_after(self, meta: Any, duration: n.Expr, anchor: n.Expr) -> n.Temporal:
        return n.Temporal("within_after", anchor, duration, None, self._span(meta))

    def within_before(self, meta: Any, duration: n.Expr, anchor: n.Expr) -> n.Temporal:
        return n.Temporal("within_before", anchor, duration, None, self._span(meta))

    def before(self, meta: Any, anchor: n.Expr) -> n.Temporal:
        return n.Temporal("before", anchor, None, None, self._span(meta))

    def after(self, meta: Any, anchor: n.Expr) -> n.Temporal:
        return n.Temporal("after", anchor, None, None, self._span(meta))

    def between(self, meta: Any, start: n.Expr, end: n.Expr) -> n.Temporal:
        return n.Temporal("between", start, None, end, self._span(meta))

    def same_day(self, meta: Any, anchor: n.Expr) -> n.Temporal:
        return n.Temporal("same_day", anchor, None, None, self._span(meta))

    def during(self, meta: Any, anchor: n.Expr) -> n.Temporal:
        return n.Temporal("during", anchor, None, None, self._span(meta))

    def duration_param(self, meta: Any, name: Token) -> n.Name:
        return n.Name(str(name), self._token_span(name))

    def message(self, meta: Any, zh: Token, en: Token | None = None) -> n.Message:
        return n.Message(unquote(zh), unquote(en) if en is not None else None, self._span(meta))

    # -------------------------------------------------------------- examples
    def example(self, meta: Any, name: Token, *statements: Any) -> n.Example:
        lets = tuple(s[1:] for s in statements if isinstance(s, tuple) and s[0] == "let")
        params = tuple(s[1:] for s in statements if isinstance(s, tuple) and s[0] == "param")
        as_of = next((s[1] for s in statements if isinstance(s, tuple) and s[0] == "as_of"), None)
        items = tuple(s for s in statements if isinstance(s, n.ExampleItem))
        expects = tuple(s for s in statements if isinstance(s, n.Expect))
        return n.Example(str(name), lets, as_of, params, items, expects, self._span(meta))

    def example_let(self, meta: Any, name: Token, value: n.Expr) -> tuple[Any, ...]:
        return ("let", str(name), value, self._token_span(name))

    def example_as_of(self, meta: Any, value: n.Expr) -> tuple[Any, ...]:
        return ("as_of", value)

    def example_param(self, meta: Any, name: Token, value: n.Expr) -> tuple[Any, ...]:
        return ("param", str(name), value, self._token_span(name))

    def example_item(self, meta: Any, head: Token, *rest: Any) -> n.ExampleItem:
        name = next((str(r) for r in rest if isinstance(r, Token)), None)
        fields = next((r for r in rest if isinstance(r, tuple)), ())
        return n.ExampleItem(str(head), name, fields, self._span(meta))

    def expect(self, meta: Any, status: Token, *rest: Any) -> n.Expect:
        subject = next((str(r) for r in rest if isinstance(r, Token)), None)
        fields = next((r for r in rest if isinstance(r, tuple)), ())
        return n.Expect(str(status), subject, fields, self._span(meta))

    def fields(self, meta: Any, *items: tuple[str, n.Expr, Span]) -> tuple[Any, ...]:
        return tuple(item for item in items if item is not None)

    def field(self, meta: Any, name: Token, value: n.Expr) -> tuple[str, n.Expr, Span]:
        return str(name), value, self._token_span(name)

    def object_value(self, meta: Any, fields: tuple[Any, ...] | None = None) -> n.ObjectValue:
        return n.ObjectValue(fields or (), self._span(meta))

    # -------------------------------------------------------------- expressions
    def or_(self, meta: Any, *operands: n.Expr) -> n.BoolOp:
        return n.BoolOp("or", operands, self._span(meta))

    def and_(self, meta: Any, *operands: n.Expr) -> n.BoolOp:
        return n.BoolOp("and", operands, self._span(meta))

    def not_(self, meta: Any, operand: n.Expr) -> n.Not:
        return n.Not(operand, self._span(meta))

    def compare(self, meta: Any, left: n.Expr, op: Token, right: n.Expr) -> n.Compare:
        return n.Compare(str(op), left, right, self._token_span(op))

    def member(self, meta: Any, value: n.Expr, collection: n.Expr) -> n.Membership:
        return n.Membership("in", value, collection, self._span(meta))

    def not_member(self, meta: Any, value: n.Expr, collection: n.Expr) -> n.Membership:
        return n.Membership("not in", value, collection, self._span(meta))

    def matches(self, meta: Any, value: n.Expr, collection: n.Expr) -> n.Membership:
        return n.Membership("matches", value, collection, self._span(meta))

    def contains(self, meta: Any, value: n.Expr, part: n.Expr) -> n.Membership:
        return n.Membership("contains", value, part, self._span(meta))

    def is_missing(self, meta: Any, value: n.Expr) -> n.PresenceTest:
        return n.PresenceTest(value, False, self._span(meta))

    def is_present(self, meta: Any, value: n.Expr) -> n.PresenceTest:
        return n.PresenceTest(value, True, self._span(meta))

    def is_exact(self, meta: Any, value: n.Expr) -> n.ExactTest:
        return n.ExactTest(value, self._span(meta))

    def add(self, meta: Any, left: n.Expr, right: n.Expr) -> n.BinaryOp:
        return n.BinaryOp("+", left, right, self._span(meta))

    def subtract(self, meta: Any, left: n.Expr, right: n.Expr) -> n.BinaryOp:
        return n.BinaryOp("-", left, right, self._span(meta))

    def name(self, meta: Any, token: Token) -> n.Name:
        return n.Name(str(token), self._token_span(token))

    def field_of(self, meta: Any, target: n.Expr, name: Token) -> n.FieldAccess:
        return n.FieldAccess(target, str(name), self._token_span(name))

    def _aggregate(self, function: str, meta: Any, argument: Any) -> n.Aggregate:
        return n.Aggregate(function, argument, self._span(meta))

    def count(self, meta: Any, query: Any) -> n.Aggregate:
        return self._aggregate("count", meta, query)

    def count_distinct(self, meta: Any, value: n.Expr) -> n.Aggregate:
        return self._aggregate("count_distinct", meta, value)

    def any_(self, meta: Any, query: Any) -> n.Aggregate:
        return self._aggregate("any", meta, query)

    def all_(self, meta: Any, query: Any) -> n.Aggregate:
        return self._aggregate("all", meta, query)

    def first(self, meta: Any, query: Any) -> n.Aggregate:
        return self._aggregate("first", meta, query)

    def last(self, meta: Any, query: Any) -> n.Aggregate:
        return self._aggregate("last", meta, query)

    def conditional(
        self, meta: Any, condition: n.Expr, then: n.Expr, otherwise: n.Expr
    ) -> n.Conditional:
        return n.Conditional(condition, then, otherwise, self._span(meta))

    def episode_query(self, meta: Any, kinds: Tree, *rest: Any) -> n.Query:
        binding = next((str(r) for r in rest if isinstance(r, Token)), None)
        temporal = next((r for r in rest if isinstance(r, n.Temporal)), None)
        where = next((r for r in rest if not isinstance(r, Token | n.Temporal)), None)
        finder = n.Finder(tuple(kinds.children), binding, where, None, self._span(meta))
        return n.Query(finder, temporal, self._span(meta))

    def list_query(
        self, meta: Any, binding: Token, source: n.Expr, where: n.Expr | None = None
    ) -> n.ListQuery:
        return n.ListQuery(str(binding), source, where, self._span(meta))

    def list_literal(self, meta: Any, *items: n.Expr | None) -> n.ListLiteral:
        return n.ListLiteral(tuple(i for i in items if i is not None), self._span(meta))

    def _literal(self, meta: Any, value: Any) -> n.Literal:
        return n.Literal(value, self._span(meta))

    def int_literal(self, meta: Any, token: Token) -> n.Literal:
        return self._literal(meta, int(token))

    def decimal_literal(self, meta: Any, token: Token) -> n.Literal:
        return self._literal(meta, float(token))

    def string_literal(self, meta: Any, token: Token) -> n.Literal:
        return self._literal(meta, unquote(token))

    def duration_literal(self, meta: Any, token: Token) -> n.Literal:
        return self._literal(meta, parse_duration(token))

    def workdays_literal(self, meta: Any, token: Token) -> n.Literal:
        return self._literal(meta, n.WorkdayCount(int(re.match(r"\d+", token).group())))  # type: ignore[union-attr]

    def datetime_literal(self, meta: Any, token: Token) -> n.Literal:
        return self._literal(meta, _parse_datetime(token))

    def date_literal(self, meta: Any, token: Token) -> n.Literal:
        return self._literal(meta, dt.date.fromisoformat(token))

    def true_literal(self, meta: Any) -> n.Literal:
        return self._literal(meta, True)

    def false_literal(self, meta: Any) -> n.Literal:
        return self._literal(meta, False)
