"""Episodes out as native JSON (`emrlint convert --to native`), compact and always readable
back into the same episode."""

from __future__ import annotations

import json
from typing import Any, Literal, get_origin

from pydantic import BaseModel

from emrlint.model import Episode

__all__ = ["episode_to_native_json"]


def episode_to_native_json(episode: Episode) -> str:
    """An episode in the native format, as compact as reading it back allows: values equal to
    their defaults are left out, except the `format` tag and the tags that tell members of a
    union apart (an event's `type`), without which the reader cannot tell what an item is."""
    data = {"format": episode.format, **_with_tags(episode)}
    return json.dumps(data, ensure_ascii=False)


def _with_tags(model: BaseModel) -> dict[str, Any]:
    """`model` dumped without its defaults, but with every `Literal` field (a union tag) kept,
    first, at every depth."""
    data = model.model_dump(mode="json", exclude_defaults=True)
    tags: dict[str, Any] = {}
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if get_origin(field.annotation) is Literal:
            tags[name] = value
        elif name not in data:
            continue
        elif isinstance(value, BaseModel):
            data[name] = _with_tags(value)
        elif isinstance(value, list | tuple):
            data[name] = [
                _with_tags(item) if isinstance(item, BaseModel) else written
                for item, written in zip(value, data[name], strict=True)
            ]
    return {**tags, **data}
