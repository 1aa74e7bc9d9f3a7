"""Message templates: literal text with `{expression}` placeholders; `{{` and `}}` are braces.

A tiny scanner of its own rather than `string.Formatter`, which reads `!` and `:` inside a
placeholder as conversion and format marks and so garbles `{a != b}`. The expressions
themselves are parsed by the rule grammar, never here.
"""

from __future__ import annotations

__all__ = ["TemplateError", "split_template"]


class TemplateError(ValueError):
    """Unbalanced braces."""


def split_template(template: str) -> list[tuple[str, str | None]]:
    """[(literal text, placeholder expression or None), …] in order."""
    parts: list[tuple[str, str | None]] = []
    literal: list[str] = []
    index = 0
    while index < len(template):
        char = template[index]
        pair = template[index : index + 2]
        if pair in ("{{", "}}"):
            literal.append(char)
            index += 2
            continue
        if char == "}":
            raise TemplateError("a `}` without its `{`")
        if char == "{":
            end = template.find("}", index + 1)
            if end < 0:
                raise TemplateError("a `{` without its `}`")
            parts.append(("".join(literal), template[index + 1 : end].strip()))
            literal = []
            index = end + 1
            continue
        literal.append(char)
        index += 1
    if literal:
        parts.append(("".join(literal), None))
    return parts
