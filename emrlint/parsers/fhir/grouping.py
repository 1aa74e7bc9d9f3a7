"""Which resources make which episode: one episode per inpatient Encounter, holding every item
that links to it (directly, through an Encounter that is partOf it, or — one hop — through the
request it answers), plus the Conditions its Encounter.diagnosis names.

Decides membership only; maps nothing. An item linked to no inpatient Encounter in the input
is counted, not read. A resource whose link to its stay cannot be followed (a broken
`encounter`, request or `partOf` reference) is a *stray*: it may belong to any stay of its
patient, so it is given to each of them, to be reported as their problem rather than left out
of them; a stray that no stay of the input can own is reported alone.
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
    """One episode to build: its inpatient Encounter, the Encounters merged into it, its items,
    and the strays (resource, reason) that may belong to it."""

    encounter: Resource
    members: list[Resource]
    items: list[Resource] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    strays: list[tuple[Resource, str]] = field(default_factory=list)
    _orders: set[int] = field(default_factory=set)

    def add(self, resource: Resource) -> None:
        if resource.order not in self._orders:
            self._orders.add(resource.order)
            self.items.append(resource)


@dataclass
class Grouping:
    seeds: list[Seed]
    alone: list[tuple[Resource, str]]  # strays no stay of the input can own, with the reason


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
    strays: list[tuple[Resource, str]] = []
    parents: dict[int, Resource] = {}
    for encounter in encounters:
        try:
            parent = index.resolve(encounter.data.get("partOf"), encounter, "partOf")
        except BrokenReference as error:
            strays.append((encounter, str(error)))
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
            strays.append((resource, str(error)))
            continue
        except (TypeError, AttributeError, KeyError) as error:
            strays.append((resource, f"unexpected structure ({type(error).__name__})"))
            continue
        root = roots.get(encounter.order) if encounter is not None else None
        if root is not None:
            seeds[root.order].add(resource)
        elif resource.order not in linked:
            skipped[f"FHIR {resource.rtype} not linked to an inpatient Encounter"] += 1
    for seed in seeds.values():
        seed.items.sort(key=lambda item: item.order)
    return Grouping(list(seeds.values()), _place(strays, list(seeds.values()), index))


def _place(
    strays: list[tuple[Resource, str]], seeds: list[Seed], index: ReferenceIndex
) -> list[tuple[Resource, str]]:
    """Give each stray to every stay it may belong to: the stays of its patient, or every stay
    of the input when its patient cannot be told. Returns the strays that no stay can own."""
    by_patient: dict[tuple[str, str] | None, list[Seed]] = {}
    if strays:
        for seed in seeds:
            by_patient.setdefault(_patient_of(seed.encounter, index), []).append(seed)
    alone = []
    for resource, reason in strays:
        patient = _patient_of(resource, index)
        owners = seeds if patient is None else by_patient.get(patient, [])
        for seed in owners:
            seed.strays.append((resource, reason))
        if not owners:
            alone.append((resource, reason))
    return alone


def _patient_of(resource: Resource, index: ReferenceIndex) -> tuple[str, str] | None:
    """Who `resource` is about (its `subject`), comparable whichever form of reference names
    the patient: the Patient in the input, else the id or identifier a reference gives.
    None when it cannot be told: no subject, a broken one, or one that is not a Patient."""
    reference = resource.data.get("subject")
    try:
        target = index.resolve(reference, resource, "subject")
    except BrokenReference:
        return None
    if target is not None:
        if target.rtype != "Patient":
            return None
        return ("id", target.fid) if target.fid else ("entry", str(target.order))
    if not isinstance(reference, dict):
        return None
    text = reference.get("reference")
    if isinstance(text, str) and text:
        parts = text.split("/_history/")[0].rstrip("/").split("/")
        if "?" not in text and len(parts) >= 2 and parts[-2] == "Patient" and parts[-1]:
            return ("id", parts[-1])
        return None
    identifier = reference.get("identifier")
    value = identifier.get("value") if isinstance(identifier, dict) else None
    return ("identifier", value) if isinstance(value, str) and value else None


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
