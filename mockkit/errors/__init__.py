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
`reference` (the catalog and the README's table). This module only re-exports their public names.
"""

from __future__ import annotations

from mockkit.errors import oauth, stripe
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
from mockkit.errors.reference import catalog, table
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
