"""The reliability tests' example counts, printed at the end of a run.

Tests count what they tried with the `tally` fixture below; the counts travel
in each test's teardown report (`user_properties`), so under pytest-xdist they reach the
controller with the reports. The two hooks below add them up and print them.

They are imported by `tests/reliability/conftest.py`, which covers `pytest tests/reliability`.
A whole-suite run under xdist (`pytest -n 2`) never loads that conftest in the controller, so
the root `tests/conftest.py` also registers this module (`pytest_plugins`); when both are
active each report is counted once and the summary printed once.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator

import pytest

from tests.reliability.fuzzing import Tally

#: The `user_properties` name a count travels under.
PROPERTY = "mockkit-reliability"

_totals: collections.Counter[str] = collections.Counter()
_seen: set[tuple[str, str]] = set()
_printed: list[bool] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add up the counts of each test's teardown report (in the controller too, under xdist)."""
    if report.when != "teardown" or (report.nodeid, report.when) in _seen:
        return
    _seen.add((report.nodeid, report.when))
    for name, value in report.user_properties:
        if name == PROPERTY:
            surface, n = value
            _totals[str(surface)] += int(n)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many examples each surface was tried with."""
    if not _totals or _printed:
        return
    _printed.append(True)
    terminalreporter.section("reliability: examples tried")
    for surface, n in sorted(_totals.items()):
        terminalreporter.write_line(f"reliability: {n} examples tried on {surface}")
    terminalreporter.write_line(f"reliability: {sum(_totals.values())} examples in all")


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """A per-test example counter; its counts reach the terminal summary."""
    counter = Tally()
    yield counter
    for surface, n in counter.counts.items():
        request.node.user_properties.append((PROPERTY, (surface, n)))
