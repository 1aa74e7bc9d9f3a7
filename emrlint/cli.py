"""The `emrlint` command: options → library call → reporter → exit status. Nothing else.

Exit status (design §7): 0 nothing at or above the fail level; 1 findings at or above it (or an
unreadable record); 2 usage, configuration or rulebook error. User errors are one clear
message on stderr, never a traceback (unless --debug).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any, TextIO

import click

from emrlint import __version__
from emrlint.api import (
    EpisodeResult,
    LoadedRules,
    check,
    code_matches_selector,
    load_rules,
    parse_as_of,
    parse_context,
)
from emrlint.config import Config, load_config
from emrlint.errors import EmrlintError, UsageError
from emrlint.model import Episode
from emrlint.outcomes import Severity
from emrlint.parallel import BIG_INPUT_BYTES, check_parallel, default_jobs
from emrlint.parsers import InputFormat, InputProblem, ParseContext, read_paths
from emrlint.privacy import Pseudonymizer, deidentify_key, deidentify_key_origin
from emrlint.reporters import (
    FORMATS,
    RATE_FORMATS,
    compute_rates,
    make_reporter,
    parse_by,
    rule_entries,
    rulebook_entries,
    write_rates,
)
from emrlint.reporters.base import RunInfo, RunSummary
from emrlint.rules.engine import RuleStats
from emrlint.rules.examples import run_examples
from emrlint.rules.explain import explain_rule, rule_summary
from emrlint.rules.junit import junit_xml
from emrlint.rules.workdays import WorkdayCalendar

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
_PROGRESS_AFTER_SECONDS = 3.0


def _guarded(command: Callable[..., int | None]) -> Callable[..., None]:
    """Turn library errors into a message and exit status 2; bugs into a short notice."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            status = command(*args, **kwargs)
        except EmrlintError as error:
            click.echo(str(error), err=True)
            sys.exit(EXIT_USAGE)
        except BrokenPipeError:
            sys.exit(EXIT_OK)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as error:  # a bug: say so plainly, traceback only on request
            if debug:
                traceback.print_exc()
            click.echo(
                f"emrlint: internal error ({type(error).__name__}); run with --debug "
                "for details and please report it",
                err=True,
            )
            sys.exit(EXIT_USAGE)
        sys.exit(status or EXIT_OK)

    return run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="emrlint")
@click.option("--debug", is_flag=True, help="Show tracebacks for bug reports.")
def main(debug: bool) -> None:
    """emrlint: check inpatient medical records against national record-keeping rules."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _config(config_path: Path | None) -> Config:
    return load_config(config_path)


_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="emrlint.toml to use (default: found upwards from the working directory).",
)
_rulebook_option = click.option(
    "--rulebooks",
    "rulebook_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Rulebook file or folder (repeatable; default: the shipped rulebooks).",
)


def _evaluation_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options `check` and `rates` share: what to read, which rules, when, how."""
    options = [
        click.option(
            "--input-format",
            type=click.Choice([f.value for f in InputFormat]),
            default="auto",
            show_default=True,
        ),
        click.option(
            "--as-of",
            help="Evaluation time (ISO date-time; a date means its last moment). Default: now.",
        ),
        click.option("--select", multiple=True, help="Rule id or tag prefix to run (repeatable)."),
        click.option("--ignore", multiple=True, help="Rule id or tag prefix to skip (repeatable)."),
        click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of the output."),
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=1),
            help=f"Worker processes (default: all cores for inputs of {BIG_INPUT_BYTES // 2**20} "
            "MiB or more whose output lists findings only, else 1; see docs/performance.md).",
        ),
        click.option(
            "--deidentify",
            is_flag=True,
            help="Replace episode and patient ids with keyed pseudonyms (see docs/privacy.md).",
        ),
        _config_option,
        _rulebook_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write results here instead of stdout.",
)
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    help="Exit 1 only for FAIL findings at or above this severity.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--show-pass", is_flag=True, help="Also list PASS and NA outcomes.")
@click.option("--stats", is_flag=True, help="Print per-rule timings to stderr.")
@click.option("--no-cache", is_flag=True, help="Recompile rulebooks.")
@click.option("--strict-fhir", is_flag=True, help="Validate every FHIR resource (slower).")
@click.option("--strict-hl7", is_flag=True, help="Validate every HL7 v2 message (slower).")
@_evaluation_options
@_guarded
def check_command(
    paths: tuple[str, ...],
    output_format: str,
    output: Path | None,
    input_format: str,
    as_of: str | None,
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    lang: str | None,
    exit_zero: bool,
    show_pass: bool,
    stats: bool,
    no_cache: bool,
    jobs: int | None,
    deidentify: bool,
    strict_fhir: bool,
    strict_hl7: bool,
    config_path: Path | None,
    rulebook_paths: tuple[Path, ...],
) -> int:
    """Check records: files, folders (recursively) or - for stdin."""
    config = _config(config_path)
    rules = _rules_to_run(config, rulebook_paths, select, ignore, not no_cache)
    _freeze_long_lived()
    moment = parse_as_of(as_of, config.timezone) if as_of else dt.datetime.now(config.timezone)
    fail_level = Severity(fail_on or config.fail_on) if (fail_on or config.fail_on) else None
    calendar = WorkdayCalendar(config.extra_holidays, config.extra_workdays)
    rule_stats = RuleStats() if stats else None
    info = RunInfo(
        emrlint_version=__version__,
        as_of=moment,
        rulebooks=rulebook_entries(rules.books),
        rules=rule_entries(rules.rules.latest()),
        inputs=list(paths),
        config={
            "file": str(config.file) if config.file else None,
            "timezone": config.timezone_name,
        },
        lang=lang or config.lang,
        show_pass=show_pass,
    )
    reporter = make_reporter(
        output_format,
        **({"colour": output is None and sys.stdout.isatty()} if output_format == "text" else {}),
    )
    context = parse_context(config, strict_fhir, strict_hl7)
    results = _results(
        paths,
        config,
        rules,
        moment,
        InputFormat(input_format),
        jobs,
        context,
        calendar,
        rule_stats,
        keep_episodes=output_format in _FORMATS_DRAWING_EPISODES,
        deidentify=deidentify,
        findings_only=output_format in _FORMATS_OF_FINDINGS and not show_pass,
    )
    out = _open_output(output)
    try:
        summary, failures = _stream(results, reporter, out, info, fail_level, calendar)
    finally:
        if output:
            out.close()
    _echo_run_end(context, info.warnings, summary.episodes, summary.input_problems, rules)
    if rule_stats is not None:
        for rule_id, seconds, calls in rule_stats.slowest(20):
            click.echo(f"  {seconds * 1000:9.1f} ms  {calls:7d} calls  {rule_id}", err=True)
    if exit_zero:
        return EXIT_OK
    return EXIT_FINDINGS if failures or summary.input_problems else EXIT_OK


_FORMATS_DRAWING_EPISODES = ("html", "xlsx")  # timelines and strata by discharge month
_FORMATS_OF_FINDINGS = ("text", "json", "jsonl", "csv")  # list non-PASS outcomes, count the rest


def _freeze_long_lived() -> None:
    """Exempt what lives for the whole run (the compiled rules just loaded, the model's
    validators) from the garbage collector's full passes, which otherwise walk it again and
    again while episodes stream by (they showed as 30 ms pauses in the hook benchmark)."""
    gc.freeze()


def _results(
    paths: tuple[str, ...],
    config: Config,
    rules: LoadedRules,
    moment: dt.datetime,
    input_format: InputFormat,
    jobs: int | None,
    context: ParseContext,
    calendar: WorkdayCalendar,
    stats: RuleStats | None,
    keep_episodes: bool,
    deidentify: bool,
    findings_only: bool = False,
) -> Iterable[Any]:
    """The stream of results `check` and `rates` share: one process or several (`--jobs`, else
    `default_jobs`), and pseudonymised on request."""
    workers = jobs if jobs is not None else default_jobs(paths, findings_only and not keep_episodes)
    results: Iterable[Any]
    if workers > 1 and "-" not in paths:
        results = check_parallel(
            paths,
            config,
            rules,
            moment,
            workers,
            input_format,
            context,
            keep_episodes=keep_episodes,
            findings_only=findings_only,
            calendar=calendar,
            stats=stats,
        )
    else:
        results = check(
            paths,
            config,
            rules,
            moment,
            input_format,
            calendar=calendar,
            stats=stats,
            context=context,
            findings_only=findings_only,
        )
    if deidentify:
        results = map(Pseudonymizer(deidentify_key(config)).result, results)
    return results


def _open_output(output: Path | None) -> TextIO:
    """A file (newline="" so CSV keeps its CRLF rows on every platform) or stdout."""
    if output is None:
        return sys.stdout
    try:
        return output.open("w", encoding="utf-8", newline="")
    except OSError as error:
        raise UsageError(f"cannot write {output}: {error.strerror}") from None


def _stream(
    results: Any,
    reporter: Any,
    out: TextIO,
    info: RunInfo,
    fail_level: Severity | None,
    calendar: WorkdayCalendar,
) -> tuple[RunSummary, int]:
    summary = RunSummary()
    failures = 0
    started = last_report = time.monotonic()
    reporter.start(out, info)
    for result in results:
        summary.add(result)
        if isinstance(result, EpisodeResult):
            failures += summary.failing(result.outcomes, fail_level)
        reporter.add(out, result)
        now = time.monotonic()
        if now - started > _PROGRESS_AFTER_SECONDS and now - last_report > 2.0:
            last_report = now
            click.echo(f"… {summary.episodes} episodes checked", err=True)
    # said once per run, in the report too (design: a field)
    info.warnings.extend(_calendar_warnings(calendar))
    reporter.finish(out, summary)
    return summary, failures


def _calendar_warnings(calendar: WorkdayCalendar) -> list[str]:
    """What a run must say about its working-day calendar once the results are in: the years
    it had no statutory calendar for and counted Monday-Friday instead (never silently)."""
    if not calendar.fallback_years:
        return []
    years = ", ".join(str(year) for year in sorted(calendar.fallback_years))
    return [f"no statutory working-day calendar for {years}; Monday-Friday was used"]


def _echo_run_end(
    context: ParseContext,
    warnings: Iterable[str],
    episodes: int,
    unreadable: int,
    rules: LoadedRules,
) -> None:
    """The closing lines `check` and `rates` write on stderr: what the readers skipped on
    purpose, the run's warnings, and what was checked."""
    for what, count in sorted(context.skipped.items()):
        click.echo(f"skipped {count} × {what}", err=True)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"checked {episodes} episodes ({unreadable} unreadable) against {len(rules.rules)} rules",
        err=True,
    )


@main.command("rates")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--by", help="Strata: any of department, attending, month, quarter (comma-separated)."
)
@click.option(
    "--format", "output_format", type=click.Choice(RATE_FORMATS), default="text", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the rates here instead of stdout (required for xlsx).",
)
@_evaluation_options
@_guarded
def rates_command(
    paths: tuple[str, ...],
    by: str | None,
    output_format: str,
    output: Path | None,
    input_format: str,
    as_of: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    lang: str | None,
    jobs: int | None,
    deidentify: bool,
    config_path: Path | None,
    rulebook_paths: tuple[Path, ...],
) -> int:
    """Compliance rates per rule and per tag (numerator PASS, denominator PASS + FAIL), from
    the same evaluation as `check`, optionally by department, attending, month and quarter."""
    dimensions = parse_by(by)
    config = _config(config_path)
    rules = _rules_to_run(config, rulebook_paths, select, ignore, True)
    _freeze_long_lived()
    moment = parse_as_of(as_of, config.timezone) if as_of else dt.datetime.now(config.timezone)
    calendar = WorkdayCalendar(config.extra_holidays, config.extra_workdays)
    context = parse_context(config)
    results = _results(
        paths,
        config,
        rules,
        moment,
        InputFormat(input_format),
        jobs,
        context,
        calendar,
        None,
        keep_episodes=True,
        deidentify=deidentify,
    )
    report = compute_rates(results, dimensions, rule_entries(rules.rules.latest()), moment)
    if output_format == "xlsx" and output is None and sys.stdout.isatty():
        raise UsageError("xlsx is binary: write it to a file with --output FILE")
    out = _open_output(output)
    try:
        write_rates(report, output_format, out, lang or config.lang)
    finally:
        if output:
            out.close()
    warnings = _calendar_warnings(calendar)
    _echo_run_end(context, warnings, report.episodes, report.input_problems, rules)
    return EXIT_OK


@main.command("convert")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--to",
    "target",
    type=click.Choice(["native", "fhir", "hl7v2"]),
    default="native",
    show_default=True,
)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write one file per episode here (default: all to stdout).",
)
@click.option(
    "--input-format",
    type=click.Choice([f.value for f in InputFormat]),
    default="auto",
    show_default=True,
)
@_config_option
@_guarded
def convert_command(
    paths: tuple[str, ...],
    target: str,
    output_dir: Path | None,
    input_format: str,
    config_path: Path | None,
) -> int:
    """Show how inputs were understood: write them as native JSON, FHIR R4 or HL7 v2."""
    config = _config(config_path)
    context = parse_context(config)
    render = _converter(target)
    suffix = {"native": ".json", "fhir": ".json", "hl7v2": ".hl7"}[target]
    problems = episodes = 0
    for item in read_paths(paths, context, InputFormat(input_format)):
        if isinstance(item, InputProblem):
            problems += 1
            click.echo(f"{item.location}: cannot convert: {item.reason}", err=True)
            continue
        episodes += 1
        text = render(item)
        if output_dir is None:
            click.echo(text)
            continue
        output_dir.mkdir(parents=True, exist_ok=True)
        name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in item.id)
        (output_dir / f"{name}{suffix}").write_text(text + "\n", encoding="utf-8")
    click.echo(f"converted {episodes} episodes ({problems} unreadable)", err=True)
    return EXIT_FINDINGS if problems else EXIT_OK


def _converter(target: str) -> Callable[[Episode], str]:
    if target == "fhir":
        from emrlint.writers.fhir import episode_to_fhir

        return lambda episode: json.dumps(episode_to_fhir(episode), ensure_ascii=False)
    if target == "hl7v2":
        from emrlint.writers.hl7v2 import episode_to_hl7v2

        return episode_to_hl7v2
    from emrlint.writers.native import episode_to_native_json

    return episode_to_native_json


@main.command("schema")
@_guarded
def schema_command() -> int:
    """Print the JSON Schema of the native episode format."""
    schema = Episode.model_json_schema(mode="validation")
    click.echo(json.dumps(schema, ensure_ascii=False, indent=2))
    return EXIT_OK


@main.command("config")
@click.option("--show", is_flag=True, required=True, help="Print the effective configuration.")
@_config_option
@_guarded
def config_command(show: bool, config_path: Path | None) -> int:
    """Show the effective configuration and where each value came from."""
    config = _config(config_path)
    click.echo(f"# configuration file: {config.file or 'none (defaults)'}")
    key_origin = deidentify_key_origin(config)  # the file or the environment; never the key
    for key, (value, origin) in sorted(config.effective().items()):
        shown = json.dumps(value, ensure_ascii=False, default=str)
        if key == "site.deidentify_key" and key_origin is not None:
            shown, origin = "<set>", key_origin
        click.echo(f"{key} = {shown}  # {origin}")
    return EXIT_OK


@main.command("kinds")
@_config_option
@_guarded
def kinds_command(config_path: Path | None) -> int:
    """List the record kinds (WS/T 500 and LOINC codes, 中文 names)."""
    vocabulary = _config(config_path).vocabulary
    for info in vocabulary.kinds.values():
        codes = " ".join(c for c in (info.wst500, info.loinc) if c)
        click.echo(f"{info.name:28} {info.zh}  {codes}")
    for group, members in vocabulary.groups.items():
        click.echo(f"group {group}: {', '.join(members)}")
    return EXIT_OK


def _rules_to_run(
    config: Config,
    rulebook_paths: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    use_cache: bool,
) -> LoadedRules:
    """The rules `check` and `rates` run; none at all is a usage error, never an empty pass
    (e.g. `--rulebooks mine.rules --select BW`: BW names shipped rules, none of them loaded)."""
    rules = load_rules(config, list(rulebook_paths) or None, select, ignore, use_cache)
    if not rules.rules:
        raise UsageError(
            "no rule to run: the rulebooks loaded and --select/--ignore (or [rules] select/"
            "ignore) leave none; `emrlint rules` lists what is loaded"
        )
    return rules


def _load(
    config_path: Path | None, rulebook_paths: tuple[Path, ...], path: Path | None = None
) -> tuple[Config, LoadedRules]:
    config = _config(config_path)
    paths = [path] if path is not None else list(rulebook_paths) or None
    return config, load_rules(config, paths)


@main.command("rules")
@click.option("--tag", help="Only rules with a tag starting with this.")
@click.option("--severity", type=click.Choice([s.value for s in Severity]))
@click.option("--category")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@_config_option
@_rulebook_option
@_guarded
def rules_command(
    tag: str | None,
    severity: str | None,
    category: str | None,
    output_format: str,
    config_path: Path | None,
    rulebook_paths: tuple[Path, ...],
) -> int:
    """List rules, optionally filtered."""
    _, loaded = _load(config_path, rulebook_paths)
    specs = loaded.param_specs
    chosen = [
        r
        for r in loaded.rules.latest()
        if (tag is None or any(code_matches_selector(t, tag) for t in r.tags))
        and (severity is None or r.severity.value == severity)
        and (category is None or r.category == category)
    ]
    if output_format == "json":
        rows = [rule_summary(r, specs, loaded.params) for r in chosen]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        for rule in sorted(chosen, key=lambda r: r.id):
            click.echo(f"{rule.id:48} {rule.severity.value:8} {rule.category:12} {rule.title_zh}")
        click.echo(f"{len(chosen)} rules", err=True)
    return EXIT_OK


@main.command("explain")
@click.argument("rule_id")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@_config_option
@_rulebook_option
@_guarded
def explain_command(
    rule_id: str, lang: str, config_path: Path | None, rulebook_paths: tuple[Path, ...]
) -> int:
    """Show a rule: text, citation, parameters, time windows in words, examples."""
    _, loaded = _load(config_path, rulebook_paths)
    versions = loaded.rules.versions.get(rule_id)
    if not versions:
        from emrlint.diagnostics import did_you_mean

        suggestion = did_you_mean(rule_id, loaded.rules.versions)
        hint = f"; did you mean {suggestion}?" if suggestion else ""
        raise UsageError(f"no rule {rule_id}{hint}")
    for rule in versions:
        click.echo(explain_rule(rule, loaded.param_specs, loaded.params))
    return EXIT_OK


@main.command("test")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--junit", type=click.Path(path_type=Path, dir_okay=False), help="Also write JUnit XML here."
)
@click.option("--verbose", "-v", is_flag=True, help="List every example.")
@_config_option
@_guarded
def test_command(
    path: Path | None, junit: Path | None, verbose: bool, config_path: Path | None
) -> int:
    """Run the examples of every rule (or of the rulebooks under PATH)."""
    config, loaded = _load(config_path, (), path)
    results = run_examples(
        loaded.books,
        config.vocabulary,
        WorkdayCalendar(config.extra_holidays, config.extra_workdays),
    )
    failed = [r for r in results if not r.passed]
    for result in results:
        if verbose or not result.passed:
            mark = "ok  " if result.passed else "FAIL"
            click.echo(
                f"{mark} {result.rule_id} / {result.example}"
                + ("" if result.passed else f"\n     {result.file}:{result.line}: {result.detail}")
            )
    if junit is not None:
        try:
            junit.write_text(junit_xml(results), encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write {junit}: {error.strerror}") from None
    rules = len({r.rule_id for r in results})
    click.echo(
        f"rule examples: {len(results) - len(failed)} passed, {len(failed)} failed ({rules} rules)"
    )
    return EXIT_FINDINGS if failed else EXIT_OK
