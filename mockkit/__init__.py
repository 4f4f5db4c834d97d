"""mockkit: offline, fast and honest tests for apps that use OAuth login and Stripe payments.

Provider fakes the real SDKs talk to (in-process or over loopback), responses stubs,
monkeypatch helpers, scrubbed vcrpy cassettes and one vocabulary of failures for all of them.

The fakes and the sub-packages (`mockkit.stripe`, `mockkit.oauth`, `mockkit.errors`,
`mockkit.stubs`, `mockkit.patching`, `mockkit.cassettes`) are imported on first use: the pytest
plugin imports this package in every session, and a suite that uses only the Stripe fake should
not pay for loading authlib, vcrpy and the RSA keys of the OAuth fakes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mockkit.fake import BaseFake, FaultRule
from mockkit.http import Request, Response
from mockkit.transport import LoopbackServer, NetworkBlockedError, block_network, no_retry_sleep

if TYPE_CHECKING:
    from mockkit import cassettes, errors, oauth, patching, stripe, stubs
    from mockkit.oauth import GitHubFake, GoogleFake, OIDCProviderFake, login
    from mockkit.stripe import StripeFake

__version__ = "0.1.0"

#: Names resolved on first access: name -> (module, attribute or None for the module itself).
_LAZY: dict[str, tuple[str, str | None]] = {
    "GitHubFake": ("mockkit.oauth", "GitHubFake"),
    "GoogleFake": ("mockkit.oauth", "GoogleFake"),
    "OIDCProviderFake": ("mockkit.oauth", "OIDCProviderFake"),
    "StripeFake": ("mockkit.stripe", "StripeFake"),
    "cassettes": ("mockkit.cassettes", None),
    "errors": ("mockkit.errors", None),
    "login": ("mockkit.oauth", "login"),
    "oauth": ("mockkit.oauth", None),
    "patching": ("mockkit.patching", None),
    "stripe": ("mockkit.stripe", None),
    "stubs": ("mockkit.stubs", None),
}

__all__ = [
    "BaseFake",
    "FaultRule",
    "GitHubFake",
    "GoogleFake",
    "LoopbackServer",
    "NetworkBlockedError",
    "OIDCProviderFake",
    "Request",
    "Response",
    "StripeFake",
    "__version__",
    "block_network",
    "cassettes",
    "errors",
    "login",
    "no_retry_sleep",
    "oauth",
    "patching",
    "stripe",
    "stubs",
]


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'mockkit' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
