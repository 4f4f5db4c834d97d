"""Shared pieces for the cassette tests: a small provider fake served on loopback.

The toy provider stands in for "a sandbox": recording goes through vcrpy's real stubs over a
real loopback connection, exactly as against Stripe test mode, and the host map stores its
canonical host `https://api.toy.test`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from mockkit import BaseFake, LoopbackServer, Request, Response

TOY = "https://api.toy.test"


class ToyProvider(BaseFake):
    """Answers `POST /token` with OAuth-shaped JSON and anything else with an echo."""

    hosts = (TOY,)

    def __init__(self) -> None:
        super().__init__()
        self.counter = itertools.count(1)
        #: Extra JSON fields of the next responses (e.g. a secret under test).
        self.extra: dict[str, Any] = {}
        #: Extra response headers (e.g. Set-Cookie).
        self.extra_headers: list[tuple[str, str]] = []
        #: A response to send as it is (an encoded body under test), instead of the echo.
        self.raw: Response | None = None
        #: The requests received, as the provider saw them.
        self.received: list[Request] = []

    def dispatch(self, request: Request) -> Response:
        self.received.append(request)
        if self.raw is not None:
            return self.raw
        n = next(self.counter)
        if request.path == "/token":
            body = {"access_token": f"gho_{'t' * 20}{n}", "token_type": "bearer", **self.extra}
        else:
            body = {
                "id": f"obj_{n:010d}",
                "object": "thing",
                "method": request.method,
                "path": request.path,
                "self": f"{request.base_url}/v1/things/obj_{n:010d}",
                **self.extra,
            }
        return Response(200, json.dumps(body), [*self.extra_headers], "application/json")


@pytest.fixture(autouse=True)
def _clean_cassette_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose their record mode themselves: the shell's (or CI's) must not leak in."""
    for name in (
        "CI",
        "MOCKKIT_RECORD_MODE",
        "MOCKKIT_ALLOW_CI_RECORDING",
        "MOCKKIT_SANDBOX",
        "STRIPE_API_KEY",
        "STRIPE_SECRET_KEY",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def toy() -> ToyProvider:
    """A fresh toy provider."""
    return ToyProvider()


@pytest.fixture
def toy_server(toy: ToyProvider) -> Iterator[LoopbackServer]:
    """The toy provider served on 127.0.0.1 (the "local sandbox" of these tests)."""
    with toy.serve() as server:
        yield server


@pytest.fixture
def toy_class() -> type[ToyProvider]:
    """The toy provider class, for tests that need several."""
    return ToyProvider
