"""Shared settings for the reliability tests: fuzz budgets, example counts, network guard.

Every fuzz test records how many examples it tried on which surface (the `tally` fixture of
`summary.py`, whose hooks add the counts up and print them at the end of the run), so a CI
log shows what was tried, not only that nothing failed. The settings live in `fuzzing.py`
(re-exported here for the tests that still import them from this conftest).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockkit.transport import block_network
from tests.reliability.fuzzing import FUZZ as FUZZ
from tests.reliability.fuzzing import IN_PROCESS_EXAMPLES as IN_PROCESS_EXAMPLES
from tests.reliability.fuzzing import SERVED_EXAMPLES as SERVED_EXAMPLES
from tests.reliability.fuzzing import Tally as Tally
from tests.reliability.summary import pytest_runtest_logreport as pytest_runtest_logreport
from tests.reliability.summary import pytest_terminal_summary as pytest_terminal_summary


@pytest.fixture(autouse=True)
def _offline() -> Iterator[None]:
    """Every reliability test runs with outbound sockets blocked except loopback."""
    with block_network():
        yield
