"""--strict-fhir: validate every resource with the fhir.resources models; the only module of
emrlint that imports fhir.resources.

R4 and R4B content is validated with fhir.resources' R4B models (the package has no R4 models;
for the elements emrlint reads R4 and R4B are the same), R5 content with its default R5
models. A resource that validates is replaced by what fhir.resources made of it (dumped back to
JSON), so the strict path maps exactly what the validated model holds; the default path maps
the parsed JSON directly, and a differential test shows both build the same episodes. A failure
becomes one reason per resource, naming element paths and never element values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fhir.resources import get_fhir_model_class as r5_model
from fhir.resources.R4B import get_fhir_model_class as r4b_model
from pydantic import ValidationError

from emrlint.parsers.fhir.source import Resource

__all__ = ["validate"]

_LIMIT = 5


def validate(resources: Iterable[Resource], version: str) -> dict[int, str]:
    """Validate each resource (Bundles included, without their entries' resources); return the
    failures as {resource order: reason}. Valid resources get the validated model's JSON."""
    label, model_of = ("R5", r5_model) if version == "R5" else ("R4B", r4b_model)
    failures: dict[int, str] = {}
    for resource in resources:
        model = _model(model_of, resource.rtype)
        if model is None:
            failures[resource.order] = f"FHIR {label} has no resource type {resource.rtype}"
            continue
        try:
            validated = model.model_validate(resource.data)
        except ValidationError as error:
            failures[resource.order] = f"FHIR {label} validation: {_describe(error)}"
            continue
        except (KeyError, TypeError, ValueError) as error:
            # fhir.resources looks a contained resource's resourceType up without checking it
            # ("2024-13-45", null): its KeyError or TypeError means an invalid resource
            reason = f"FHIR {label} validation: not a valid resource ({type(error).__name__})"
            failures[resource.order] = reason
            continue
        if resource.is_read:
            resource.data = validated.model_dump(mode="json", by_alias=True, exclude_none=True)
    return failures


def _model(model_of: Callable[[str], Any], rtype: str) -> Any:
    try:
        return model_of(rtype)
    except (ValueError, KeyError, AttributeError):
        return None


def _describe(error: ValidationError) -> str:
    """Element paths and messages (``period.start: …``), never the values that failed."""
    parts = []
    for item in error.errors(include_url=False, include_input=False, include_context=False)[
        :_LIMIT
    ]:
        path = ""
        for step in item["loc"]:
            path += f"[{step}]" if isinstance(step, int) else (f".{step}" if path else str(step))
        parts.append(f"{path or 'resource'}: {item['msg']}")
    more = error.error_count() - _LIMIT
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)
