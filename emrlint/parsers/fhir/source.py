"""From bytes to FHIR resources: one JSON document (a Bundle of any type, or one resource) or
NDJSON (one resource or Bundle per line), each resource kept with its position.

Bundles nest (a batch-response holds Bundles); every entry with a resource becomes one
`Resource`, the Bundles themselves do not. A record that is not a FHIR resource becomes an
`InputProblem` naming its position, and collection goes on. Maps nothing to the model.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson

from emrlint.parsers.fhir.resource_types import RESOURCE_TYPES
from emrlint.parsers.native import MAX_RECORD_BYTES, OversizedLine, bounded_lines, json_error_at
from emrlint.parsers.problems import InputProblem

__all__ = [
    "ITEM_TYPES",
    "READ_TYPES",
    "SUPPORT_TYPES",
    "Collection",
    "Resource",
    "collect_each_line",
    "collect_lines",
    "collect_stream",
    "detect_version",
    "first_line",
    "line_collection",
    "numbered_lines",
]


@dataclass(slots=True, eq=False)
class Resource:
    """One resource as parsed JSON, with where it was found. Compared by identity."""

    data: dict[str, Any]
    rtype: str
    fid: str | None
    full_url: str | None
    prefix: str  # where it was found ("entry [3] "); the position adds its label
    line: int | None
    order: int
    file: str
    is_read: bool = True
    container: Resource | None = None
    _contained: dict[str, Resource] | None = None

    @property
    def position(self) -> str:
        """Where the resource is, for a report: ``entry [12] Encounter/abc``."""
        return f"{self.prefix}{self.label}"

    @property
    def label(self) -> str:
        """``Type/id``; a Patient is named by type only, so no patient id reaches a report."""
        if self.rtype == "Patient" or self.fid is None:
            return self.rtype
        return f"{self.rtype}/{self.fid}"

    def contained(self) -> dict[str, Resource]:
        """The resources contained in this one, by local id (built on first use)."""
        if self._contained is None:
            self._contained = {}
            items = self.data.get("contained")
            for index, item in enumerate(items if isinstance(items, list) else ()):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    rtype = item.get("resourceType")
                    self._contained[item["id"]] = Resource(
                        item,
                        rtype if isinstance(rtype, str) else "?",
                        item["id"],
                        None,
                        f"{self.position} contained [{index}] ",
                        self.line,
                        self.order,
                        self.file,
                        container=self,
                    )
        return self._contained


# Resource types the mappers read: items of an episode, and the resources they refer to.
ITEM_TYPES = frozenset(
    {
        "Communication",
        "Composition",
        "Condition",
        "DiagnosticReport",
        "DocumentReference",
        "Flag",
        "MedicationAdministration",
        "MedicationRequest",
        "Observation",
        "Procedure",
        "RiskAssessment",
        "ServiceRequest",
    }
)
SUPPORT_TYPES = frozenset(
    {
        "Encounter",
        "Location",
        "Medication",
        "Organization",
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "Specimen",
    }
)
READ_TYPES = ITEM_TYPES | SUPPORT_TYPES


@dataclass
class Collection:
    """Everything read from one input: resources in input order, and the records that were not
    resources. `skipped` counts what was left out on purpose. Resources of a type emrlint does
    not read are counted and dropped at once, unless `keep_unread` (for --strict-fhir, which
    validates every resource, and the Bundles around them)."""

    file: str
    keep_unread: bool = False
    resources: list[Resource] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def add(self, data: Any, prefix: str, line: int | None, full_url: Any = None) -> None:
        """Add one parsed JSON value found at `prefix` (a Bundle is unpacked)."""
        where = prefix.strip() or "whole file"
        if not isinstance(data, dict):
            self.problems.append(InputProblem(self.file, where, "not a JSON object", line=line))
            return
        rtype = data.get("resourceType")
        if not isinstance(rtype, str):
            self.problems.append(
                InputProblem(self.file, where, "not a FHIR resource: no resourceType", line=line)
            )
            return
        if rtype not in RESOURCE_TYPES:
            reason = f"resourceType {rtype[:40]!r} is not a FHIR resource type"
            self.problems.append(InputProblem(self.file, where, reason, line=line))
            return
        if rtype == "Bundle":
            self._add_bundle(data, prefix, line)
            return
        is_read = rtype in READ_TYPES
        if not is_read:
            self.skipped[f"FHIR resources of a type emrlint does not read: {rtype}"] += 1
            if not self.keep_unread:
                return
        fid = data.get("id") if isinstance(data.get("id"), str) else None
        if fid is not None:
            key = (rtype, fid)
            if key in self._seen:
                self.skipped["FHIR resources repeated (same type and id): the first was read"] += 1
                return
            self._seen.add(key)
        resource = Resource(
            data,
            rtype,
            fid,
            full_url if isinstance(full_url, str) else None,
            prefix,
            line,
            len(self.resources),
            self.file,
            is_read,
        )
        self.resources.append(resource)

    def _add_bundle(self, bundle: dict[str, Any], prefix: str, line: int | None) -> None:
        entries = bundle.get("entry")
        if self.keep_unread:
            self._add_bundle_shell(bundle, prefix, line)
        if entries is None:
            return
        if not isinstance(entries, list):
            where = prefix.strip() or "whole file"
            self.problems.append(
                InputProblem(self.file, where, "Bundle.entry is not a list", line=line)
            )
            return
        for index, entry in enumerate(entries):
            where = f"{prefix}entry [{index}] "
            if not isinstance(entry, dict):
                self.problems.append(
                    InputProblem(
                        self.file, where.strip(), "Bundle entry is not an object", line=line
                    )
                )
                continue
            resource = entry.get("resource")
            if resource is None:
                self.skipped["FHIR Bundle entries without a resource (requests, responses)"] += 1
                continue
            self.add(resource, where, line, entry.get("fullUrl"))

    def _add_bundle_shell(self, bundle: dict[str, Any], prefix: str, line: int | None) -> None:
        """The Bundle without its entries' resources, for validation of the Bundle itself."""
        shell = {key: value for key, value in bundle.items() if key != "entry"}
        if isinstance(bundle.get("entry"), list):
            shell["entry"] = [
                {key: value for key, value in entry.items() if key != "resource"}
                if isinstance(entry, dict)
                else entry
                for entry in bundle["entry"]
            ]
        fid = bundle.get("id") if isinstance(bundle.get("id"), str) else None
        self.resources.append(
            Resource(
                shell,
                "Bundle",
                fid,
                None,
                prefix,
                line,
                len(self.resources),
                self.file,
                False,
            )
        )


def collect_stream(
    stream: BinaryIO,
    file: str,
    name_says_ndjson: bool,
    keep_unread: bool = False,
    collection: Collection | None = None,
) -> Collection:
    """Read a whole input (into `collection`, to read several files together): NDJSON when
    the name says so or when the first line is a complete JSON value; otherwise one JSON
    document (at most the record limit)."""
    if collection is None:
        collection = Collection(file, keep_unread)
    collection.file = file
    first, first_value = first_line(stream)
    if name_says_ndjson or first_value is not None:
        lines = _ndjson_lines(first, first_value, stream)
        head = list(itertools.islice(lines, 2))  # a file of one line is read as a document
        _collect_lines(collection, itertools.chain(head, lines), single=len(head) == 1)
        return collection
    return _collect_document(collection, first, stream)


def collect_each_line(
    stream: BinaryIO, file: str, name_says_ndjson: bool, keep_unread: bool = False
) -> Iterator[Collection]:
    """An NDJSON input one line at a time, a Collection for each, for feeds whose every line is
    a whole stay (`ndjson = "stay-per-line"`): nothing of a line is kept once the next is read.
    Any other input is one Collection, as `collect_stream` reads it."""
    first, first_value = first_line(stream)
    if not (name_says_ndjson or first_value is not None):
        yield _collect_document(Collection(file, keep_unread), first, stream)
        return
    for number, raw in _ndjson_lines(first, first_value, stream):
        yield line_collection(number, raw, file, keep_unread)


def line_collection(number: int, raw: Any, file: str, keep_unread: bool = False) -> Collection:
    """One NDJSON line (raw bytes, or its parsed value) as a Collection of its own, its
    positions ``line N …``."""
    collection = Collection(file, keep_unread)
    _collect_lines(collection, [(number, raw)], single=False)
    return collection


def first_line(stream: BinaryIO) -> tuple[bytes, Any]:
    """The first line (without a byte-order mark) and its JSON value, if it is a whole one."""
    first = stream.readline(MAX_RECORD_BYTES + 1)
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    if len(first) <= MAX_RECORD_BYTES and first.strip():
        try:
            return first, orjson.loads(first)
        except orjson.JSONDecodeError:
            pass
    return first, None


def _ndjson_lines(first: bytes, first_value: Any, stream: BinaryIO) -> Iterator[tuple[int, Any]]:
    """Numbered lines: the first already read (parsed, if it parsed), then the rest, raw; a
    first line over the record limit is read through and given as one `OversizedLine`, as
    `bounded_lines` gives any other."""
    if first_value is not None:
        yield 1, first_value
    elif len(first) > MAX_RECORD_BYTES and not first.endswith(b"\n"):
        while first and not first.endswith(b"\n"):
            first = stream.readline(MAX_RECORD_BYTES)
        yield 1, OversizedLine()
    elif first.strip():
        yield 1, first
    yield from numbered_lines(bounded_lines(stream), start=2)


def _collect_document(collection: Collection, first: bytes, stream: BinaryIO) -> Collection:
    """The input is one JSON document: read it whole, up to the record limit."""
    file = collection.file
    content = first + stream.read(MAX_RECORD_BYTES + 1)
    if len(content) > MAX_RECORD_BYTES:
        collection.problems.append(
            InputProblem(
                file,
                "whole file",
                f"a FHIR JSON document larger than {MAX_RECORD_BYTES // 2**20} MiB; "
                "split it, or export NDJSON (one resource per line)",
            )
        )
        return collection
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError as error:
        line, column = json_error_at(content, error)
        reason = f"invalid JSON (column {column}): {error.msg}"
        collection.problems.append(InputProblem(file, f"line {line}", reason, line=line))
        return collection
    collection.add(data, "", None)
    return collection


def collect_lines(collection: Collection, lines: Iterable[bytes | OversizedLine]) -> None:
    """Add every line of one NDJSON file to `collection` (positions ``line N …``)."""
    _collect_lines(collection, list(numbered_lines(lines, start=1)), single=False)


def numbered_lines(
    lines: Iterable[bytes | OversizedLine], start: int
) -> Iterator[tuple[int, bytes | OversizedLine]]:
    """Lines with their numbers from `start`; blank lines are skipped, not counted as data."""
    for number, raw in enumerate(lines, start=start):
        if isinstance(raw, OversizedLine) or raw.strip():
            yield number, raw


def _collect_lines(collection: Collection, lines: Iterable[tuple[int, Any]], single: bool) -> None:
    for number, raw in lines:
        prefix = "" if single else f"line {number} "
        line = None if single else number
        if isinstance(raw, OversizedLine):
            reason = f"line longer than the limit of {MAX_RECORD_BYTES // 2**20} MiB; skipped"
            collection.problems.append(
                InputProblem(collection.file, f"line {number}", reason, line=number)
            )
            continue
        if isinstance(raw, bytes):
            text = raw.strip()
            if number == 1 and text.startswith(b"\xef\xbb\xbf"):
                text = text[3:]
            try:
                raw = orjson.loads(text)
            except orjson.JSONDecodeError as error:
                collection.problems.append(
                    InputProblem(
                        collection.file,
                        f"line {number}",
                        f"invalid JSON (column {json_error_at(text, error)[1]}): {error.msg}",
                        line=number,
                    )
                )
                continue
        collection.add(raw, prefix, line)


def detect_version(resources: Iterable[Resource]) -> str:
    """R5 when any resource has an element only R5 has; otherwise R4 (R4 and R4B content look
    the same for every element emrlint reads)."""
    for resource in resources:
        if _is_r5(resource.rtype, resource.data):
            return "R5"
    return "R4"


def _is_r5(rtype: str, data: dict[str, Any]) -> bool:
    if rtype == "Encounter":
        return "actualPeriod" in data or "admission" in data or isinstance(data.get("class"), list)
    if rtype == "Procedure":
        return any(key.startswith("occurrence") for key in data)
    if rtype == "MedicationAdministration":
        return any(key.startswith("occurence") for key in data) or "encounter" in data
    if rtype == "MedicationRequest":
        return isinstance(data.get("medication"), dict)
    if rtype == "DocumentReference":
        return isinstance(data.get("context"), list) or "attester" in data
    if rtype == "ServiceRequest":
        code = data.get("code")
        return isinstance(code, dict) and ("concept" in code or "reference" in code)
    return False
