"""Exceptions emrlint raises to its callers.

    EmrlintError                 base: catch this to handle every user-facing error
    ├── ConfigError              emrlint.toml is unreadable or wrong (carries diagnostics)
    ├── RulebookError            a rulebook does not parse or type-check (carries diagnostics)
    └── UsageError               a path cannot be opened, an option makes no sense

    try:
        results = emrlint.check(paths, config)
    except emrlint.EmrlintError as error:
        print(error)            # already rendered with file:line:column and a hint

Problems with *input records* are never exceptions: they are results (`InputProblem`), so one
broken record never stops a run.
"""

from __future__ import annotations

from collections.abc import Sequence

from emrlint.diagnostics import Diagnostic, render_all

__all__ = ["ConfigError", "EmrlintError", "RulebookError", "UsageError"]


class EmrlintError(Exception):
    """Base class; `str(error)` is the message to show the user."""


class _DiagnosticError(EmrlintError):
    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__(render_all(self.diagnostics))


class ConfigError(_DiagnosticError):
    """The configuration cannot be used; nothing was evaluated."""


class RulebookError(_DiagnosticError):
    """A rulebook cannot be used; nothing was evaluated."""


class UsageError(EmrlintError):
    """A command-line or API call that cannot be carried out."""
