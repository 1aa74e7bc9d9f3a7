"""`--jobs N` gives the same output, in the same order, as one process."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import orjson
import pytest

from emrlint import parallel
from emrlint.api import EpisodeResult, load_rules
from emrlint.config import load_config
from emrlint.synth import generate
from emrlint.writers.fhir import episode_to_fhir
from tests.builders import TZ, T, doc, episode
from tests.conftest import run_cli

MINI = str(Path(__file__).parent / "fixtures" / "mini.rules")
AS_OF = dt.datetime(2026, 1, 1, tzinfo=TZ)


def test_jobs_2_output_is_byte_identical_to_jobs_1(tmp_path: Path) -> None:
    lines = []
    for index in range(300):
        items = [doc("admission_note", T)] if index % 3 else []
        lines.append(json.dumps(episode(*items, id=f"ep-{index:04d}", discharged_at=T)))
    lines[150] = lines[150][:30]  # a broken record in the middle keeps its place
    data = tmp_path / "batch.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "more.json").write_text(json.dumps([episode(id="arr-1"), episode(id="arr-2")]))
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}.jsonl"
        result = run_cli(
            "check",
            str(data),
            str(tmp_path / "more.json"),
            "--rulebooks",
            MINI,
            "--as-of",
            "2025-01-01",
            "--format",
            "jsonl",
            "--jobs",
            jobs,
            "--output",
            str(out),
        )
        assert result.returncode == 1, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    records = [json.loads(line) for line in outputs[0].splitlines()]
    episodes = [r["episode_id"] for r in records if r["rule_id"] != "input"]
    assert episodes == sorted(episodes, key=lambda e: (e.startswith("arr"), e))
    (problem,) = [r for r in records if r["rule_id"] == "input"]
    assert problem["evidence"]["line"] == 151


def test_jobs_2_json_summary_counts_every_outcome(tmp_path: Path) -> None:
    data = tmp_path / "batch.jsonl"
    data.write_text(
        "\n".join(json.dumps(episode(id=f"ep-{i:03d}", discharged_at=T)) for i in range(80)) + "\n",
        encoding="utf-8",
    )
    documents = []
    for jobs in ("1", "2"):
        result = run_cli(
            "check",
            str(data),
            "--rulebooks",
            MINI,
            "--as-of",
            "2025-01-01",
            "--format",
            "json",
            "--jobs",
            jobs,
        )
        document = json.loads(result.stdout)
        documents.append((document["summary"], document["rule_counts"]))
    assert documents[0] == documents[1]
    assert documents[0][0]["by_status"]["FAIL"] == 160  # two rules fail on every episode


def _episodes_of_2031(tmp_path: Path, count: int) -> Path:
    data = tmp_path / "in2031.jsonl"
    lines = [
        json.dumps(
            episode(
                id=f"e2031-{index:03d}",
                admitted_at="2031-03-01T08:00+08:00",
                discharged_at="2031-03-05T08:00+08:00",
            )
        )
        for index in range(count)
    ]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


def test_jobs_2_still_warns_when_the_workers_used_the_weekday_fallback(tmp_path: Path) -> None:
    rules = tmp_path / "w.rules"
    rules.write_text(
        'rule X-1-w "工作日" / "workdays"\n  severity minor category timeliness '
        'tags X-1 cites "c"\n  when is_discharged\n'
        "  require discharge_note within 2 workdays after discharge\n",
        encoding="utf-8",
    )
    data = _episodes_of_2031(tmp_path, 150)
    result = run_cli(
        "check",
        str(data),
        "--rulebooks",
        str(rules),
        "--as-of",
        "2031-06-01",
        "--format",
        "json",
        "--jobs",
        "2",
    )
    warnings = json.loads(result.stdout)["run"]["warnings"]
    assert any("2031" in warning and "Monday-Friday" in warning for warning in warnings)
    assert "warning: no statutory working-day calendar for 2031" in result.stderr


def test_jobs_2_stats_time_every_rule_on_every_episode(tmp_path: Path) -> None:
    data = _episodes_of_2031(tmp_path, 150)
    result = run_cli(
        "check",
        str(data),
        "--rulebooks",
        MINI,
        "--as-of",
        "2031-06-01",
        "--stats",
        "--jobs",
        "2",
        "--exit-zero",
    )
    assert result.returncode == 0, result.stderr
    timings = [line.split() for line in result.stderr.splitlines() if " calls " in line]
    assert {row[-1]: int(row[2]) for row in timings} == {
        "MINI-1-discharge-note": 150,
        "MINI-2-admission-note": 150,
    }


def _stay_per_line_feed(tmp_path: Path, count: int) -> tuple[Path, Path]:
    """A FHIR NDJSON feed, one stay's Bundle per line, with a broken line and an orphan item
    in the middle; and the emrlint.toml that says each line is a stay."""
    lines = [orjson.dumps(episode_to_fhir(e)) for e in generate(count, seed=5, size="small")]
    lines[70] = lines[70][:40]  # cut: a problem on line 71
    orphan = {"resourceType": "Procedure", "id": "o1", "status": "completed"}
    lines.insert(100, orjson.dumps(orphan))  # linked to no stay: counted as skipped
    feed = tmp_path / "feed.ndjson"
    feed.write_bytes(b"\n".join(lines) + b"\n")
    config = tmp_path / "emrlint.toml"
    config.write_text('[mapping.fhir]\nndjson = "stay-per-line"\n', encoding="utf-8")
    return feed, config


def test_jobs_2_reads_a_stay_per_line_fhir_feed_like_one_process(tmp_path: Path) -> None:
    feed, config = _stay_per_line_feed(tmp_path, 140)
    runs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}.jsonl"
        result = run_cli(
            "check",
            str(feed),
            "--config",
            str(config),
            "--rulebooks",
            MINI,
            "--as-of",
            "2026-01-01",
            "--format",
            "jsonl",
            "--jobs",
            jobs,
            "--output",
            str(out),
        )
        assert result.returncode == 1, result.stderr
        skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped")]
        runs.append((out.read_bytes(), skipped))
    assert runs[0] == runs[1]
    output, skipped = runs[0]
    records = [json.loads(line) for line in output.splitlines()]
    (problem,) = [r for r in records if r["rule_id"] == "input"]
    assert problem["evidence"]["line"] == 71
    assert "skipped 1 × FHIR Procedure not linked to an inpatient Encounter" in skipped
    assert len({r["episode_id"] for r in records if r["rule_id"] != "input"}) > 100


def test_a_stay_per_line_fhir_feed_is_parsed_by_the_workers_not_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed, config_file = _stay_per_line_feed(tmp_path, 140)
    config = load_config(config_file)

    def parent_reads(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parent parsed the feed")

    monkeypatch.setattr(parallel, "read_input", parent_reads)
    results = list(
        parallel.check_parallel(
            [str(feed)], config, load_rules(config, [Path(MINI)]), AS_OF, jobs=2, findings_only=True
        )
    )
    assert sum(isinstance(r, EpisodeResult) for r in results) == 139  # one line is cut


def test_jobs_2_text_report_is_byte_identical_to_jobs_1_headers_included(tmp_path: Path) -> None:
    """The workers do not send episodes back for the text report, yet each episode's header
    still names its department and its admission and discharge times."""
    lines = [
        json.dumps(
            episode(
                id=f"ep-{index:03d}",
                department="普外科",
                discharge_department="心内科" if index % 2 else None,
                discharged_at=T,
            ),
            ensure_ascii=False,
        )
        for index in range(150)
    ]
    data = tmp_path / "batch.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    array = tmp_path / "more.json"  # read in the parent, evaluated in the workers
    array.write_text(json.dumps([episode(id="arr-1", department="儿科")], ensure_ascii=False))
    outputs = []
    for jobs in ("1", "2"):
        result = run_cli(
            "check",
            str(data),
            str(array),
            "--rulebooks",
            MINI,
            "--as-of",
            "2025-01-01",
            "--jobs",
            jobs,
        )
        assert result.returncode == 1, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    headers = [line for line in outputs[1].splitlines() if line.startswith("病历 ")]
    assert headers[0] == "病历 ep-000  普外科  入院 2024-04-26 10:00  出院 2024-05-06 10:00"
    assert headers[1] == "病历 ep-001  心内科  入院 2024-04-26 10:00  出院 2024-05-06 10:00"
    assert headers[-1] == "病历 arr-1  儿科  入院 2024-04-26 10:00"
