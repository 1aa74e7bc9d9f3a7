"""Resolving FHIR references within one input, in every form a feed uses.

* contained: ``#id`` (and ``#`` for the container itself);
* bundle-local: ``urn:uuid:…`` and ``urn:oid:…`` full URLs;
* relative ``Type/id`` (against the referring entry's base URL first), absolute
  ``http(s)://base/Type/id``, and either with ``/_history/n``;
* conditional ``Type?identifier=system|value`` and logical references (``Reference.identifier``),
  when a resource with that identifier is present.

A target that is absent is *external* (another server's resource) unless the reference is of
a local form (``#``, ``urn:``): then the input itself is broken, and `BrokenReference` says so.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from emrlint.parsers.fhir.elements import as_list
from emrlint.parsers.fhir.source import Resource

__all__ = ["BrokenReference", "ReferenceIndex"]

_HISTORY = re.compile(r"/_history/[^/]*$")


class BrokenReference(ValueError):
    """A local reference (``#id``, ``urn:uuid:…``) whose target is not in the input."""

    def __init__(self, path: str, form: str) -> None:
        super().__init__(f"{path}: the referenced resource ({form}) is not in the input")
        self.path = path


class ReferenceIndex:
    """Every resource of one input by full URL, ``Type/id`` and identifier."""

    def __init__(self, resources: list[Resource]) -> None:
        self.resources = resources
        self.by_url: dict[str, Resource] = {}
        self.by_type_id: dict[tuple[str, str], Resource] = {}
        self._by_identifier: dict[tuple[str, str | None, str], Resource] | None = None
        for resource in resources:
            if resource.full_url is not None:
                self.by_url.setdefault(resource.full_url, resource)
            if resource.fid is not None:
                self.by_type_id.setdefault((resource.rtype, resource.fid), resource)

    @property
    def by_identifier(self) -> dict[tuple[str, str | None, str], Resource]:
        """Resources by (type, identifier system or None, value); built on first use, since
        only conditional and logical references need it."""
        if self._by_identifier is None:
            found: dict[tuple[str, str | None, str], Resource] = {}
            for resource in self.resources:
                for identifier in as_list(resource.data.get("identifier")):
                    if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
                        value = identifier["value"]
                        system = identifier.get("system")
                        system = system if isinstance(system, str) else None
                        found.setdefault((resource.rtype, system, value), resource)
                        found.setdefault((resource.rtype, None, value), resource)
            self._by_identifier = found
        return self._by_identifier

    def resolve(self, reference: Any, holder: Resource, path: str) -> Resource | None:
        """The resource a Reference points at, None if it is external or gives no target.

        Raises `BrokenReference` for a local reference whose target is absent."""
        if not isinstance(reference, dict):
            return None
        text = reference.get("reference")
        if isinstance(text, str) and text:
            return self._resolve_text(text, holder, path)
        identifier = reference.get("identifier")
        rtype = reference.get("type")
        if isinstance(identifier, dict) and isinstance(rtype, str):
            value = identifier.get("value")
            system = identifier.get("system")
            if isinstance(value, str):
                return self.by_identifier.get(
                    (rtype, system if isinstance(system, str) else None, value)
                )
        return None

    def _resolve_text(self, text: str, holder: Resource, path: str) -> Resource | None:
        if text.startswith("#"):
            container = holder.container or holder
            if text == "#":
                return container
            found = container.contained().get(text[1:])
            if found is None:
                raise BrokenReference(path, "contained #id")
            return found
        found = self.by_url.get(text)
        if found is not None:
            return found
        if text.startswith(("urn:uuid:", "urn:oid:")):
            if found is None:
                raise BrokenReference(path, text.split(":", 2)[1] + " full URL")
            return found
        if "?" in text:
            return self._conditional(text)
        if "/_history/" in text:
            text = _HISTORY.sub("", text)
        if "://" in text:
            found = self.by_url.get(text)
            if found is not None:
                return found
            parts = text.rstrip("/").rsplit("/", 2)
            return self.by_type_id.get((parts[-2], parts[-1])) if len(parts) == 3 else None
        base = _base(holder.container.full_url if holder.container else holder.full_url)
        if base is not None:
            found = self.by_url.get(f"{base}/{text}")
            if found is not None:
                return found
        rtype, slash, fid = text.partition("/")
        return self.by_type_id.get((rtype, fid)) if slash else None

    def _conditional(self, text: str) -> Resource | None:
        rtype, _, query = text.partition("?")
        params = parse_qsl(query, keep_blank_values=True)
        if len(params) != 1 or params[0][0] != "identifier":
            return None
        system, bar, value = params[0][1].rpartition("|")
        if not bar:
            return self.by_identifier.get((rtype, None, value))
        return self.by_identifier.get((rtype, system or None, value))


def _base(full_url: str | None) -> str | None:
    """``http://server/fhir`` from ``http://server/fhir/Type/id``; None for ``urn:`` URLs."""
    if full_url is None or "://" not in full_url:
        return None
    parts = _HISTORY.sub("", full_url).rstrip("/").rsplit("/", 2)
    return parts[0] if len(parts) == 3 else None
