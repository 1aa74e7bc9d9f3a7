"""The library entry points shared by the CLI, the pre-archive hook and batch jobs.

    rules = load_rules(config)                       # RulebookError / ConfigError on problems
    for result in check(["examples/"], config, rules, as_of):
        ...                                          # EpisodeResult or InputProblem

Nothing here prints or exits; the CLI decides how results look and what the exit status is.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from emrlint.config import Config
from emrlint.diagnostics import Diagnostic, did_you_mean
from emrlint.errors import ConfigError, RulebookError, UsageError
from emrlint.model import Episode
from emrlint.model.time import as_time_point
from emrlint.outcomes import Outcome, Severity
from emrlint.parsers import InputFormat, InputProblem, ParseContext, read_paths
from emrlint.rules.compiler import CompiledRule, CompiledRulebook, ParamSpec, literal_value
from emrlint.rules.engine import RuleSet, RuleStats, RunSettings, evaluate_episode
from emrlint.rules.loader import (
    check_rule_references,
    code_matches_selector,
    default_rulebook_dir,
    load_rulebooks,
)
from emrlint.rules.syntax import parse_expression
from emrlint.rules.workdays import WorkdayCalendar

log = logging.getLogger("emrlint")

__all__ = [
    "EpisodeHeader",
    "EpisodeResult",
    "LoadedRules",
    "check",
    "code_matches_selector",
    "episode_result",
    "evaluate",
    "load_rules",
    "parse_as_of",
    "parse_context",
    "run_settings",
    "select_rules",
]


@dataclass(frozen=True, slots=True)
class EpisodeHeader:
    """What a report says about an episode above its findings: the department (at discharge,
    else on admission) and the admission and discharge times. Small enough to travel back from
    worker processes, which do not send the episode itself unless a reporter draws it."""

    department: str | None
    admitted_at: dt.datetime | dt.date
    discharged_at: dt.datetime | dt.date | None

    @classmethod
    def of(cls, episode: Episode) -> EpisodeHeader:
        return cls(
            episode.discharge_department or episode.department,
            episode.admitted_at,
            episode.discharged_at,
        )


@dataclass(frozen=True)
class EpisodeResult:
    """One episode's outcomes, with the episode itself for reporters that draw it (timelines)
    or stratify by it (discharge month)."""

    episode_id: str
    outcomes: list[Outcome]
    episode: Episode | None = None
    # Outcomes not carried, only counted: (rule id, status, count). Worker processes leave
    # out PASS and NA outcomes when the output shows findings only (see parallel.py).
    omitted: tuple[tuple[str, str, int], ...] = ()
    # The header facts, carried whether or not the episode is (see `header_facts`).
    header: EpisodeHeader | None = None

    @property
    def header_facts(self) -> EpisodeHeader | None:
        """The header facts: carried, else read from the episode when it is carried."""
        if self.header is not None:
            return self.header
        return EpisodeHeader.of(self.episode) if self.episode is not None else None


@dataclass(frozen=True)
class LoadedRules:
    books: tuple[CompiledRulebook, ...]
    rules: RuleSet
    params: dict[str, Any]

    @property
    def all_rules(self) -> list[CompiledRule]:
        return [rule for book in self.books for rule in book.rules]

    @property
    def param_specs(self) -> dict[str, ParamSpec]:
        specs: dict[str, ParamSpec] = {}
        for book in self.books:
            specs.update(book.params)
        return specs


def load_rules(
    config: Config,
    paths: Sequence[Path] | None = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    use_cache: bool = True,
) -> LoadedRules:
    """Load rulebooks (the shipped ones unless `paths` or the config name others), apply
    select/ignore, and bind parameters: rulebook defaults overridden by the config. A selector
    or a `[rules.severity]` key that names no rule is an error (UsageError / ConfigError)."""
    select, ignore = tuple(select), tuple(ignore)
    rulebook_paths = list(paths or config.rulebook_paths or [default_rulebook_dir()])
    books = tuple(load_rulebooks(rulebook_paths, config.vocabulary, use_cache))
    check_rule_references(config, books, select, ignore, use_cache)
    chosen = select_rules(
        [rule for book in books for rule in book.rules],
        [*config.select, *select],
        [*config.ignore, *ignore],
    )
    params = _bind_params(books, config)
    return LoadedRules(books, RuleSet.of(chosen), params)


def select_rules(
    rules: Sequence[CompiledRule], select: Sequence[str], ignore: Sequence[str]
) -> list[CompiledRule]:
    """Keep rules whose id or a tag starts with a selector; then drop the ignored ones."""

    def matches(rule: CompiledRule, selectors: Sequence[str]) -> bool:
        return any(
            code_matches_selector(rule.id, s) or any(code_matches_selector(t, s) for t in rule.tags)
            for s in selectors
        )

    kept = [r for r in rules if not select or matches(r, select)]
    return [r for r in kept if not matches(r, ignore)]


def _bind_params(books: Sequence[CompiledRulebook], config: Config) -> dict[str, Any]:
    specs: dict[str, ParamSpec] = {}
    for book in books:
        specs.update(book.params)
    values = {name: spec.default for name, spec in specs.items()}
    errors: list[Diagnostic] = []
    for name, raw in config.params.items():
        span = config.param_spans.get(name)
        if name not in specs:
            suggestion = did_you_mean(name, specs)
            errors.append(
                Diagnostic(
                    "E007",
                    "unknown-parameter",
                    f"no rulebook declares the parameter `{name}`",
                    span,
                    f"did you mean `{suggestion}`?"
                    if suggestion
                    else "`emrlint rules --format json` lists the parameters",
                    None,
                    suggestion,
                )
            )
            continue
        value = _param_value(raw, specs[name])
        if value is None:
            errors.append(
                Diagnostic(
                    "E005",
                    "bad-value",
                    f"`{name}` must be like {_example_of(specs[name])}",
                    span,
                    None,
                )
            )
            continue
        values[name] = value
    if errors:
        raise ConfigError(errors)
    return values


def _param_value(raw: Any, spec: ParamSpec) -> Any:
    default = spec.default
    if isinstance(default, bool):
        return raw if isinstance(raw, bool) else None
    if isinstance(default, int | float) and not isinstance(raw, bool):
        return raw if isinstance(raw, int | float) else None
    if isinstance(default, tuple):
        return tuple(raw) if isinstance(raw, list) else None
    if isinstance(default, str):
        return raw if isinstance(raw, str) else None
    if isinstance(raw, str):  # durations and workdays are written as in rules: "6h", "5 workdays"
        try:
            node = parse_expression(raw, "emrlint.toml")
        except RulebookError:
            return None
        value = literal_value(node)
        from emrlint.rules.nodes import WorkdayCount

        if isinstance(value, dt.timedelta | WorkdayCount):
            return value
    return None


def _example_of(spec: ParamSpec) -> str:
    from emrlint.rules.values import format_value

    return (
        f'"{format_value(spec.default)}"'
        if not isinstance(spec.default, int | float)
        else str(spec.default)
    )


def parse_as_of(text: str, tz: dt.tzinfo) -> dt.datetime:
    """`--as-of`: a date-time (naive is read in the site timezone) or a date (its last moment)."""
    try:
        value = as_time_point(text, tz)
    except ValueError as error:
        raise UsageError(f"--as-of {text!r}: {error}; write e.g. 2024-06-30T08:00") from None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(23, 59, 59, 999999), tzinfo=tz)


def evaluate(
    episode: Episode,
    rules: LoadedRules,
    config: Config,
    as_of: dt.datetime,
    calendar: WorkdayCalendar | None = None,
    stats: RuleStats | None = None,
) -> list[Outcome]:
    """Every selected rule on one episode: the pre-archive hook's call."""
    settings = run_settings(rules, config, as_of)
    return evaluate_episode(rules.rules, episode, settings, calendar or _calendar(config), stats)


def check(
    paths: Iterable[str],
    config: Config,
    rules: LoadedRules,
    as_of: dt.datetime,
    input_format: InputFormat = InputFormat.auto,
    stdin: BinaryIO | None = None,
    calendar: WorkdayCalendar | None = None,
    stats: RuleStats | None = None,
    context: ParseContext | None = None,
    findings_only: bool = False,
) -> Iterator[EpisodeResult | InputProblem]:
    """Read every input and evaluate each episode as it is read (streamed, in input order).

    `context` (default: from `config`) carries the readers' options and collects what they
    skipped. `findings_only` counts PASS and NA outcomes in `EpisodeResult.omitted` instead
    of returning them, for outputs that list findings only."""
    settings = run_settings(rules, config, as_of)
    calendar = calendar or _calendar(config)
    context = context or parse_context(config)
    for item in read_paths(paths, context, input_format, stdin):
        if isinstance(item, InputProblem):
            log.info("unreadable record at %s: %s", item.location, item.reason)
            yield item
            continue
        yield episode_result(item, rules.rules, settings, calendar, findings_only, stats=stats)


def episode_result(
    episode: Episode,
    rules: RuleSet,
    settings: RunSettings,
    calendar: WorkdayCalendar,
    findings_only: bool,
    keep_episode: bool = True,
    stats: RuleStats | None = None,
) -> EpisodeResult:
    """One episode evaluated, as the stream of results carries it (one process or several)."""
    passing: Counter[tuple[str, str]] | None = Counter() if findings_only else None
    outcomes = evaluate_episode(rules, episode, settings, calendar, stats, passing)
    omitted = tuple(
        (rule_id, status, count) for (rule_id, status), count in sorted((passing or {}).items())
    )
    return EpisodeResult(
        episode.id,
        outcomes,
        episode if keep_episode else None,
        omitted,
        EpisodeHeader.of(episode),
    )


def parse_context(
    config: Config, strict_fhir: bool = False, strict_hl7: bool = False
) -> ParseContext:
    """What the readers need from the configuration. A site's mapping tables are checked here,
    so a misspelt table stops the run before anything is evaluated (ConfigError)."""
    if "fhir" in config.mappings:
        from emrlint.parsers.fhir.tables import load_tables

        load_tables(config.mappings["fhir"])
    if "hl7v2" in config.mappings:
        from emrlint.parsers.hl7v2.mapping import check_site_mapping

        problems = check_site_mapping(config.mappings["hl7v2"])
        if problems:
            span = config.span_of("mapping.hl7v2")
            raise ConfigError(
                [
                    Diagnostic(
                        "E041",
                        "hl7v2-mapping",
                        f"[mapping.hl7v2] {problem}",
                        span,
                        "see docs/hl7v2-mapping.md",
                    )
                    for problem in problems
                ]
            )
    return ParseContext(
        config.timezone,
        config.vocabulary,
        config.mappings,
        strict_fhir=strict_fhir,
        strict_hl7=strict_hl7,
    )


def run_settings(rules: LoadedRules, config: Config, as_of: dt.datetime) -> RunSettings:
    """The engine's settings for one run: as_of, timezone, bound parameters, severities."""
    overrides = {rule_id: Severity(value) for rule_id, value in config.severity_overrides.items()}
    return RunSettings(
        as_of=as_of, tz=config.timezone, params=rules.params, severity_overrides=overrides
    )


def _calendar(config: Config) -> WorkdayCalendar:
    return WorkdayCalendar(config.extra_holidays, config.extra_workdays)
