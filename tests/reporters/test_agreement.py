"""One evaluation, many outputs: the findings every format lists and the rates computed from
the same results agree, because both read the same outcomes (design §6: never a second
evaluation)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

from emrlint.api import EpisodeResult
from emrlint.outcomes import Status
from emrlint.reporters import FORMATS, compute_rates, make_reporter
from emrlint.reporters.base import RunInfo
from emrlint.reporters.rates import ALL
from tests.reporters.conftest import Results, drive, render

FINDING_STATUSES = (Status.FAIL, Status.PENDING, Status.INDETERMINATE, Status.WAIVED)


def test_check_is_run_once_and_every_output_reads_the_same_results(
    results: Results, info: RunInfo, tmp_path: Path
) -> None:
    # `results` is a list made once from emrlint.api.check (see conftest.sample_run)
    rates = compute_rates(results, ("department", "quarter"), info.rules)
    document = json.loads(render("json", results, info))

    # per rule: the json report's counts equal the rate row's columns
    for rule_id, counts in document["rule_counts"].items():
        row = rates.row("rule", rule_id)
        assert row is not None, rule_id
        assert {s.value: row.count(s) for s in Status} == {
            s.value: counts[s.value] for s in Status
        }, rule_id
        assert row.subjects == counts["subjects"]

    # overall: the summary equals the all-rules row
    overall = rates.overall()
    assert overall is not None
    assert {s.value: overall.count(s) for s in Status} == document["summary"]["by_status"]

    # the findings listed are exactly the non-PASS, non-NA subjects the rates count
    listed = Counter((f["rule_id"], f["status"]) for f in document["findings"])
    counted = Counter(
        {
            (row.id, status.value): row.count(status)
            for row in rates.totals()
            if row.kind == "rule"
            for status in FINDING_STATUSES
            if row.count(status)
        }
    )
    assert listed == counted

    # csv and html list the same findings as json
    csv_rows = list(csv.DictReader(io.StringIO(render("csv", results, info)[1:])))
    assert Counter((r["规则编号"], r["结果"]) for r in csv_rows) == listed
    html = render("html", results, info)
    assert html.count("<tr data-status=") == sum(listed.values())

    # the numbers of the episodes agree too
    episodes = [r for r in results if isinstance(r, EpisodeResult)]
    assert rates.episodes == document["summary"]["episodes"] == len(episodes)
    assert rates.row("all", ALL) is overall


def test_every_format_is_registered_and_runs(results: Results, info: RunInfo) -> None:
    assert FORMATS == ("text", "json", "jsonl", "csv", "xlsx", "html")
    for fmt in FORMATS:
        out = io.BytesIO() if fmt == "xlsx" else io.StringIO()
        summary = drive(make_reporter(fmt), results, info, out)
        assert summary.episodes == 5 and summary.input_problems == 1
        assert out.getvalue(), fmt
