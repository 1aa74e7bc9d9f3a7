from __future__ import annotations

from pathlib import Path

import pytest

from emrlint.config import load_config
from emrlint.errors import ConfigError
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
