"""`--jobs N`: evaluate episodes on N worker processes, results in input order.

JSONL files, and FHIR NDJSON files read one stay per line (`[mapping.fhir] ndjson =
"stay-per-line"`), are cut into chunks of raw lines in the parent, and the workers both parse
and evaluate them, so nearly all the work is parallel. Other inputs (JSON documents, FHIR
bundles and bulk NDJSON, HL7 v2) are parsed in the parent and only evaluated in the workers:
there the parent's reading bounds the speed-up. At most a few chunks per worker are
in flight, so memory stays flat however large the input; output order and content are the
same for any N.

Each worker process holds the compiled rules, settings and calendar it was started with (set
once by the pool initializer: the usual way to give multiprocessing workers read-only state).

`default_jobs` chooses N when the user did not: all usable cores for big inputs whose output
lists findings only, one process otherwise.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from emrlint.api import EpisodeResult, LoadedRules, episode_result, parse_context, run_settings
from emrlint.config import Config
from emrlint.model import Episode
from emrlint.parsers import (
    InputFormat,
    InputProblem,
    ParseContext,
    iter_input_files,
    read_input,
    sniff_file,
)
from emrlint.parsers.native import bounded_lines, read_jsonl
from emrlint.rules.engine import RuleSet, RuleStats, RunSettings
from emrlint.rules.workdays import WorkdayCalendar

__all__ = ["BIG_INPUT_BYTES", "check_parallel", "default_jobs", "usable_cores"]

CHUNK = 64  # episodes or lines per task: large enough to amortise pickling, small for latency
IN_FLIGHT_PER_WORKER = 4

# Inputs smaller than this run on one process when --jobs is not given: starting a worker and
# compiling (unpickling) the rules in it costs about 0.3-0.5 s, which a few MiB of episodes do
# not win back, so small inputs finish sooner on one process.
BIG_INPUT_BYTES = 16 * 2**20


@dataclass(frozen=True)
class _Lines:
    """Raw lines cut from a file, to be parsed in a worker: native JSONL, or FHIR NDJSON whose
    every line is one stay (`fhir`)."""

    file: str
    first_line: int
    lines: list[Any]
    fhir: bool = False


@dataclass(frozen=True)
class _Done:
    """A worker's answer for one chunk: the results, and what the run reports at its end (the
    years that needed the Monday-Friday fallback so far, and per-rule timings for --stats)."""

    results: list[EpisodeResult | InputProblem]
    fallback_years: frozenset[int]
    stats: RuleStats | None
    skipped: Counter[str]  # what the worker's reader skipped on purpose, as ParseContext counts


@dataclass(frozen=True)
class _Worker:
    """What every task of one worker process reads (set once by the pool initializer)."""

    rules: RuleSet
    settings: RunSettings
    context: ParseContext
    calendar: WorkdayCalendar
    keep_episodes: bool
    findings_only: bool
    timed: bool


_WORKER: _Worker | None = None


def _start_worker(
    rules: RuleSet,
    settings: RunSettings,
    context: ParseContext,
    holidays: frozenset[dt.date],
    workdays: frozenset[dt.date],
    keep_episodes: bool,
    findings_only: bool,
    timed: bool,
) -> None:
    global _WORKER
    calendar = WorkdayCalendar(holidays, workdays)
    _WORKER = _Worker(rules, settings, context, calendar, keep_episodes, findings_only, timed)
    gc.freeze()  # the rules live as long as the worker: keep full collections off them


def _work(chunk: list[Any]) -> _Done:
    assert _WORKER is not None, "worker not initialised"
    worker = _WORKER
    stats = RuleStats() if worker.timed else None
    context = replace(worker.context, skipped=Counter())  # this chunk's counts, sent back
    results: list[EpisodeResult | InputProblem] = []
    for item in chunk:
        items: Iterable[Episode | InputProblem]
        if isinstance(item, _Lines) and item.fhir:
            from emrlint.parsers.fhir import read_fhir_lines  # as read_paths: FHIR on demand

            items = read_fhir_lines(item.lines, item.file, context, item.first_line)
        elif isinstance(item, _Lines):
            items = read_jsonl(item.lines, item.file, context.tz, item.first_line)
        else:
            items = (item,)
        for parsed in items:
            if isinstance(parsed, InputProblem):
                results.append(parsed)
            else:  # episodes are costly to send back: only reporters that draw them get them
                results.append(
                    episode_result(
                        parsed,
                        worker.rules,
                        worker.settings,
                        worker.calendar,
                        worker.findings_only,
                        worker.keep_episodes,
                        stats,
                    )
                )
    return _Done(results, frozenset(worker.calendar.fallback_years), stats, context.skipped)


def check_parallel(
    paths: Iterable[str],
    config: Config,
    rules: LoadedRules,
    as_of: dt.datetime,
    jobs: int,
    input_format: InputFormat = InputFormat.auto,
    context: ParseContext | None = None,
    keep_episodes: bool = True,
    findings_only: bool = False,
    calendar: WorkdayCalendar | None = None,
    stats: RuleStats | None = None,
) -> Iterator[EpisodeResult | InputProblem]:
    """Like `api.check`, on `jobs` processes; stdin is not supported here (use jobs=1).
    `keep_episodes=False` leaves `EpisodeResult.episode` empty, for reporters that never
    read it, and saves sending every episode back from the workers (the few facts a report
    heads an episode with still come back, in `EpisodeResult.header`); `findings_only=True` sends
    PASS and NA outcomes back as counts (`EpisodeResult.omitted`), for outputs that list
    findings only. What the workers' calendars fell back on is added to
    `calendar.fallback_years`, and their per-rule timings to `stats`, as results arrive."""
    context = context or parse_context(config)
    settings = run_settings(rules, config, as_of)
    with ProcessPoolExecutor(
        max_workers=jobs,
        initializer=_start_worker,
        initargs=(
            rules.rules,
            settings,
            context,
            config.extra_holidays,
            config.extra_workdays,
            keep_episodes,
            findings_only,
            stats is not None,
        ),
    ) as pool:
        pending: deque[Future[_Done]] = deque()
        for chunk in _chunks(paths, context, input_format):
            pending.append(pool.submit(_work, chunk))
            if len(pending) >= jobs * IN_FLIGHT_PER_WORKER:
                yield from _received(pending.popleft().result(), context, calendar, stats)
        while pending:
            yield from _received(pending.popleft().result(), context, calendar, stats)


def _received(
    done: _Done, context: ParseContext, calendar: WorkdayCalendar | None, stats: RuleStats | None
) -> list[EpisodeResult | InputProblem]:
    context.skipped.update(done.skipped)
    if calendar is not None:
        calendar.fallback_years.update(done.fallback_years)
    if stats is not None and done.stats is not None:
        stats.merge(done.stats)
    return done.results


def _chunks(
    paths: Iterable[str], context: ParseContext, input_format: InputFormat
) -> Iterator[list[Any]]:
    for file in iter_input_files(paths, context.skipped):
        if _is_jsonl(file, input_format):
            yield from _line_chunks(file, fhir=False)
        elif _is_fhir_stay_lines(file, context, input_format):
            yield from _line_chunks(file, fhir=True)
        else:
            yield from _batched(read_input(file, context, input_format))


def _is_jsonl(file: str, input_format: InputFormat) -> bool:
    return _format_of(file, input_format) == InputFormat.jsonl


def _is_fhir_stay_lines(file: str, context: ParseContext, input_format: InputFormat) -> bool:
    if _format_of(file, input_format) != InputFormat.fhir:
        return False
    from emrlint.parsers.fhir import reads_stays_per_line

    try:
        return reads_stays_per_line(file, context)
    except OSError:
        return False  # the reading in the parent reports it


def _format_of(file: str, input_format: InputFormat) -> InputFormat | None:
    """The format `read_paths` would read this file as, as far as reading it line by line
    goes (a JSON document is only guessed from its first bytes: it is read in the parent
    anyway); None for stdin, a folder, or a file that cannot be opened (the reading in the
    parent reports it)."""
    if file == "-" or Path(file).is_dir():
        return None
    if input_format != InputFormat.auto:
        return input_format
    try:
        # the decision read_paths makes about reading line by line; a JSON document is read
        # in the parent whatever it holds, so it need not be parsed here
        return sniff_file(file, whole_documents=False)
    except OSError:
        return None


def _line_chunks(file: str, fhir: bool) -> Iterator[list[Any]]:
    with open(file, "rb") as handle:
        batch: list[Any] = []
        first = 1
        for number, line in enumerate(bounded_lines(handle), start=1):
            batch.append(line)
            if len(batch) == CHUNK:
                yield [_Lines(file, first, batch, fhir)]
                batch, first = [], number + 1
        if batch:
            yield [_Lines(file, first, batch, fhir)]


def _batched(items: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def default_jobs(
    paths: Iterable[str],
    findings_only: bool,
    *,
    big_input_bytes: int = BIG_INPUT_BYTES,
    cores: int | None = None,
) -> int:
    """The number of worker processes when `--jobs` is not given: all usable cores (or
    `cores`) when the input files total at least `big_input_bytes` and the output lists
    findings only; otherwise 1.

    `findings_only` must be false when the output needs every outcome or the episodes back
    (html, xlsx, rates, `--show-pass`): sending those from the workers costs more than a second
    core saves (docs/performance.md), so one process is faster for them at any size. Stdin is
    always one process (`check_parallel` cannot read it). Small inputs do not pay for starting
    the workers (see `BIG_INPUT_BYTES`)."""
    if not findings_only:
        return 1
    size = 0
    for file in iter_input_files(paths):
        if file == "-":
            return 1
        size += _size_on_disk(Path(file))
        if size >= big_input_bytes:
            return cores if cores is not None else usable_cores()
    return 1


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform reports it,
    which `os.cpu_count` ignores)."""
    process_cpu_count = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if process_cpu_count is not None:
        return process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _size_on_disk(path: Path) -> int:
    """Bytes of a file, or of every file under a folder read as one unit (a FHIR bulk export);
    0 for what cannot be read now: the run itself reports it."""
    try:
        if path.is_dir():
            return sum(child.stat().st_size for child in path.rglob("*") if child.is_file())
        return path.stat().st_size
    except OSError:
        return 0
