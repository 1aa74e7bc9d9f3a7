"""Syntax-tree nodes of the rule language: one frozen dataclass per construct, each with its Span.

Produced by `transformer.py`, read by `compiler.py`. Plain values only, no lark objects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from emrlint.diagnostics import Span

__all__ = [
    "Aggregate",
    "BinaryOp",
    "BoolOp",
    "Compare",
    "Conditional",
    "Define",
    "ExactTest",
    "Example",
    "ExampleItem",
    "Expect",
    "Expr",
    "FieldAccess",
    "Finder",
    "ForEach",
    "ListLiteral",
    "ListQuery",
    "Literal",
    "Membership",
    "Message",
    "Name",
    "Not",
    "ObjectValue",
    "Param",
    "PresenceTest",
    "Quantity",
    "Query",
    "Requirement",
    "Rule",
    "RulebookFile",
    "RulebookHeader",
    "Temporal",
    "When",
    "WorkdayCount",
]


@dataclass(frozen=True, slots=True)
class WorkdayCount:
    """A duration in statutory working days; only meaningful after/before a time."""

    days: int


# ------------------------------------------------------------------ expressions


@dataclass(frozen=True, slots=True)
class Literal:
    value: int | float | str | bool | dt.timedelta | WorkdayCount | dt.datetime | dt.date
    span: Span


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ObjectValue:
    fields: tuple[tuple[str, Expr, Span], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class FieldAccess:
    target: Expr
    field: str
    span: Span  # the span of the field name


@dataclass(frozen=True, slots=True)
class BinaryOp:
    op: str  # "+" or "-"
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # = != < <= > >=
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Membership:
    op: str  # "in", "not in", "matches"
    value: Expr
    collection: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class PresenceTest:
    value: Expr
    is_present: bool
    span: Span


@dataclass(frozen=True, slots=True)
class ExactTest:
    """`x is exact`: a time known to the minute, not only to the day."""

    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" / "or"
    operands: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Conditional:
    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Temporal:
    kind: str  # within_after, within_before, before, after, between, during
    anchor: Expr | None
    duration: Expr | None = None
    until: Expr | None = None  # the second bound of `between`
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Finder:
    kinds: tuple[tuple[str, Span], ...]  # one name, or the names of a [a, b] list
    binding: str | None
    where: Expr | None
    timed_by: tuple[str, Span] | None
    span: Span


@dataclass(frozen=True, slots=True)
class Query:
    finder: Finder
    temporal: Temporal | None
    span: Span


@dataclass(frozen=True, slots=True)
class ListQuery:
    binding: str
    source: Expr
    where: Expr | None
    span: Span


@dataclass(frozen=True, slots=True)
class Aggregate:
    function: str  # count, count_distinct, any, all, first, last
    argument: Query | ListQuery | Expr
    span: Span


Expr = (
    Literal
    | ListLiteral
    | ObjectValue
    | Name
    | FieldAccess
    | BinaryOp
    | Compare
    | Membership
    | PresenceTest
    | ExactTest
    | BoolOp
    | Not
    | Conditional
    | Aggregate
)

# ------------------------------------------------------------------ rules


@dataclass(frozen=True, slots=True)
class When:
    condition: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class ForEach:
    subject_type: str  # the first (usually only) name
    binding: str
    where: Expr | None
    span: Span
    type_span: Span
    kinds: tuple[tuple[str, Span], ...] = ()  # every name of `for each [a, b] x`


@dataclass(frozen=True, slots=True)
class Quantity:
    mode: str  # at_least, at_most, exactly
    amount: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Requirement:
    mode: str  # require_items, forbid_items, require_that, forbid_that
    finder: Finder | None
    temporal: Temporal | None
    quantity: Quantity | None
    condition: Expr | None
    span: Span
    due: Expr | None = None  # `require that … due T`


@dataclass(frozen=True, slots=True)
class Message:
    zh: str
    en: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class ExampleItem:
    head: str
    name: str | None
    fields: tuple[tuple[str, Expr, Span], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Expect:
    status: str
    subject: str | None
    fields: tuple[tuple[str, Expr, Span], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Example:
    name: str
    lets: tuple[tuple[str, Expr, Span], ...]
    as_of: Expr | None
    params: tuple[tuple[str, Expr, Span], ...]
    items: tuple[ExampleItem, ...]
    expects: tuple[Expect, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title_zh: str
    title_en: str | None
    fields: tuple[tuple[str, object, Span], ...]  # metadata: (key, value, span)
    scopes: tuple[When | ForEach, ...]
    requirement: Requirement
    message: Message | None
    examples: tuple[Example, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    default: Expr
    description: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Define:
    name: str
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class RulebookHeader:
    id: str
    title_zh: str
    title_en: str | None
    fields: tuple[tuple[str, object, Span], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class RulebookFile:
    path: str
    header: RulebookHeader | None
    params: tuple[Param, ...]
    defines: tuple[Define, ...]
    rules: tuple[Rule, ...]
