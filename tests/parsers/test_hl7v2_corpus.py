"""The public HL7 v2 corpus (../shared/corpus/hl7v2): every message is read or cleanly
reported, and the lean tokenizer and hl7apy (the reference) build identical results."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from emrlint.model import Episode
from emrlint.model.vocabulary import default_vocabulary
from emrlint.parsers import read_paths
from emrlint.parsers.context import ParseContext
from emrlint.parsers.hl7v2 import ParsePath, read_message
from emrlint.parsers.hl7v2.assembly import assemble
from emrlint.parsers.hl7v2.er7 import iter_lines, iter_raw_messages
from emrlint.parsers.hl7v2.facts import MessageFacts, Reading
from emrlint.parsers.hl7v2.mapping import default_mapping
from emrlint.parsers.problems import InputProblem
from tests.builders import TZ

VOCABULARY = default_vocabulary()


def _files(corpus: Path) -> list[Path]:
    files = sorted((corpus / "hl7v2").rglob("*.hl7"))
    assert len(files) > 100, "the corpus is expected to hold the 150 shared messages"
    return files


def _read(path: Path, parse: ParsePath) -> tuple[list[object], list[Episode | InputProblem]]:
    """Per-message results, then what the file assembles into, for one parsing path."""
    reading = Reading(default_mapping(), VOCABULARY, TZ, Counter())
    per_message: list[object] = []
    with path.open("rb") as stream:
        for raw in iter_raw_messages(iter_lines(stream)):
            per_message.append(read_message(raw, reading, path.name, parse))
    facts = [f for f in per_message if isinstance(f, MessageFacts)]
    assembled = list(assemble(facts, reading, path.name))
    return [*per_message, dict(reading.skipped)], assembled


def test_every_corpus_message_is_read_or_cleanly_reported(corpus: Path) -> None:
    started = time.perf_counter()
    context = ParseContext(tz=TZ)
    results = list(read_paths([str(corpus / "hl7v2")], context))
    assert time.perf_counter() - started < 20, "the corpus must read in seconds, not hang"
    assert all(isinstance(r, Episode | InputProblem) for r in results)
    problems = [r for r in results if isinstance(r, InputProblem)]
    assert not [p for p in problems if "internal error" in p.reason]
    assert all(p.position.startswith("message ") for p in problems)
    assert sum(isinstance(r, Episode) for r in results) >= 5
    assert context.skipped, "known message kinds without episode data are counted"


def test_every_corpus_message_is_read_or_cleanly_reported_when_strict(corpus: Path) -> None:
    context = ParseContext(tz=TZ, strict_hl7=True)
    results = list(read_paths([str(corpus / "hl7v2")], context))
    problems = [r for r in results if isinstance(r, InputProblem)]
    assert not [p for p in problems if "internal error" in p.reason]
    assert any(p.reason.startswith("rejected by hl7apy") for p in problems)


def test_lean_tokenizer_and_hl7apy_read_every_corpus_message_identically(
    corpus: Path,
) -> None:
    """The differential test: for each message the facts extracted (or the problem, or the
    counted skip) must be equal, and so must what each file assembles into."""
    differing = []
    for path in _files(corpus):
        lean = _read(path, "lean")
        reference = _read(path, "reference")
        if lean != reference:
            differing.append(path.name)
    assert differing == []


def test_corpus_episodes_carry_what_their_messages_say(corpus: Path) -> None:
    path = corpus / "hl7v2" / "microsoft" / "ADT-A06-01.hl7"
    if not path.exists():
        pytest.skip("ADT-A06-01.hl7 is not in this corpus")
    _, assembled = _read(path, "lean")
    [episode] = assembled
    assert isinstance(episode, Episode)
    assert (episode.id, episode.patient.id) == ("5001", "PATID1234")
    assert [p.id for p in episode.procedures] == ["PR1006"]
    assert [d.role for d in episode.diagnoses] == ["admission"]
