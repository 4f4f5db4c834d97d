"""Faults on any handler: `fake.inject()` for a cassette's replayer or a custom handler."""

from __future__ import annotations

import re
import threading
from typing import Any

from mockkit.errors.faults import Fault
from mockkit.fake import BaseFake, FaultRule
from mockkit.http import Request, Response

__all__ = ["overlay"]


_OVERLAY = "_mockkit_fault_overlay"


def overlay(
    handler: Any,
    fault: Fault,
    method: str | None = None,
    path: str | re.Pattern[str] | None = None,
    times: int | None = 1,
    after: int = 0,
    every: int | None = None,
) -> FaultRule:
    """`fake.inject()` for any handler: faults before a cassette replay or any `handle()`.

    `handler` is anything with `handle(request) -> Response` that a transport serves, such as
    `cassette.replayer` inside `with mockkit.cassettes.use(...) as cassette:`. Matching
    requests meet `fault` first (same `method`/`path`/`times`/`after`/`every` rules as
    `inject()`); the others, and a `slow()` without `then=` once its delay is over, reach the
    handler, so a faulted request does not use up a recorded interaction. On a `BaseFake`
    this is `fake.inject()`. Returns the rule (its `fired` count says how often it fired).
    """
    if isinstance(handler, BaseFake):
        return handler.inject(fault, method, path, times, after, every)
    if not callable(getattr(handler, "handle", None)):
        raise TypeError(f"overlay() needs a handler with handle(request), got {handler!r}")
    probe = BaseFake()  # borrow inject()'s argument checks and rule type
    rule = probe.inject(fault, method, path, times, after, every)
    state = handler.__dict__.get(_OVERLAY)
    if state is None:
        rules: list[FaultRule] = []
        lock = threading.Lock()
        inner = handler.handle

        def handle(request: Request) -> Response:
            with lock:
                chosen = next((r.fault for r in rules if r.take(request)), None)
            if chosen is not None:
                response = chosen.respond(request)  # may raise TransportFault
                if response is not None:
                    request.status = response.status
                    return response
            result: Response = inner(request)
            return result

        # An instance attribute: the transports look `handle` up on the instance per request.
        handler.handle = handle
        state = handler.__dict__[_OVERLAY] = rules
    state.append(rule)
    return rule
