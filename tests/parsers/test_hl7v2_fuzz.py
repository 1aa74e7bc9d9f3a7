"""Mutated and truncated HL7 v2 streams: every case ends, in bounded time, with nothing but
Episodes and InputProblems — never an exception, never an "internal error" problem. Damaged
archives of many stays give one result per stay."""

from __future__ import annotations

import datetime as dt
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emrlint.model import Episode
from emrlint.parsers.hl7v2 import ParsePath
from emrlint.parsers.problems import InputProblem
from emrlint.writers.hl7v2 import episode_to_hl7v2
from tests.parsers.test_hl7v2_helpers import (
    T0,
    adt,
    mdm,
    msh,
    pid,
    pv1,
    read,
    read_bytes,
    seg,
    ts,
)
from tests.strategies import episodes

H = dt.timedelta(hours=1)
SECONDS_PER_CASE = 2.0

BASE = "\n".join(
    [
        adt("A01", T0),
        mdm("d1", T0 + H, signers="D01^褚示例^^^^^住院医师^^^^^^^普外科^" + ts(T0 + 2 * H)),
        "\r".join(
            [
                msh("OMG^O19", T0 + 2 * H),
                pid(),
                pv1(),
                f"ORC|NW|L1|||||||{ts(T0 + 2 * H)}",
                "TQ1|1||ONCE",
                seg("OBR", {1: "1", 2: "L1", 4: "CBC^血常规", 24: "LAB"}),
            ]
        ),
        "\r".join(
            [
                msh("ORU^R01", T0 + 3 * H),
                pid(),
                pv1(),
                seg(
                    "OBR",
                    {1: "1", 2: "L1", 3: "F1", 4: "CBC", 7: ts(T0 + 2 * H), 22: ts(T0 + 3 * H)},
                ),
                "OBX|1|NM|718-7^血红蛋白||45|g/L||LL|||F",
                "OBX|2|TX|X^备注||a\\.br\\b\\F\\c||||||F",
            ]
        ),
        adt("A02", T0 + 4 * H, department="ICU"),
        adt("A12", T0 + 5 * H),
        adt("A03", T0 + 9 * H, discharged=T0 + 9 * H, disposition="20"),
        adt("A13", T0 + 10 * H),
    ]
).encode("utf-8")

NOISE = st.sampled_from(
    [b"\r", b"\n", b"\r\n", b"|", b"^", b"~", b"\\", b"&", b"\x0b", b"\x1c", b"\xef\xbb\xbf",
     b"\xff\xfe", b"MSH|^~\\&|", b"MSH|", b"FHS|", b"\x00", b"\xe4\xb8", b'""', b"99999999"]
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(BASE)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        match draw(st.sampled_from(["insert", "replace", "delete", "flip", "duplicate"])):
            case "insert":
                data[at:at] = draw(NOISE)
            case "replace":
                data[at : at + draw(st.integers(1, 8))] = draw(NOISE)
            case "delete":
                del data[at : at + draw(st.integers(1, 40))]
            case "flip":
                data[at] = draw(st.integers(0, 255))
            case "duplicate":
                end = min(len(data), at + draw(st.integers(1, 200)))
                data[at:at] = data[at:end]
    return bytes(data)


def _read_cleanly(data: bytes, path: ParsePath) -> None:
    started = time.perf_counter()
    result = read_bytes(data, path=path)
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS_PER_CASE, f"{elapsed:.2f} s for {len(data)} bytes"
    for item in [*result.episodes, *result.problems]:
        assert isinstance(item, Episode | InputProblem)
    assert not [p.reason for p in result.problems if "internal error" in p.reason]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_streams_read_cleanly(data: bytes) -> None:
    _read_cleanly(data, "lean")


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(BASE)))
def test_truncated_streams_read_cleanly(cut: int) -> None:
    _read_cleanly(BASE[:cut], "lean")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_streams_read_cleanly_on_the_hl7apy_paths(data: bytes) -> None:
    _read_cleanly(data, "reference")
    _read_cleanly(data, "strict")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_after_an_msh_read_cleanly(tail: bytes) -> None:
    _read_cleanly(b"MSH|^~\\&|" + tail, "lean")


def test_the_unmutated_base_stream_is_one_clean_episode() -> None:
    result = read_bytes(BASE)
    assert result.problems == []
    episode = result.episode
    assert episode.discharged_at is None  # the discharge was cancelled
    assert episode.transfers == []  # and so was the transfer
    assert [o.id for o in episode.observations] == ["F1-1", "F1-2"]
    assert episode.observations[1].value == "a\nb|c"


# ---------------------------------------------------------------- damaged archives of many stays


def _field(message: str, segment: str, position: int, value: str) -> str:
    """`message` with field `position` of its first `segment` replaced (MSH-7 is 7)."""
    segments = message.split("\r")
    for n, text in enumerate(segments):
        if text.startswith(segment + "|"):
            fields = text.split("|")
            index = position - 1 if segment == "MSH" else position
            fields[index] = value
            segments[n] = "|".join(fields)
            break
    return "\r".join(segments)


# How a message is damaged, and whether its stay can still tell: a message cut inside its
# header names no stay, so its stay is read without it (and it is reported on its own).
DAMAGES = {
    "message time": (lambda m: _field(m, "MSH", 7, "2024XX"), True),
    "admission event time": (lambda m: _field(m, "EVN", 6, "2024-13"), True),
    "document number": (lambda m: _field(m, "TXA", 12, ""), True),
    "header cut": (lambda m: m[:12], False),
}


def _applies(damage: str, message: str) -> bool:
    if damage == "admission event time":  # EVN-6 is read in ADT messages
        return "|ADT^" in message.split("\r", 1)[0]
    return damage != "document number" or "\rTXA|" in message


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(episodes(), min_size=1, max_size=4), st.data())
def test_a_damaged_archive_gives_exactly_one_result_per_stay(
    batch: list[Episode], data: st.DataObject
) -> None:
    """Whatever is damaged, each stay gives one result: a damaged stay that can tell is one
    problem naming it (never an episode checked without the damaged part), an intact one is
    the episode it is alone; a message too damaged to name its stay is a problem of its own."""
    stays: dict[str, list[str]] = {}
    for n, episode in enumerate(batch):
        text = episode_to_hl7v2(episode.model_copy(update={"id": f"V{n:02d}"}))
        stays[f"V{n:02d}"] = [m for m in text.split("\n") if m]
    keyed: list[tuple[float, str]] = []
    damaged: set[str] = set()
    touched: set[str] = set()
    cut = 0
    for visit, written in stays.items():
        messages = list(written)
        if data.draw(st.booleans(), label=f"damage {visit}"):
            index = data.draw(st.integers(0, len(messages) - 1), label="message")
            usable = [d for d in DAMAGES if _applies(d, messages[index])]
            damage = data.draw(st.sampled_from(usable), label="damage")
            change, tells = DAMAGES[damage]
            messages[index] = change(messages[index])
            touched.add(visit)
            if tells:
                damaged.add(visit)
            else:
                cut += 1
        # interleaved with the other stays, each stay's messages in their own order
        keys = data.draw(st.lists(st.floats(0, 1), min_size=len(messages), max_size=len(messages)))
        keyed.extend(zip(sorted(keys), messages, strict=True))
    result = read(*(message for _, message in sorted(keyed, key=lambda k: k[0])))

    named = [e.id for e in result.episodes] + [
        p.episode_id for p in result.problems if p.episode_id is not None
    ]
    assert sorted(named) == sorted(stays)  # one result per stay
    assert {p.episode_id for p in result.problems if p.episode_id is not None} >= damaged
    assert sum(p.episode_id is None for p in result.problems) == cut
    for episode in result.episodes:
        if episode.id not in touched:
            assert episode == read(*stays[episode.id]).episode
