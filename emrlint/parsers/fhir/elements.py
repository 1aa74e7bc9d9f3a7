"""Reading FHIR data types out of parsed JSON: times, CodeableConcepts, extensions, quantities.

Lenient about shape (a list where one item was expected, a missing element) because feeds
are; strict about values that would change a result: a time that is not a FHIR date or
dateTime raises `BadElement`, which the caller reports with the resource and element path.
Knows no mapping table and no model class.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

__all__ = [
    "PARTIAL",
    "BadElement",
    "as_list",
    "code_of",
    "codings",
    "concept_text",
    "extension",
    "extension_value",
    "extensions",
    "first_code",
    "identifier_value",
    "number",
    "parse_time",
    "string",
    "value_of",
]


class BadElement(ValueError):
    """An element whose value cannot be read; `path` names it (e.g. ``performedPeriod.start``)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class _Partial:
    """Stands for a FHIR date known only to the year or month (``2024``, ``2024-05``)."""

    def __repr__(self) -> str:
        return "PARTIAL"


PARTIAL = _Partial()


def parse_time(value: Any, path: str) -> dt.datetime | dt.date | _Partial | None:
    """A FHIR date, dateTime or instant: an aware or naive datetime, a date, PARTIAL, or None
    when absent. Naive datetimes stay naive: the model reads them in the site timezone."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadElement(path, "is not a FHIR date or dateTime string")
    text = value.strip()
    size = len(text)
    try:
        if size == 10:
            return dt.date.fromisoformat(text)
        if size in (4, 7) and text[:4].isdigit():
            if size == 7:
                dt.date.fromisoformat(text + "-01")
            return PARTIAL
        if size > 10 and text[10] in "T ":
            return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    raise BadElement(path, "is not a FHIR date or dateTime")


def as_list(value: Any) -> list[Any]:
    """A repeating element as a list (one object given where a list was expected counts)."""
    if isinstance(value, list):
        return value
    if value is None:
        return []
    return [value]


def code_of(value: Any) -> str | None:
    """A code as a string, or None: a list or object where a code belongs matches nothing."""
    return value if isinstance(value, str) else None


def string(value: Any) -> str | None:
    """A non-empty string, or None."""
    return value if isinstance(value, str) and value else None


def number(value: Any) -> float | None:
    """A JSON number as float (booleans are not numbers), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def codings(concept: Any) -> Iterator[dict[str, Any]]:
    if isinstance(concept, dict):
        for coding in as_list(concept.get("coding")):
            if isinstance(coding, dict):
                yield coding


def first_code(concept: Any, systems: tuple[str, ...] = ()) -> str | None:
    """The code of the first Coding in the first of `systems` that has one; with no systems,
    the first Coding's code."""
    if not systems:
        for coding in codings(concept):
            code = string(coding.get("code"))
            if code is not None:
                return code
        return None
    for system in systems:
        for coding in codings(concept):
            if coding.get("system") == system:
                code = string(coding.get("code"))
                if code is not None:
                    return code
    return None


def concept_text(concept: Any) -> str | None:
    """What a person would read: the CodeableConcept's text, else the first Coding display."""
    if not isinstance(concept, dict):
        return None
    text = string(concept.get("text"))
    if text is not None:
        return text
    for coding in codings(concept):
        display = string(coding.get("display"))
        if display is not None:
            return display
    return None


def extensions(element: Any, url: str) -> Iterator[dict[str, Any]]:
    """Every extension with `url` on an element (resource, data type or ``_primitive``)."""
    if isinstance(element, dict):
        for item in as_list(element.get("extension")):
            if isinstance(item, dict) and item.get("url") == url:
                yield item


def extension(element: Any, url: str) -> dict[str, Any] | None:
    return next(extensions(element, url), None)


def extension_value(element: Any, url: str) -> Any:
    """The value[x] of the first extension with `url`, or None."""
    found = extension(element, url)
    return value_of(found) if found is not None else None


def value_of(element: dict[str, Any]) -> Any:
    """The value[x] of an extension (or any element with a choice of value types)."""
    for key, value in element.items():
        if key.startswith("value"):
            return value
    return None


def identifier_value(
    identifiers: Any, systems: tuple[str, ...], types: frozenset[str] = frozenset()
) -> str | None:
    """The value of the first identifier in one of `systems` (in that order), else the first
    whose type has one of the `types` codes."""
    items = [item for item in as_list(identifiers) if isinstance(item, dict)]
    for system in systems:
        for item in items:
            if item.get("system") == system and string(item.get("value")):
                return item["value"]
    if types:
        for item in items:
            if string(item.get("value")) and any(
                code_of(coding.get("code")) in types for coding in codings(item.get("type"))
            ):
                return item["value"]
    return None
