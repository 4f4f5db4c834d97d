"""The local sandbox: mockkit's own fakes served on loopback, for recording cassettes.

Recording against the local sandbox works exactly like recording against Stripe test mode or a
real OAuth app, with no account and no network: the app is pointed at a served fake, vcrpy
records the real HTTP exchange, and the host map stores the canonical hosts, so the cassette
replays for an app configured for the real provider.
"""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Any

from mockkit import providers
from mockkit.cassettes.core import SANDBOX_ENV, Cassette
from mockkit.cassettes.hosts import HostMap
from mockkit.transport import block_network

__all__ = ["SANDBOX_ENV", "Sandbox", "local_fakes"]


def local_fakes(hosts: set[str]) -> list[Any]:
    """Fresh fakes (with their default client and user) answering every host in `hosts`."""
    fakes: list[Any] = []
    unknown: list[str] = []
    for host in sorted(hosts):
        provider = providers.for_host(host)
        if provider is None or host.rstrip("/") not in provider.hosts:
            unknown.append(host)
            continue
        if any(host.rstrip("/") in fake.hosts for fake in fakes):
            continue
        fake = provider.fake_class()()
        fakes.append(fake.with_defaults() if provider.oauth else fake)
    if unknown:
        raise ValueError(
            f"the local sandbox has no fake for {', '.join(unknown)}; "
            "record this one against the real provider (MOCKKIT_SANDBOX=provider)"
        )
    return fakes


class Sandbox:
    """Where the code under test should send provider traffic while a cassette is in use.

    `sandbox.url("https://api.stripe.com")` is the canonical URL when replaying or when
    recording against the real provider (`MOCKKIT_SANDBOX=provider`), and the URL of a served
    fake when recording against the local sandbox (the default); the served fake's port is
    mapped back to the canonical host in the cassette. `sandbox.fake(...)` gives that fake
    (None otherwise), e.g. to seed state or to log a user in. While recording against the
    local sandbox the network is blocked except for loopback, so nothing reaches a provider.
    """

    def __init__(self, cassette: Cassette, kind: str | None = None) -> None:
        self.cassette = cassette
        # The cassette's sandbox ($MOCKKIT_SANDBOX, else use(sandbox=...)) unless told here.
        self.kind = (kind or cassette.sandbox or "local").strip().lower()
        if self.kind not in ("local", "provider"):
            raise ValueError(f"${SANDBOX_ENV} must be 'local' or 'provider', not {self.kind!r}")
        self._stack = contextlib.ExitStack()
        self._served: dict[str, tuple[Any, str]] = {}
        if self.local:
            # Recording against the local sandbox must never reach a real provider: a request
            # the test forgot to route through url() fails at once instead of going out.
            self._stack.enter_context(block_network())

    @property
    def local(self) -> bool:
        """True when requests go to mockkit's served fakes (recording, local sandbox)."""
        return not self.cassette.replaying and self.kind == "local"

    def _serve(self, canonical: str) -> tuple[Any, str]:
        canonical = canonical.rstrip("/")
        if canonical not in self._served:
            (fake,) = local_fakes({canonical})
            server = self._stack.enter_context(fake.serve())
            for host in fake.hosts:
                self._served[host.rstrip("/")] = (fake, server.url)
            self.cassette.add_hosts(HostMap.for_served([(server.url, fake)]))
        return self._served[canonical]

    def url(self, canonical: str) -> str:
        """The base URL to configure for `canonical` (e.g. STRIPE_API_BASE)."""
        if not self.local:
            return canonical.rstrip("/")
        return self._serve(canonical)[1]

    def fake(self, canonical: str) -> Any:
        """The served fake answering `canonical`, or None when not using the local sandbox."""
        if not self.local:
            return None
        return self._serve(canonical)[0]

    def close(self) -> None:
        """Stop every served fake."""
        self._stack.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
