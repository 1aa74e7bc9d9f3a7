"""One evaluation of the sample run, shared by every reporter test (evaluation is the slow part,
and sharing it is also what the agreement tests check: one set of outcomes, many outputs)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from emrlint.api import EpisodeResult
from emrlint.parsers import InputProblem
from emrlint.reporters import RunSummary, make_reporter
from emrlint.reporters.base import RunInfo
from tests.conftest import REPO
from tests.reporters import sample

ARTIFACTS = REPO / "test-artifacts" / "reporters"

Results = list[EpisodeResult | InputProblem]


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, Any]:
    return sample.run(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def results(sample_run: tuple[Results, Any]) -> Results:
    return sample_run[0]


@pytest.fixture(scope="session")
def info(sample_run: tuple[Results, Any]) -> RunInfo:
    return sample.run_info(sample_run[1])


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def drive(reporter: Any, results: Results, info: RunInfo, out: Any) -> RunSummary:
    """What the CLI's _stream does: start, add each result, finish."""
    summary = RunSummary()
    reporter.start(out, info)
    for result in results:
        summary.add(result)
        reporter.add(out, result)
    reporter.finish(out, summary)
    return summary


def render(fmt: str, results: Results, info: RunInfo, **options: Any) -> str:
    out = io.StringIO()
    drive(make_reporter(fmt, **options), results, info, out)
    return out.getvalue()


def write_file(fmt: str, results: Results, info: RunInfo, path: Path) -> Path:
    """Through a file opened as the CLI opens --output (text mode, UTF-8)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        drive(make_reporter(fmt), results, info, out)
    return path
