"""Mutated and truncated native records: reading and evaluating never raises, and every
record comes back as exactly one result."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emrlint.model import Episode
from emrlint.parsers import InputProblem
from emrlint.parsers.native import bounded_lines, read_jsonl
from tests.builders import TZ
from tests.fuzz.conftest import FUZZ_EXAMPLES
from tests.rules.helpers import outcomes_of
from tests.rules.test_properties import RULES
from tests.strategies import episode_data

AS_OF = dt.datetime(2025, 3, 1, tzinfo=TZ)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@st.composite
def mutated_line(draw: st.DrawFn) -> bytes:
    data = draw(episode_data())
    mutation = draw(st.sampled_from(["replace", "delete", "truncate", "garbage", "keep"]))
    if mutation in ("replace", "delete"):
        path = draw(st.sampled_from(_paths(data)[1:] or [("id",)]))
        parent: Any = data
        for step in path[:-1]:
            parent = parent[step]
        if mutation == "replace":
            parent[path[-1]] = draw(JSON_VALUES)
        elif isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            parent.pop(path[-1])
    text = json.dumps(data, ensure_ascii=False).encode()
    if mutation == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    if mutation == "garbage":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=12)) + text[at:]
    return text.replace(b"\n", b" ")


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(mutated_line(), min_size=1, max_size=4))
def test_mutated_native_records_never_crash_and_are_all_accounted_for(fuzz, lines) -> None:
    with fuzz.case("native records"):
        stream = io.BufferedReader(io.BytesIO(b"\n".join(lines) + b"\n"))
        results = list(read_jsonl(bounded_lines(stream), "<fuzz>", TZ))
        non_blank = sum(1 for line in lines if line.strip())
        assert len(results) == non_blank
        for result in results:
            assert isinstance(result, Episode | InputProblem)
            if isinstance(result, InputProblem):
                assert result.reason and result.position
            else:
                outcomes_of(RULES, result, AS_OF)
