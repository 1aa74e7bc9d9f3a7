"""Without `--jobs`, emrlint picks one process for small inputs and for outputs that need every
outcome back, and all cores for big inputs whose output lists findings only; the output is the
same either way."""

from __future__ import annotations

import functools
import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import emrlint.cli
from emrlint.parallel import BIG_INPUT_BYTES, default_jobs, usable_cores
from tests.builders import T, doc, episode

MINI = str(Path(__file__).parent / "fixtures" / "mini.rules")


def _file(path: Path, size: int) -> str:
    """A file of `size` bytes without writing them (sparse where the filesystem allows)."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return str(path)


def test_small_input_runs_on_one_process(tmp_path: Path) -> None:
    small = _file(tmp_path / "small.jsonl", 1000)
    assert default_jobs([small], findings_only=True, big_input_bytes=1001, cores=4) == 1


def test_big_input_runs_on_every_core(tmp_path: Path) -> None:
    big = _file(tmp_path / "big.jsonl", 1000)
    assert default_jobs([big], findings_only=True, big_input_bytes=1000, cores=4) == 4


def test_big_input_at_the_default_threshold_uses_the_usable_cores(tmp_path: Path) -> None:
    big = _file(tmp_path / "big.jsonl", BIG_INPUT_BYTES)
    assert default_jobs([big], findings_only=True) == usable_cores()
    assert default_jobs([_file(tmp_path / "b.jsonl", BIG_INPUT_BYTES - 1)], True) == 1


def test_sizes_add_up_over_files_and_folders(tmp_path: Path) -> None:
    folder = tmp_path / "ward"
    (folder / "2024").mkdir(parents=True)
    _file(folder / "a.jsonl", 400)
    _file(folder / "2024" / "b.json", 400)
    _file(folder / "notes.md", 10_000)  # not an input: not counted
    single = _file(tmp_path / "c.hl7", 200)
    decide = functools.partial(default_jobs, findings_only=True, big_input_bytes=1000, cores=3)
    assert decide([str(folder)]) == 1
    assert decide([str(folder), single]) == 3


def test_stdin_runs_on_one_process(tmp_path: Path) -> None:
    big = _file(tmp_path / "big.jsonl", 1000)
    assert default_jobs(["-"], findings_only=True, big_input_bytes=0, cores=4) == 1
    assert default_jobs([big, "-"], findings_only=True, big_input_bytes=2000, cores=4) == 1


def test_outputs_needing_every_outcome_run_on_one_process(tmp_path: Path) -> None:
    big = _file(tmp_path / "big.jsonl", 1000)
    assert default_jobs([big], findings_only=False, big_input_bytes=1, cores=4) == 1


def test_usable_cores_is_at_least_one() -> None:
    assert usable_cores() >= 1


def test_auto_jobs_output_is_byte_identical_to_jobs_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "batch.jsonl"
    lines = [
        json.dumps(episode(*([doc("admission_note", T)] if i % 3 else []), id=f"ep-{i:04d}"))
        for i in range(200)
    ]
    lines[100] = lines[100][:25]  # an unreadable record keeps its place
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pools: list[int] = []
    monkeypatch.setattr(emrlint.cli, "check_parallel", _recording(pools))
    outputs = []
    for jobs in (["--jobs", "1"], []):
        if not jobs:  # the auto path, with this small file counted as big
            auto = functools.partial(default_jobs, big_input_bytes=1, cores=2)
            monkeypatch.setattr(emrlint.cli, "default_jobs", auto)
        out = tmp_path / f"out{len(jobs)}.jsonl"
        args = ["check", str(data), "--rulebooks", MINI, "--as-of", "2025-01-01"]
        args += ["--format", "jsonl", "--exit-zero", "--output", str(out), *jobs]
        result = CliRunner().invoke(emrlint.cli.main, args)
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert pools == [2]  # --jobs 1 stayed in process; the auto path used two workers
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b'"rule_id":"input"') == 1


def _recording(pools: list[int]) -> Any:
    """`check_parallel` that notes how many workers it was asked for."""
    real = emrlint.cli.check_parallel

    def check_parallel(*args: Any, **kwargs: Any) -> Any:
        pools.append(inspect.signature(real).bind(*args, **kwargs).arguments["jobs"])
        return real(*args, **kwargs)

    return check_parallel
