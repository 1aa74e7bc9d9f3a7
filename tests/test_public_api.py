"""The public surface stays small and explicit; foreign libraries stay in their modules."""

from __future__ import annotations

import ast
import pkgutil
import shutil
import subprocess
from pathlib import Path

import pytest

import emrlint
from tests.conftest import REPO

PACKAGE = REPO / "emrlint"


def test_all_lists_exactly_the_public_names_sorted() -> None:
    public = {name for name in vars(emrlint) if not name.startswith("_")}
    modules = {info.name for info in pkgutil.iter_modules(emrlint.__path__)}
    assert sorted(emrlint.__all__, key=str.lower) == sorted(
        (public - modules) | {"__version__"}, key=str.lower
    )


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


FOREIGN = {
    "lark": {"rules/syntax.py", "rules/transformer.py"},
    "click": {"cli.py", "reporters/text.py"},
    "emrlint.cli": {"__main__.py"},
    "chinese_calendar": {"rules/workdays.py"},
    "openpyxl": {"reporters/xlsx_sheets.py"},
    "fhir": {"parsers/fhir/strict.py"},
    "hl7apy": {"parsers/hl7v2/reference.py"},
}


@pytest.mark.parametrize("library", sorted(FOREIGN))
def test_foreign_libraries_are_imported_only_where_they_belong(library: str) -> None:
    users = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(name == library or name.startswith(library + ".") for name in _imports(path))
    }
    assert users <= FOREIGN[library], users - FOREIGN[library]


def test_no_eval_or_exec_in_the_package() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        calls = {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        assert not calls & {"eval", "exec", "compile"}, path


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (REPO / ".venv/bin/ruff").exists(),
    reason="ruff is not installed",
)
@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff_is_clean(command: list[str]) -> None:
    ruff = shutil.which("ruff") or str(REPO / ".venv/bin/ruff")
    result = subprocess.run(
        [ruff, *command, "emrlint", "tests", "benchmarks"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
