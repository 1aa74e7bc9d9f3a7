"""The text report: grouped by episode then rule, evidence under each finding, 中文 by default."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from emrlint.api import EpisodeResult
from emrlint.reporters.base import RunInfo
from tests.reporters import sample
from tests.reporters.conftest import Results, render


def test_findings_are_grouped_by_episode_then_rule(results: Results, info: RunInfo) -> None:
    out = render("text", results, info)
    episodes = [line for line in out.splitlines() if line.startswith("病历 ")]
    assert [line.split()[1] for line in episodes] == ["ep-2", "ep-3", "ep-4", "ep-5"]
    block = out[out.index("病历 ep-2") : out.index("病历 ep-3")]
    rule_lines = [line.strip() for line in block.splitlines() if line.startswith("  RPT-")]
    assert rule_lines == [
        "RPT-1-discharge-note  出院记录24小时内完成  [重要]",
        "RPT-2-operative-note  手术记录24小时内完成  [重要]",
        "RPT-4-admission-note  入院记录24小时内完成  [一般]",
    ]
    assert "FAIL 不达标 [procedure 剖腹探查术]: 手术结束后24小时内未见手术记录" in block
    assert "已找到 手术记录 e2-op，超时 6h" in block
    assert "检索 出院记录（找到 0，要求 >= 1）" in block
    assert "时限 2024-05-04 13:00" in block


def test_unreadable_records_and_the_closing_counts(results: Results, info: RunInfo) -> None:
    out = render("text", results, info)
    assert "episodes.jsonl:6: INDETERMINATE input: invalid JSON" in out
    assert out.rstrip().endswith(
        "结果：4 FAIL，2 PENDING，1 INDETERMINATE，0 WAIVED，6 PASS，7 NA。"
    )


def test_english_on_request(sample_run: tuple[Results, Any]) -> None:
    results, rules = sample_run
    out = render("text", results, sample.run_info(rules, lang="en"))
    assert "episode ep-3" in out
    assert "RPT-3-rescue-record  Rescue record within 6 h  [critical]" in out
    assert "found rescue_record e3-rr late by 3h" in out
    assert "reason: rescue.end is missing" in out
    assert "Read 5 episodes, 1 unreadable records." in out


def test_colour_only_when_asked(results: Results, info: RunInfo) -> None:
    assert "\x1b[" not in render("text", results, info)
    coloured = render("text", results, info, colour=True)
    assert "\x1b[31m" in coloured  # red FAIL / major


def test_show_pass_lists_every_outcome(sample_run: tuple[Results, Any]) -> None:
    results, rules = sample_run
    out = render("text", results, sample.run_info(rules, show_pass=True))
    assert "病历 ep-1" in out and out.count("PASS 达标") == 6


def test_episode_headers_come_from_the_carried_facts_without_the_episode(
    results: Results, info: RunInfo
) -> None:
    """Worker processes send the header facts back, not the episode (--jobs): the report is
    the same."""
    bare = [replace(r, episode=None) if isinstance(r, EpisodeResult) else r for r in results]
    out = render("text", bare, info)
    assert out == render("text", results, info)
    assert any(
        line.startswith("病历 ep-2  ") and "入院 " in line and "出院 " in line
        for line in out.splitlines()
    )
