"""`--jobs N` gives the same output, in the same order, as one process."""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders import T, doc, episode
from tests.conftest import run_cli

MINI = str(Path(__file__).parent / "fixtures" / "mini.rules")


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
