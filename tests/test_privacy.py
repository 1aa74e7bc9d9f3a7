"""Nothing identifying goes to logs; --deidentify pseudonymises outputs consistently."""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders import T, doc, episode
from tests.conftest import run_cli

MINI = str(Path(__file__).parent / "fixtures" / "mini.rules")
MARKERS = ("MARKERNAME", "MARKERPID", "MARKEREPI", "MARKERTEXT", "MARKERDOC")
KEY = {"EMRLINT_DEIDENTIFY_KEY": "a-site-secret-of-some-length"}


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
