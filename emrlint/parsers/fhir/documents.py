"""DocumentReference, Composition and DiagnosticReport → documents (病历文书).

The kind comes from the type: emrlint's own record-kind code, the `document_type` table, the
vocabulary's WS/T 500 and LOINC codes (record_kinds.toml), then the vocabulary's Chinese title
patterns on the title. A document of no known kind is skipped and counted: a rule cannot ask
for a kind the vocabulary does not have. The record time is `date` (a DocumentReference's is
an instant; emrlint writes a day-only record time in an extension).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from emrlint.model import Document, Signature
from emrlint.parsers.fhir.conventions import EXT
from emrlint.parsers.fhir.elements import (
    BadElement,
    as_list,
    codings,
    concept_text,
    extension_value,
    extensions,
    string,
    value_of,
)
from emrlint.parsers.fhir.people import clinician
from emrlint.parsers.fhir.scope import Link, Scope
from emrlint.parsers.fhir.source import Resource

__all__ = ["map_composition", "map_diagnostic_report", "map_document_reference"]

_UNKNOWN_KIND = "FHIR documents whose type is not a record kind in the vocabulary or mapping"


def map_document_reference(scope: Scope, resource: Resource) -> tuple[str, dict[str, Any]] | None:
    """The usual carrier of a record (病历文书) in a feed: kind, record time, author, link."""
    data = resource.data
    contents = [item for item in as_list(data.get("content")) if isinstance(item, dict)]
    attachment = contents[0].get("attachment") if contents else None
    attachment = attachment if isinstance(attachment, dict) else {}
    title = string(data.get("description"))
    if title is None and not scope.exact:
        title = string(attachment.get("title"))
    document = _document_head(scope, resource, title)
    if document is None:
        return None
    context = data.get("context")
    if isinstance(context, dict):
        related = as_list(context.get("related"))
        if related:
            document["about"] = scope.link(related[0], resource, "context.related[0]")
    _about_extension(data, document)
    text = _attachment_text(attachment)
    if text is not None:
        document["text"] = text
    sections = [value for item in extensions(data, EXT.section) if (value := value_of(item))]
    if sections:
        document["sections"] = sections
    document.update(scope.fields(data, Document))
    return "documents", document


def _document_head(scope: Scope, resource: Resource, title: str | None) -> dict[str, Any] | None:
    """What DocumentReference and Composition share: kind, title, record time, author,
    participants and signatures; None (counted) for a document of no known kind."""
    data = resource.data
    kind = _kind(scope, data.get("type"), title)
    if kind is None:
        scope.count(_UNKNOWN_KIND)
        return None
    document: dict[str, Any] = {"kind": kind}
    if title is not None:
        document["title"] = title
    written = scope.time(data.get("date"), "date")
    if written is not None:
        document["written_at"] = written
    _author(scope, resource, document)
    _participants_and_signatures(scope, resource, document)
    return document


def map_composition(scope: Scope, resource: Resource) -> tuple[str, dict[str, Any]] | None:
    """A structured record (a FHIR document's Composition): its attesters are the signatures
    the review rules (上级医师审签) read, its sections the completeness rules."""
    data = resource.data
    title = string(data.get("title"))
    document = _document_head(scope, resource, title)
    if document is None:
        return None
    for event in as_list(data.get("event")):
        details = as_list(event.get("detail")) if isinstance(event, dict) else []
        if details:
            detail = details[0]
            if (
                isinstance(detail, dict)
                and "reference" in detail
                and isinstance(detail["reference"], dict)
            ):
                detail = detail["reference"]  # R5: a CodeableReference
            document["about"] = scope.link(detail, resource, "event[0].detail[0]")
            break
    _about_extension(data, document)
    sections = [
        title
        for item in as_list(data.get("section"))
        if isinstance(item, dict)
        if (title := string(item.get("title")))
    ]
    if sections:
        document["sections"] = sections
    document.update(scope.fields(data, Document))
    return "documents", document


def map_diagnostic_report(scope: Scope, resource: Resource) -> tuple[str, dict[str, Any]] | None:
    """A report whose code is a record kind (pathology, imaging report) → a document."""
    data = resource.data
    title = concept_text(data.get("code"))
    kind = _kind(scope, data.get("code"), None)
    if kind is None:
        scope.count("FHIR DiagnosticReport whose code is not a record kind (not read)")
        return None
    document: dict[str, Any] = {"kind": kind}
    if title is not None:
        document["title"] = title
    written = scope.time(data.get("issued"), "issued")
    if written is None:
        written = scope.time(data.get("effectiveDateTime"), "effectiveDateTime")
    if written is not None:
        document["written_at"] = written
    for key in ("resultsInterpreter", "performer"):
        people = as_list(data.get(key))
        author = clinician(scope, people[0], resource, f"{key}[0]") if people else None
        if author is not None:
            document["author"] = author
            break
    conclusion = string(data.get("conclusion"))
    if conclusion is not None:
        document["text"] = conclusion
    based_on = as_list(data.get("basedOn"))
    if based_on:
        document["about"] = scope.link(based_on[0], resource, "basedOn[0]")
    document.update(scope.fields(data, Document))
    return "documents", document


def _kind(scope: Scope, concept: Any, title: str | None) -> str | None:
    found = scope.tables.table("document_type").concept(concept)
    if found is not None:
        return found
    vocabulary = scope.vocabulary
    for coding in codings(concept):
        code = string(coding.get("code"))
        if code is not None:
            found = vocabulary.by_code(coding.get("system"), code)
            if found is not None:
                return found
    for text in (title, concept_text(concept)):
        if text is not None:
            found = vocabulary.by_title(text)
            if found is not None:
                return found
    return None


def _author(scope: Scope, resource: Resource, document: dict[str, Any]) -> None:
    authors = as_list(resource.data.get("author"))
    author = clinician(scope, authors[0], resource, "author[0]") if authors else None
    if author is not None:
        document["author"] = author


def _participants_and_signatures(
    scope: Scope, resource: Resource, document: dict[str, Any]
) -> None:
    data = resource.data
    participants = []
    for index, item in enumerate(extensions(data, EXT.participant)):
        person = clinician(scope, value_of(item), resource, f"extension(participant)[{index}]")
        if person is not None:
            participants.append(person)
    if participants:
        document["participants"] = participants
    signatures = [
        _written_signature(scope, resource, item, index)
        for index, item in enumerate(extensions(data, EXT.signature))
    ]
    if not signatures and not scope.exact:
        signatures = _attesters(scope, resource)
    if signatures:
        document["signatures"] = signatures


def _written_signature(
    scope: Scope, resource: Resource, item: dict[str, Any], index: int
) -> dict[str, Any]:
    signature = scope.fields(item, Signature, prefix="", skip=frozenset({"signer"}))
    signer_ref = next((part.get("valueReference") for part in extensions(item, "signer")), None)
    signer = clinician(scope, signer_ref, resource, f"extension(signature)[{index}].signer")
    if signer is not None:
        signature["signer"] = signer
    return signature


def _attesters(scope: Scope, resource: Resource) -> list[dict[str, Any]]:
    """Composition / R5 DocumentReference attesters, and an R4 DocumentReference authenticator."""
    table = scope.tables.table("signature_role")
    found = []
    for index, attester in enumerate(as_list(resource.data.get("attester"))):
        if not isinstance(attester, dict):
            continue
        mode = attester.get("mode")
        role = table.code(mode) if isinstance(mode, str) else table.concept(mode)
        if role is None:
            scope.count("FHIR attesters whose mode is not a signature role in the mapping")
            continue
        signature: dict[str, Any] = {"role": role}
        signer = clinician(scope, attester.get("party"), resource, f"attester[{index}].party")
        if signer is not None:
            signature["signer"] = signer
        at = scope.time(attester.get("time"), f"attester[{index}].time")
        if at is not None:
            signature["at"] = at
        found.append(signature)
    authenticator = resource.data.get("authenticator")
    if authenticator is not None:
        signer = clinician(scope, authenticator, resource, "authenticator")
        if signer is not None:
            found.append({"role": "reviewer", "signer": signer})
    return found


def _about_extension(data: dict[str, Any], document: dict[str, Any]) -> None:
    about = extension_value(data, EXT.about)
    if isinstance(about, str):
        document["about"] = Link(about)


def _attachment_text(attachment: dict[str, Any]) -> str | None:
    content_type = attachment.get("contentType")
    payload = attachment.get("data")
    if not isinstance(payload, str) or not isinstance(content_type, str):
        return None
    if not content_type.startswith("text/"):
        return None
    try:
        return base64.b64decode(payload, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise BadElement("content[0].attachment.data", "is not base64 of UTF-8 text") from None
