"""Which resources make which episode: one episode per inpatient Encounter, holding every item
that links to it (directly, through an Encounter that is partOf it, or — one hop — through the
request it answers), plus the Conditions its Encounter.diagnosis names.

Decides membership only; maps nothing. An item linked to no inpatient Encounter in the input
is counted, not read. A broken link is reported with the item's position.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from emrlint.parsers.fhir.elements import as_list, code_of, codings
from emrlint.parsers.fhir.references import BrokenReference, ReferenceIndex
from emrlint.parsers.fhir.source import ITEM_TYPES, Resource
from emrlint.parsers.fhir.tables import FhirTables
from emrlint.parsers.problems import InputProblem

__all__ = ["Grouping", "Seed", "diagnosis_references", "group"]


@dataclass
class Seed:
    """One episode to build: its inpatient Encounter, the Encounters merged into it, its items."""

    encounter: Resource
    members: list[Resource]
    items: list[Resource] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    _orders: set[int] = field(default_factory=set)

    def add(self, resource: Resource) -> None:
        if resource.order not in self._orders:
            self._orders.add(resource.order)
            self.items.append(resource)


@dataclass
class Grouping:
    seeds: list[Seed]
    problems: list[InputProblem]


def group(
    resources: list[Resource], index: ReferenceIndex, tables: FhirTables, skipped: Counter[str]
) -> Grouping:
    encounters = [resource for resource in resources if resource.rtype == "Encounter"]
    classes = tables.setting("encounter", "inpatient_classes")
    skip_statuses = tables.setting("encounter", "skip_statuses")
    inpatient: set[int] = set()
    for encounter in encounters:
        if code_of(encounter.data.get("status")) in skip_statuses:
            skipped["FHIR Encounters whose status is not a stay (planned, cancelled…)"] += 1
        elif _classes(encounter.data) & classes:
            inpatient.add(encounter.order)
        else:
            skipped["FHIR Encounters that are not inpatient (class)"] += 1
    problems: list[InputProblem] = []
    parents: dict[int, Resource] = {}
    for encounter in encounters:
        try:
            parent = index.resolve(encounter.data.get("partOf"), encounter, "partOf")
        except BrokenReference as error:
            problems.append(_problem(encounter, str(error)))
            inpatient.discard(encounter.order)
            continue
        if parent is not None and parent.rtype == "Encounter" and parent is not encounter:
            parents[encounter.order] = parent
    roots: dict[int, Resource | None] = {
        encounter.order: _root(encounter, parents, inpatient) for encounter in encounters
    }
    seeds: dict[int, Seed] = {}
    for encounter in encounters:
        root = roots[encounter.order]
        if root is encounter:
            seeds[encounter.order] = Seed(encounter, [encounter])
    for encounter in encounters:
        root = roots[encounter.order]
        if root is not None and root is not encounter:
            seeds[root.order].members.append(encounter)
            if encounter.order in inpatient:
                skipped["FHIR inpatient Encounters merged into the Encounter they are partOf"] += 1
    for seed in seeds.values():
        for member in seed.members:
            for path, reference in diagnosis_references(member.data):
                try:
                    condition = index.resolve(reference, member, path)
                except BrokenReference as error:
                    seed.problems.append(_problem(member, str(error)))
                    continue
                if condition is not None and condition.rtype == "Condition":
                    seed.add(condition)
    linked = {order for seed in seeds.values() for order in seed._orders}
    for resource in resources:
        if resource.rtype not in ITEM_TYPES:
            continue
        if resource.data.get("status") == "entered-in-error":
            skipped[f"FHIR {resource.rtype} marked entered-in-error"] += 1
            continue
        try:
            encounter = _encounter_of(resource, index)
        except BrokenReference as error:
            problems.append(_problem(resource, str(error)))
            continue
        except (TypeError, AttributeError, KeyError) as error:
            problems.append(_problem(resource, f"unexpected structure ({type(error).__name__})"))
            continue
        root = roots.get(encounter.order) if encounter is not None else None
        if root is not None:
            seeds[root.order].add(resource)
        elif resource.order not in linked:
            skipped[f"FHIR {resource.rtype} not linked to an inpatient Encounter"] += 1
    for seed in seeds.values():
        seed.items.sort(key=lambda item: item.order)
    return Grouping(list(seeds.values()), problems)


def diagnosis_references(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """(path, Reference) of every Condition an Encounter.diagnosis names (R4 Reference, R5 a
    list of CodeableReference)."""
    found = []
    for index, entry in enumerate(as_list(data.get("diagnosis"))):
        if not isinstance(entry, dict):
            continue
        condition = entry.get("condition")
        if isinstance(condition, list):
            for inner, item in enumerate(condition):
                if isinstance(item, dict):
                    found.append((f"diagnosis[{index}].condition[{inner}]", item.get("reference")))
        else:
            found.append((f"diagnosis[{index}].condition", condition))
    return found


def _classes(data: dict[str, Any]) -> set[str]:
    value = data.get("class")
    if isinstance(value, dict):
        code = value.get("code")
        return {code} if isinstance(code, str) else set()
    return {code_of(c.get("code")) for concept in as_list(value) for c in codings(concept)}


def _root(
    encounter: Resource, parents: dict[int, Resource], inpatient: set[int]
) -> Resource | None:
    """The top-most inpatient Encounter of `encounter`'s partOf chain (cycles are cut)."""
    found = encounter if encounter.order in inpatient else None
    seen = {encounter.order}
    current = encounter
    while current.order in parents:
        current = parents[current.order]
        if current.order in seen:
            break
        seen.add(current.order)
        if current.order in inpatient:
            found = current
    return found


def _encounter_refs(resource: Resource) -> list[tuple[str, Any]]:
    data = resource.data
    if resource.rtype == "DocumentReference":
        context = data.get("context")
        if isinstance(context, list):  # R5: context is the encounters
            return [(f"context[{i}]", item) for i, item in enumerate(context)]
        if isinstance(context, dict):
            return [
                (f"context.encounter[{i}]", item)
                for i, item in enumerate(as_list(context.get("encounter")))
            ]
        return []
    if resource.rtype == "MedicationAdministration" and "context" in data:
        return [("context", data["context"])]
    return [("encounter", data["encounter"])] if "encounter" in data else []


def _encounter_of(resource: Resource, index: ReferenceIndex) -> Resource | None:
    """The Encounter an item links to; failing that, the one its request links to."""
    for path, reference in _encounter_refs(resource):
        target = index.resolve(reference, resource, path)
        if target is not None and target.rtype == "Encounter":
            return target
    hops = as_list(resource.data.get("basedOn"))
    if resource.rtype == "MedicationAdministration":
        hops = [resource.data.get("request"), *hops]
    for number, reference in enumerate(hops):
        request = index.resolve(reference, resource, f"request/basedOn[{number}]")
        if request is not None and request is not resource and request.rtype in ITEM_TYPES:
            for path, inner in _encounter_refs(request):
                target = index.resolve(inner, request, path)
                if target is not None and target.rtype == "Encounter":
                    return target
    return None


def _problem(resource: Resource, reason: str) -> InputProblem:
    return InputProblem(resource.file, resource.position, reason, line=resource.line)
