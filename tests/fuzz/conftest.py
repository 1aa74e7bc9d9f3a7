"""Fuzz bookkeeping: every fuzz case is timed and bounded; the totals are printed at the end
of the run (number of cases, longest case)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

CASE_LIMIT_SECONDS = 30  # a case running longer than this is a hang, and fails
# Cases per fuzz test: a few thousand in CI; set EMRLINT_FUZZ_EXAMPLES=100000 for a long run.
FUZZ_EXAMPLES = int(os.environ.get("EMRLINT_FUZZ_EXAMPLES", "1500"))


@dataclass
class FuzzLog:
    cases: dict[str, int] = field(default_factory=dict)
    longest: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def case(self, suite: str) -> Iterator[None]:
        def hang(signum: int, frame: Any) -> None:
            raise TimeoutError(f"a {suite} fuzz case ran over {CASE_LIMIT_SECONDS}s")

        previous: Callable[..., Any] | int | None = signal.signal(signal.SIGALRM, hang)
        signal.alarm(CASE_LIMIT_SECONDS)
        started = time.perf_counter()
        try:
            yield
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
            elapsed = time.perf_counter() - started
            self.cases[suite] = self.cases.get(suite, 0) + 1
            self.longest[suite] = max(self.longest.get(suite, 0.0), elapsed)


FUZZ = FuzzLog()


@pytest.fixture
def fuzz() -> FuzzLog:
    return FUZZ


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FUZZ.cases:
        return
    terminalreporter.section("fuzz")
    for suite in sorted(FUZZ.cases):
        terminalreporter.write_line(
            f"{suite}: {FUZZ.cases[suite]} cases, longest {FUZZ.longest[suite] * 1000:.1f} ms"
        )
