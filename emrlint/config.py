"""emrlint.toml → a typed, immutable `Config` that remembers where each value came from.

Looked up from the working directory upwards unless a path is given. Unknown keys, values of
the wrong type and values outside their vocabulary are errors with file, line, column and a
hint ("did you mean"), because a misspelt key silently ignored is a rule silently
misconfigured. Parameter names, selectors and severity overrides are checked later, against the
rulebooks that declare the parameters and the rules (`Config.rule_reference_errors`).

Codes: E002 config-syntax (not TOML, or not UTF-8), E003 bad-type, E004 bad-timezone,
E005 bad-value, E006 unknown-key, E007 unknown-parameter, E008 config-unreadable,
E009 unknown-rule, E010 unmatched-selector; E041 hl7v2-mapping for `[mapping.hl7v2]`.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emrlint.diagnostics import Diagnostic, Span, did_you_mean
from emrlint.errors import ConfigError
from emrlint.model.vocabulary import Vocabulary, shipped_table
from emrlint.toml_positions import key_places, toml_error_position

if TYPE_CHECKING:
    from emrlint.rules.loader import RuleIndex

__all__ = ["CONFIG_FILE_NAME", "Config", "find_config_file", "load_config"]

CONFIG_FILE_NAME = "emrlint.toml"
DEFAULT_TIMEZONE = "Asia/Shanghai"
SEVERITIES = ("info", "minor", "major", "critical")
LANGUAGES = ("zh", "en")

# Allowed keys per table and the type of each value (`dict`: a table, `list[str]`: a list of
# strings); a table mapped to `None` has free keys (checked elsewhere).
_SCHEMA: dict[str, dict[str, Any] | None] = {
    "": {
        "site": dict,
        "rules": dict,
        "params": dict,
        "kinds": dict,
        "calendar": dict,
        "output": dict,
        "mapping": dict,
    },
    "mapping": {"fhir": dict, "hl7v2": dict},
    "mapping.fhir": None,
    "mapping.hl7v2": None,
    "site": {"timezone": str, "id": str, "deidentify_key": str},
    "rules": {
        "select": list[str],
        "ignore": list[str],
        "paths": list[str],
        "fail_on": str,
        "severity": dict,
    },
    "rules.severity": None,
    "params": None,
    "kinds": None,
    "calendar": {"holidays": list, "workdays": list},
    "output": {"lang": str},
}
_KIND_KEYS: dict[str, Any] = {
    "zh": str,
    "en": str,
    "wst500": str,
    "loinc": str,
    "titles": list[str],
    "groups": list[str],
    "site_codes": list[str],
}
# Shown in the hint of a value of the wrong type.
_EXAMPLES = {
    "site.timezone": 'timezone = "Asia/Shanghai"',
    "site.id": 'id = "H001"',
    "site.deidentify_key": 'deidentify_key = "a long random text"',
    "rules.select": 'select = ["NIT-2024", "BW-2010-22"]',
    "rules.ignore": 'ignore = ["PIT-2025"]',
    "rules.paths": 'paths = ["local.rules"]',
    "rules.fail_on": 'fail_on = "major"',
    "calendar.holidays": "holidays = [2027-01-01]",
    "calendar.workdays": "workdays = [2027-02-07]",
    "output.lang": 'lang = "en"',
    "kinds.*.zh": 'zh = "ICU转出记录"',
    "kinds.*.en": 'en = "ICU transfer-out note"',
    "kinds.*.wst500": 'wst500 = "C0040"',
    "kinds.*.loinc": 'loinc = "18761-7"',
    "kinds.*.titles": 'titles = ["ICU转出"]',
    "kinds.*.groups": 'groups = ["progress_records"]',
    "kinds.*.site_codes": 'site_codes = ["ICU-OUT"]',
}


@dataclass(frozen=True)
class Config:
    """Effective configuration. Build with `load_config`; tests may construct it directly."""

    timezone_name: str = DEFAULT_TIMEZONE
    site_id: str | None = None
    deidentify_key: str | None = field(default=None, repr=False)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rulebook_paths: tuple[Path, ...] = ()
    fail_on: str | None = None
    severity_overrides: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    kind_tables: tuple[Mapping[str, Mapping[str, Any]], ...] = ()
    extra_holidays: frozenset[dt.date] = frozenset()
    extra_workdays: frozenset[dt.date] = frozenset()
    lang: str = "zh"
    mappings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    file: Path | None = None
    origins: Mapping[str, str] = field(default_factory=dict)
    param_spans: Mapping[str, Span] = field(default_factory=dict)
    # where each key (and each item of a list, as `rules.select[0]`) was written, and the text
    key_spans: Mapping[str, Span] = field(default_factory=dict, repr=False)
    source: str = field(default="", repr=False)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    @property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary.from_tables([shipped_table(), *self.kind_tables])

    def span_of(self, dotted: str) -> Span | None:
        """Where a key was written (else the first key under it, else the nearest table above
        it), for positioned errors; None without a file."""
        if self.file is None:
            return None
        return _find_span(self.key_spans, dotted, str(self.file))

    def rule_reference_errors(self, known: RuleIndex) -> list[Diagnostic]:
        """`[rules] select`/`ignore` entries that match no rule id or tag, and `[rules.severity]`
        keys that are no rule id, positioned in the file: each would silently change nothing."""
        errors: list[Diagnostic] = []
        for rule_id in self.severity_overrides:
            if rule_id in known.ids:
                continue
            suggestion = known.suggest_id(rule_id)
            if suggestion:
                hint = f"did you mean `{suggestion}`?"
            elif known.selects_any(rule_id):
                hint = "a severity override names one rule id, not a tag or a prefix"
            else:
                hint = "`emrlint rules` lists the rule ids"
            errors.append(
                self._diagnostic(
                    "E009",
                    "unknown-rule",
                    f"no rule has the id `{rule_id}`",
                    f"rules.severity.{rule_id}",
                    hint,
                    suggestion,
                )
            )
        for key, selectors in (("select", self.select), ("ignore", self.ignore)):
            for index, selector in enumerate(selectors):
                if known.selects_any(selector):
                    continue
                suggestion = known.suggest_selector(selector)
                errors.append(
                    self._diagnostic(
                        "E010",
                        "unmatched-selector",
                        f"`{selector}` in rules.{key} matches no rule id or tag",
                        f"rules.{key}[{index}]",
                        f"did you mean `{suggestion}`?"
                        if suggestion
                        else "`emrlint rules` lists rule ids, `emrlint rules --format json` "
                        "their tags",
                        suggestion,
                    )
                )
        return errors

    def _diagnostic(
        self,
        code: str,
        slug: str,
        message: str,
        dotted: str,
        help: str | None,
        suggestion: str | None = None,
    ) -> Diagnostic:
        span = self.span_of(dotted)
        return _diag(code, slug, message, span, self.source, help, suggestion)

    def effective(self) -> dict[str, tuple[Any, str]]:
        """Every setting as (value, origin) for `emrlint config --show`."""
        values: dict[str, Any] = {
            "site.timezone": self.timezone_name,
            "site.id": self.site_id,
            "site.deidentify_key": "(set)" if self.deidentify_key else None,
            "rules.select": list(self.select),
            "rules.ignore": list(self.ignore),
            "rules.paths": [str(p) for p in self.rulebook_paths],
            "rules.fail_on": self.fail_on,
            "output.lang": self.lang,
            "calendar.holidays": sorted(d.isoformat() for d in self.extra_holidays),
            "calendar.workdays": sorted(d.isoformat() for d in self.extra_workdays),
        }
        for rule_id, severity in self.severity_overrides.items():
            values[f"rules.severity.{rule_id}"] = severity
        for name, value in self.params.items():
            values[f"params.{name}"] = value
        for source, table in self.mappings.items():
            values[f"mapping.{source}"] = dict(table)
        for table in self.kind_tables:
            for kind in table:
                values[f"kinds.{kind}"] = dict(table[kind])
        return {key: (value, self.origins.get(key, "default")) for key, value in values.items()}


def find_config_file(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None = None, *, search_from: Path | None = None) -> Config:
    """Read `path`, or the nearest emrlint.toml above `search_from`; defaults if there is none."""
    if path is None:
        path = find_config_file(search_from or Path.cwd())
        if path is None:
            return Config()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(
            [
                _diag(
                    "E008",
                    "config-unreadable",
                    f"cannot read the configuration: {error.strerror or error}",
                    Span(str(path), 1, 1),
                    help="give --config the path of a readable emrlint.toml",
                )
            ]
        ) from None
    text = _decode(data, path)
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, column = toml_error_position(str(error), text)
        if "\x00" in text:
            help = "the file holds NUL characters: save it as UTF-8 (it looks like UTF-16)"
        else:
            help = "TOML: `key = value` lines under `[table]` headers, text in quotes"
        raise ConfigError(
            [
                _diag(
                    "E002",
                    "config-syntax",
                    f"not valid TOML: {error}",
                    Span(str(path), line, column),
                    text,
                    help,
                )
            ]
        ) from None
    return _ConfigBuilder(path, text).build(parsed)


def _decode(data: bytes, path: Path) -> str:
    """UTF-8 (TOML allows nothing else), a leading byte-order mark tolerated; E002 at the first
    byte that is not UTF-8 otherwise."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode("utf-8", "replace")) + 1
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        raise ConfigError(
            [
                _diag(
                    "E002",
                    "config-syntax",
                    f"not UTF-8 text: byte 0x{data[error.start]:02x} cannot be decoded",
                    Span(str(path), line, column),
                    help="save emrlint.toml as UTF-8" + (" (this file is UTF-16)" if utf16 else ""),
                )
            ]
        ) from None


class _ConfigBuilder:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.errors: list[Diagnostic] = []
        self.origins: dict[str, str] = {}
        self.key_spans = {
            key: Span(str(path), line, column, line, column + length)
            for key, (line, column, length) in key_places(text).items()
        }

    def build(self, data: dict[str, Any]) -> Config:
        # only keys that are known and of the right type are kept: what follows reads them
        clean = self._check_keys("", data)
        site = clean.get("site", {})
        rules = clean.get("rules", {})
        calendar = clean.get("calendar", {})
        output = clean.get("output", {})
        timezone = site.get("timezone", DEFAULT_TIMEZONE)
        if not _zone_exists(timezone):
            self._error(
                "E004",
                "bad-timezone",
                f"unknown timezone {timezone!r}",
                "site.timezone",
                help="use an IANA name such as Asia/Shanghai",
            )
        severity: dict[str, str] = {}
        for rule_id, value in rules.get("severity", {}).items():
            if isinstance(value, str) and value in SEVERITIES:
                severity[rule_id] = value
                continue
            self._error(
                "E005",
                "bad-value",
                f"severity must be one of {', '.join(SEVERITIES)}",
                f"rules.severity.{rule_id}",
                suggestion=did_you_mean(str(value), SEVERITIES),
                help=f'write e.g. "{rule_id}" = "critical"',
            )
        fail_on = rules.get("fail_on")
        if fail_on is not None and fail_on not in SEVERITIES:
            self._error(
                "E005",
                "bad-value",
                f"fail_on must be one of {', '.join(SEVERITIES)}",
                "rules.fail_on",
                suggestion=did_you_mean(fail_on, SEVERITIES),
                help=f"allowed: {', '.join(SEVERITIES)}",
            )
        lang = output.get("lang", "zh")
        if lang not in LANGUAGES:
            self._error(
                "E005",
                "bad-value",
                f"lang must be one of {', '.join(LANGUAGES)}",
                "output.lang",
                suggestion=did_you_mean(lang.casefold(), LANGUAGES),
                help=f"allowed: {', '.join(LANGUAGES)} (中文 or English)",
            )
        kinds = clean.get("kinds", {})
        self._check_kinds(kinds)
        holidays = self._dates(calendar.get("holidays", []), "calendar.holidays")
        workdays = self._dates(calendar.get("workdays", []), "calendar.workdays")
        mappings = clean.get("mapping", {})
        if "hl7v2" in mappings:
            self._check_hl7v2_mapping(mappings["hl7v2"])
        if self.errors:
            raise ConfigError(self.errors)
        params = clean.get("params", {})
        return Config(
            timezone_name=timezone,
            site_id=site.get("id"),
            deidentify_key=site.get("deidentify_key"),
            select=tuple(rules.get("select", ())),
            ignore=tuple(rules.get("ignore", ())),
            rulebook_paths=tuple(self.path.parent / p for p in rules.get("paths", ())),
            fail_on=fail_on,
            severity_overrides=severity,
            params=dict(params),
            kind_tables=(kinds,) if kinds else (),
            extra_holidays=holidays,
            extra_workdays=workdays,
            lang=lang,
            mappings=dict(mappings),
            file=self.path,
            origins=self.origins,
            param_spans={name: self.span_of(f"params.{name}") for name in params},
            key_spans=self.key_spans,
            source=self.text,
        )

    def _check_keys(self, table: str, data: dict[str, Any]) -> dict[str, Any]:
        """Report unknown keys and values of the wrong type; return the rest."""
        allowed = _SCHEMA.get(table)
        clean: dict[str, Any] = {}
        for key, value in data.items():
            dotted = f"{table}.{key}" if table else key
            if allowed is None:
                self.origins.setdefault(dotted, self._origin(dotted))
                clean[key] = value
                continue
            if key not in allowed:
                self._unknown_key(dotted, key, list(allowed))
                continue
            expected = allowed[key]
            if not _has_type(value, expected):
                self._bad_type(dotted, expected)
            elif expected is dict:
                clean[key] = self._check_keys(dotted, value)
            else:
                self.origins[dotted] = self._origin(dotted)
                clean[key] = value
        return clean

    def _check_kinds(self, kinds: dict[str, Any]) -> None:
        for kind, entry in kinds.items():
            if not isinstance(entry, dict):
                self._bad_type(f"kinds.{kind}", dict)
                continue
            for key, value in entry.items():
                dotted = f"kinds.{kind}.{key}"
                if key not in _KIND_KEYS:
                    self._unknown_key(dotted, key, list(_KIND_KEYS))
                elif not _has_type(value, _KIND_KEYS[key]):
                    self._bad_type(dotted, _KIND_KEYS[key])
                elif key == "titles":
                    self._check_patterns(dotted, value)

    def _check_patterns(self, dotted: str, patterns: list[str]) -> None:
        for index, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as error:
                self._error(
                    "E005",
                    "bad-value",
                    f"{pattern!r} is not a regular expression: {error.msg}",
                    f"{dotted}[{index}]",
                    help="titles are Python regular expressions matched with re.search",
                )

    def _check_hl7v2_mapping(self, table: dict[str, Any]) -> None:
        """The same check the HL7 v2 reader makes, here where the keys' positions are known."""
        from emrlint.parsers.hl7v2.mapping import check_site_mapping

        for problem in check_site_mapping(table):
            key = problem.partition(": ")[0]
            self._error(
                "E041",
                "hl7v2-mapping",
                f"[mapping.hl7v2] {problem}",
                key,
                help="see docs/hl7v2-mapping.md",
            )

    def _dates(self, values: list[Any], key: str) -> frozenset[dt.date]:
        found = set()
        for index, value in enumerate(values):
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                found.add(value)
                continue
            try:
                found.add(dt.date.fromisoformat(str(value)))
            except ValueError:
                self._error(
                    "E003",
                    "bad-type",
                    f"`{key}` holds {value!r}, not a date",
                    f"{key}[{index}]",
                    help="write dates as 2027-01-01",
                )
        return frozenset(found)

    def _origin(self, dotted: str) -> str:
        span = self.span_of(dotted)
        return f"{span.file}:{span.line}"

    def _bad_type(self, dotted: str, expected: Any) -> None:
        parts = dotted.split(".")
        example = _EXAMPLES.get(dotted) or _EXAMPLES.get(".".join([*parts[:1], "*", *parts[2:]]))
        if expected is dict:
            help = f"write it as a table: [{dotted}] on a line of its own, its keys below"
        elif example:
            help = f"write e.g. `{example}`"
        else:
            help = None
        self._error(
            "E003", "bad-type", f"`{dotted}` must be {_type_words(expected)}", dotted, help=help
        )

    def _unknown_key(self, dotted: str, key: str, allowed: list[str] | tuple[str, ...]) -> None:
        self._error(
            "E006",
            "unknown-key",
            f"unknown key `{dotted}`",
            dotted,
            suggestion=did_you_mean(key, allowed),
            help=None if did_you_mean(key, allowed) else f"allowed: {', '.join(allowed)}",
        )

    def _error(
        self,
        code: str,
        slug: str,
        message: str,
        dotted: str,
        *,
        help: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        if suggestion:
            help = f"did you mean `{suggestion}`?"
        self.errors.append(
            _diag(code, slug, message, self.span_of(dotted), self.text, help, suggestion)
        )

    def span_of(self, dotted: str) -> Span:
        return _find_span(self.key_spans, dotted, str(self.path))


def _find_span(spans: Mapping[str, Span], dotted: str, file: str) -> Span:
    """The key's own span, else the first key written under it (a table known only from its
    keys), else the nearest enclosing key or table, else the file's start."""
    if dotted in spans:
        return spans[dotted]
    for prefix in (dotted + ".", dotted + "["):
        for key, span in spans.items():
            if key.startswith(prefix):
                return span
    parent = dotted
    while "." in parent or "[" in parent:
        parent = parent[: max(parent.rfind("."), parent.rfind("["))]
        if parent in spans:
            return spans[parent]
    return Span(file, 1, 1)


def _zone_exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _has_type(value: Any, expected: Any) -> bool:
    origin = typing.get_origin(expected)
    if origin is list:
        (item,) = typing.get_args(expected)
        return isinstance(value, list) and all(isinstance(v, item) for v in value)
    return isinstance(value, expected)


def _type_words(expected: Any) -> str:
    if typing.get_origin(expected) is list:
        return "a list of strings"
    return {str: "a string", list: "a list", dict: "a table"}.get(expected, expected.__name__)


def _diag(
    code: str,
    slug: str,
    message: str,
    span: Span | None,
    text: str | None = None,
    help: str | None = None,
    suggestion: str | None = None,
) -> Diagnostic:
    source_line = None
    if text and span is not None:
        lines = text.splitlines()
        if 0 < span.line <= len(lines):
            source_line = lines[span.line - 1]
    return Diagnostic(code, slug, message, span, help, source_line, suggestion)
