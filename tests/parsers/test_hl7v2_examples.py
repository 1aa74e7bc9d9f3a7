"""The HL7 v2 examples give exactly the findings of their native versions: every rule, every
subject, every status (issue 5). emrlint's Z-segments carry what no standard segment does
(docs/hl7v2-mapping.md, "emrlint Z-segments"), so nothing is left out.

Checked through `emrlint.api` as a user runs it, with the example hospital's configuration
(examples/hl7v2/emrlint.toml), and without any configuration: ZPR carries the surgical level
and invasiveness that the site's catalogues would otherwise give."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path

import pytest

from emrlint.api import EpisodeResult, LoadedRules, check, load_rules
from emrlint.config import Config, load_config
from emrlint.model import Episode
from emrlint.outcomes import Outcome, Status
from emrlint.parsers.context import ParseContext
from emrlint.parsers.hl7v2 import read_hl7v2
from emrlint.parsers.problems import InputProblem
from tests.builders import TZ
from tests.conftest import REPO
from tests.writers.test_hl7v2_writer import SITE

NATIVE = sorted((REPO / "examples" / "native").glob("*.json"))
HL7 = REPO / "examples" / "hl7v2"
AS_OF = dt.datetime(2025, 12, 31, 23, 59, tzinfo=TZ)

Key = tuple[str, str, str, str]  # episode, rule, subject type, subject id


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(HL7 / "emrlint.toml")


@pytest.fixture(scope="module")
def rules(config: Config) -> LoadedRules:
    return load_rules(config)


def _statuses(outcomes: Iterable[Outcome]) -> dict[Key, Status]:
    return {(o.episode_id, o.rule_id, o.subject.type, o.subject.id): o.status for o in outcomes}


def _checked(paths: list[Path], config: Config, rules: LoadedRules) -> dict[Key, Status]:
    results = list(check([str(p) for p in paths], config, rules, AS_OF))
    assert all(isinstance(r, EpisodeResult) for r in results), results
    return _statuses(o for r in results for o in r.outcomes)  # type: ignore[union-attr]


def _hl7_files() -> list[Path]:
    files = [HL7 / f"{path.stem}.hl7" for path in NATIVE]
    assert all(f.exists() for f in files), "examples/hl7v2 is incomplete: regenerate it"
    return files


def test_hl7_examples_give_exactly_the_native_findings(config: Config, rules: LoadedRules) -> None:
    from_native = _checked(NATIVE, config, rules)
    from_hl7 = _checked(_hl7_files(), config, rules)
    assert from_hl7 == from_native
    assert any(s == Status.FAIL for s in from_hl7.values()), "the examples do hold findings"


def test_without_the_site_catalogues_too() -> None:
    """The surgical level and invasiveness travel in ZPR: no catalogue is needed."""
    bare = load_config(None, search_from=Path("/"))
    assert not bare.mappings.get("hl7v2")
    bare_rules = load_rules(bare)
    assert _checked(_hl7_files(), bare, bare_rules) == _checked(NATIVE, bare, bare_rules)


def test_switching_the_z_segments_off_loses_what_only_they_carry() -> None:
    """A site that sets `z_segments = []` reads the standard segments only."""
    [episode] = read_hl7v2(
        (HL7 / "04-rescue-record-late.hl7").open("rb"),
        "04.hl7",
        ParseContext(tz=TZ, mappings={"hl7v2": {**SITE, "z_segments": []}}),
    )
    assert isinstance(episode, Episode)
    assert episode.events == [] and episode.archived_at is None


def test_one_interleaved_archive_of_all_examples_reads_as_the_separate_files() -> None:
    """A day's feed mixes the messages of many stays: grouping by visit must untangle them."""
    messages = [
        line
        for path in _hl7_files()
        for line in path.read_bytes().decode("utf-8").split("\n")
        if line
    ]
    messages.sort(key=lambda m: m.split("|")[6][:14])
    context = ParseContext(tz=TZ, mappings={"hl7v2": SITE})
    stream = io.BytesIO(("\n".join(messages) + "\n").encode("utf-8"))
    together = {e.id: e for e in read_hl7v2(stream, "day.hl7", context)}
    for path in _hl7_files():
        with path.open("rb") as handle:
            [alone] = list(read_hl7v2(handle, path.name, context))
        assert isinstance(alone, Episode) and together[alone.id] == alone
    assert len(together) == len(NATIVE)


FIRST_NOTE = "TXA|1|C0037|TX|20250210123000+0800|"  # EX-04's first progress note, on time


@pytest.mark.parametrize(
    "old, new, reason",
    [
        ("|TX|20250210123000+0800|", "|TX|20250210123X+0800|", "TXA-4 is not a valid date"),
        ("|||first-progress-note|||", "||||||", "TXA-12 unique document number is missing"),
        ("|C0037|", "|X999^其他文书|", "document type (TXA-2) maps to no record kind"),
    ],
    ids=["bad TXA-4 time", "no TXA-12", "unknown TXA-2"],
)
def test_a_damaged_document_makes_its_stay_one_problem_and_the_other_stays_are_checked(
    tmp_path: Path, config: Config, rules: LoadedRules, old: str, new: str, reason: str
) -> None:
    """QA's case: the first progress note of EX-04 was written on time. With its MDM damaged,
    the stay used to be checked without the note (BW-2010-22-01 FAILed falsely, beside a
    problem for the message: two results for one stay) or with its time silently emptied. Now
    the stay is one problem, at its first message and naming the damaged one, and the file's
    other stays are checked as before."""
    texts = [path.read_bytes().decode("utf-8") for path in _hl7_files()]
    messages = [m for text in texts for m in text.split("\n") if m]  # segments end in CR
    intact = tmp_path / "intact.hl7"
    intact.write_bytes(("\n".join(messages) + "\n").encode("utf-8"))
    [note] = [n for n, m in enumerate(messages) if FIRST_NOTE in m]
    assert old in messages[note]
    messages[note] = messages[note].replace(old, new, 1)
    broken = tmp_path / "broken.hl7"
    broken.write_bytes(("\n".join(messages) + "\n").encode("utf-8"))

    before = list(check([str(intact)], config, rules, AS_OF))
    after = list(check([str(broken)], config, rules, AS_OF))

    statuses = _statuses(o for r in before if isinstance(r, EpisodeResult) for o in r.outcomes)
    on_time = ("EX-04", "BW-2010-22-01-first-progress-note", "episode", "EX-04")
    assert statuses[on_time] == Status.PASS
    assert sorted(r.episode_id for r in after) == sorted(r.episode_id for r in before)
    [problem] = [r for r in after if isinstance(r, InputProblem)]  # no EX-04 outcome at all
    assert (problem.episode_id, problem.file) == ("EX-04", str(broken))
    first = next(n for n, m in enumerate(messages) if "|EX-04|" in m)
    assert problem.position.startswith(f"message {first + 1} (ADT^A01, line ")
    assert f"message {note + 1} (MDM^T02, line " in problem.reason and reason in problem.reason
    others = [r for r in after if isinstance(r, EpisodeResult)]
    assert _statuses(o for r in others for o in r.outcomes) == {
        key: status for key, status in statuses.items() if key[0] != "EX-04"
    }
