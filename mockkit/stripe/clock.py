"""The account's clock: what "now" is for `created`, `expires_at` and idempotency expiry."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Clock"]


class Clock:
    """Unix time from `source` (default `time.time`), read whole seconds as Stripe stamps them.

    `source` may be replaced at any time (`fake.clock = frozen.time`): a test moves time by
    giving the fake another callable.
    """

    def __init__(self, source: Callable[[], float] | None = None) -> None:
        self.source: Callable[[], float] = source or time.time

    def now(self) -> int:
        """The current time, in Unix seconds."""
        return int(self.source())
