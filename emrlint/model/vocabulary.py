"""The record-kind vocabulary as data: WS/T 500 and LOINC codes, 中文 names, title patterns.

The shipped table is ``emrlint/data/record_kinds.toml``; a site adds or overrides entries in
``emrlint.toml`` (``[kinds.NAME]``). Parsers map source codes and titles to kinds through it, and
the rule checker rejects a kind name it does not hold.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

__all__ = ["KindInfo", "Vocabulary", "default_vocabulary"]

WST500_SYSTEM = "urn:oid:2.16.156.10011.2.4"
LOINC_SYSTEM = "http://loinc.org"


@dataclass(frozen=True, slots=True)
class KindInfo:
    name: str
    zh: str
    en: str
    wst500: str | None = None
    loinc: str | None = None
    titles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    site_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """Kinds by name, plus the lookups parsers need. Immutable once built."""

    kinds: Mapping[str, KindInfo]
    _title_patterns: tuple[tuple[re.Pattern[str], str], ...] = field(repr=False, default=())

    @classmethod
    def from_tables(cls, tables: Iterable[Mapping[str, Mapping[str, Any]]]) -> Vocabulary:
        """Merge kind tables in order; a later table's keys override an earlier one's."""
        merged: dict[str, dict[str, Any]] = {}
        for table in tables:
            for name, entry in table.items():
                merged.setdefault(name, {}).update(entry)
        kinds = {name: _kind_info(name, entry) for name, entry in merged.items()}
        patterns = tuple(
            (re.compile(pattern), info.name) for info in kinds.values() for pattern in info.titles
        )
        return cls(kinds=kinds, _title_patterns=patterns)

    @property
    def groups(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, list[str]] = {}
        for info in self.kinds.values():
            for group in info.groups:
                found.setdefault(group, []).append(info.name)
        return {group: tuple(names) for group, names in sorted(found.items())}

    def by_code(self, system: str | None, code: str) -> str | None:
        """The kind for a (system, code) pair: WS/T 500, LOINC, or a site code in any system."""
        for info in self.kinds.values():
            if system in (WST500_SYSTEM, None) and info.wst500 == code:
                return info.name
            if system in (LOINC_SYSTEM, None) and info.loinc == code:
                return info.name
            if code in info.site_codes:
                return info.name
        return None

    def by_title(self, title: str) -> str | None:
        for pattern, name in self._title_patterns:
            if pattern.search(title):
                return name
        return None

    def by_zh_name(self, zh: str) -> str | None:
        for info in self.kinds.values():
            if info.zh == zh:
                return info.name
        return None


def _kind_info(name: str, entry: Mapping[str, Any]) -> KindInfo:
    return KindInfo(
        name=name,
        zh=str(entry.get("zh", name)),
        en=str(entry.get("en", name)),
        wst500=entry.get("wst500"),
        loinc=entry.get("loinc"),
        titles=tuple(entry.get("titles", ())),
        groups=tuple(entry.get("groups", ())),
        site_codes=tuple(entry.get("site_codes", ())),
    )


def shipped_table() -> dict[str, dict[str, Any]]:
    text = resources.files("emrlint.data").joinpath("record_kinds.toml").read_text("utf-8")
    return tomllib.loads(text)


def default_vocabulary() -> Vocabulary:
    return Vocabulary.from_tables([shipped_table()])
