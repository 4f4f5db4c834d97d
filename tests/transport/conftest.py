"""Async tests here (`async def test_...`) run on asyncio, each in a thread of its own.

A fresh thread and `asyncio.run` per test: a session-wide browser (Playwright's sync API keeps
an event loop running in the main thread) must not stop an async test from starting its own.
"""

from __future__ import annotations

import asyncio
import inspect
import threading

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a coroutine test function to completion on a new event loop in a new thread."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(pyfuncitem.obj(**kwargs))
        except BaseException as exc:  # handed back to the test's own thread
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"async-test-{pyfuncitem.name}")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return True
