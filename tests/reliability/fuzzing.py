"""Shared settings of the property-based (Hypothesis) tests: budgets and example counting.

A plain module (not a conftest) so any test can import it; the `tally` fixture and the hooks
that print the counts at the end of a run live in `tests/reliability/summary.py`.
"""

from __future__ import annotations

import collections

from hypothesis import HealthCheck, settings

__all__ = ["FUZZ", "IN_PROCESS_EXAMPLES", "SERVED_EXAMPLES", "Tally"]

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
