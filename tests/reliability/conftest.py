"""Shared settings for the reliability tests: fuzz budgets, example counts, network guard.

Every fuzz test records how many examples it tried on which surface (`tally`); the hooks of
`summary.py` add the counts up and print them at the end of the run, so a CI log shows what
was tried, not only that nothing failed.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from mockkit.transport import block_network
from tests.reliability.summary import PROPERTY
from tests.reliability.summary import pytest_runtest_logreport as pytest_runtest_logreport
from tests.reliability.summary import pytest_terminal_summary as pytest_terminal_summary

#: Settings for the fuzz tests: fixed seed (a failure reproduces), no deadline (the machine is
#: shared and noisy), fixtures reused across examples on purpose (one fake, growing state).
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

#: Examples per surface: in-process calls cost about a millisecond, served ones a few.
IN_PROCESS_EXAMPLES = 1000
SERVED_EXAMPLES = 400


class Tally:
    """Counts examples tried per surface during one test."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()

    def add(self, surface: str, n: int = 1) -> None:
        """Count `n` more examples on `surface`."""
        self.counts[surface] += n


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """A per-test example counter; its counts reach the terminal summary."""
    counter = Tally()
    yield counter
    for surface, n in counter.counts.items():
        request.node.user_properties.append((PROPERTY, (surface, n)))


@pytest.fixture(autouse=True)
def _offline() -> Iterator[None]:
    """Every reliability test runs with outbound sockets blocked except loopback."""
    with block_network():
        yield
