from __future__ import annotations

from pathlib import Path

import pytest

from emrlint.config import Config, load_config
from emrlint.diagnostics import Diagnostic, Span
from emrlint.errors import ConfigError
from emrlint.rules.compiler import CompiledRulebook
from emrlint.rules.loader import check_rule_references, load_rulebooks
from tests.conftest import run_cli

MINI = str(Path(__file__).parent / "fixtures" / "mini.rules")


def test_misspelt_key_names_file_line_and_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "emrlint.toml"
    path.write_text('[site]\ntimezon = "Asia/Shanghai"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "E006"
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 1)
    assert diagnostic.suggestion == "timezone"


def test_config_show_prints_values_and_their_origin(tmp_path: Path) -> None:
    path = tmp_path / "emrlint.toml"
    path.write_text(
        '[site]\ntimezone = "Asia/Urumqi"\n\n[params]\nrescue_deadline = "4h"\n', encoding="utf-8"
    )
    result = run_cli("config", "--show", "--config", str(path))
    assert result.returncode == 0
    assert f'site.timezone = "Asia/Urumqi"  # {path}:2' in result.stdout
    assert f'params.rescue_deadline = "4h"  # {path}:5' in result.stdout
    assert 'output.lang = "zh"  # default' in result.stdout


def test_config_with_misspelt_key_exits_2_with_hint(tmp_path: Path) -> None:
    path = tmp_path / "emrlint.toml"
    path.write_text('[rules]\nselcet = ["BW"]\n', encoding="utf-8")
    result = run_cli("config", "--show", "--config", str(path))
    assert result.returncode == 2
    assert f"{path}:2:1" in result.stderr
    assert "did you mean `select`?" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_is_found_upwards_from_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "emrlint.toml").write_text('[output]\nlang = "en"\n', encoding="utf-8")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert load_config(search_from=nested).lang == "en"


def test_unknown_parameter_in_config_is_an_error_with_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "emrlint.toml"
    path.write_text('[params]\nrescue_dedline = "4h"\n', encoding="utf-8")
    rules = tmp_path / "r.rules"
    rules.write_text(
        'param rescue_deadline = 6h\nrule X-1-a "a" / "a"\n  severity minor '
        'category timeliness tags X-1 cites "c"\n  require rescue_record\n',
        encoding="utf-8",
    )
    result = run_cli("check", "tests/fixtures", "--config", str(path), "--rulebooks", str(rules))
    assert result.returncode == 2
    assert "did you mean `rescue_deadline`?" in result.stderr


def test_bad_toml_is_reported_with_position(tmp_path: Path) -> None:
    path = tmp_path / "emrlint.toml"
    path.write_text("[site\n", encoding="utf-8")
    result = run_cli("config", "--show", "--config", str(path))
    assert result.returncode == 2
    assert "E002" in result.stderr and f"{path}:1:" in result.stderr


def test_parameter_override_changes_the_outcome(tmp_path: Path) -> None:
    config = tmp_path / "emrlint.toml"
    config.write_text('[params]\nnote_deadline = "48h"\n', encoding="utf-8")
    rules = tmp_path / "r.rules"
    rules.write_text(
        'param note_deadline = 24h\nrule X-1-a "a" / "a"\n  severity minor category timeliness '
        'tags X-1 cites "c"\n  require admission_note within note_deadline after admission\n',
        encoding="utf-8",
    )
    data = tmp_path / "e.json"
    data.write_text(
        '{"id": "e", "patient": {"id": "p"}, "admitted_at": "2024-05-01T08:00",'
        ' "documents": [{"id": "d", "kind": "admission_note",'
        ' "written_at": "2024-05-02T20:00"}]}',
        encoding="utf-8",
    )
    strict = run_cli("check", str(data), "--rulebooks", str(rules), "--as-of", "2024-06-01")
    relaxed = run_cli(
        "check",
        str(data),
        "--rulebooks",
        str(rules),
        "--as-of",
        "2024-06-01",
        "--config",
        str(config),
    )
    assert strict.returncode == 1 and relaxed.returncode == 0


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "emrlint.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _only_error(path: Path) -> Diagnostic:
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    (diagnostic,) = raised.value.diagnostics
    return diagnostic


@pytest.mark.parametrize(
    "text, position, message",
    [
        ("[site]\ntimezone = 8\n", (2, 1), "`site.timezone` must be a string"),
        ("site = 5\n", (1, 1), "`site` must be a table"),
        ("[rules]\nselect = [1, 2]\n", (2, 1), "`rules.select` must be a list of strings"),
        ('[rules]\nignore = ["A", 3]\n', (2, 1), "`rules.ignore` must be a list of strings"),
        ("[rules]\nfail_on = 3\n", (2, 1), "`rules.fail_on` must be a string"),
        ("[calendar]\nholidays = '2027-01-01'\n", (2, 1), "`calendar.holidays` must be a list"),
        ("[mapping]\nfhir = 5\n", (2, 1), "`mapping.fhir` must be a table"),
        ("[kinds.icu_note]\nzh = 5\n", (2, 1), "`kinds.icu_note.zh` must be a string"),
        ("[kinds.icu_note]\ntitles = 'ICU'\n", (2, 1), "must be a list of strings"),
    ],
)
def test_value_of_the_wrong_type_is_an_error_at_its_key_with_a_hint(
    tmp_path: Path, text: str, position: tuple[int, int], message: str
) -> None:
    diagnostic = _only_error(_write(tmp_path, text))
    assert (diagnostic.code, diagnostic.slug) == ("E003", "bad-type")
    assert message in diagnostic.message
    assert (diagnostic.span.line, diagnostic.span.column) == position
    assert diagnostic.help


@pytest.mark.parametrize(
    "text",
    ["[site]\ntimezone = 8\n", "site = 5\n", "[rules]\nselect = [1,2]\n"],
    ids=["timezone-number", "site-number", "select-numbers"],
)
def test_wrong_type_in_config_stops_check_with_position_not_internal_error(
    tmp_path: Path, text: str
) -> None:
    path = _write(tmp_path, text)
    result = run_cli("check", "tests/fixtures", "--rulebooks", MINI, "--config", str(path))
    assert result.returncode == 2
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert f"{path}:{len(text.splitlines())}:1" in result.stderr
    assert "help:" in result.stderr


def test_utf16_config_is_a_syntax_error_that_says_to_save_as_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path, '[site]\ntimezone = "Asia/Shanghai"\n'.encode("utf-16"))
    diagnostic = _only_error(path)
    assert (diagnostic.code, diagnostic.slug) == ("E002", "config-syntax")
    assert (diagnostic.span.line, diagnostic.span.column) == (1, 1)
    assert "UTF-8" in diagnostic.help and "UTF-16" in diagnostic.help


def test_byte_that_is_not_utf8_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, b'[site]\nid = "H\xff1"\n')
    diagnostic = _only_error(path)
    assert diagnostic.code == "E002"
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 8)


def test_binary_config_stops_check_with_a_message_not_internal_error(tmp_path: Path) -> None:
    path = _write(tmp_path, bytes(range(256)) * 4)
    result = run_cli("check", "tests/fixtures", "--rulebooks", MINI, "--config", str(path))
    assert result.returncode == 2
    assert "internal error" not in result.stderr
    assert "E002 config-syntax" in result.stderr and f"{path}:" in result.stderr


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, '\ufeff[output]\nlang = "en"\n'.encode())
    assert load_config(path).lang == "en"


def test_unreadable_config_has_its_own_code_not_the_rule_syntax_code(tmp_path: Path) -> None:
    diagnostic = _only_error(tmp_path)  # a folder cannot be read as a file
    assert (diagnostic.code, diagnostic.slug) == ("E008", "config-unreadable")
    assert diagnostic.help


def test_missing_config_file_stops_check_as_config_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "none.toml"
    result = run_cli("check", "tests/fixtures", "--rulebooks", MINI, "--config", str(path))
    assert result.returncode == 2
    assert "E008 config-unreadable" in result.stderr and "E001" not in result.stderr
    assert f"{path}:1:1" in result.stderr and "No such file" in result.stderr


def test_output_language_other_than_zh_or_en_is_an_error_listing_both(tmp_path: Path) -> None:
    diagnostic = _only_error(_write(tmp_path, '[output]\nlang = "fr"\n'))
    assert (diagnostic.code, diagnostic.slug) == ("E005", "bad-value")
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 1)
    assert "zh, en" in diagnostic.message + diagnostic.help


def test_output_language_in_capitals_suggests_the_lower_case_one(tmp_path: Path) -> None:
    assert _only_error(_write(tmp_path, '[output]\nlang = "EN"\n')).suggestion == "en"


def test_title_pattern_that_is_not_a_regular_expression_is_an_error_at_it(
    tmp_path: Path,
) -> None:
    diagnostic = _only_error(_write(tmp_path, '[kinds.icu_note]\ntitles = ["ICU", "(转出"]\n'))
    assert (diagnostic.code, diagnostic.slug) == ("E005", "bad-value")
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 19)


def test_hl7v2_mapping_error_points_at_the_offending_key(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[site]\ntimezone = "Asia/Shanghai"\n\n[mapping.hl7v2]\ninpatient_classes = ["I"]\n'
        '\n[mapping.hl7v2.dispositions]\n"1" = "routine"\n"5" = "deceased"\n',
    )
    diagnostic = _only_error(path)
    assert diagnostic.code == "E041"
    assert "mapping.hl7v2.dispositions.5" in diagnostic.message
    assert (diagnostic.span.line, diagnostic.span.column) == (9, 2)


def test_hl7v2_mapping_key_in_an_inline_table_is_located(tmp_path: Path) -> None:
    diagnostic = _only_error(_write(tmp_path, "[mapping]\nhl7v2 = { inpatient_clases = [] }\n"))
    assert diagnostic.code == "E041"
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 11)


def test_span_of_a_key_has_its_column_and_finds_quoted_and_dotted_keys(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[rules.severity]\n  "MINI-1-discharge-note" = "critical"\n\n[params]\na.b = 1\n',
    )
    config = load_config(path)
    assert config.span_of("rules.severity.MINI-1-discharge-note") == Span(str(path), 2, 4, 2, 25)
    assert config.span_of("params.a.b") == Span(str(path), 5, 3, 5, 4)


def _mini_books() -> list[CompiledRulebook]:
    return load_rulebooks([Path(MINI)], Config().vocabulary)


def test_severity_override_of_an_unknown_rule_is_an_error_with_suggestion(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, '[rules.severity]\n"MINI-1-discharge-notee" = "critical"\n')
    with pytest.raises(ConfigError) as raised:
        check_rule_references(load_config(path), _mini_books())
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.code, diagnostic.slug) == ("E009", "unknown-rule")
    assert (diagnostic.span.file, diagnostic.span.line, diagnostic.span.column) == (
        str(path),
        2,
        2,
    )
    assert diagnostic.suggestion == "MINI-1-discharge-note"
    assert "did you mean `MINI-1-discharge-note`?" in str(raised.value)


def test_severity_override_of_a_tag_says_overrides_name_rule_ids(tmp_path: Path) -> None:
    path = _write(tmp_path, '[rules.severity]\n"MINI" = "critical"\n')
    with pytest.raises(ConfigError) as raised:
        check_rule_references(load_config(path), _mini_books())
    assert "not a tag or a prefix" in (raised.value.diagnostics[0].help or "")


def test_severity_override_of_a_loaded_or_shipped_rule_is_accepted(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[rules.severity]\n"MINI-1-discharge-note" = "critical"\n'
        '"BW-2010-22-20-discharge-note" = "critical"\n',
    )
    check_rule_references(load_config(path), _mini_books())
