"""One `Seed` (an inpatient Encounter and its items) → one Episode, or the InputProblems that
say why it could not be read.

Maps the stay, then every item through its resource type's mapper, gives items their ids
(identifier, else resource id; made unique within the episode), resolves the links between
items (a document `about` a procedure, an administration of an order), and validates the
result with the model. Any item that cannot be read — or that may belong to the episode but
whose link to it cannot be followed (a stray, see grouping) — makes the whole episode a problem
naming that item: checking an episode with a piece missing could report a false FAIL. An
episode is one problem however many reasons it has, so that it still gives one result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from emrlint.model import Episode
from emrlint.model.episode import ITEM_LISTS
from emrlint.parsers.context import ParseContext
from emrlint.parsers.fhir.clinical import Use, map_communication, map_condition, map_procedure
from emrlint.parsers.fhir.conventions import LINK_FIELDS, PROFILE
from emrlint.parsers.fhir.documents import (
    map_composition,
    map_diagnostic_report,
    map_document_reference,
)
from emrlint.parsers.fhir.elements import BadElement, as_list, identifier_value
from emrlint.parsers.fhir.grouping import Seed, diagnosis_references
from emrlint.parsers.fhir.orders import (
    map_medication_administration,
    map_medication_request,
    map_service_request,
)
from emrlint.parsers.fhir.references import BrokenReference, ReferenceIndex
from emrlint.parsers.fhir.results import map_observation, map_risk_assessment
from emrlint.parsers.fhir.scope import Link, Scope
from emrlint.parsers.fhir.source import Resource
from emrlint.parsers.fhir.stay import episode_id, map_flag, map_stay
from emrlint.parsers.fhir.tables import FhirTables
from emrlint.parsers.problems import InputProblem, combine, describe_validation_error

__all__ = ["build_episode"]

_Mapped = list[tuple[str, dict[str, Any]]]
_ONE: dict[str, Callable[[Scope, Resource], tuple[str, dict[str, Any]] | None]] = {
    "Procedure": map_procedure,
    "Communication": map_communication,
    "Observation": map_observation,
    "RiskAssessment": map_risk_assessment,
    "DocumentReference": map_document_reference,
    "Composition": map_composition,
    "DiagnosticReport": map_diagnostic_report,
    "MedicationRequest": map_medication_request,
    "ServiceRequest": map_service_request,
    "MedicationAdministration": map_medication_administration,
}
_LISTS = ITEM_LISTS
_LINK_FIELDS = LINK_FIELDS


def build_episode(
    seed: Seed,
    context: ParseContext,
    tables: FhirTables,
    index: ReferenceIndex,
    invalid: dict[int, str],
    reported: set[int],
) -> list[Episode | InputProblem]:
    """The episode of `seed`, or the one problem that says why there is none. `invalid` holds
    --strict-fhir failures by resource order; those this episode uses (or its strays) are
    reported here (with its id) and added to `reported`."""
    encounter = seed.encounter
    meta = encounter.data.get("meta")
    exact = isinstance(meta, dict) and PROFILE.episode in as_list(meta.get("profile"))
    scope = Scope(tables, context.vocabulary, index, context.skipped, exact, track=bool(invalid))
    episode = episode_id(scope, encounter)
    problems = [_with_episode(problem, episode) for problem in seed.problems]
    try:
        data = map_stay(scope, encounter)
    except _UNREADABLE as error:
        problems.append(_problem(encounter, _reason(error), episode))
        data = {}
    uses = _diagnosis_uses(seed, index)
    mapped: list[tuple[Resource, _Mapped]] = []
    condition_levels = []
    for item in seed.items:
        try:
            if item.rtype == "Flag":
                level = map_flag(scope, item)
                if level is not None:
                    condition_levels.append(level)
                continue
            if item.rtype == "Condition":
                results: _Mapped = [
                    ("diagnoses", found)
                    for found in map_condition(scope, item, uses.get(item.order, []))
                ]
            else:
                one = _ONE[item.rtype](scope, item)
                results = [one] if one is not None else []
        except _UNREADABLE as error:
            problems.append(_problem(item, _reason(error), episode))
            continue
        if results:
            mapped.append((item, results))
    problems.extend(_problem(stray, reason, episode) for stray, reason in seed.strays)
    strays = [stray for stray, _ in seed.strays]
    used = [encounter, *seed.members, *seed.items, *strays, *scope.used]
    for resource in used:
        if resource.order in invalid and resource.container is None:
            problems.append(_problem(resource, invalid[resource.order], episode))
            reported.add(resource.order)
    if problems:
        return [combine(_unique(problems))]
    lists = _assign_ids(scope, mapped, data.get("transfers", []))
    if condition_levels:
        data["condition_levels"] = condition_levels
    data.update({name: items for name, items in lists.items() if items})
    try:
        return [Episode.model_validate(data, context={"tz": context.tz})]
    except ValidationError as error:
        origin = _origin(error, lists, mapped) or encounter
        return [_problem(origin, describe_validation_error(error), episode)]


def _origin(
    error: ValidationError, lists: dict[str, list[dict[str, Any]]], mapped: list[Any]
) -> Resource | None:
    """The resource behind the first item the model refused (``procedures.3.start``), so the
    problem names that resource's position rather than the Encounter's."""
    location = error.errors(include_url=False)[0]["loc"]
    if len(location) < 2 or location[0] not in lists or not isinstance(location[1], int):
        return None
    items = lists[str(location[0])]
    if location[1] >= len(items):
        return None
    target = items[location[1]]
    for resource, results in mapped:
        if any(item is target for _, item in results):
            return resource
    return None


# What a malformed resource raises while it is mapped: our own errors, a model value the model
# refuses (a clinician field of the wrong type), and — for shapes no check foresaw, such as a
# list where FHIR has an object — Python's own. Each becomes a problem for that resource: bad
# input never stops a run (ARCHITECTURE §9), and it is never read as if it were fine.
_UNREADABLE = (BadElement, BrokenReference, ValidationError, TypeError, AttributeError, KeyError)


def _reason(error: Exception) -> str:
    if isinstance(error, BadElement | BrokenReference):
        return str(error)
    if isinstance(error, ValidationError):
        return describe_validation_error(error)
    return f"unexpected structure ({type(error).__name__}): not read"


def _diagnosis_uses(seed: Seed, index: ReferenceIndex) -> dict[int, list[Use]]:
    """Encounter.diagnosis (use, rank) by Condition, from every Encounter of the episode."""
    uses: dict[int, list[Use]] = {}
    for member in seed.members:
        entries = [
            entry for entry in as_list(member.data.get("diagnosis")) if isinstance(entry, dict)
        ]
        references = diagnosis_references(member.data)
        for path, reference in references:
            position = int(path.split("[", 1)[1].split("]", 1)[0])
            entry = entries[position] if position < len(entries) else {}
            try:
                condition = index.resolve(reference, member, path)
            except BrokenReference:
                continue  # reported by grouping
            if condition is None:
                continue
            rank = entry.get("rank")
            uses.setdefault(condition.order, []).append(
                (
                    entry.get("use"),
                    rank if isinstance(rank, int) and not isinstance(rank, bool) else None,
                )
            )
    return uses


def _item_id(scope: Scope, resource: Resource) -> str:
    found = identifier_value(resource.data.get("identifier"), scope.item_systems)
    if found:
        return found
    if resource.fid:
        return resource.fid
    if resource.full_url:
        return resource.full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    return f"{resource.rtype}-{resource.order}"


def _assign_ids(
    scope: Scope, mapped: list[tuple[Resource, _Mapped]], transfers: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Give every item an id unique in the episode, then turn links into ids (or drop them)."""
    wanted: list[tuple[Resource, str, dict[str, Any]]] = []
    for resource, results in mapped:
        base = _item_id(scope, resource)
        for number, (list_name, item) in enumerate(results):
            item["id"] = base if number == 0 else f"{base}#{number}"
            wanted.append((resource, list_name, item))
    counts = Counter(item["id"] for _, _, item in wanted)
    counts.update(t["id"] for t in transfers if isinstance(t.get("id"), str))
    first_id: dict[int, str] = {}
    lists: dict[str, list[dict[str, Any]]] = {name: [] for name in _LISTS}
    taken = {transfer["id"] for transfer in transfers if isinstance(transfer.get("id"), str)}
    linking: list[tuple[str, dict[str, Any]]] = []
    for resource, list_name, item in wanted:
        item_id = item["id"]
        if counts[item_id] > 1:
            base = item_id = f"{resource.rtype}/{item_id}"
            suffix = 1
            while item_id in taken:
                suffix += 1
                item_id = f"{base}#{suffix}"
            item["id"] = item_id
        taken.add(item_id)
        first_id.setdefault(resource.order, item_id)
        lists[list_name].append(item)
        if not _LINK_FIELDS.isdisjoint(item):
            linking.append((list_name, item))
    dropped: set[int] = set()
    for list_name, item in linking:
        for field in _LINK_FIELDS.intersection(item):
            target = _target_id(scope, item[field], first_id, taken)
            if target is None:
                del item[field]
            else:
                item[field] = target
        if list_name == "administrations" and "order_id" not in item:
            scope.count("FHIR MedicationAdministration whose request is not in the episode")
            dropped.add(id(item))
    if dropped:
        lists["administrations"] = [a for a in lists["administrations"] if id(a) not in dropped]
    return lists


def _target_id(scope: Scope, link: Any, first_id: dict[int, str], taken: set[str]) -> str | None:
    if link is None:
        return None
    if not isinstance(link, Link):
        return link if isinstance(link, str) else None
    target = link.target
    found = target if isinstance(target, str) else first_id.get(target.order)
    if found is None or found not in taken:
        scope.count("FHIR links to items outside the episode (dropped)")
        return None
    return found


def _problem(resource: Resource, reason: str, episode: str | None) -> InputProblem:
    return InputProblem(resource.file, resource.position, reason, episode, resource.line)


def _with_episode(problem: InputProblem, episode: str) -> InputProblem:
    return InputProblem(problem.file, problem.position, problem.reason, episode, problem.line)


def _unique(problems: list[InputProblem]) -> list[InputProblem]:
    seen: set[tuple[str, str, str]] = set()
    unique: list[InputProblem] = []
    for problem in problems:
        key = (problem.file, problem.position, problem.reason)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique
