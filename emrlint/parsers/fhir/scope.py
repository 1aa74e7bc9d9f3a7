"""What mapping one episode's resources needs: tables, vocabulary, references, counters, and
whether the episode was written by emrlint (then it is read exactly, nothing inferred).

Also the two things every mapper shares: `Link` (an item pointing at another item, resolved
to an item id once every item of the episode is known) and time reading.
"""

from __future__ import annotations

import datetime as dt
import functools
import typing
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel

from emrlint.model.vocabulary import Vocabulary
from emrlint.parsers.fhir.conventions import EXT_PREFIX, LINK_FIELDS, SID
from emrlint.parsers.fhir.elements import PARTIAL, BadElement, as_list, parse_time
from emrlint.parsers.fhir.references import ReferenceIndex
from emrlint.parsers.fhir.source import Resource
from emrlint.parsers.fhir.tables import FhirTables

__all__ = ["Link", "Scope"]

# Never read from extensions: ids and event types, and links (the mappers resolve those).
_NEVER = frozenset({"id", "type"}) | LINK_FIELDS


@dataclass(frozen=True, slots=True)
class Link:
    """A reference from one item to another, by resource or (as emrlint writes links to items
    that are not resources, such as transfers) by item id."""

    target: Resource | str


@dataclass
class Scope:
    tables: FhirTables
    vocabulary: Vocabulary
    index: ReferenceIndex
    skipped: Counter[str]
    exact: bool = False
    track: bool = False  # remember every resource resolved (for --strict-fhir)
    used: list[Resource] = field(default_factory=list)
    clinicians: dict[int, Any] = field(default_factory=dict)
    item_systems: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.item_systems = (SID.item_id, *self.tables.setting("identifiers", "item_systems"))

    def resolve(self, reference: Any, holder: Resource, path: str) -> Resource | None:
        """The resource a Reference points at; None when external (`BrokenReference` when a
        local reference has no target)."""
        found = self.index.resolve(reference, holder, path)
        if self.track and found is not None:
            self.used.append(found)
        return found

    def time(self, value: Any, path: str) -> dt.datetime | dt.date | None:
        """A FHIR date or dateTime; a year or year-month date is counted and read as missing."""
        found = parse_time(value, path)
        if found is PARTIAL:
            self.skipped["FHIR dates known only to the year or month (read as missing)"] += 1
            return None
        return found  # type: ignore[return-value]

    def link(self, reference: Any, holder: Resource, path: str) -> Link | None:
        target = self.resolve(reference, holder, path)
        return Link(target) if target is not None else None

    def count(self, what: str) -> None:
        self.skipped[what] += 1

    def fields(
        self,
        element: dict[str, Any],
        model: type[BaseModel],
        prefix: str = EXT_PREFIX,
        skip: frozenset[str] = _NEVER,
    ) -> dict[str, Any]:
        """Model fields carried as extensions on `element`, each named after its field (see
        conventions); JSON in valueString for mappings, lists and records."""
        items = element.get("extension")
        if not items:
            return {}
        kinds = _field_kinds(model)
        found: dict[str, Any] = {}
        for item in as_list(items):
            url = item.get("url") if isinstance(item, dict) else None
            if not isinstance(url, str) or not url.startswith(prefix):
                continue
            name = url[len(prefix) :].replace("-", "_")
            if name not in kinds or name in skip:
                continue
            key, value = next(
                ((k, v) for k, v in item.items() if k.startswith("value")), ("", None)
            )
            where = f"extension({url[len(prefix) :]})"
            if key == "valueDateTime":
                value = self.time(value, where)
            elif key == "valueString" and kinds[name]:
                value = _json(value, where)
            if value is not None:
                found[name] = value
        return found


@functools.cache
def _field_kinds(model: type[BaseModel]) -> dict[str, bool]:
    """Each field of `model`: True when its values are structured (JSON in an extension)."""
    return {name: _is_structured(info.annotation) for name, info in model.model_fields.items()}


def _is_structured(annotation: Any) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, dict | list | BaseModel)
    origin = typing.get_origin(annotation)
    if origin in (dict, list, tuple, set, frozenset):
        return True
    return any(_is_structured(arg) for arg in typing.get_args(annotation) if arg is not type(None))


def _json(value: Any, where: str) -> Any:
    try:
        return orjson.loads(value) if isinstance(value, str) else None
    except orjson.JSONDecodeError:
        raise BadElement(where, "is not JSON in valueString") from None
