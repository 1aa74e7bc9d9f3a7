"""Shared fixtures. Tests that read ../shared skip with a reason when it is absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Compiled-rulebook cache in a temporary folder: tests never touch ~/.cache."""
    os.environ["EMRLINT_CACHE_DIR"] = str(tmp_path_factory.mktemp("emrlint-cache"))


@pytest.fixture
def corpus() -> Path:
    path = SHARED / "corpus"
    if not path.is_dir():
        pytest.skip("../shared/corpus is not present beside the repository")
    return path


def run_cli(
    *args: str,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m emrlint` in a subprocess, as a user would, and capture everything."""
    return subprocess.run(
        [sys.executable, "-m", "emrlint", *args],
        cwd=cwd or REPO,
        input=stdin.decode("utf-8") if stdin is not None else None,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )
