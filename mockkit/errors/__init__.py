"""Failures as values: one vocabulary for fakes, `responses` stubs, monkeypatching and servers.

Every factory here returns a `Fault`. The same object works five ways:

- on a fake: `fake.inject(read_timeout(), method="POST", path="/v1/payment_intents")`;
- as a `responses` stub: `read_timeout().stub(rsps, "POST", url)`;
- as a side effect of a monkeypatched function: `fault.side_effect("stripe")` raises exactly
  the exception stripe-python raises for it (built by the SDK's own error mapping);
- as an overlay on a cassette replay (the cassette glue calls `fault.respond(request)`);
- on the loopback server, where transport faults happen for real on the socket (a held
  connection, a TCP reset, a truncated body), so clients other than `requests` see them too.

`fault.respond(request)` is the one interface the transports share: it returns the HTTP
`Response` to send, raises a `TransportFault` for failures below HTTP, or returns `None`
(`slow()` without `then=`: only a delay, then the usual answer).

Provider-shaped faults live in `mockkit.errors.stripe` and `mockkit.errors.oauth`. The package
is small modules around one core: `faults` (the fault types), `simulated` (failures carried
out on a real socket), `clients` (what each client library raises, one module per library),
`factories`, `overlays` (faults before any handler, such as a cassette's replayer) and
`reference` (the catalog and the fault table of docs/faults.md). This module only re-exports
their public names.

The provider vocabularies and the catalog are re-exported on first use (`mockkit.errors.oauth`
loads the OAuth fakes' package, and with it authlib): the pytest plugin imports this package in
every session, and a suite that only stubs Stripe should not pay for authlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mockkit.errors.clients import SDK
from mockkit.errors.factories import (
    connect_timeout,
    connection_refused,
    connection_reset,
    dns_failure,
    empty_body,
    malformed_json,
    rate_limited,
    read_timeout,
    response,
    server_error,
    slow,
    ssl_error,
    truncated_body,
)
from mockkit.errors.faults import Fault, HTTPFault, Outcome, Slow, SocketFault
from mockkit.errors.overlays import overlay
from mockkit.errors.simulated import (
    MAX_SERVED_HOLD,
    SimulatedConnectionRefused,
    SimulatedConnectionReset,
    SimulatedConnectTimeout,
    SimulatedDNSFailure,
    SimulatedFault,
    SimulatedReadTimeout,
    SimulatedSSLError,
    SimulatedTruncatedBody,
)

if TYPE_CHECKING:
    from mockkit.errors import oauth, stripe
    from mockkit.errors.reference import catalog, table

#: Names resolved on first access: name -> (module, attribute or None for the module itself).
_LAZY: dict[str, tuple[str, str | None]] = {
    "catalog": ("mockkit.errors.reference", "catalog"),
    "oauth": ("mockkit.errors.oauth", None),
    "stripe": ("mockkit.errors.stripe", None),
    "table": ("mockkit.errors.reference", "table"),
}

__all__ = [
    "MAX_SERVED_HOLD",
    "SDK",
    "Fault",
    "HTTPFault",
    "Outcome",
    "SimulatedConnectTimeout",
    "SimulatedConnectionRefused",
    "SimulatedConnectionReset",
    "SimulatedDNSFailure",
    "SimulatedFault",
    "SimulatedReadTimeout",
    "SimulatedSSLError",
    "SimulatedTruncatedBody",
    "Slow",
    "SocketFault",
    "catalog",
    "connect_timeout",
    "connection_refused",
    "connection_reset",
    "dns_failure",
    "empty_body",
    "malformed_json",
    "oauth",
    "overlay",
    "rate_limited",
    "read_timeout",
    "response",
    "server_error",
    "slow",
    "ssl_error",
    "stripe",
    "table",
    "truncated_body",
]


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'mockkit.errors' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
