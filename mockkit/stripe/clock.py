"""The account's clock: what "now" is for `created`, `expires_at` and idempotency expiry."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["AccountClock"]


class AccountClock:
    """Unix time from `source` (default `time.time`), read whole seconds as Stripe stamps them.

    `source` may be replaced at any time (`fake.clock = frozen.time`): a test moves time by
    giving the fake another callable.
    """

    def __init__(self, source: Callable[[], float] | None = None) -> None:
        self.source: Callable[[], float] = source or time.time
        #: Seconds added to `source` (`fake.advance(seconds)` moves time without a new source).
        self.offset = 0
        self._pinned: int | None = None

    def now(self) -> int:
        """The current time, in Unix seconds."""
        if self._pinned is not None:
            return self._pinned
        return int(self.source()) + self.offset

    @contextmanager
    def pinned(self, t: int) -> Iterator[None]:
        """While inside, `now()` is `t` (work due at `t`, objects on a test clock)."""
        before, self._pinned = self._pinned, t
        try:
            yield
        finally:
            self._pinned = before
