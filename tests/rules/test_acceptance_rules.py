"""The behaviours issue 9 names, each pinned on a small rule written in the language."""

from __future__ import annotations

import datetime as dt

from emrlint.outcomes import Status
from tests.builders import TZ, T, assessment, build, doc, episode, procedure, rescue
from tests.rules.helpers import compile_text, outcomes_of, rule_text, statuses

H = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)

MDT = compile_text(
    rule_text(
        "  for each procedure p where p.level = 4 and not p.is_emergency\n"
        "  require mdt_discussion before p.start"
    )
)


def test_level4_elective_surgery_passes_with_mdt_before_start() -> None:
    ep = build(episode(procedure(id="p1", level=4, start=T), doc("mdt_discussion", T - DAY)))
    assert statuses(outcomes_of(MDT, ep, T + 30 * DAY)) == ["PASS"]


def test_level4_elective_surgery_fails_when_mdt_written_after_start() -> None:
    ep = build(
        episode(procedure(id="p1", level=4, start=T), doc("mdt_discussion", T + H, id="late"))
    )
    (outcome,) = outcomes_of(MDT, ep, T + 30 * DAY)
    assert outcome.status == Status.FAIL
    assert outcome.evidence.nearest is not None and outcome.evidence.nearest.id == "late"
    assert outcome.evidence.margin == H


def test_emergency_level4_surgery_is_out_of_scope() -> None:
    ep = build(episode(procedure(level=4, start=T, is_emergency=True)))
    assert statuses(outcomes_of(MDT, ep, T + 30 * DAY)) == ["NA"]


def test_unknown_surgical_level_is_indeterminate_not_skipped() -> None:
    ep = build(episode(procedure(start=T)))
    (outcome,) = outcomes_of(MDT, ep, T + 30 * DAY)
    assert outcome.status == Status.INDETERMINATE
    assert "level" in (outcome.evidence.reason or "")


RESCUE = compile_text(
    rule_text(
        "  for each rescue r\n  require rescue_record within rescue_deadline after r.end",
        params="param rescue_deadline = 6h",
    )
)


def test_rescue_record_exactly_at_deadline_passes() -> None:
    ep = build(episode(rescue(T - H, T), doc("rescue_record", T + 6 * H)))
    (outcome,) = outcomes_of(RESCUE, ep, T + DAY)
    assert outcome.status == Status.PASS
    assert outcome.evidence.deadline == T + 6 * H
    assert outcome.evidence.margin == dt.timedelta(0)


def test_rescue_record_one_minute_late_fails_with_margin() -> None:
    ep = build(episode(rescue(T - H, T), doc("rescue_record", T + 6 * H + MIN, id="rr")))
    (outcome,) = outcomes_of(RESCUE, ep, T + DAY)
    assert outcome.status == Status.FAIL
    assert outcome.evidence.margin == MIN
    assert outcome.evidence.nearest is not None and outcome.evidence.nearest.id == "rr"


def test_rescue_record_missing_is_pending_before_deadline() -> None:
    ep = build(episode(rescue(T - H, T)))
    assert statuses(outcomes_of(RESCUE, ep, T + 3 * H)) == ["PENDING"]
    assert statuses(outcomes_of(RESCUE, ep, T + 6 * H)) == ["PENDING"]
    assert statuses(outcomes_of(RESCUE, ep, T + 6 * H + MIN)) == ["FAIL"]


def test_rescue_without_end_time_is_indeterminate() -> None:
    ep = build(episode(rescue(T - H, None), doc("rescue_record", T)))
    (outcome,) = outcomes_of(RESCUE, ep, T + DAY)
    assert outcome.status == Status.INDETERMINATE
    assert "end" in (outcome.evidence.reason or "")


def test_rescue_deadline_is_a_parameter() -> None:
    ep = build(episode(rescue(T - H, T), doc("rescue_record", T + 5 * H)))
    assert statuses(outcomes_of(RESCUE, ep, T + DAY, rescue_deadline=4 * H)) == ["FAIL"]


VTE = compile_text(rule_text("  require vte_risk within 24h after admission"))


def test_vte_assessment_within_24h_of_admission() -> None:
    admitted = T
    on_time = build(episode(assessment("vte_risk", admitted + 24 * H), admitted_at=admitted))
    late = build(episode(assessment("vte_risk", admitted + 25 * H), admitted_at=admitted))
    day_only = build(episode(assessment("vte_risk", (admitted + DAY).date()), admitted_at=admitted))
    assert statuses(outcomes_of(VTE, on_time, T + 5 * DAY)) == ["PASS"]
    assert statuses(outcomes_of(VTE, late, T + 5 * DAY)) == ["FAIL"]
    assert statuses(outcomes_of(VTE, day_only, T + 5 * DAY)) == ["INDETERMINATE"]


ROUNDS = compile_text(
    rule_text(
        "  for each day d where d.is_full\n"
        "  require at least (if d.is_workday then 2 else 1 end) ward_round_records during d"
    )
)


def test_ward_rounds_two_on_working_days_one_on_weekends() -> None:
    friday = dt.datetime(2024, 5, 10, tzinfo=TZ)
    items = []
    for offset, count in ((0, 2), (1, 1), (2, 1), (3, 1)):  # Fri, Sat, Sun, Mon
        day = friday + offset * DAY
        items += [doc("progress_note", day + dt.timedelta(hours=8 + 2 * i)) for i in range(count)]
    ep = build(episode(*items, admitted_at=friday - DAY, discharged_at=friday + 5 * DAY))
    by_day = {o.subject.label: o.status.value for o in outcomes_of(ROUNDS, ep, T + 60 * DAY)}
    assert by_day["2024-05-10"] == "PASS"  # Friday, 2 rounds
    assert by_day["2024-05-11"] == "FAIL"  # Saturday 2024-05-11 is a 调休 working day
    assert by_day["2024-05-12"] == "PASS"  # Sunday, 1 round is enough
    assert by_day["2024-05-13"] == "FAIL"  # Monday, only 1


DEATH = compile_text(
    rule_text(
        "  when died_at is present\n  require death_discussion within death_deadline after death",
        params="param death_deadline = 5 workdays",
    )
)
DEATH_AT = dt.datetime(2024, 9, 30, 17, 0, tzinfo=TZ)  # the eve of the National Day holiday


def _death_episode(*items: tuple[str, dict[str, object]]) -> object:
    return build(
        episode(
            *items,
            died_at=DEATH_AT,
            discharged_at=DEATH_AT,
            disposition="death",
            admitted_at=DEATH_AT - 3 * DAY,
        )
    )


def test_death_discussion_deadline_uses_the_statutory_calendar() -> None:
    ep = _death_episode()
    (outcome,) = outcomes_of(DEATH, ep, DEATH_AT + 60 * DAY)
    # Oct 1-7 are holidays; the 5th working day after Sep 30 is Saturday Oct 12 (调休).
    assert outcome.evidence.deadline == dt.datetime(2024, 10, 12, 23, 59, 59, 999999, tzinfo=TZ)
    assert outcome.status == Status.FAIL


def test_death_discussion_on_the_12th_passes_and_on_the_13th_fails() -> None:
    on_time = _death_episode(doc("death_discussion", dt.datetime(2024, 10, 12, 20, 0, tzinfo=TZ)))
    late = _death_episode(doc("death_discussion", dt.datetime(2024, 10, 13, 9, 0, tzinfo=TZ)))
    assert statuses(outcomes_of(DEATH, on_time, DEATH_AT + 60 * DAY)) == ["PASS"]
    assert statuses(outcomes_of(DEATH, late, DEATH_AT + 60 * DAY)) == ["FAIL"]


def test_death_rules_do_not_apply_to_survivors() -> None:
    ep = build(episode(discharged_at=T))
    assert statuses(outcomes_of(DEATH, ep, T + 60 * DAY)) == ["NA"]


DISCHARGE = compile_text(
    rule_text("  when is_discharged\n  require discharge_note within 24h after discharge")
)


def test_discharge_note_pending_at_10h_and_fail_at_25h_when_absent() -> None:
    ep = build(episode(discharged_at=T))
    assert statuses(outcomes_of(DISCHARGE, ep, T + 10 * H)) == ["PENDING"]
    assert statuses(outcomes_of(DISCHARGE, ep, T + 25 * H)) == ["FAIL"]


def test_discharge_rule_is_na_while_the_patient_is_in_hospital() -> None:
    ep = build(episode())
    assert statuses(outcomes_of(DISCHARGE, ep, T)) == ["NA"]


WORKDAY_NOTE = compile_text(
    rule_text("  when is_discharged\n  require discharge_note within 2 workdays after discharge")
)


def test_a_margin_past_an_end_of_day_deadline_is_in_whole_minutes() -> None:
    """Two workdays after a Friday discharge end on Tuesday 23:59:59.999999; a note on
    Wednesday at 10:00 is late by 10 h, not by 10 h 1 min."""
    friday = dt.datetime(2024, 5, 17, 10, 0, tzinfo=TZ)
    wednesday = dt.datetime(2024, 5, 22, 10, 0, tzinfo=TZ)
    ep = build(episode(doc("discharge_note", wednesday), discharged_at=friday))
    (outcome,) = outcomes_of(WORKDAY_NOTE, ep, wednesday + DAY)
    assert outcome.status == Status.FAIL
    assert outcome.evidence.margin == 10 * H
