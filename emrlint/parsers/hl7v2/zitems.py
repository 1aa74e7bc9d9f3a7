"""emrlint's Z-segments in a message -> `MessageFacts` (see `zsegments.py` for the fields).

Read in every message kind, whatever its standard segments: items only Z-segments carry
(events, consultations, administrations) become upserts like any other; item extensions become
`overrides`, applied once the visit's messages are all read, so that a later standard message
(an SIU after the closing ADT) never undoes them; ZFP and the episode lists become `episode`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emrlint.parsers.hl7v2.er7 import SegmentView
from emrlint.parsers.hl7v2.facts import MessageFacts, Reading
from emrlint.parsers.hl7v2.zsegments import SPECS, decode

__all__ = ["read_zsegments"]

_NEW_ITEMS = ("events", "consultations", "administrations")
_EPISODE_LISTS = ("transfers", "condition_levels", "care_team")
_TYPES = {
    "ts": "date/time (TS)",
    "bool": "flag (Y or N)",
    "int": "whole number",
    "num": "number",
    "json": "JSON value",
}


def read_zsegments(facts: MessageFacts, segments: Sequence[SegmentView], r: Reading) -> None:
    """The mapped emrlint Z-segments of one message, in their order."""
    enabled = r.mapping.z_segments
    found = [s for s in segments if s.name in enabled and s.name in SPECS]
    if not found:
        return

    def bad(where: str, kind: str) -> None:
        facts.problems.append(f"{where} is not a valid {_TYPES[kind]}")

    signatures: dict[str, list[dict[str, Any]]] = {}
    episode: dict[str, Any] = {}
    for segment in found:
        spec = SPECS[segment.name]
        values = decode(spec, segment, r.tz, bad)
        target = spec.target
        if target == "episode":
            episode.update(values)
        elif target in _EPISODE_LISTS:
            episode.setdefault(target, []).append(_given(values))
        elif target == "signatures":
            document = values.pop("document")
            if document is None:
                facts.problems.append("ZSG-1 (the document signed) is missing")
            else:
                signatures.setdefault(document, []).append(_given(values))
        else:
            item_id = values.get("id")
            if item_id is None:
                facts.problems.append(f"{segment.name}-1 (the item id) is missing")
            elif target in _NEW_ITEMS:
                facts.items.append((target, item_id, _given(values)))
            else:
                del values["id"]
                facts.overrides.append((target, item_id, values))
    for list_name, item_id, values in facts.overrides:
        if list_name == "documents":
            values["signatures"] = signatures.pop(item_id, [])
    for document, signed in signatures.items():  # ZSG without ZDC: the signatures only
        facts.overrides.append(("documents", document, {"signatures": signed}))
    if episode:
        facts.episode = episode


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
