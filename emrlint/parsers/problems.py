"""InputProblem: a record that could not be read, kept as a result instead of raised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

__all__ = ["InputProblem", "combine", "describe_validation_error"]


@dataclass(frozen=True, slots=True)
class InputProblem:
    """Where a record was and why it could not be read. Holds no record content."""

    file: str
    position: str  # "line 12", "item [3]", "message 4", "whole file"
    reason: str
    episode_id: str | None = None
    line: int | None = None

    @property
    def location(self) -> str:
        return (
            f"{self.file}:{self.line}" if self.line is not None else f"{self.file} {self.position}"
        )


def describe_validation_error(error: ValidationError, limit: int = 5) -> str:
    """A one-line summary of a pydantic error that names fields, never the values in them."""
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:limit]:
        where = ".".join(str(p) for p in item["loc"]) or "record"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def combine(problems: Sequence[InputProblem], limit: int = 5) -> InputProblem:
    """One problem for one record that has several (a stay whose Encounter and items each have
    one), so that the record still gives one result: at the first problem's position, with
    every reason, each after its own position where that is not the first's; past `limit`
    reasons, the rest are counted."""
    first = problems[0]
    parts = []
    for problem in problems[:limit]:
        if problem.file != first.file:
            parts.append(f"{problem.file} {problem.position}: {problem.reason}")
        elif problem.position != first.position:
            parts.append(f"{problem.position}: {problem.reason}")
        else:
            parts.append(problem.reason)
    if len(problems) > limit:
        parts.append(f"and {len(problems) - limit} more")
    return InputProblem(first.file, first.position, "; ".join(parts), first.episode_id, first.line)
