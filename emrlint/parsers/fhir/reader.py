"""The two entry points: `read_fhir` (one input: a JSON document or NDJSON) and
`read_fhir_bulk` (a Bulk Data export folder: one NDJSON file per resource type).

Both collect resources, detect the FHIR version, validate with fhir.resources when
`context.strict_fhir` asks for it, index references, group resources into episodes by
inpatient Encounter and build each episode. Problems with single records are yielded as
`InputProblem`s in between; what is skipped on purpose is counted in `context.skipped`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from emrlint.model import Episode
from emrlint.parsers.context import ParseContext
from emrlint.parsers.fhir.episodes import build_episode
from emrlint.parsers.fhir.grouping import group
from emrlint.parsers.fhir.references import ReferenceIndex
from emrlint.parsers.fhir.source import (
    Collection,
    collect_each_line,
    collect_lines,
    collect_stream,
    detect_version,
    first_line,
    line_collection,
    numbered_lines,
)
from emrlint.parsers.fhir.tables import load_tables
from emrlint.parsers.native import OversizedLine, bounded_lines
from emrlint.parsers.problems import InputProblem, combine

__all__ = [
    "read_fhir",
    "read_fhir_bulk",
    "read_fhir_lines",
    "read_fhir_value",
    "reads_stays_per_line",
]


def read_fhir(
    stream: BinaryIO, name: str, context: ParseContext
) -> Iterator[Episode | InputProblem]:
    """Every episode (one per inpatient Encounter) in one FHIR input, and a problem for every
    record that could not be read. NDJSON lines are read together, or one by one when the
    site's `[mapping.fhir] ndjson` says each line is a stay. Raises ConfigError only for a
    wrong `[mapping.fhir]`."""
    tables = load_tables(context.mapping("fhir"))
    is_ndjson = name.lower().endswith((".ndjson", ".jsonl"))
    if tables.ndjson == "stay-per-line":
        for line in collect_each_line(stream, name, is_ndjson, keep_unread=context.strict_fhir):
            yield from _episodes(line, context)
        return
    collection = collect_stream(stream, name, is_ndjson, keep_unread=context.strict_fhir)
    yield from _episodes(collection, context)


def read_fhir_value(
    document: Any, name: str, context: ParseContext
) -> Iterator[Episode | InputProblem]:
    """One FHIR JSON document already parsed (format detection parsed it), read as
    `read_fhir` reads that document."""
    load_tables(context.mapping("fhir"))
    collection = Collection(name, keep_unread=context.strict_fhir)
    collection.add(document, "", None)
    yield from _episodes(collection, context)


def reads_stays_per_line(path: str, context: ParseContext) -> bool:
    """Whether `read_fhir` reads this FHIR file one line at a time, each line a stay: the
    site's `ndjson = "stay-per-line"`, and NDJSON by name or by a first line that is a whole
    JSON value. Its lines may then be read apart (`--jobs` hands them to the workers)."""
    if load_tables(context.mapping("fhir")).ndjson != "stay-per-line":
        return False
    if path.lower().endswith((".ndjson", ".jsonl")):
        return True
    with open(path, "rb") as handle:
        return first_line(handle)[1] is not None


def read_fhir_lines(
    lines: Iterable[bytes | OversizedLine], name: str, context: ParseContext, first: int = 1
) -> Iterator[Episode | InputProblem]:
    """Lines cut from a file that `reads_stays_per_line`, numbered from `first`, read as
    `read_fhir` reads that file: each line one stay."""
    load_tables(context.mapping("fhir"))
    for number, raw in numbered_lines(lines, first):
        yield from _episodes(line_collection(number, raw, name, context.strict_fhir), context)


def read_fhir_bulk(folder: Path, context: ParseContext) -> Iterator[Episode | InputProblem]:
    """A Bulk Data export — every ``*.ndjson`` file of `folder` — and any ``*.json`` FHIR
    documents beside them (a folder of single resources), read together so that items in one
    file find their Encounter in another. Files are read in name order."""
    load_tables(context.mapping("fhir"))
    collection = Collection(str(folder), keep_unread=context.strict_fhir)
    paths = sorted([*folder.glob("*.ndjson"), *folder.glob("*.json")], key=lambda p: p.name)
    for path in paths:
        collection.file = str(path)
        try:
            with path.open("rb") as handle:
                if path.suffix == ".ndjson":
                    collect_lines(collection, bounded_lines(handle))
                else:
                    collect_stream(handle, str(path), False, collection=collection)
        except OSError as error:
            collection.problems.append(
                InputProblem(str(path), "whole file", f"cannot read: {error.strerror}")
            )
    yield from _episodes(collection, context)


def _episodes(collection: Collection, context: ParseContext) -> Iterator[Episode | InputProblem]:
    tables = load_tables(context.mapping("fhir"))
    yield from collection.problems
    context.skipped.update(collection.skipped)
    resources = collection.resources
    invalid: dict[int, str] = {}
    if context.strict_fhir:
        from emrlint.parsers.fhir.strict import validate

        version = tables.version if tables.version != "auto" else detect_version(resources)
        invalid = validate(resources, version)
    index = ReferenceIndex([resource for resource in resources if resource.is_read])
    grouping = group(resources, index, tables, context.skipped)
    reported: set[int] = set()
    for resource, reason in grouping.alone:  # with its --strict-fhir failure, if it has one
        problems = [InputProblem(resource.file, resource.position, reason, line=resource.line)]
        if resource.order in invalid:
            problems.append(
                InputProblem(
                    resource.file, resource.position, invalid[resource.order], line=resource.line
                )
            )
            reported.add(resource.order)
        yield combine(problems)
    for seed in grouping.seeds:
        yield from build_episode(seed, context, tables, index, invalid, reported)
    for resource in resources:
        if resource.order in invalid and resource.order not in reported:
            yield InputProblem(
                resource.file, resource.position, invalid[resource.order], line=resource.line
            )
