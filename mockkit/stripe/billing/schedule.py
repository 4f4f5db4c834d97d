"""Due work in time order: renewals, trial ends, draft finalizations, retries, expiries.

Each clock (a test clock, or the fake's own) has a `Timeline`. Resources add an entry when
something becomes due at a known time; advancing the clock pops entries in time order, and each
popped entry is handed back to the resource, which first checks it still applies (an entry
is never removed when its object changes: it is skipped when it comes up, so scheduling and
rescheduling cost O(log n) and a clock advance costs O(work done), not O(objects held)).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

__all__ = ["Due", "Timeline"]


@dataclass(order=True, frozen=True)
class Due:
    """One piece of work due at `at` (Unix seconds) on an object."""

    at: int
    #: Among entries due at the same second, lower runs first (e.g. a renewal before a retry).
    rank: int
    seq: int
    action: str = field(compare=False)
    oid: str = field(compare=False)


class Timeline:
    """The due work of one clock, soonest first."""

    def __init__(self) -> None:
        self._heap: list[Due] = []
        self._seq = 0

    def add(self, at: int, action: str, oid: str, rank: int = 50) -> Due:
        """Schedule `action` on `oid` at `at`."""
        self._seq += 1
        due = Due(at, rank, self._seq, action, oid)
        heapq.heappush(self._heap, due)
        return due

    def pop_due(self, until: int) -> Due | None:
        """The soonest entry due at or before `until` (removed), or None."""
        if self._heap and self._heap[0].at <= until:
            return heapq.heappop(self._heap)
        return None

    def next_at(self) -> int | None:
        """When the soonest entry is due, or None when nothing is scheduled."""
        return self._heap[0].at if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)
