"""InputProblem: a record that could not be read, kept as a result instead of raised."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

__all__ = ["InputProblem", "describe_validation_error"]


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
