from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from emrlint.api import code_matches_selector
from emrlint.config import Config, load_config
from emrlint.errors import ConfigError, RulebookError, UsageError
from emrlint.rules import loader
from emrlint.rules.compiler import CompiledRulebook
from emrlint.rules.loader import check_rule_references, default_rulebook_dir, load_rulebooks
from tests.conftest import run_cli

MINI = Path(__file__).parent / "fixtures" / "mini.rules"
RECORD = (
    '{"id": "e1", "patient": {"id": "p1"}, "admitted_at": "2024-05-01T08:00",'
    ' "discharged_at": "2024-05-03T08:00"}\n'
)


@pytest.mark.parametrize("matches", [code_matches_selector, loader.code_matches_selector])
@pytest.mark.parametrize(
    "code, selector, expected",
    [
        ("NIT-2024-I", "NIT-2024-I", True),
        ("NIT-2024-II", "NIT-2024-I", False),
        ("NIT-2024-IX", "NIT-2024-I", False),
        ("NIT-2024-I-reperfusion", "NIT-2024-I", True),
        ("HX-2018-07", "HX-2018", True),
        ("HX-2018-07", "HX", True),
        ("BW-2010-22-08-rescue-record", "BW-2010-22", True),
        ("BW-2010-22-08-rescue-record", "BW-2010-2", False),
        ("MER-TL-01", "MER-TL-", True),
        ("NIT-2024-I", "nit-2024", False),
    ],
)
def test_selectors_match_whole_parts(
    matches: object, code: str, selector: str, expected: bool
) -> None:
    assert matches(code, selector) is expected  # type: ignore[operator]


@cache
def _shipped() -> tuple[CompiledRulebook, ...]:
    return tuple(load_rulebooks([default_rulebook_dir()], Config().vocabulary))


@cache
def _mini() -> tuple[CompiledRulebook, ...]:
    return tuple(load_rulebooks([MINI], Config().vocabulary))


@pytest.mark.parametrize(
    "select, ignore, expected",
    [
        (["NOPE-123"], [], "--select 'NOPE-123' matches no rule id or tag"),
        (["nit-2024"], [], "did you mean NIT-2024?"),
        (["NIT-2024-I", "BW-2010-22-20-discharge-notee"], [], "BW-2010-22-20-discharge-note?"),
        ([], ["PIT-2052"], "--ignore 'PIT-2052' matches no rule id or tag; did you mean PIT-2025?"),
    ],
)
def test_command_line_selector_that_matches_nothing_is_a_usage_error_with_suggestion(
    select: list[str], ignore: list[str], expected: str
) -> None:
    with pytest.raises(UsageError) as raised:
        check_rule_references(Config(), _shipped(), select, ignore)
    assert expected in str(raised.value)


@pytest.mark.parametrize(
    "selector", ["NIT-2024", "NIT-2024-I", "BW-2010-22", "HX", "MER-TL-", "PIT-2025"]
)
def test_selector_naming_an_id_a_tag_or_whole_parts_of_one_is_accepted(selector: str) -> None:
    check_rule_references(Config(), _shipped(), [selector], [selector])


def test_selector_of_a_shipped_rule_is_accepted_when_other_rulebooks_are_loaded() -> None:
    check_rule_references(Config(ignore=("PIT-2025",)), _mini(), ["MINI-1"], ["BW-2010"])


def test_config_selector_that_matches_nothing_is_an_error_at_its_position(
    tmp_path: Path,
) -> None:
    path = tmp_path / "emrlint.toml"
    path.write_text('[rules]\nselect = ["MINI-1"]\nignore = [\n  "MINI-2", "MIMI-3",\n]\n')
    with pytest.raises(ConfigError) as raised:
        check_rule_references(load_config(path), _mini())
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.code, diagnostic.slug) == ("E010", "unmatched-selector")
    assert "`MIMI-3` in rules.ignore" in diagnostic.message
    assert (diagnostic.span.line, diagnostic.span.column) == (4, 14)
    assert diagnostic.help


def test_rulebook_folder_without_rules_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RulebookError) as raised:
        load_rulebooks([tmp_path], Config().vocabulary)
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.code, diagnostic.slug) == ("E000", "no-rules")
    assert str(tmp_path) in diagnostic.message and diagnostic.help


def test_rulebook_file_without_rules_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "params.rules"
    path.write_text("param note_deadline = 24h\n", encoding="utf-8")
    with pytest.raises(RulebookError, match="holds no rule"):
        load_rulebooks([path], Config().vocabulary)


def test_empty_rulebook_folder_stops_check_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text(RECORD, encoding="utf-8")
    (tmp_path / "empty").mkdir()
    result = run_cli("check", str(tmp_path / "in.jsonl"), "--rulebooks", str(tmp_path / "empty"))
    assert result.returncode == 2, result.stderr
    assert "E000 no-rules" in result.stderr


@pytest.mark.parametrize(
    "option, selector, expected",
    [
        ("--select", "NOPE-123", "matches no rule id or tag"),
        ("--select", "nit-2024", "did you mean NIT-2024?"),
        ("--ignore", "PIT-2052", "did you mean PIT-2025?"),
    ],
)
def test_check_with_a_selector_that_matches_nothing_exits_2(
    tmp_path: Path, option: str, selector: str, expected: str
) -> None:
    (tmp_path / "in.jsonl").write_text(RECORD, encoding="utf-8")
    result = run_cli("check", str(tmp_path / "in.jsonl"), option, selector)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr


def test_selectors_that_leave_no_loaded_rule_stop_check_and_rates(tmp_path: Path) -> None:
    """`BW` names shipped rules, none of them in the rulebook given: nothing would run."""
    (tmp_path / "in.jsonl").write_text(RECORD, encoding="utf-8")
    for command in ("check", "rates"):
        result = run_cli(command, str(tmp_path / "in.jsonl"), "--rulebooks", MINI, "--select", "BW")
        assert result.returncode == 2, result.stderr
        assert "no rule to run" in result.stderr and "Traceback" not in result.stderr
