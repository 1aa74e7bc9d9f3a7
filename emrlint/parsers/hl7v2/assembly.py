"""Messages -> episodes: group by visit, order by message time, apply ADT semantics, build.

Grouping: PV1-19 visit number; without one, patient id + PV1-44 admit time; a message with
neither (a lab result with only PID) joins the one visit of its patient in the file, or the one
whose stay holds its time. Patient merges (A40…) and visit-number changes (A42, A50) are
applied before grouping. Within a visit, messages apply in MSH-7 order (stable for equal
times). A visit whose admission was never seen is reported, not invented.

A message that cannot be read at all is placed the same way by what it still says (its
`Address`): it makes the visit it belongs to one problem (building.py). One that names no
visit of the file stays a problem of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from emrlint.model import Episode
from emrlint.parsers.hl7v2.building import Unreadable, Visit, finish, visit_problem
from emrlint.parsers.hl7v2.facts import Address, MessageFacts, Reading, StayFacts
from emrlint.parsers.problems import InputProblem, combine

__all__ = ["assemble"]

_MERGES = ("merge_patient", "merge_visit")
_ADMITS = ("admit", "register")


def assemble(
    all_facts: Iterable[MessageFacts],
    reading: Reading,
    file: str,
    unread: Iterable[tuple[Address | None, InputProblem, int]] = (),
) -> Iterator[Episode | InputProblem]:
    """Every episode (or the problem that stops it) of one file, in first-message order.
    `unread` are the problems of the messages that could not be read, with what they still say
    about their stay (None: nothing) and their message number: each joins the problem of the
    visit it belongs to. Those of a visit none of whose messages can be read are that visit's
    one problem; one that names no visit is a problem of its own. These come first."""
    facts = list(all_facts)
    patients = _aliases(f for f in facts if f.action == "merge_patient")
    visits = _aliases(f for f in facts if f.action == "merge_visit")
    _count_unused_merges(facts, reading)
    groups: dict[tuple[Any, ...], Visit] = {}
    orphans: list[MessageFacts] = []
    for item in facts:
        if item.action in _MERGES:
            continue
        item.patient_id = _follow(patients, item.patient_id)
        visit = _follow(visits, item.visit)
        if visit is not None:
            key: tuple[Any, ...] = ("visit", visit)
        elif item.admit_key is not None:
            key = ("patient", item.patient_id, _instant(item.admit_key, reading.tz, False))
        else:
            orphans.append(item)
            continue
        groups.setdefault(key, Visit([])).facts.append(item)
    alone: dict[tuple[Any, ...], list[InputProblem]] = {}
    for address, problem, number in unread:
        key = None if address is None else _key_of(address, patients, visits, reading)
        target = groups.get(key) if key is not None else None
        if key is None and address is not None and address.patient_id is not None:
            patient = _follow(patients, address.patient_id)
            target = _home_of(patient, address.time, groups, reading)
        if target is not None:
            reason = Unreadable(number, problem.position, problem.line or 0, problem.reason)
            target.problems.append(reason)
        elif key is not None and key[0] == "visit":  # named by the visit, like its others
            named = InputProblem(
                problem.file, problem.position, problem.reason, key[1], problem.line
            )
            alone.setdefault(key, []).append(named)
        else:
            alone.setdefault(key or ("message", number), []).append(problem)
    for problems in alone.values():
        yield combine(problems)
    for orphan in orphans:
        home = _home_of(orphan.patient_id, orphan.time, groups, reading)
        if home is None:
            yield InputProblem(
                file,
                orphan.position,
                "neither a visit number (PV1-19) nor an admit time (PV1-44) to group it by,"
                " and no single visit of its patient in this file to join",
                line=orphan.line,
            )
        else:
            home.facts.append(orphan)
    for key, visit in sorted(groups.items(), key=lambda kv: min(f.number for f in kv[1].facts)):
        visit.facts = _without_resends(visit.facts, reading)
        visit.facts.sort(key=lambda f: f.time)
        try:
            for item in visit.facts:
                _apply(visit, item, reading)
            results = list(finish(key, visit, reading, file))
        except Exception as error:  # a reader bug must not end the run: report it, go on
            first = min(visit.facts, key=lambda f: f.number)
            reason = f"visit could not be assembled: internal error ({type(error).__name__})"
            results = [visit_problem(file, first, None, reason, visit.problems)]
        yield from results


def _key_of(
    address: Address, patients: dict[str, str], visits: dict[str, str], reading: Reading
) -> tuple[Any, ...] | None:
    """The visit an unreadable message names, keyed as a readable one's would be: by its visit
    number, else its patient and admit time; None when it names neither (a patient only)."""
    visit = _follow(visits, address.visit)
    if visit is not None:
        return ("visit", visit)
    if address.admit_key is not None:
        patient = _follow(patients, address.patient_id)
        return ("patient", patient, _instant(address.admit_key, reading.tz, False))
    return None


def _without_resends(facts: list[MessageFacts], reading: Reading) -> list[MessageFacts]:
    """Interfaces resend a message with its MSH-10 control id unchanged: apply it once (a
    resent A02 would otherwise be a second transfer)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for item in facts:
        key = (item.label, item.control_id) if item.control_id else None
        if key is not None and key in seen:
            reading.skipped["HL7 messages sent again with the same MSH-10 (applied once)"] += 1
            continue
        if key is not None:
            seen.add(key)
        kept.append(item)
    return kept


def _aliases(merges: Iterable[MessageFacts]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for item in sorted(merges, key=lambda f: f.time):
        old, new = (
            (item.prior_patient_id, item.patient_id)
            if item.action == "merge_patient"
            else (item.prior_visit, item.visit)
        )
        if old and new and old != new:
            aliases[old] = new
    return aliases


def _count_unused_merges(facts: list[MessageFacts], reading: Reading) -> None:
    """A merge that names no patient or visit of this file changes nothing here: count it."""
    used_patients = {f.patient_id for f in facts if f.action not in _MERGES}
    used_visits = {f.visit for f in facts if f.action not in _MERGES}
    for item in facts:
        unused = (
            item.action == "merge_patient" and item.prior_patient_id not in used_patients
        ) or (item.action == "merge_visit" and item.prior_visit not in used_visits)
        if unused:
            reading.skipped["HL7 merges naming no patient or visit of the file"] += 1


def _follow(aliases: dict[str, str], value: str | None) -> str | None:
    seen: set[str] = set()
    while value is not None and value in aliases and value not in seen:
        seen.add(value)
        value = aliases[value]
    return value


def _instant(value: Any, tz: dt.tzinfo, end: bool) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    clock = dt.time(23, 59, 59, 999999) if end else dt.time()
    return dt.datetime.combine(value, clock, tzinfo=tz)


def _home_of(
    patient_id: str | None,
    time: dt.datetime | None,
    groups: dict[tuple[Any, ...], Visit],
    reading: Reading,
) -> Visit | None:
    """The visit of the same patient: the only one, or the only one whose stay holds the time."""
    mine = [v for v in groups.values() if any(f.patient_id == patient_id for f in v.facts)]
    if len(mine) == 1:
        return mine[0]
    if time is None:
        return None
    holding = []
    for visit in mine:
        admits = [f.stay.admitted_at for f in visit.facts if f.stay and f.stay.admitted_at]
        ends = [f.stay.discharged_at for f in visit.facts if f.stay and f.stay.discharged_at]
        if not admits:
            continue
        start = min(_instant(a, reading.tz, False) for a in admits)
        stop = max((_instant(e, reading.tz, True) for e in ends), default=None)
        if start <= time and (stop is None or time <= stop):
            holding.append(visit)
    return holding[0] if len(holding) == 1 else None


def _apply(visit: Visit, item: MessageFacts, reading: Reading) -> None:
    if item.patient_id is not None:
        visit.patient_id = item.patient_id
    visit.patient.update(item.patient)
    for problem in item.problems:
        visit.cannot_read(item, problem)
    if item.stay is not None:
        _apply_adt(visit, item, item.stay, reading)
    for assignment, what in item.care:
        _apply_care(visit.care, assignment, what)
    for list_name, item_id in item.removed:
        visit.items.get(list_name, {}).pop(item_id, None)
    for list_name, item_id, fields in item.items:
        visit.items.setdefault(list_name, {}).setdefault(item_id, {}).update(fields)
        visit.touched[(list_name, item_id)] = item
    visit.overrides.extend(item.overrides)
    if item.episode is not None:
        visit.episode.update(item.episode)


def _apply_care(care: list[dict[str, Any]], assignment: dict[str, Any], what: str) -> None:
    """ROL adds and removes assignments; PV1-7 ("default") adds its attending only when that
    clinician does not hold the role yet, so a PV1-7 repeated in every ADT adds nothing."""
    if what == "remove":
        if assignment in care:
            care.remove(assignment)
        return
    if what == "default":
        clinician_id = assignment["clinician"].get("id")
        held = any(
            a["role"] == assignment["role"] and a["clinician"].get("id") == clinician_id
            for a in care
        )
        if held:
            return
    if assignment not in care:
        care.append(assignment)


def _apply_adt(visit: Visit, item: MessageFacts, stay: StayFacts, reading: Reading) -> None:
    action = item.action
    skipped = reading.skipped
    if stay.condition is not None and (
        not visit.conditions or visit.conditions[-1]["level"] != stay.condition
    ):
        visit.conditions.append({"at": stay.event_at or item.time, "level": stay.condition})
    if action in _ADMITS:
        inpatient = stay.patient_class in reading.mapping.inpatient_classes or (
            stay.patient_class is None and action == "admit"
        )
        if not inpatient:
            visit.outpatient = visit.outpatient or not visit.admitted
            return
        if not visit.admitted:
            visit.admitted = True
            visit.moves.clear()
            visit.discharge = None
            visit.stay = {"admitted_at": stay.admitted_at or stay.event_at}
            visit.current = (stay.department, stay.ward)
        _update_stay(visit, stay)
    elif action == "transfer":
        _transfer(visit, item, stay)
    elif action == "cancel_transfer":
        if not visit.moves:
            skipped["HL7 cancellations with nothing to cancel"] += 1
            return
        visit.current, _ = visit.moves.pop()
    elif action == "discharge":
        department = stay.department or visit.current[0]
        disposition = "death" if stay.death_indicated else stay.disposition
        visit.discharge = {
            "discharged_at": stay.discharged_at or stay.event_at,
            "discharge_department": department,
            "disposition": disposition,
            "died_at": stay.died_at,
            "total_cost": stay.total_cost,
        }
        if visit.discharge["discharged_at"] is None:
            visit.cannot_read(item, "discharge without a time (PV1-45, EVN-6, EVN-2)")
    elif action == "cancel_discharge":
        if visit.discharge is None:
            skipped["HL7 cancellations with nothing to cancel"] += 1
        visit.discharge = None
    elif action == "cancel_admit":
        if not visit.admitted:
            skipped["HL7 cancellations with nothing to cancel"] += 1
            return
        visit.admitted, visit.cancelled, visit.discharge = False, True, None
        visit.moves.clear()
    elif action == "update" and visit.admitted:
        _update_stay(visit, stay)
        if visit.discharge is not None:
            _update_discharge(visit.discharge, stay)


def _update_stay(visit: Visit, stay: StayFacts) -> None:
    """Fields an admit or A08 update sends replace what was known; absent ones are kept."""
    known = visit.stay
    for name in ("admitted_at", "admission_route", "site_id"):
        value = getattr(stay, name)
        if value is not None:
            known[name] = value
    department, ward = visit.current
    visit.current = (stay.department or department, stay.ward or ward)
    if not visit.moves:
        known["department"], known["ward"] = visit.current


def _update_discharge(discharge: dict[str, Any], stay: StayFacts) -> None:
    if stay.discharged_at is not None:
        discharge["discharged_at"] = stay.discharged_at
    if stay.total_cost is not None:
        discharge["total_cost"] = stay.total_cost
    if stay.disposition is not None:
        discharge["disposition"] = stay.disposition
    if stay.death_indicated:
        discharge["disposition"] = "death"
        discharge["died_at"] = stay.died_at or discharge.get("died_at")


def _transfer(visit: Visit, item: MessageFacts, stay: StayFacts) -> None:
    """A02: a new department is a transfer (转科); a new ward or bed only moves the patient.
    Either way the move is remembered, so that A12 undoes exactly the last one."""
    before = visit.current
    department = stay.department or before[0]
    transfer = None
    if before[0] is not None and department is not None and department != before[0]:
        number = sum(1 for _, t in visit.moves if t is not None) + 1
        transfer = {
            "id": item.control_id or f"transfer-{number}",
            "at": stay.event_at or item.time,
            "from_department": before[0],
            "to_department": department,
        }
    visit.moves.append((before, transfer))
    visit.current = (department, stay.ward or before[1])
