"""The synthetic hospital: deterministic, valid, the advertised size, and defect-controlled.

Why these tests: benchmark numbers are only comparable if the same seed gives the same data,
and the defect rate is only meaningful if a rate of 0 really yields clean records.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from emrlint import api
from emrlint.config import Config
from emrlint.model import Episode
from emrlint.parsers import read_paths
from emrlint.synth import (
    SIZES,
    generate,
    item_count,
    write_fhir_ndjson,
    write_hl7v2,
    write_native_jsonl,
)

CORE_RULES = [
    "BW-2010-17-admission-note",
    "BW-2010-22-01-first-progress-note",
    "BW-2010-22-20-discharge-note",
    "HX-2018-02-workday-rounds",
    "BW-2010-22-15-operative-note",
    "BW-2010-22-03-attending-first-round",
    "BW-2010-22-21-death-note",
    "BW-2010-22-22-death-discussion",
    "BW-2010-22-10-routine-consultation",
    "BW-2010-10-consent-signed",
    "BW-2010-22-16-safety-checklist-signed",
]
AS_OF = dt.datetime(2027, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
REPO = Path(__file__).resolve().parents[2]


def _json(episodes: list[Episode]) -> list[str]:
    return [e.model_dump_json() for e in episodes]


def test_same_seed_same_json_different_seed_differs() -> None:
    first = _json(list(generate(15, seed=7)))
    assert first == _json(list(generate(15, seed=7)))
    assert first != _json(list(generate(15, seed=8)))


def test_prefix_does_not_depend_on_count() -> None:
    assert _json(list(generate(5, seed=3))) == _json(list(generate(12, seed=3)))[:5]


def test_episodes_validate_and_round_trip() -> None:
    for episode in generate(30, seed=11):
        assert isinstance(episode, Episode)
        assert episode.id.startswith("SYN-")
        again = Episode.model_validate_json(episode.model_dump_json())
        assert again == episode


def test_distribution_looks_like_a_hospital() -> None:
    episodes = list(generate(300, seed=2, size="small"))
    departments = Counter(e.department for e in episodes)
    assert len(departments) >= 7
    stays = [(e.discharged_at - e.admitted_at).days for e in episodes]  # type: ignore[operator]
    assert min(stays) >= 1 and max(stays) <= 31
    assert sorted(stays)[len(stays) // 2] < sum(stays) / len(stays) + 2  # right-skewed-ish
    assert any(p.is_emergency for e in episodes for p in e.procedures)
    assert {p.level for e in episodes for p in e.procedures} >= {2, 3, 4}
    deaths = sum(1 for e in episodes if e.died_at is not None)
    assert deaths < 0.06 * len(episodes)


@pytest.mark.parametrize(("size", "target"), [("small", 50), ("typical", 150), ("large", 450)])
def test_size_presets(size: str, target: int) -> None:
    episodes = list(generate(60, seed=4, size=size))
    average = sum(item_count(e) for e in episodes) / len(episodes)
    assert 0.7 * target <= average <= 1.3 * target


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError):
        next(generate(1, size="huge"))
    with pytest.raises(ValueError):
        next(generate(1, defect_rate=1.5))
    assert set(SIZES) == {"small", "typical", "large"}


def _statuses(path: Path) -> Counter[tuple[str, str]]:
    config = Config()
    rules = api.load_rules(config, select=CORE_RULES)
    found: Counter[tuple[str, str]] = Counter()
    for result in api.check([str(path)], config, rules, AS_OF):
        assert isinstance(result, api.EpisodeResult), result
        for outcome in result.outcomes:
            found[(outcome.rule_id, outcome.status.value)] += 1
    return found


def test_defect_rate_zero_means_no_failures(tmp_path: Path) -> None:
    path = tmp_path / "clean.jsonl"
    write_native_jsonl(generate(40, seed=5, defect_rate=0.0), path)
    statuses = _statuses(path)
    assert not [key for key in statuses if key[1] == "FAIL"], statuses
    assert sum(n for (_, status), n in statuses.items() if status == "PASS") > 100


def test_positive_defect_rate_gives_failures(tmp_path: Path) -> None:
    path = tmp_path / "defects.jsonl"
    write_native_jsonl(generate(40, seed=5, defect_rate=0.3), path)
    failed = {rule for (rule, status) in _statuses(path) if status == "FAIL"}
    assert {"BW-2010-17-admission-note", "HX-2018-02-workday-rounds"} <= failed


def test_three_formats_read_back(tmp_path: Path) -> None:
    episodes = list(generate(8, seed=9))
    native, fhir, hl7 = tmp_path / "e.jsonl", tmp_path / "e.ndjson", tmp_path / "e.hl7"
    assert write_native_jsonl(iter(episodes), native) == 8
    assert write_fhir_ndjson(iter(episodes), fhir) == 8
    assert write_hl7v2(iter(episodes), hl7) == 8
    tz = dt.timezone(dt.timedelta(hours=8))
    for path in (native, fhir, hl7):
        read = list(read_paths([str(path)], tz))
        assert all(isinstance(e, Episode) for e in read), [
            e for e in read if not isinstance(e, Episode)
        ]
        assert sorted(e.id for e in read) == sorted(e.id for e in episodes)
    first = json.loads(fhir.read_text(encoding="utf-8").splitlines()[0])
    assert first["resourceType"] == "Bundle"


def test_benchmark_script(tmp_path: Path) -> None:
    script = REPO / "benchmarks" / "generate_hospital.py"
    args = ["--episodes", "5", "--seed", "1", "--size", "small", "--out", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, check=True
    )
    assert "episodes: 5" in done.stdout
    assert "average items per episode" in done.stdout
    assert len((tmp_path / "episodes.jsonl").read_text(encoding="utf-8").splitlines()) == 5
