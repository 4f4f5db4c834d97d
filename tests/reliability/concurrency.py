"""Running many clients at once, for the race tests beside each fake's own tests.

Each client is a thread released together with the others behind a barrier; every run is
bounded in threads, requests and time (a join with a timeout), and a client still running at
the end fails the test rather than leaving it hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["THREADS", "TIMEOUT", "run_together"]

#: Clients per race.
THREADS = 32
#: The longest a race may take, barrier and join included (seconds).
TIMEOUT = 60.0


def run_together(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in `n` threads released at once; return their results, in order.

    Bounded: the barrier and the join both time out, and a thread that is still running at
    the end fails the test rather than leaving it hanging.
    """
    barrier = threading.Barrier(n, timeout=TIMEOUT)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not [t for t in threads if t.is_alive()], "some clients never finished"
    assert not errors, errors[:3]
    return results
