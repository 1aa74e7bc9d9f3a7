"""Find, parse, compile and cache rulebooks, and check what names their rules.

A compiled rulebook is cached (pickle) under a key made of the rulebook text, the grammar, the
record-kind vocabulary and the emrlint version, so an edit to any of them recompiles. A cache
that cannot be read or written is ignored: the cache only ever saves time.

A rulebook path that holds no rule, a selector that selects nothing and a severity override for
a rule that does not exist are errors: each would otherwise quietly check less than was asked.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emrlint import __version__
from emrlint.diagnostics import Diagnostic, Span, did_you_mean
from emrlint.errors import ConfigError, RulebookError, UsageError
from emrlint.model.vocabulary import Vocabulary
from emrlint.rules.compiler import CompiledRule, CompiledRulebook, compile_rulebook
from emrlint.rules.syntax import grammar_text, parse_rulebook

if TYPE_CHECKING:
    from emrlint.config import Config

__all__ = [
    "RULEBOOK_SUFFIX",
    "RuleIndex",
    "cache_dir",
    "check_rule_references",
    "code_matches_selector",
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
    """Load every rulebook; collect the errors of all files before raising. Each path must
    yield at least one rule: an empty folder or a file without rules is an error."""
    books = []
    errors: list[Diagnostic] = []
    for given in paths:
        files = find_rulebook_files([given])
        loaded, errors_before = 0, len(errors)
        for path in files:
            try:
                book = load_rulebook(path, vocabulary, use_cache, _display(path))
            except RulebookError as error:
                errors.extend(error.diagnostics)
                continue
            books.append(book)
            loaded += len(book.rules)
        if not loaded and len(errors) == errors_before:
            errors.append(_no_rules(given, files))
    errors.extend(_clashes(books))
    if errors:
        raise RulebookError(errors)
    return books


def _no_rules(given: Path, files: Sequence[Path]) -> Diagnostic:
    if files:
        what, hint = "holds no rule", 'a rule starts with `rule ID "标题" / "title"`'
    else:
        what = f"holds no rulebook (*{RULEBOOK_SUFFIX} file)"
        hint = f"give a {RULEBOOK_SUFFIX} file or a folder of them; leave --rulebooks out for "
        hint += "the shipped rules"
    return Diagnostic("E000", "no-rules", f"{given} {what}", Span(_display(given), 1, 1), hint)


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


# ---------------------------------------------------------------- names of rules


def code_matches_selector(code: str, selector: str) -> bool:
    """`NIT-2024-I` selects NIT-2024-I and NIT-2024-I-…, never NIT-2024-II: selectors match
    whole hyphen-separated parts."""
    return code == selector or code.startswith(selector.rstrip("-") + "-")


@dataclass(frozen=True)
class RuleIndex:
    """The rule ids, and the ids and tags together, that a selector or a severity override may
    name."""

    ids: frozenset[str]
    codes: frozenset[str]

    @classmethod
    def of(cls, rules: Iterable[CompiledRule]) -> RuleIndex:
        ids: set[str] = set()
        codes: set[str] = set()
        for rule in rules:
            ids.add(rule.id)
            codes.update((rule.id, *rule.tags))
        return cls(frozenset(ids), frozenset(codes))

    def __or__(self, other: RuleIndex) -> RuleIndex:
        return RuleIndex(self.ids | other.ids, self.codes | other.codes)

    def selects_any(self, selector: str) -> bool:
        return any(code_matches_selector(code, selector) for code in self.codes)

    def suggest_selector(self, selector: str) -> str | None:
        """The id, tag or whole-part prefix of one nearest to `selector`; one that differs only
        in case first (selectors are case-sensitive: `nit-2024` → `NIT-2024`)."""
        candidates: dict[str, str] = {}
        for code in sorted(self.codes):
            parts = code.split("-")
            for end in range(1, len(parts) + 1):
                prefix = "-".join(parts[:end])
                candidates.setdefault(prefix.casefold(), prefix)
        folded = selector.rstrip("-").casefold()
        if folded in candidates:
            return candidates[folded]
        match = did_you_mean(folded, candidates)
        return candidates[match] if match else None

    def suggest_id(self, rule_id: str) -> str | None:
        return did_you_mean(rule_id, sorted(self.ids))


def shipped_rule_index(vocabulary: Vocabulary, use_cache: bool = True) -> RuleIndex:
    books = load_rulebooks([default_rulebook_dir()], vocabulary, use_cache)
    return RuleIndex.of(rule for book in books for rule in book.rules)


def check_rule_references(
    config: Config,
    books: Sequence[CompiledRulebook],
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    use_cache: bool = True,
) -> None:
    """Every selector (`[rules] select`/`ignore`, `--select`/`--ignore`) must match a rule id or
    tag, and every `[rules.severity]` key must be a rule id: one that names nothing would
    silently run no rule, or change nothing. Rules that ship with emrlint count as known even
    when other rulebooks are loaded, so a site's emrlint.toml still works with `--rulebooks`.

    ConfigError (positioned in emrlint.toml) for the configuration's names, then UsageError for
    the command line's, each with a "did you mean" among rule ids and tags."""
    known = RuleIndex.of(rule for book in books for rule in book.rules)
    if _unknown_names(config, known, select, ignore):
        known = known | shipped_rule_index(config.vocabulary, use_cache)
    diagnostics = config.rule_reference_errors(known)
    if diagnostics:
        raise ConfigError(diagnostics)
    problems = [
        _unmatched_option(option, selector, known)
        for option, selectors in (("--select", select), ("--ignore", ignore))
        for selector in selectors
        if not known.selects_any(selector)
    ]
    if problems:
        raise UsageError("\n".join(problems))


def _unknown_names(
    config: Config, known: RuleIndex, select: Sequence[str], ignore: Sequence[str]
) -> bool:
    selectors = (*config.select, *config.ignore, *select, *ignore)
    return any(not known.selects_any(s) for s in selectors) or any(
        rule_id not in known.ids for rule_id in config.severity_overrides
    )


def _unmatched_option(option: str, selector: str, known: RuleIndex) -> str:
    suggestion = known.suggest_selector(selector)
    hint = (
        f"did you mean {suggestion}?"
        if suggestion
        else "`emrlint rules` lists rule ids, `emrlint rules --format json` their tags"
    )
    return f"{option} {selector!r} matches no rule id or tag; {hint}"
