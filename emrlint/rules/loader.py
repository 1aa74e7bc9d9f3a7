"""Find, parse, compile and cache rulebooks.

A compiled rulebook is cached (pickle) under a key made of the rulebook text, the grammar, the
record-kind vocabulary and the emrlint version, so an edit to any of them recompiles. A cache
that cannot be read or written is ignored: the cache only ever saves time.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from collections.abc import Iterable, Sequence
from pathlib import Path

from emrlint import __version__
from emrlint.diagnostics import Diagnostic, Span
from emrlint.errors import RulebookError
from emrlint.model.vocabulary import Vocabulary
from emrlint.rules.compiler import CompiledRulebook, compile_rulebook
from emrlint.rules.syntax import grammar_text, parse_rulebook

__all__ = [
    "RULEBOOK_SUFFIX",
    "cache_dir",
    "default_rulebook_dir",
    "find_rulebook_files",
    "load_rulebooks",
]

RULEBOOK_SUFFIX = ".rules"


def default_rulebook_dir() -> Path:
    """The shipped rulebooks, installed inside the package (`rulebooks/` at the top of the
    repository is a link to the same folder)."""
    return Path(__file__).resolve().parents[1] / "rulebooks"


def cache_dir() -> Path:
    configured = os.environ.get("EMRLINT_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "emrlint"


def find_rulebook_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.rglob(f"*{RULEBOOK_SUFFIX}")))
        elif path.is_file():
            found.append(path)
        else:
            raise RulebookError(
                [
                    Diagnostic(
                        "E000",
                        "rulebook-not-found",
                        f"no rulebook at {path}",
                        Span(str(path), 1, 1),
                    )
                ]
            )
    return found


@functools.cache
def _code_fingerprint() -> str:
    """The compiler's and the plans' source: a pickled plan is only valid for the code that
    made it, even between releases (development installs change without a version bump)."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())
    for module in sorted((Path(__file__).parents[1] / "model").glob("*.py")):
        digest.update(module.read_bytes())
    return digest.hexdigest()


def _cache_key(text: str, vocabulary: Vocabulary) -> str:
    digest = hashlib.sha256()
    parts = (
        __version__,
        _code_fingerprint(),
        grammar_text(),
        repr(sorted(vocabulary.kinds.items())),
        text,
    )
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def load_rulebook(
    path: Path, vocabulary: Vocabulary, use_cache: bool = True, display_path: str | None = None
) -> CompiledRulebook:
    shown = display_path or str(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RulebookError(
            [Diagnostic("E000", "rulebook-unreadable", str(error), Span(shown, 1, 1))]
        ) from None
    key = _cache_key(shown + "\0" + text, vocabulary)
    cached = _read_cache(key) if use_cache else None
    if cached is not None:
        return cached
    zh_names = {info.zh: info.name for info in vocabulary.kinds.values()}
    compiled = compile_rulebook(parse_rulebook(text, shown, zh_names), text, vocabulary)
    if use_cache:
        _write_cache(key, compiled)
    return compiled


def load_rulebooks(
    paths: Sequence[Path], vocabulary: Vocabulary, use_cache: bool = True
) -> list[CompiledRulebook]:
    """Load every rulebook; collect the errors of all files before raising."""
    books = []
    errors: list[Diagnostic] = []
    for path in find_rulebook_files(paths):
        try:
            books.append(load_rulebook(path, vocabulary, use_cache, _display(path)))
        except RulebookError as error:
            errors.extend(error.diagnostics)
    errors.extend(_clashes(books))
    if errors:
        raise RulebookError(errors)
    return books


def _clashes(books: Sequence[CompiledRulebook]) -> list[Diagnostic]:
    """Parameters share one namespace in emrlint.toml and rule ids are global: no clashes."""
    errors = []
    params: dict[str, str] = {}
    rules: dict[tuple[str, int], str] = {}
    for book in books:
        for name in book.params:
            if name in params:
                errors.append(
                    Diagnostic(
                        "E108",
                        "duplicate-name",
                        f"parameter `{name}` is declared in both {params[name]} and {book.path}",
                        Span(book.path, 1, 1),
                        "give one of them a more specific name",
                    )
                )
            params[name] = book.path
        for rule in book.rules:
            key = (rule.id, rule.version)
            if key in rules:
                errors.append(
                    Diagnostic(
                        "E109",
                        "duplicate-rule",
                        f"rule {rule.id} version {rule.version} is in both {rules[key]} and "
                        f"{book.path}",
                        Span(book.path, rule.source_line, 1),
                    )
                )
            rules[key] = book.path
    return errors


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read_cache(key: str) -> CompiledRulebook | None:
    path = cache_dir() / f"{key}.pickle"
    try:
        with path.open("rb") as handle:
            value = pickle.load(handle)  # our own cache files, keyed by content hash
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    return value if isinstance(value, CompiledRulebook) else None


def _write_cache(key: str, compiled: CompiledRulebook) -> None:
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f"{key}.{os.getpid()}.tmp"
        with temporary.open("wb") as handle:
            pickle.dump(compiled, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(folder / f"{key}.pickle")
    except (OSError, pickle.PicklingError):
        return
