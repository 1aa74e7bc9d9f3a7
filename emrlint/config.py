"""emrlint.toml → a typed, immutable `Config` that remembers where each value came from.

Looked up from the working directory upwards unless a path is given. Unknown keys are errors
(with line and a "did you mean"), because a misspelt key silently ignored is a rule silently
misconfigured. Parameter names are checked later, against the rulebooks that declare them.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emrlint.diagnostics import Diagnostic, Span, did_you_mean
from emrlint.errors import ConfigError
from emrlint.model.vocabulary import Vocabulary, shipped_table

__all__ = ["CONFIG_FILE_NAME", "Config", "find_config_file", "load_config"]

CONFIG_FILE_NAME = "emrlint.toml"
DEFAULT_TIMEZONE = "Asia/Shanghai"
SEVERITIES = ("info", "minor", "major", "critical")

# Allowed keys per table; `None` marks a table whose keys are free (checked elsewhere).
_SCHEMA: dict[str, dict[str, Any] | None] = {
    "": {
        "site": {},
        "rules": {},
        "params": {},
        "kinds": {},
        "calendar": {},
        "output": {},
        "mapping": {},
    },
    "mapping": {"fhir": dict, "hl7v2": dict},
    "mapping.fhir": None,
    "mapping.hl7v2": None,
    "site": {"timezone": str, "id": str, "deidentify_key": str},
    "rules": {"select": list, "ignore": list, "paths": list, "fail_on": str, "severity": dict},
    "rules.severity": None,
    "params": None,
    "kinds": None,
    "calendar": {"holidays": list, "workdays": list},
    "output": {"lang": str},
}
_KIND_KEYS = ("zh", "en", "wst500", "loinc", "titles", "groups", "site_codes")


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

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    @property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary.from_tables([shipped_table(), *self.kind_tables])

    def span_of(self, dotted: str) -> Span | None:
        """Where a key (or the first key under a table) was set, for positioned errors."""
        for key, origin in self.origins.items():
            if key == dotted or key.startswith(dotted + "."):
                file, _, line = origin.rpartition(":")
                if line.isdigit():
                    return Span(file, int(line), 1)
        return None

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
        text = path.read_text("utf-8")
    except OSError as error:
        raise ConfigError(
            [_diag("E001", "config-unreadable", str(error), Span(str(path), 1, 1))]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, column = _toml_error_position(str(error))
        raise ConfigError(
            [
                _diag(
                    "E002",
                    "config-syntax",
                    f"not valid TOML: {error}",
                    Span(str(path), line, column),
                    text,
                )
            ]
        ) from None
    return _ConfigBuilder(path, text).build(data)


class _ConfigBuilder:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.errors: list[Diagnostic] = []
        self.origins: dict[str, str] = {}

    def build(self, data: dict[str, Any]) -> Config:
        self._check_keys("", data)
        site = data.get("site", {})
        rules = data.get("rules", {})
        calendar = data.get("calendar", {})
        output = data.get("output", {})
        timezone = site.get("timezone", DEFAULT_TIMEZONE)
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self._error(
                "E004",
                "bad-timezone",
                f"unknown timezone {timezone!r}",
                "site.timezone",
                help="use an IANA name such as Asia/Shanghai",
            )
        severity = {str(k): str(v) for k, v in rules.get("severity", {}).items()}
        for rule_id, value in severity.items():
            if value not in SEVERITIES:
                self._error(
                    "E005",
                    "bad-value",
                    f"severity must be one of {', '.join(SEVERITIES)}",
                    f"rules.severity.{rule_id}",
                    suggestion=did_you_mean(value, SEVERITIES),
                )
        fail_on = rules.get("fail_on")
        if fail_on is not None and fail_on not in SEVERITIES:
            self._error(
                "E005",
                "bad-value",
                f"fail_on must be one of {', '.join(SEVERITIES)}",
                "rules.fail_on",
                suggestion=did_you_mean(str(fail_on), SEVERITIES),
            )
        kinds = data.get("kinds", {})
        for kind, entry in kinds.items():
            if not isinstance(entry, dict):
                self._error("E003", "bad-type", "a kind entry must be a table", f"kinds.{kind}")
                continue
            for key in entry:
                if key not in _KIND_KEYS:
                    self._unknown_key(f"kinds.{kind}.{key}", key, _KIND_KEYS)
        holidays = self._dates(calendar.get("holidays", []), "calendar.holidays")
        workdays = self._dates(calendar.get("workdays", []), "calendar.workdays")
        if self.errors:
            raise ConfigError(self.errors)
        params = data.get("params", {})
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
            lang=output.get("lang", "zh"),
            mappings=dict(data.get("mapping", {})),
            file=self.path,
            origins=self.origins,
            param_spans={name: self.span_of(f"params.{name}") for name in params},
        )

    def _check_keys(self, table: str, data: dict[str, Any]) -> None:
        allowed = _SCHEMA.get(table)
        for key, value in data.items():
            dotted = f"{table}.{key}" if table else key
            if allowed is None:
                self.origins.setdefault(dotted, self._origin(dotted))
                continue
            if key not in allowed:
                self._unknown_key(dotted, key, list(allowed))
                continue
            expected = allowed[key]
            if isinstance(expected, dict) or expected is dict:
                if not isinstance(value, dict):
                    self._error("E003", "bad-type", f"`{dotted}` must be a table", dotted)
                else:
                    self._check_keys(dotted, value)
            elif isinstance(expected, type) and not isinstance(value, expected):
                self._error(
                    "E003", "bad-type", f"`{dotted}` must be a {_type_word(expected)}", dotted
                )
            else:
                self.origins[dotted] = self._origin(dotted)

    def _dates(self, values: list[Any], key: str) -> frozenset[dt.date]:
        found = set()
        for value in values:
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
                    key,
                    help="write dates as 2027-01-01",
                )
        return frozenset(found)

    def _origin(self, dotted: str) -> str:
        span = self.span_of(dotted)
        return f"{span.file}:{span.line}"

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
        """Line and column of a key; a small scan, since tomllib keeps no positions."""
        line, column, length = _locate_key(self.text, dotted)
        return Span(str(self.path), line, column, line, column + length)


_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(r'^(\s*)("?)([^"=\s]+)\2\s*=')


def _locate_key(text: str, dotted: str) -> tuple[int, int, int]:
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = header.group(1).replace('"', "")
            if table == dotted:
                return number, line.index("[") + 2, len(dotted.split(".")[-1])
            continue
        key = _KEY.match(line)
        if key:
            full = f"{table}.{key.group(3)}" if table else key.group(3)
            if full == dotted:
                start = len(key.group(1)) + len(key.group(2))
                return number, start + 1, len(key.group(3))
    return 1, 1, 1


def _toml_error_position(message: str) -> tuple[int, int]:
    match = re.search(r"line (\d+), column (\d+)", message)
    return (int(match.group(1)), int(match.group(2))) if match else (1, 1)


def _type_word(expected: type) -> str:
    return {str: "string", list: "list", dict: "table"}.get(expected, expected.__name__)


def _diag(
    code: str,
    slug: str,
    message: str,
    span: Span,
    text: str | None = None,
    help: str | None = None,
    suggestion: str | None = None,
) -> Diagnostic:
    source_line = None
    if text is not None:
        lines = text.splitlines()
        if 0 < span.line <= len(lines):
            source_line = lines[span.line - 1]
    return Diagnostic(code, slug, message, span, help, source_line, suggestion)
