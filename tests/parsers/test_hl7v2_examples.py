"""The HL7 v2 examples give the findings of their native versions, except for the rules listed
below, each of which reads a field HL7 v2 cannot carry (docs/hl7v2-mapping.md, "Round trip").

Checked through `emrlint.api` as a user runs it, with the example hospital's configuration
(examples/hl7v2/emrlint.toml: its surgical-level and invasive-procedure catalogues)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path

import pytest

from emrlint.api import EpisodeResult, LoadedRules, check, evaluate, load_rules
from emrlint.config import Config, load_config
from emrlint.model import Episode
from emrlint.outcomes import Outcome, Status
from emrlint.parsers.context import ParseContext
from emrlint.parsers.hl7v2 import read_hl7v2
from tests.builders import TZ
from tests.conftest import REPO
from tests.writers.test_hl7v2_writer import SITE, carried, native

NATIVE = sorted((REPO / "examples" / "native").glob("*.json"))
HL7 = REPO / "examples" / "hl7v2"
AS_OF = dt.datetime(2025, 12, 31, 23, 59, tzinfo=TZ)

_SIGNATURE_ROLES = "signature roles other than author/reviewer (TXA-22 gives a signer no role)"
_RESCUE = "rescue events (抢救): HL7 v2 has no rescue segment"
_CONSULTATION = "consultations (会诊 request, arrival, completion): not carried"
_HANDOVER = "handover events (交接班): not carried"
_TRANSFUSION = "transfusion events: not carried"
_FRONT_PAGE = "front-page (首页) fields with no HL7 v2 home"

# rule id -> why its outcome on the examples differs between the native and HL7 versions.
DIFFERS_BECAUSE_HL7_CANNOT_CARRY = {
    "BW-2010-10-consent-signed": _SIGNATURE_ROLES + " — patient/proxy signatures",
    "BW-2010-22-08-rescue-record": _RESCUE,
    "BW-2010-22-08-rescue-record-backfill-marked": _RESCUE + "; Document.is_backfilled",
    "BW-2010-22-08-rescue-times-to-minute": _RESCUE,
    "BW-2010-22-10-routine-consultation": _CONSULTATION,
    "BW-2010-22-10-urgent-consultation-arrival": _CONSULTATION,
    "BW-2010-22-16-safety-checklist-signed": _SIGNATURE_ROLES + " — surgeon/nurse/anaesthetist",
    "BW-2010-22-22-death-discussion-chair": _SIGNATURE_ROLES + " — chair; is_department_head",
    "BW-2010-25-transfusion-consent": _TRANSFUSION,
    "HX-2018-03-opinion-recorded-in-progress-notes": _CONSULTATION,
    "HX-2018-03-routine-consultation-completed": _CONSULTATION,
    "HX-2018-05-bedside-handover-critical-patients": _HANDOVER,
    "HX-2018-05-bedside-handover-level4": _HANDOVER,
    "HX-2018-07-rescue-record-signed-by-leader": _RESCUE + "; leader signature role",
    "HX-2018-09-death-discussion-chaired-by-head": _SIGNATURE_ROLES + " — chair",
    "HX-2018-14-critical-value-same-day-note": "critical-value events (危急值 report/receipt)",
    "HX-2018-16-prescriber-entitled-for-tier": "antibiotic tier of an order without a drug code",
    "HX-2018-16-special-antibiotic-after-consultation": _CONSULTATION + "; antibiotic tier",
    "HX-2018-17-indication-assessed-before-transfusion": _TRANSFUSION,
    "HX-2018-17-post-transfusion-evaluation": _TRANSFUSION,
    "MER-DT-05-implant-recorded": "Procedure.has_implant: not carried",
    "MER-DT-06-transfusion-records": _TRANSFUSION,
    "MER-ME-02-specimen-has-pathology-report": "Procedure.has_specimen: not carried",
    "MER-TL-04-front-page-24h": _FRONT_PAGE + " — front_page_completed_at",
    "MER-TQ-01-archived-in-2-workdays": _FRONT_PAGE + " — archived_at",
    "MER-TQ-08-consent-signed": _SIGNATURE_ROLES + " — patient/proxy signatures",
    "NIT-2024-I-reperfusion-early-ischaemic-stroke": "Episode.onset_at: not carried",
    "SY-2016-FP-required-fields": _FRONT_PAGE,
    "SY-2016-FP-rescue-counts": _FRONT_PAGE + " — rescue_count; " + _RESCUE,
}

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


def test_hl7_examples_give_the_native_findings_but_for_fields_hl7_cannot_carry(
    config: Config, rules: LoadedRules
) -> None:
    from_native = _checked(NATIVE, config, rules)
    from_hl7 = _checked(_hl7_files(), config, rules)
    differing = {
        key[1] for key in from_native.keys() | from_hl7.keys()
        if from_native.get(key) != from_hl7.get(key)
    }  # fmt: skip
    unexplained = sorted(differing - DIFFERS_BECAUSE_HL7_CANNOT_CARRY.keys())
    assert unexplained == [], "these rules read something HL7 v2 carries, yet differ"
    assert any(s == Status.FAIL for s in from_hl7.values()), "the examples do hold findings"


def test_every_difference_comes_from_a_field_hl7_cannot_carry(
    config: Config, rules: LoadedRules
) -> None:
    """Stronger: each native example with only what HL7 v2 carries kept (`carried`) gives,
    for every rule, exactly the HL7 version's outcomes."""
    from_hl7 = _checked(_hl7_files(), config, rules)
    for path in NATIVE:
        episode = native(path)
        projected = _statuses(evaluate(carried(episode, SITE), rules, config, AS_OF))
        from_file = {key: status for key, status in from_hl7.items() if key[0] == episode.id}
        assert projected == from_file, path.name


def test_listed_rules_exist(rules: LoadedRules) -> None:
    known = {rule.id for rule in rules.all_rules}
    assert sorted(DIFFERS_BECAUSE_HL7_CANNOT_CARRY.keys() - known) == []


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
