"""What the reports say about the rules of a run: rulebook hashes (so a report can be tied to
the exact rule text that produced it) and one plain dict per rule (for the xlsx 规则 sheet, the
html page and rate titles). The CLI calls these to fill `RunInfo`; reporters never load rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

__all__ = ["rule_entries", "rulebook_entries", "rules_from_findings"]


class _Rule(Protocol):
    id: str
    version: int
    title_zh: str
    title_en: str
    category: str
    tags: tuple[str, ...]
    citation: str
    rulebook: str
    source_text: str

    @property
    def severity(self) -> Any: ...


class _Rulebook(Protocol):
    id: str
    path: str

    @property
    def rules(self) -> Sequence[_Rule]: ...


def rulebook_entries(books: Iterable[_Rulebook]) -> list[dict[str, Any]]:
    """One entry per rulebook: id, path, number of rules, and the SHA-256 of the file's bytes.

    The hash lets a QC office show which rule text a past report came from. When the file can
    no longer be read (it moved after loading), the hash covers the rules' source texts instead
    and `sha256_of` says so.
    """
    entries = []
    for book in books:
        try:
            digest = hashlib.sha256(Path(book.path).read_bytes()).hexdigest()
            of = "file"
        except OSError:
            text = "\n".join(rule.source_text for rule in book.rules)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            of = "rules"
        entries.append(
            {
                "id": book.id,
                "path": book.path,
                "rules": len(book.rules),
                "sha256": digest,
                "sha256_of": of,
            }
        )
    return entries


def rule_entries(rules: Iterable[_Rule]) -> list[dict[str, Any]]:
    """The rules of a run as plain dicts, sorted by id (pass `LoadedRules.rules.latest()`)."""
    return [
        {
            "id": rule.id,
            "version": rule.version,
            "title": {"zh": rule.title_zh, "en": rule.title_en},
            "severity": str(getattr(rule.severity, "value", rule.severity)),
            "category": rule.category,
            "tags": list(rule.tags),
            "citation": rule.citation,
            "rulebook": rule.rulebook,
        }
        for rule in sorted(rules, key=lambda r: r.id)
    ]


def rules_from_findings(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rules that produced `records` (finding records), for when the CLI gave none.

    Titles are unknown here and left empty; everything else comes from the findings.
    """
    seen: dict[str, dict[str, Any]] = {}
    for record in records:
        rule_id = record["rule_id"]
        if rule_id in seen or rule_id == "input":
            continue
        seen[rule_id] = {
            "id": rule_id,
            "version": record["rule_version"],
            "title": {"zh": "", "en": ""},
            "severity": record["severity"],
            "category": record["category"],
            "tags": list(record["tags"]),
            "citation": record["citation"],
            "rulebook": "",
        }
    return [seen[key] for key in sorted(seen)]
