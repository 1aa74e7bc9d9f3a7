"""Rates on the hand-built sample (tests/reporters/sample.py): every expected number below is
worked out by hand from the table in that module's docstring."""

from __future__ import annotations

import pytest

from emrlint.errors import UsageError
from emrlint.reporters import RateReport, RateRow, compute_rates, parse_by
from emrlint.reporters.rates import ALL
from tests.reporters.conftest import Results

# (PASS, FAIL, PENDING, INDETERMINATE, NA, WAIVED), numerator, denominator


def _numbers(row: RateRow | None) -> tuple[tuple[int, ...], int, int]:
    assert row is not None
    counts = (row.passed, row.failed, row.pending, row.indeterminate, row.na, row.waived)
    return counts, row.numerator, row.denominator


def _all_rows_add_up(report: RateReport) -> None:
    for row in report.rows:
        assert (
            row.passed + row.failed + row.pending + row.indeterminate + row.na + row.waived
            == row.subjects
        ), row
        if row.kind != "composite":
            assert row.denominator == row.passed + row.failed, row
        assert row.numerator == row.passed, row


def _strata_add_up_to_total(report: RateReport) -> None:
    for total in report.totals():
        strata = report.strata(total.kind, total.id)
        if report.by:
            assert sum(r.subjects for r in strata) == total.subjects, total.id
            assert sum(r.numerator for r in strata) == total.numerator, total.id
            assert sum(r.denominator for r in strata) == total.denominator, total.id


def test_totals_per_rule_tag_and_all_rules(results: Results) -> None:
    report = compute_rates(results)
    assert report.by == ()
    assert (report.episodes, report.input_problems) == (5, 1)
    assert _numbers(report.row("rule", "RPT-1-discharge-note")) == ((2, 1, 1, 0, 1, 0), 2, 3)
    assert _numbers(report.row("rule", "RPT-2-operative-note")) == ((1, 1, 0, 0, 3, 0), 1, 2)
    assert _numbers(report.row("rule", "RPT-3-rescue-record")) == ((0, 1, 0, 1, 3, 0), 0, 1)
    assert _numbers(report.row("rule", "RPT-4-admission-note")) == ((3, 1, 1, 0, 0, 0), 3, 4)
    assert _numbers(report.row("rule", "input")) == ((0, 0, 0, 1, 0, 0), 0, 0)
    # the tag sums the outcomes of RPT-1..3
    assert _numbers(report.row("tag", "NIT-2024-VIII")) == ((3, 3, 1, 1, 7, 0), 3, 6)
    assert _numbers(report.row("tag", "MER-TL-01")) == ((3, 1, 1, 0, 0, 0), 3, 4)
    # 20 outcomes + 1 unreadable record
    assert _numbers(report.row("all", ALL)) == ((6, 4, 2, 2, 7, 0), 6, 10)
    assert report.overall() is not None and report.overall().rate == pytest.approx(0.6)  # type: ignore[union-attr]
    assert all(row.is_total for row in report.rows)
    _all_rows_add_up(report)


def test_nit_2024_viii_counts_episodes_whose_key_records_all_pass(results: Results) -> None:
    report = compute_rates(results)
    # ep-1 PASS; ep-2, ep-3 FAIL; ep-4 INDETERMINATE (and PENDING); ep-5 NA (no key treatment)
    row = report.row("composite", "NIT-2024-VIII")
    assert _numbers(row) == ((1, 2, 0, 1, 1, 0), 1, 4)
    assert row is not None and row.rate == pytest.approx(0.25)
    assert row.name_zh == "关键诊疗行为相关记录完整率（按病历）"


def test_by_department(results: Results) -> None:
    report = compute_rates(results, ("department",))
    assert _numbers(report.row("rule", "RPT-4-admission-note", ("普外科",))) == (
        (1, 1, 0, 0, 0, 0),
        1,
        2,
    )
    assert _numbers(report.row("rule", "RPT-4-admission-note", ("心内科",))) == (
        (2, 0, 1, 0, 0, 0),
        2,
        2,
    )
    assert _numbers(report.row("composite", "NIT-2024-VIII", ("普外科",))) == (
        (1, 1, 0, 0, 0, 0),
        1,
        2,
    )
    assert _numbers(report.row("composite", "NIT-2024-VIII", ("心内科",))) == (
        (0, 1, 0, 1, 1, 0),
        0,
        2,
    )
    # an unreadable record has no department
    assert _numbers(report.row("all", ALL, (None,))) == ((0, 0, 0, 1, 0, 0), 0, 0)
    _all_rows_add_up(report)
    _strata_add_up_to_total(report)


def test_by_quarter_uses_discharge_else_admission_date(results: Results) -> None:
    report = compute_rates(results, parse_by("quarter"))
    assert _numbers(report.row("rule", "RPT-1-discharge-note", ("2024-Q2",))) == (
        (1, 1, 0, 0, 0, 0),
        1,
        2,
    )
    # ep-5 is still in hospital: counted in its admission quarter, Q3
    assert _numbers(report.row("rule", "RPT-1-discharge-note", ("2024-Q3",))) == (
        (1, 0, 1, 0, 1, 0),
        1,
        1,
    )
    assert _numbers(report.row("all", ALL, ("2024-Q2",))) == ((3, 3, 0, 0, 2, 0), 3, 6)
    assert _numbers(report.row("all", ALL, ("2024-Q3",))) == ((3, 1, 2, 1, 5, 0), 3, 4)
    assert (report.period_start, report.period_end) == (
        sample_date(2024, 5, 6),
        sample_date(2024, 7, 31),
    )
    _all_rows_add_up(report)
    _strata_add_up_to_total(report)


def test_by_attending(results: Results) -> None:
    report = compute_rates(results, ["attending"])
    assert _numbers(report.row("all", ALL, ("D01",))) == ((3, 0, 0, 0, 1, 0), 3, 3)
    assert _numbers(report.row("all", ALL, ("D02",))) == ((0, 3, 0, 0, 1, 0), 0, 3)
    assert _numbers(report.row("all", ALL, ("D03",))) == ((3, 1, 1, 1, 2, 0), 3, 4)
    # ep-5 names no attending, nor does the unreadable record
    assert _numbers(report.row("all", ALL, (None,))) == ((0, 0, 1, 1, 3, 0), 0, 0)
    _all_rows_add_up(report)
    _strata_add_up_to_total(report)


def test_by_department_and_month(results: Results) -> None:
    report = compute_rates(results, parse_by("department,month"))
    assert report.by == ("department", "month")
    assert _numbers(report.row("tag", "NIT-2024-VIII", ("普外科", "2024-05"))) == (
        (2, 2, 0, 0, 2, 0),
        2,
        4,
    )
    assert _numbers(report.row("tag", "NIT-2024-VIII", ("心内科", "2024-07"))) == (
        (1, 1, 1, 1, 5, 0),
        1,
        2,
    )
    assert _numbers(report.row("composite", "NIT-2024-VIII", ("心内科", "2024-07"))) == (
        (0, 1, 0, 1, 1, 0),
        0,
        2,
    )
    assert {r.stratum for r in report.strata("rule", "RPT-2-operative-note")} == {
        ("普外科", "2024-05"),
        ("心内科", "2024-07"),
    }
    _all_rows_add_up(report)
    _strata_add_up_to_total(report)


def sample_date(year: int, month: int, day: int) -> object:
    import datetime as dt

    return dt.date(year, month, day)


def test_tags_carry_their_official_names(results: Results) -> None:
    report = compute_rates(results)
    names = {row.id: row.name_zh for row in report.rows if row.kind == "tag"}
    assert names["MER-TL-01"] == "入院记录24小时内完成率"
    assert names["MER-DT-08"] == "患者抢救记录及时完成率"
    assert names["HX-2018-07"] == "急危重患者抢救制度"
    assert names["NIT-2024-VIII"] == "关键诊疗行为相关记录完整率"


def test_rule_titles_come_from_the_run_rules(results: Results, info: object) -> None:
    report = compute_rates(results, rules=info.rules)  # type: ignore[attr-defined]
    row = report.row("rule", "RPT-3-rescue-record")
    assert row is not None and row.name_zh == "抢救结束后6小时内完成抢救记录"


def test_rows_are_listed_totals_first_kinds_in_order(results: Results) -> None:
    report = compute_rates(results, ("department",))
    kinds = [row.kind for row in report.rows]
    assert kinds == sorted(kinds, key=["all", "composite", "tag", "rule"].index)
    first = report.rows[0]
    assert (first.kind, first.is_total) == ("all", True)


def test_no_composite_row_when_no_rule_has_the_tag(results: Results) -> None:
    from dataclasses import replace

    from emrlint.api import EpisodeResult

    stripped = [
        replace(r, outcomes=[replace(o, tags=()) for o in r.outcomes])
        if isinstance(r, EpisodeResult)
        else r
        for r in results
    ]
    report = compute_rates(stripped)
    assert report.row("composite", "NIT-2024-VIII") is None


def test_an_empty_run_has_no_rows() -> None:
    report = compute_rates([], ("quarter",))
    assert report.rows == () and report.episodes == 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("departmnet", "did you mean department"),
        ("ward", "not a dimension"),
        ("month,month", "twice"),
    ],
)
def test_unknown_or_repeated_dimensions_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_by(text)


def test_parse_by_accepts_nothing_and_spaces() -> None:
    assert parse_by(None) == () and parse_by("") == ()
    assert parse_by(" department , quarter ") == ("department", "quarter")


def test_results_without_episodes_have_no_month_but_keep_their_department(
    results: Results,
) -> None:
    from dataclasses import replace

    from emrlint.api import EpisodeResult

    bare = [replace(r, episode=None) if isinstance(r, EpisodeResult) else r for r in results]
    report = compute_rates(bare, ("department", "quarter"))
    assert _numbers(report.row("rule", "RPT-4-admission-note", ("普外科", None))) == (
        (1, 1, 0, 0, 0, 0),
        1,
        2,
    )
    assert report.period_start is None
    # the composite still counts episodes, from the outcomes' department
    assert _numbers(report.row("composite", "NIT-2024-VIII", ("普外科", None))) == (
        (1, 1, 0, 0, 0, 0),
        1,
        2,
    )
