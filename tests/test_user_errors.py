"""Every error a user can cause ends in a clear message and exit status 2 (or, for a bad
record, a result row and exit 1) — never a traceback (issue 8). Each case runs the real CLI in
a subprocess."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_cli

MINI = str(Path(__file__).parent / "fixtures" / "mini.rules")
RECORD = (
    '{"id": "e1", "patient": {"id": "p1"}, "admitted_at": "2024-05-01T08:00",'
    ' "discharged_at": "2024-05-03T08:00"}\n'
)


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str | bytes]  # name -> content, written into tmp_path
    args: Callable[[Path], list[str]]
    expect: str  # text that must appear on stderr (or stdout for result rows)
    status: int = 2
    env: dict[str, str] | None = None


def _config(text: str | bytes) -> dict[str, str | bytes]:
    return {"emrlint.toml": text, "in.jsonl": RECORD}


def _check(tmp: Path, *extra: str) -> list[str]:
    return [
        "check",
        str(tmp / "in.jsonl"),
        "--rulebooks",
        MINI,
        "--config",
        str(tmp / "emrlint.toml"),
        *extra,
    ]


CASES = [
    Case(
        "missing-input-path",
        {},
        lambda t: ["check", str(t / "nope.json"), "--rulebooks", MINI],
        "cannot open",
    ),
    Case(
        "bad-as-of",
        {"in.jsonl": RECORD},
        lambda t: ["check", str(t / "in.jsonl"), "--rulebooks", MINI, "--as-of", "tomorrow"],
        "--as-of",
    ),
    Case(
        "unknown-rule-in-explain",
        {},
        lambda t: ["explain", "MINI-9-x", "--rulebooks", MINI],
        "no rule MINI-9-x",
    ),
    Case(
        "missing-rulebook",
        {"in.jsonl": RECORD},
        lambda t: ["check", str(t / "in.jsonl"), "--rulebooks", str(t / "none.rules")],
        "no rulebook at",
    ),
    Case(
        "missing-config-file",
        {"in.jsonl": RECORD},
        lambda t: ["check", str(t / "in.jsonl"), "--config", str(t / "none.toml")],
        "No such file",
    ),
    Case("config-toml-syntax", _config("[site\n"), lambda t: _check(t), "E002"),
    Case(
        "config-unknown-key",
        _config("[site]\ntimezon = 'Asia/Shanghai'\n"),
        lambda t: _check(t),
        "did you mean `timezone`?",
    ),
    Case(
        "config-wrong-type",
        _config("[rules]\nselect = 'BW'\n"),
        lambda t: _check(t),
        "must be a list",
    ),
    Case(
        "config-bad-timezone",
        _config("[site]\ntimezone = 'Mars/Olympus'\n"),
        lambda t: _check(t),
        "unknown timezone",
    ),
    Case(
        "config-bad-severity",
        _config("[rules.severity]\nMINI-1-discharge-note = 'hgih'\n"),
        lambda t: _check(t),
        "severity must be one of",
    ),
    Case(
        "config-unknown-parameter",
        _config("[params]\nno_such_param = '4h'\n"),
        lambda t: _check(t),
        "no rulebook declares the parameter",
    ),
    Case(
        "config-bad-holiday",
        _config("[calendar]\nholidays = ['soon']\n"),
        lambda t: _check(t),
        "not a date",
    ),
    Case(
        "config-value-of-wrong-type",
        _config("[site]\ntimezone = 8\n"),
        lambda t: _check(t),
        "emrlint.toml:2:1",
    ),
    Case(
        "config-table-given-a-value",
        _config("site = 5\n"),
        lambda t: _check(t),
        "`site` must be a table",
    ),
    Case(
        "config-list-of-wrong-items",
        _config("[rules]\nselect = [1, 2]\n"),
        lambda t: _check(t),
        "must be a list of strings",
    ),
    Case(
        "config-utf16",
        _config('[site]\ntimezone = "Asia/Shanghai"\n'.encode("utf-16")),
        lambda t: _check(t),
        "this file is UTF-16",
    ),
    Case(
        "config-unknown-output-language",
        _config('[output]\nlang = "fr"\n'),
        lambda t: _check(t),
        "lang must be one of zh, en",
    ),
    Case(
        "rulebook-without-rules",
        {"r.rules": "param note_deadline = 24h\n", "in.jsonl": RECORD},
        lambda t: ["check", str(t / "in.jsonl"), "--rulebooks", str(t / "r.rules")],
        "holds no rule",
    ),
    Case(
        "native-format-tag-unknown",
        {"in.jsonl": RECORD.replace('{"id"', '{"format": "emrlint.episode/2", "id"')},
        lambda t: ["check", str(t / "in.jsonl"), "--rulebooks", MINI],
        "format: Input should be 'emrlint.episode/1'",
        status=1,
    ),
    Case(
        "rulebook-syntax",
        {"r.rules": 'rule X-1-a "a" / "a"\n  severity\n', "in.jsonl": RECORD},
        lambda t: ["check", str(t / "in.jsonl"), "--rulebooks", str(t / "r.rules")],
        "E001",
    ),
    Case(
        "rulebook-unknown-kind",
        {
            "r.rules": 'rule X-1-a "a" / "a"\n  severity minor category timeliness tags X-1 '
            'cites "c"\n  require dischrge_note\n',
            "in.jsonl": RECORD,
        },
        lambda t: ["test", str(t / "r.rules")],
        "did you mean `discharge_note`?",
    ),
    Case(
        "unwritable-output",
        {"in.jsonl": RECORD},
        lambda t: [
            "check",
            str(t / "in.jsonl"),
            "--rulebooks",
            MINI,
            "--output",
            str(t / "no" / "such" / "dir" / "out.json"),
        ],
        "cannot write",
    ),
    Case(
        "unwritable-junit",
        {},
        lambda t: ["test", MINI, "--junit", str(t / "no" / "x.xml")],
        "cannot write",
    ),
    Case(
        "deidentify-without-key",
        {"in.jsonl": RECORD},
        lambda t: ["check", str(t / "in.jsonl"), "--rulebooks", MINI, "--deidentify"],
        "EMRLINT_DEIDENTIFY_KEY",
        env={"EMRLINT_DEIDENTIFY_KEY": ""},
    ),
    Case("unknown-option", {}, lambda t: ["check", "--frobnicate", "x"], "No such option"),
    Case(
        "bad-format-choice",
        {"in.jsonl": RECORD},
        lambda t: ["check", str(t / "in.jsonl"), "--format", "pdf"],
        "Invalid value",
    ),
    Case(
        "bad-record-is-a-result",
        {"in.jsonl": '{"id": 1}\n'},
        lambda t: ["check", str(t / "in.jsonl"), "--rulebooks", MINI],
        "INDETERMINATE input",
        status=1,
    ),
    Case(
        "wrong-forced-format-is-a-result",
        {"in.hl7": "MSH|^~\\&|A|B\r"},
        lambda t: ["check", str(t / "in.hl7"), "--rulebooks", MINI, "--input-format", "jsonl"],
        "invalid JSON",
        status=1,
    ),
]


# Selectors and severity overrides checked against the loaded rules (loader.check_rule_references).
RULE_REFERENCES = [
    Case(
        "select-matching-nothing",
        {"in.jsonl": RECORD},
        lambda t: ["check", str(t / "in.jsonl"), "--rulebooks", MINI, "--select", "NOPE-123"],
        "--select 'NOPE-123' matches no rule id or tag",
    ),
    Case(
        "ignore-with-a-typo",
        {"in.jsonl": RECORD},
        lambda t: ["check", str(t / "in.jsonl"), "--rulebooks", MINI, "--ignore", "MINI-3"],
        "--ignore 'MINI-3' matches no rule id or tag",
    ),
    Case(
        "config-selector-matching-nothing",
        _config('[rules]\nignore = ["mini-2"]\n'),
        lambda t: _check(t),
        "did you mean `MINI-2`?",
    ),
    Case(
        "config-severity-of-unknown-rule",
        _config('[rules.severity]\n"MINI-1-discharge-notee" = "critical"\n'),
        lambda t: _check(t),
        "did you mean `MINI-1-discharge-note`?",
    ),
]


def test_at_least_fifteen_distinct_user_errors_are_covered() -> None:
    assert len({case.name for case in CASES}) >= 15


@pytest.mark.parametrize(
    "case",
    [
        *(pytest.param(case, id=case.name) for case in CASES),
        *(pytest.param(case, id=case.name) for case in RULE_REFERENCES),
    ],
)
def test_user_error_gives_a_message_not_a_traceback(case: Case, tmp_path: Path) -> None:
    for name, content in case.files.items():
        if isinstance(content, bytes):
            (tmp_path / name).write_bytes(content)
        else:
            (tmp_path / name).write_text(content, encoding="utf-8")
    result = run_cli(*case.args(tmp_path), env=case.env)
    assert result.returncode == case.status, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert case.expect in result.stderr + result.stdout
