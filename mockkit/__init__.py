"""mockkit: offline, fast and honest tests for apps that use OAuth login and Stripe payments.

Provider fakes the real SDKs talk to (in-process or over loopback), responses stubs,
monkeypatch helpers, scrubbed vcrpy cassettes and one vocabulary of failures for all of them.
"""

from mockkit.fake import BaseFake, FaultRule
from mockkit.http import Request, Response
from mockkit.transport import LoopbackServer, NetworkBlockedError, block_network, no_retry_sleep

__version__ = "0.1.0"

__all__ = [
    "BaseFake",
    "FaultRule",
    "LoopbackServer",
    "NetworkBlockedError",
    "Request",
    "Response",
    "__version__",
    "block_network",
    "no_retry_sleep",
]
