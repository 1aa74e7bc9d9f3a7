"""Broken rulebooks stop `check` and `test` with exit 2, file:line:column, a caret and a
suggestion. Each fixture in bad/ states its expected error on its first line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emrlint.errors import RulebookError
from emrlint.model.vocabulary import default_vocabulary
from emrlint.rules.loader import load_rulebook
from tests.conftest import REPO, run_cli

BAD = Path(__file__).parent / "bad"
FIXTURES = sorted(BAD.glob("*.rules"))
_EXPECT = re.compile(r"# expect (E\d+) at (\d+):(\d+)(?: suggests (\S+))?")


def _expectation(path: Path) -> tuple[str, int, int, str | None]:
    match = _EXPECT.match(path.read_text("utf-8").splitlines()[0])
    assert match, f"{path.name} must start with '# expect CODE at LINE:COL [suggests X]'"
    code, line, column, suggestion = match.groups()
    return code, int(line), int(column), suggestion


def test_there_are_at_least_eight_distinct_error_cases() -> None:
    assert len(FIXTURES) >= 8
    assert len({_expectation(p)[0] for p in FIXTURES}) >= 6


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_rulebook_error_is_reported_at_its_position(path: Path) -> None:
    code, line, column, suggestion = _expectation(path)
    with pytest.raises(RulebookError) as raised:
        load_rulebook(path, default_vocabulary(), use_cache=False)
    found = [d for d in raised.value.diagnostics if d.code == code]
    assert found, f"expected {code}, got {[d.code for d in raised.value.diagnostics]}"
    spans = [(d.span.line, d.span.column) for d in found if d.span]
    assert (line, column) in spans, f"expected {code} at {line}:{column}, got {spans}"
    if suggestion:
        assert suggestion in {d.suggestion for d in found}


@pytest.mark.parametrize("command", ["check", "test"])
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_cli_exits_2_with_position_caret_and_hint(path: Path, command: str) -> None:
    _code, line, column, suggestion = _expectation(path)
    relative = path.relative_to(REPO)
    if command == "check":
        result = run_cli("check", "--rulebooks", str(relative), "examples")
    else:
        result = run_cli("test", str(relative))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{relative}:{line}:{column}" in result.stderr
    assert "^" in result.stderr
    assert result.stdout == ""
    if suggestion:
        assert f"did you mean `{suggestion}`?" in result.stderr
