"""The one base class every model record derives from, and the shared field types.

Records are frozen (no rule mutates what another reads) and forbid unknown keys, so an
integrator's misspelt ``admited_at`` is reported instead of silently dropped. Site-specific
data that has no field yet goes in ``extensions``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Extensions", "Identifier", "Record"]


class Record(BaseModel):
    """Base for every model class: frozen, strict about unknown keys."""

    # NaN and infinity are not JSON (orjson refuses them), so no reader may let them in
    model_config = ConfigDict(
        frozen=True, extra="forbid", use_enum_values=False, allow_inf_nan=False
    )


Identifier = Annotated[
    str,
    Field(min_length=1, max_length=200, description="Identifier, unique within its episode."),
]

Extensions = Annotated[
    dict[str, Any],
    Field(
        default_factory=dict,
        description="Site-specific data that has no model field; rules cannot read it.",
    ),
]
