"""The command line as a user meets it: exit codes, results on stdout only, input problems as
results, and never a traceback for a user error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emrlint.api import parse_context
from emrlint.config import load_config
from emrlint.model import Episode
from emrlint.model.episode import FORMAT_VERSION
from emrlint.parsers import read_paths
from emrlint.writers.fhir import episode_to_fhir
from tests.builders import T, build, episode
from tests.conftest import REPO, run_cli

MINI = str(Path(__file__).parent / "fixtures" / "mini.rules")
AS_OF = "2024-06-30T00:00+08:00"


def _write_jsonl(path: Path, records: list[str]) -> Path:
    path.write_text("\n".join(records) + "\n", encoding="utf-8")
    return path


def _good(index: int, **fields: object) -> str:
    return json.dumps(episode(id=f"ep-{index}", **fields))


def test_check_reads_evaluates_and_counts(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "in.jsonl", [_good(1, discharged_at=T), _good(2)])
    result = run_cli("check", str(path), "--rulebooks", MINI, "--as-of", AS_OF)
    assert result.returncode == 1  # both lack notes, deadlines passed
    assert "MINI-1-discharge-note" in result.stdout
    assert "checked 2 episodes (0 unreadable)" in result.stderr


def test_check_exits_0_when_nothing_fails(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "in.jsonl", [_good(1)])
    result = run_cli(
        "check", str(path), "--rulebooks", MINI, "--as-of", AS_OF, "--select", "MINI-1"
    )
    assert result.returncode == 0, result.stdout
    assert "1 NA" in result.stdout


def test_fail_on_ignores_findings_below_the_level(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "in.jsonl", [_good(1)])  # only the minor admission rule fails
    result = run_cli(
        "check", str(path), "--rulebooks", MINI, "--as-of", AS_OF, "--fail-on", "major"
    )
    assert result.returncode == 0
    assert "MINI-2-admission-note" in result.stdout


MALFORMED = {
    "invalid-json": '{"id": "x", ',
    "wrong-types": json.dumps(episode(id="ep-w", admitted_at=12345)),
    "dangling-reference": json.dumps(
        episode(
            id="ep-d", documents=[{"id": "d1", "kind": "operative_note", "about": "missing-op"}]
        )
    ),
    "time-without-date": json.dumps(episode(id="ep-t", admitted_at="08:30")),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_record_is_a_result_and_the_rest_is_checked(tmp_path: Path, case: str) -> None:
    path = _write_jsonl(tmp_path / f"{case}.jsonl", [_good(1), MALFORMED[case], _good(3)])
    result = run_cli("check", str(path), "--rulebooks", MINI, "--as-of", AS_OF, "--format", "jsonl")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    problems = [r for r in records if r["rule_id"] == "input"]
    assert len(problems) == 1
    assert problems[0]["evidence"]["file"] == str(path)
    assert problems[0]["evidence"]["line"] == 2
    assert problems[0]["evidence"]["reason"]
    assert {r["episode_id"] for r in records if r["rule_id"] != "input"} == {"ep-1", "ep-3"}
    assert "checked 2 episodes (1 unreadable)" in result.stderr


def test_truncated_line_in_a_big_file_is_reported_by_line(tmp_path: Path) -> None:
    lines = [_good(i) for i in range(50)]
    lines[25] = lines[25][:40]
    path = _write_jsonl(tmp_path / "big.jsonl", lines)
    result = run_cli("check", str(path), "--rulebooks", MINI, "--as-of", AS_OF)
    assert f"{path}:26: INDETERMINATE input: invalid JSON" in result.stdout
    assert "checked 49 episodes (1 unreadable)" in result.stderr


def test_stdin_dash_is_read(tmp_path: Path) -> None:
    result = run_cli(
        "check", "-", "--rulebooks", MINI, "--as-of", AS_OF, stdin=(_good(1) + "\n").encode()
    )
    assert "checked 1 episodes" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["check", "no/such/file.json"], "cannot open no/such/file.json"),
        (["check", "tests", "--as-of", "yesterday"], "as-of"),
        (["explain", "NO-SUCH-RULE", "--rulebooks", MINI], "no rule NO-SUCH-RULE"),
        (["check", "tests/fixtures", "--rulebooks", "no/such/rules"], "no rulebook at"),
        (["check", "tests/fixtures", "--config", "no/such/emrlint.toml"], "No such file"),
    ],
)
def test_user_errors_exit_2_without_traceback(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert message in result.stderr


def test_results_go_to_stdout_and_only_progress_to_stderr(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "in.jsonl", [_good(1)])
    result = run_cli("check", str(path), "--rulebooks", MINI, "--as-of", AS_OF, "--format", "json")
    document = json.loads(result.stdout)
    assert document["format"] == "emrlint.report/1"
    assert document["summary"]["episodes"] == 1
    assert not result.stderr.lstrip().startswith("{")


def test_output_file_receives_the_results(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "in.jsonl", [_good(1)])
    out = tmp_path / "report.json"
    result = run_cli(
        "check",
        str(path),
        "--rulebooks",
        MINI,
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--output",
        str(out),
    )
    assert result.stdout == ""
    assert json.loads(out.read_text("utf-8"))["summary"]["episodes"] == 1


def test_schema_is_json_schema_of_the_episode() -> None:
    result = run_cli("schema")
    schema = json.loads(result.stdout)
    assert schema["title"] == "Episode"
    assert "admitted_at" in schema["properties"]


def test_test_command_runs_rule_examples_and_writes_junit(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    result = run_cli("test", MINI, "--junit", str(junit))
    assert result.returncode == 0, result.stdout
    assert "rule examples: 4 passed, 0 failed (2 rules)" in result.stdout
    assert 'tests="4"' in junit.read_text("utf-8")


def test_rules_lists_and_filters_by_tag_as_json() -> None:
    result = run_cli("rules", "--rulebooks", MINI, "--tag", "MINI-2", "--format", "json")
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == ["MINI-2-admission-note"]
    assert rows[0]["citation"] == "病历书写基本规范 第十七条"
    assert {e["name"] for e in rows[0]["examples"]} == {"pass-on-time", "fail-absent"}


def test_explain_shows_citation_window_and_examples() -> None:
    result = run_cli("explain", "MINI-1-discharge-note", "--rulebooks", MINI)
    assert "病历书写基本规范 第二十二条（二十）" in result.stdout
    assert "[discharge, discharge + 1d]" in result.stdout
    assert "example fail-absent" in result.stdout


def test_debug_flag_is_accepted() -> None:
    assert run_cli("--debug", "schema").returncode == 0


def test_module_entry_point_matches_console_script() -> None:
    assert (REPO / "emrlint" / "__main__.py").is_file()


def test_rates_and_check_agree_on_the_examples(tmp_path: Path) -> None:
    examples = str(REPO / "examples" / "native")
    check_run = run_cli(
        "check", examples, "--as-of", "2025-12-31", "--format", "json", "--show-pass"
    )
    rates_run = run_cli(
        "rates", examples, "--as-of", "2025-12-31", "--format", "json", "--by", "department,quarter"
    )
    assert rates_run.returncode == 0, rates_run.stderr
    findings = json.loads(check_run.stdout)["findings"]
    rows = json.loads(rates_run.stdout)["rows"]
    per_rule: dict[str, dict[str, int]] = {}
    for finding in findings:
        counts = per_rule.setdefault(finding["rule_id"], {})
        counts[finding["status"]] = counts.get(finding["status"], 0) + 1
    totals = {row["id"]: row for row in rows if row["kind"] == "rule" and row["stratum"] is None}
    assert totals, "rates reported no per-rule rows"
    for rule_id, row in totals.items():
        for status, count in row["counts"].items():
            assert per_rule.get(rule_id, {}).get(status, 0) == count, (rule_id, status)
        assert sum(row["counts"].values()) == row["subjects"]


def test_rates_xlsx_needs_a_file_and_then_writes_one(tmp_path: Path) -> None:
    out = tmp_path / "rates.xlsx"
    result = run_cli(
        "rates",
        str(REPO / "examples" / "native"),
        "--as-of",
        "2025-12-31",
        "--format",
        "xlsx",
        "--output",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:2] == b"PK"  # a zip container, as xlsx is
    bad = run_cli("rates", "examples", "--by", "ward")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_calendar_fallback_is_a_warning_and_a_field_of_the_report(tmp_path: Path) -> None:
    rules = tmp_path / "w.rules"
    rules.write_text(
        'rule X-1-w "工作日" / "workdays"\n  severity minor category timeliness '
        'tags X-1 cites "c"\n  when is_discharged\n'
        "  require discharge_note within 2 workdays after discharge\n",
        encoding="utf-8",
    )
    data = _write_jsonl(
        tmp_path / "in.jsonl",
        [
            json.dumps(
                episode(
                    id="e2031",
                    admitted_at="2031-03-01T08:00+08:00",
                    discharged_at="2031-03-05T08:00+08:00",
                )
            )
        ],
    )
    result = run_cli(
        "check", str(data), "--rulebooks", str(rules), "--as-of", "2031-06-01", "--format", "json"
    )
    warnings = json.loads(result.stdout)["run"]["warnings"]
    assert any("2031" in warning and "Monday-Friday" in warning for warning in warnings)
    assert "warning: no statutory working-day calendar for 2031" in result.stderr


@pytest.mark.parametrize("source", ["native", "fhir", "hl7v2"])
def test_convert_to_native_reads_back_as_the_same_episodes(tmp_path: Path, source: str) -> None:
    """Native output keeps what reading needs (each event's `type`, the `format` tag), so
    every converted example reads back into the episodes its source was read as."""
    folder = REPO / "examples" / source
    site = folder / "emrlint.toml"
    config_args = ["--config", str(site)] if site.is_file() else []
    out = tmp_path / "native"
    result = run_cli("convert", str(folder), *config_args, "--output-dir", str(out))
    assert result.returncode == 0, result.stderr
    context = parse_context(load_config(site if site.is_file() else None, search_from=tmp_path))

    def episodes(path: Path) -> dict[str, Episode]:
        read = list(read_paths([str(path)], context))
        assert all(isinstance(item, Episode) for item in read), read
        return {item.id: item for item in read if isinstance(item, Episode)}

    original, converted = episodes(folder), episodes(out)
    assert converted.keys() == original.keys() and len(original) == 13
    for episode_id, episode_read in original.items():
        assert converted[episode_id] == episode_read, episode_id
    for written in out.iterdir():
        assert json.loads(written.read_text(encoding="utf-8"))["format"] == FORMAT_VERSION


def test_rates_ends_with_the_same_warnings_skips_and_counts_as_check(tmp_path: Path) -> None:
    """Both commands evaluate the same way, so both say on stderr what the readers skipped,
    that 2031 had no statutory calendar (Monday-Friday was used), and what was checked."""
    rules = tmp_path / "w.rules"
    rules.write_text(
        'rule X-1-w "工作日" / "workdays"\n  severity minor category timeliness '
        'tags X-1 cites "c"\n  when is_discharged\n'
        "  require discharge_note within 2 workdays after discharge\n",
        encoding="utf-8",
    )
    stay = episode(
        id="e2031", admitted_at="2031-03-01T08:00+08:00", discharged_at="2031-03-05T08:00+08:00"
    )
    _write_jsonl(tmp_path / "in.jsonl", [json.dumps(stay), '{"id": "cut'])
    bundle = episode_to_fhir(build(episode(id="f1", discharged_at=T)))
    orphan = {"resourceType": "Procedure", "id": "o1", "status": "completed"}
    bundle["entry"].append({"fullUrl": "urn:uuid:o1", "resource": orphan})
    (tmp_path / "bundle.json").write_text(json.dumps(bundle), encoding="utf-8")
    inputs = [str(tmp_path / "in.jsonl"), str(tmp_path / "bundle.json")]
    common = ["--rulebooks", str(rules), "--as-of", "2031-06-01"]
    checked = run_cli("check", *inputs, *common, "--format", "json")
    rated = run_cli("rates", *inputs, *common, "--format", "json")
    assert rated.returncode == 0, rated.stderr
    assert rated.stderr == checked.stderr
    assert rated.stderr.splitlines() == [
        "skipped 1 × FHIR Procedure not linked to an inpatient Encounter",
        "warning: no statutory working-day calendar for 2031; Monday-Friday was used",
        "checked 2 episodes (1 unreadable) against 1 rules",
    ]
