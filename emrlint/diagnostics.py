"""Positioned messages for rule authors and configurers, rendered the way Ruff renders them.

    error[E102 unknown-field]: procedure has no field `levl`
      --> rulebooks/nit-2024.rules:41:32
       |
    41 |   for each procedure p where p.levl = 4
       |                                ^^^^
       = help: did you mean `level`?

Columns count characters (1-based); the caret is placed by display width so that it stays under
the token when the line holds 中文 (two columns per character).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Diagnostic", "Span", "did_you_mean", "render", "render_all"]


@dataclass(frozen=True, slots=True)
class Span:
    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str  # e.g. E102
    slug: str  # e.g. unknown-field
    message: str
    span: Span | None
    help: str | None = None
    source_line: str | None = None
    suggestion: str | None = None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def render(diagnostic: Diagnostic) -> str:
    lines = [f"error[{diagnostic.code} {diagnostic.slug}]: {diagnostic.message}"]
    span = diagnostic.span
    if span is not None:
        lines.append(f"  --> {span.file}:{span.line}:{span.column}")
        if diagnostic.source_line is not None:
            number = str(span.line)
            gutter = " " * len(number)
            source = diagnostic.source_line.rstrip("\n").expandtabs(4)
            prefix = source[: max(span.column - 1, 0)]
            if span.end_line in (None, span.line) and span.end_column:
                token = source[span.column - 1 : span.end_column - 1]
            else:
                token = source[span.column - 1 : span.column]
            caret = "^" * max(_width(token), 1)
            lines += [
                f" {gutter} |",
                f" {number} | {source}",
                f" {gutter} | {' ' * _width(prefix)}{caret}",
            ]
    if diagnostic.help:
        lines.append(f"   = help: {diagnostic.help}")
    return "\n".join(lines)


def render_all(diagnostics: Sequence[Diagnostic]) -> str:
    ordered = sorted(
        diagnostics,
        key=lambda d: (d.span.file, d.span.line, d.span.column) if d.span else ("", 0, 0),
    )
    return "\n\n".join(render(d) for d in ordered)
