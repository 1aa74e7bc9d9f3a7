"""Nothing identifying goes to logs; --deidentify pseudonymises outputs consistently."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from emrlint.privacy import Pseudonymizer
from tests.builders import T, doc, episode
from tests.conftest import run_cli

MINI = str(Path(__file__).parent / "fixtures" / "mini.rules")
MARKERS = ("MARKERNAME", "MARKERPID", "MARKEREPI", "MARKERTEXT", "MARKERDOC")
KEY = {"EMRLINT_DEIDENTIFY_KEY": "a-site-secret-of-some-length"}
H = dt.timedelta(hours=1)


def _records(tmp_path: Path) -> Path:
    good = episode(
        doc("discharge_note", T, text="MARKERTEXT 患者自述", author={"name": "MARKERDOC"}),
        id="MARKEREPI-1",
        patient={"id": "MARKERPID-1", "name": "MARKERNAME 张三"},
        discharged_at=T,
    )
    wrong_type = episode(
        id="MARKEREPI-2",
        patient={"id": "MARKERPID-2", "name": "MARKERNAME"},
        admitted_at="MARKERTEXT",
    )
    unknown_key = {**episode(id="MARKEREPI-3"), "admited_at": "MARKERTEXT"}
    path = tmp_path / "records.jsonl"
    lines = [
        json.dumps(good, ensure_ascii=False),
        json.dumps(wrong_type, ensure_ascii=False),
        json.dumps(unknown_key, ensure_ascii=False),
        '{"id": "MARKEREPI-4", "truncated',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_debug_logs_hold_no_names_identifiers_or_text(tmp_path: Path) -> None:
    path = _records(tmp_path)
    result = run_cli("--debug", "check", str(path), "--rulebooks", MINI, "--as-of", "2025-01-01")
    assert "DEBUG emrlint" in result.stderr  # logging really was on
    for marker in MARKERS:
        assert marker not in result.stderr, marker


def test_input_problem_reasons_name_fields_not_values(tmp_path: Path) -> None:
    path = _records(tmp_path)
    result = run_cli(
        "check", str(path), "--rulebooks", MINI, "--as-of", "2025-01-01", "--format", "jsonl"
    )
    problems = [
        json.loads(line)
        for line in result.stdout.splitlines()
        if json.loads(line)["rule_id"] == "input"
    ]
    assert len(problems) == 3
    for problem in problems:
        reason = problem["evidence"]["reason"]
        assert "MARKERTEXT" not in reason and "MARKERNAME 张三" not in reason


def _deidentified(path: Path, key: dict[str, str]) -> str:
    result = run_cli(
        "check",
        str(path),
        "--rulebooks",
        MINI,
        "--as-of",
        "2025-01-01",
        "--format",
        "jsonl",
        "--deidentify",
        env=key,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def test_deidentify_replaces_ids_consistently_and_keeps_no_names(tmp_path: Path) -> None:
    path = _records(tmp_path)
    first = _deidentified(path, KEY)
    second = _deidentified(path, KEY)
    other = _deidentified(path, {"EMRLINT_DEIDENTIFY_KEY": "another-secret-of-some-length"})
    for marker in MARKERS:
        assert marker not in first, marker
    assert first == second
    ids = {json.loads(line)["patient_id"] for line in first.splitlines()} - {None}
    other_ids = {json.loads(line)["patient_id"] for line in other.splitlines()} - {None}
    assert ids and all(i.startswith("P-") for i in ids)
    assert ids.isdisjoint(other_ids)


def test_deidentify_without_a_key_is_a_usage_error(tmp_path: Path) -> None:
    path = _records(tmp_path)
    result = run_cli(
        "check", str(path), "--rulebooks", MINI, "--deidentify", env={"EMRLINT_DEIDENTIFY_KEY": ""}
    )
    assert result.returncode == 2
    assert "EMRLINT_DEIDENTIFY_KEY" in result.stderr and "Traceback" not in result.stderr


def test_deidentified_episode_keeps_structure_but_no_names_or_text() -> None:
    from emrlint.api import EpisodeResult
    from emrlint.privacy import Pseudonymizer
    from tests.builders import build

    ep = build(
        episode(
            doc(
                "discharge_note",
                T,
                text="MARKERTEXT",
                title="MARKERTITLE",
                author={"id": "D7", "name": "MARKERDOC", "rank": "attending"},
            ),
            id="MARKEREPI",
            patient={"id": "MARKERPID", "name": "MARKERNAME"},
        )
    )
    result = Pseudonymizer(b"k" * 20).result(EpisodeResult(ep.id, [], ep))
    assert result.episode is not None
    dumped = result.episode.model_dump_json()
    for marker in (
        "MARKERTEXT",
        "MARKERTITLE",
        "MARKERDOC",
        "MARKEREPI",
        "MARKERPID",
        "MARKERNAME",
    ):
        assert marker not in dumped
    assert result.episode.documents[0].author.id == "D7"
    assert result.episode.documents[0].written_at == T


ARCHIVE_RULES = (
    'rule X-9-archive "出院后24小时内归档" / "Archived within 24 h after discharge"\n'
    '  severity major category timeliness tags X-9 cites "c"\n'
    "  when is_discharged\n"
    "  require archived_at within 24h after discharge\n"
)


@pytest.mark.parametrize("output_format", ["text", "json", "jsonl", "csv", "html", "xlsx"])
def test_deidentify_pseudonymises_the_episode_found_as_evidence_in_every_format(
    tmp_path: Path, output_format: str
) -> None:
    """A rule on an episode time (archived_at) finds the episode itself: the evidence of its
    FAIL (found late) and of its PASS (found) names the episode, under its pseudonym."""
    out = tmp_path / f"out.{output_format}"
    result = _archive_run(tmp_path, "--format", output_format, "--output", str(out))
    assert result.returncode == 1, result.stderr
    if output_format == "xlsx":
        with zipfile.ZipFile(out) as book:
            written = "".join(book.read(name).decode("utf-8") for name in book.namelist())
    else:
        written = out.read_text(encoding="utf-8")
    assert "MARKEREPI" not in written and "MARKERPID" not in written
    key = KEY["EMRLINT_DEIDENTIFY_KEY"].encode()
    for raw in ("MARKEREPI-late", "MARKEREPI-ok"):
        assert Pseudonymizer(key).pseudonym(raw, "E") in written


def test_deidentified_evidence_names_the_episode_by_the_same_pseudonym(tmp_path: Path) -> None:
    result = _archive_run(tmp_path, "--format", "jsonl")
    findings = {
        record["status"]: record
        for record in map(json.loads, result.stdout.splitlines())
        if record["rule_id"] == "X-9-archive"
    }
    failed, passed = findings["FAIL"], findings["PASS"]
    assert failed["evidence"]["nearest"]["id"] == failed["episode_id"]
    assert [item["id"] for item in passed["evidence"]["found"]] == [passed["episode_id"]]
    assert failed["episode_id"].startswith("E-") and failed["episode_id"] != passed["episode_id"]


def test_deidentify_keeps_the_counts_of_outcomes_not_listed(tmp_path: Path) -> None:
    """Findings-only outputs count PASS and NA outcomes instead of listing them; the
    pseudonymised results keep those counts."""
    records = tmp_path / "records.jsonl"
    records.write_text(
        json.dumps(episode(doc("discharge_note", T + H), discharged_at=T)) + "\n",
        encoding="utf-8",
    )
    args = ("check", str(records), "--rulebooks", MINI, "--as-of", "2025-01-01", "--format")
    plain = json.loads(run_cli(*args, "json").stdout)["summary"]
    hidden = json.loads(run_cli(*args, "json", "--deidentify", env=KEY).stdout)["summary"]
    assert hidden == plain
    assert plain["by_status"].get("PASS")


def test_config_show_says_a_key_from_the_environment_is_set_without_printing_it(
    tmp_path: Path,
) -> None:
    result = run_cli("config", "--show", cwd=tmp_path, env=KEY)
    assert result.returncode == 0, result.stderr
    assert "site.deidentify_key = <set>  # from EMRLINT_DEIDENTIFY_KEY" in result.stdout
    assert KEY["EMRLINT_DEIDENTIFY_KEY"] not in result.stdout
    unset = run_cli("config", "--show", cwd=tmp_path, env={"EMRLINT_DEIDENTIFY_KEY": ""})
    assert "site.deidentify_key = null  # default" in unset.stdout


def test_config_show_names_the_file_line_of_a_key_that_wins_over_the_environment(
    tmp_path: Path,
) -> None:
    config = tmp_path / "emrlint.toml"
    config.write_text('[site]\ndeidentify_key = "MARKERKEY-from-the-file"\n', encoding="utf-8")
    result = run_cli("config", "--show", "--config", str(config), env=KEY)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("site.deidentify_key"))
    assert line == (
        f"site.deidentify_key = <set>  # {config}:2 "
        "(EMRLINT_DEIDENTIFY_KEY is set too, and not used)"
    )
    assert "MARKERKEY" not in result.stdout and KEY["EMRLINT_DEIDENTIFY_KEY"] not in result.stdout


def _archive_run(tmp_path: Path, *output: str) -> subprocess.CompletedProcess[str]:
    """`check --show-pass --deidentify` of one stay archived late and one on time, whose ids
    (MARKEREPI-…, MARKERPID-…) must not appear in what is written."""
    rules = tmp_path / "archive.rules"
    rules.write_text(ARCHIVE_RULES, encoding="utf-8")
    records = tmp_path / "records.jsonl"
    late = episode(
        id="MARKEREPI-late", patient={"id": "MARKERPID-1"}, discharged_at=T, archived_at=T + 30 * H
    )
    on_time = episode(
        id="MARKEREPI-ok", patient={"id": "MARKERPID-2"}, discharged_at=T, archived_at=T + H
    )
    records.write_text(f"{json.dumps(late)}\n{json.dumps(on_time)}\n", encoding="utf-8")
    arguments = ("--rulebooks", str(rules), "--as-of", "2025-01-01", "--show-pass")
    return run_cli("check", str(records), *arguments, "--deidentify", *output, env=KEY)
