"""Where each key of a TOML text is, for configuration diagnostics that point at
file:line:column. `tomllib` parses but keeps no positions; the text given here has already
parsed, so the scan only has to tell keys, strings, arrays and inline tables apart.
"""

from __future__ import annotations

import re
import tomllib

__all__ = ["Place", "key_places", "toml_error_position"]

Place = tuple[int, int, int]  # line, column, length


class _KeyScanner:
    """Line, column and length of every key of a TOML text (and of every item of an array, as
    `key[0]`), since tomllib keeps no positions. The text has parsed already, so the scan can
    be simple: it only needs to tell keys, strings, arrays and inline tables apart."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.line_start = 0
        self.spans: dict[str, Place] = {}
        table: tuple[str, ...] = ()
        while self._skip(newlines=True):
            if self._peek() == "[":
                self.i += 2 if self._peek(2) == "[[" else 1
                parts = self._key()
                if parts:
                    table = tuple(part for part, _ in parts)
                    self._record((), parts)
                self._to_line_end()
            else:
                parts = self._key()
                if not parts:
                    self._to_line_end()
                    continue
                self._record(table, parts)
                self._skip()
                if self._peek() == "=":
                    self.i += 1
                    self._value((*table, *(part for part, _ in parts)))
                self._to_line_end()

    # -- positions
    def _peek(self, n: int = 1) -> str:
        return self.text[self.i : self.i + n]

    def _here(self) -> tuple[int, int]:
        return self.line, self.i - self.line_start + 1

    def _newline(self) -> None:
        self.i += 1
        self.line += 1
        self.line_start = self.i

    def _skip(self, newlines: bool = False) -> bool:
        """Skip blanks and comments (and newlines when asked); False at the end of the text."""
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch in " \t\r":
                self.i += 1
            elif ch == "#":
                while self.i < len(self.text) and self.text[self.i] != "\n":
                    self.i += 1
            elif ch == "\n" and newlines:
                self._newline()
            else:
                return True
        return False

    def _to_line_end(self) -> None:
        while self.i < len(self.text) and self.text[self.i] != "\n":
            if self.text[self.i] == "#":
                self._skip()
            elif self.text[self.i] in "\"'":
                self._string()
            else:
                self.i += 1

    def _record(self, prefix: tuple[str, ...], parts: list[tuple[str, Place]]) -> None:
        names = list(prefix)
        for name, place in parts:
            names.append(name)
            self.spans.setdefault(".".join(names), place)

    # -- keys and values
    def _key(self) -> list[tuple[str, Place]]:
        """A dotted key: each part with (line, column, length) of its text (inside quotes)."""
        parts: list[tuple[str, Place]] = []
        while True:
            self._skip()
            line, column = self._here()
            ch = self._peek()
            if ch in ('"', "'"):
                start = self.i
                self._string()
                raw = self.text[start : self.i]
                parts.append((_unquote(raw), (line, column + 1, max(len(raw) - 2, 1))))
            else:
                match = _BARE_KEY.match(self.text, self.i)
                if not match:
                    return parts
                self.i = match.end()
                parts.append((match.group(), (line, column, len(match.group()))))
            self._skip()
            if self._peek() != ".":
                return parts
            self.i += 1

    def _value(self, path: tuple[str, ...] | None) -> None:
        self._skip()
        ch = self._peek()
        if ch == "{":
            self.i += 1
            while self._skip(newlines=True) and self._peek() != "}":
                parts = self._key()
                if not parts:
                    break
                if path is not None:
                    self._record(path, parts)
                self._skip()
                if self._peek() == "=":
                    self.i += 1
                    names = (*path, *(p for p, _ in parts)) if path is not None else None
                    self._value(names)
                self._skip(newlines=True)
                if self._peek() == ",":
                    self.i += 1
            if self._peek() == "}":
                self.i += 1
        elif ch == "[":
            self.i += 1
            index = 0
            while self._skip(newlines=True) and self._peek() != "]":
                if path is not None:
                    line, column = self._here()
                    start = self.i
                    self._value(None)
                    raw = self.text[start : self.i].rstrip()
                    if raw[:1] in ('"', "'") and len(raw) >= 2:  # point inside the quotes
                        column, length = column + 1, max(len(raw) - 2, 1)
                    else:
                        length = max(len(raw), 1)
                    self.spans.setdefault(f"{'.'.join(path)}[{index}]", (line, column, length))
                else:
                    self._value(None)
                index += 1
                self._skip(newlines=True)
                if self._peek() == ",":
                    self.i += 1
                elif self._peek() != "]":
                    break
            if self._peek() == "]":
                self.i += 1
        elif ch in ('"', "'"):
            self._string()
        else:
            while self.i < len(self.text) and self.text[self.i] not in ",]}#\n":
                self.i += 1

    def _string(self) -> None:
        """Skip a string of any of TOML's four kinds, counting the lines a multi-line one spans."""
        quote = self.text[self.i]
        if self._peek(3) == quote * 3:
            self.i += 3
            while self.i < len(self.text):
                if self.text.startswith(quote * 3, self.i):
                    self.i += 3
                    while self._peek() == quote:  # up to two quotes may end the content
                        self.i += 1
                    return
                if quote == '"' and self.text[self.i] == "\\":
                    self.i += 1
                if self.i < len(self.text) and self.text[self.i] == "\n":
                    self._newline()
                else:
                    self.i += 1
            return
        self.i += 1
        while self.i < len(self.text) and self.text[self.i] not in (quote, "\n"):
            self.i += 2 if quote == '"' and self.text[self.i] == "\\" else 1
        if self._peek() == quote:
            self.i += 1


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _unquote(raw: str) -> str:
    if raw.startswith("'"):
        return raw[1:-1]
    try:
        return str(tomllib.loads(f"k = {raw}")["k"])
    except tomllib.TOMLDecodeError:
        return raw[1:-1]


def toml_error_position(message: str, text: str) -> tuple[int, int]:
    match = re.search(r"line (\d+), column (\d+)", message)
    if match:
        return int(match.group(1)), int(match.group(2))
    if "end of document" in message:
        lines = text.splitlines() or [""]
        return len(lines), len(lines[-1]) + 1
    return 1, 1


def key_places(text: str) -> dict[str, Place]:
    """Line, column and length of every key (dotted from the root), and of every array item
    as `key[0]`."""
    return _KeyScanner(text).spans
