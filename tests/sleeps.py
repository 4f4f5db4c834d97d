"""What stripe-python really slept between its retries, for tests that check none was paid.

Tests assert that retries skipped their backoff by what was slept, never by the wall clock: a
loaded machine makes any call slow, and a timed assertion fails there for no fault of the code.
"""

from __future__ import annotations

import contextlib
import time
import types
from collections.abc import Iterator

from stripe import _http_client

__all__ = ["stripe_sleeps"]


@contextlib.contextmanager
def stripe_sleeps() -> Iterator[list[float]]:
    """Record every `time.sleep` stripe-python's HTTP client makes (it still sleeps them).

    Only the SDK's module sees the recording clock, so a server thread or the code under test
    sleeping elsewhere is neither recorded nor changed.
    """
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    clock = types.SimpleNamespace(
        **{name: getattr(time, name) for name in dir(time) if not name.startswith("__")}
    )
    clock.sleep = sleep
    original = _http_client.time
    _http_client.time = clock  # type: ignore[assignment]
    try:
        yield slept
    finally:
        _http_client.time = original
