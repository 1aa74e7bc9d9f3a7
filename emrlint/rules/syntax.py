"""The Lark parser for rulebooks, and syntax errors a rule author can act on.

Only this module and `transformer.py` import lark. Errors carry file:line:column and, where
lark's expectations allow, a plain-words hint ("a duration such as 6h").
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources

from lark import Lark, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from emrlint.diagnostics import Diagnostic, Span
from emrlint.errors import RulebookError
from emrlint.rules import nodes
from emrlint.rules.transformer import ToNodes

__all__ = ["grammar_text", "parse_expression", "parse_rulebook"]

# What lark's terminal names mean to a rule author.
_TERMINAL_WORDS = {
    "DURATION": "a duration such as 6h or 30min",
    "WORKDAYS": "a number of working days such as 5 workdays",
    "NAME": "a name",
    "CODE": "an id such as HX-2018-07-rescue-record",
    "STRING": 'a quoted text such as "抢救记录"',
    "INT": "a whole number",
    "DATE": "a date such as 2024-01-01",
    "EXAMPLE_NAME": "an example name such as pass-on-time or fail-late",
    "STATUS": "a status (PASS, FAIL, PENDING, NA, INDETERMINATE, WAIVED)",
    "COMPARE": "a comparison (=, !=, <, <=, >, >=)",
    "RULE": "`rule`",
    "REQUIRE": "`require`",
    "FORBID": "`forbid`",
    "EXPECT": "`expect`",
    "RBRACE": "`}`",
    "RSQB": "`]`",
    "RPAR": "`)`",
    "END": "`end`",
}


def grammar_text() -> str:
    return resources.files("emrlint.rules").joinpath("grammar.lark").read_text("utf-8")


@cache
def _parser(start: str) -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        propagate_positions=True,
        start=start,
        maybe_placeholders=False,
    )


def parse_rulebook(
    text: str, path: str, zh_names: Mapping[str, str] | None = None
) -> nodes.RulebookFile:
    """Parse rulebook text; raise RulebookError with the position of the first syntax error.

    `zh_names` maps 中文 kind names to kind names, so `抢救记录` can suggest `rescue_record`.
    """
    try:
        tree = _parser("start").parse(text)
    except UnexpectedInput as error:
        diagnostic = _syntax_diagnostic(error, text, path, 1, 1)
        if isinstance(error, UnexpectedCharacters) and zh_names:
            diagnostic = _suggest_kind(diagnostic, text, error.pos_in_stream, zh_names)
        raise RulebookError([diagnostic]) from None
    return ToNodes(path).transform(tree)


def _suggest_kind(
    diagnostic: Diagnostic, text: str, position: int, zh_names: Mapping[str, str]
) -> Diagnostic:
    end = position
    while end < len(text) and not text[end].isspace() and not text[end].isascii():
        end += 1
    word = text[position:end]
    kind = zh_names.get(word)
    if kind is None:
        return diagnostic
    span = diagnostic.span
    assert span is not None
    wide = Span(span.file, span.line, span.column, span.line, span.column + len(word))
    return Diagnostic(
        diagnostic.code,
        diagnostic.slug,
        f"`{word}` is not a name rules use",
        wide,
        f"did you mean `{kind}`?",
        diagnostic.source_line,
        kind,
    )


def parse_expression(text: str, path: str, line: int = 1, column: int = 1) -> nodes.Expr:
    """Parse one expression (a message placeholder, a parameter value from the config)."""
    tree = _parse(text, path, "expr", line, column)
    result = ToNodes(path).transform(tree)
    return result  # type: ignore[no-any-return]


def _parse(text: str, path: str, start: str, line: int = 1, column: int = 1) -> Tree:
    try:
        return _parser(start).parse(text)
    except UnexpectedInput as error:
        raise RulebookError([_syntax_diagnostic(error, text, path, line, column)]) from None


def _syntax_diagnostic(
    error: UnexpectedInput, text: str, path: str, line_offset: int, column_offset: int
) -> Diagnostic:
    line = getattr(error, "line", 1) or 1
    column = getattr(error, "column", 1) or 1
    if isinstance(error, UnexpectedEOF) or line < 1:
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    source_line = text.splitlines()[line - 1] if text.splitlines() else ""
    end_column = column + 1
    if isinstance(error, UnexpectedToken):
        found = f"`{error.token}`" if error.token.type != "$END" else "the end of the file"
        end_column = column + max(len(str(error.token)), 1)
        message = f"unexpected {found}"
    elif isinstance(error, UnexpectedCharacters):
        message = f"unexpected character `{text[error.pos_in_stream]}`"
    else:
        message = "unexpected end of the file"
    expected = sorted(getattr(error, "expected", None) or getattr(error, "allowed", None) or ())
    help_text = _expected_words(expected)
    span = Span(
        path,
        line + line_offset - 1,
        column + (column_offset - 1 if line == 1 else 0),
        line + line_offset - 1,
        end_column + (column_offset - 1 if line == 1 else 0),
    )
    return Diagnostic("E001", "syntax-error", message, span, help_text, source_line)


def _expected_words(expected: list[str]) -> str | None:
    if not expected:
        return None
    words = []
    for terminal in expected:
        word = _TERMINAL_WORDS.get(terminal)
        if word is None:
            word = f"`{terminal.lower()}`" if terminal.isalpha() else None
        if word and word not in words:
            words.append(word)
    if not words:
        return None
    if len(words) > 6:
        words = [*words[:6], "…"]
    return "expected " + ", or ".join(words)
