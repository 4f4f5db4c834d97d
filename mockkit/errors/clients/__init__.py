"""What each client library raises for a fault: one module per library, found by its name.

A fault says what the provider (or the network) does; what the application sees depends on the
library between it and the wire. Each module in this package (`requests`, `stripe`, `authlib`)
defines `library`, a `ClientLibrary` saying for that library:

- `transport_exception()`: the exception it raises in-process for a failure below HTTP (a
  `mockkit.errors.simulated.SimulatedFault`), worded as the library words it;
- `probe()`: the request a typical call sends (for `fault.exception(sdk)` and the docs table);
- `raised()`: the exception a call raises for what the fault did (an HTTP `Response`, or a
  transport failure), computed by the library's own code wherever it has that code.

Supporting another client library is one new module here that defines `library`:
`fault.exception(name)`, `fault.side_effect(name)`, `mockkit_patch(..., sdk=name)` and
`SimulatedFault.to_exception(name, request)` find it by its name.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any, ClassVar

from requests.structures import CaseInsensitiveDict

from mockkit.http import Request, Response
from mockkit.transport import TransportFault

__all__ = ["SDK", "ClientLibrary", "Reply", "available", "dotted_name", "get"]

#: The name of a client library: a module of `mockkit.errors.clients` ("stripe", "requests",
#: "authlib", ...).
SDK = str

#: What a fault did to one request: an HTTP answer, or a failure below HTTP.
Reply = Response | TransportFault

#: The request a call through stripe-python sends, and the one authlib's `fetch_token()` sends.
STRIPE_PROBE = ("POST", "https://api.stripe.com/v1/payment_intents")
TOKEN_PROBE = ("POST", "https://oauth.example.com/token")


class ClientLibrary:
    """How one client library meets a fault; subclasses implement `raised()`."""

    #: The library's name, as `fault.exception(name)` takes it.
    name: ClassVar[str] = ""

    def probe(self, method: str | None = None, url: str | None = None) -> Request:
        """The request a typical call through this library sends (`method`/`url` override)."""
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict({"Accept": "application/json"})
        return Request(
            method or STRIPE_PROBE[0], url or STRIPE_PROBE[1], headers=headers, timeout=None
        )

    def transport_exception(self, failure: TransportFault, request: Any) -> BaseException:
        """The exception this library raises in-process for `failure` (default: as requests)."""
        return get("requests").transport_exception(failure, request)

    def raised(self, reply: Reply, request: Request) -> BaseException | None:
        """The exception a call raises when the fault did `reply` (None: it reads as success)."""
        raise NotImplementedError

    def result(self, reply: Reply, request: Request, what: str) -> Any:
        """What a patched call through this library does for `reply`: raise, or return."""
        exc = self.raised(reply, request)
        if exc is None:
            raise ValueError(f"{self.name} raises nothing for {what}: it reads as a success")
        raise exc

    def label(self, reply: Reply, request: Request) -> str:
        """What the docs table says this library raises for `reply`."""
        return dotted_name(self.raised(reply, request))


def get(name: str) -> ClientLibrary:
    """The `ClientLibrary` for `name`, from the module of this package with that name."""
    if name not in available():
        raise ValueError(
            f"mockkit.errors knows no client library {name!r}; it knows "
            f"{', '.join(available())} (one module each in mockkit/errors/clients/)"
        )
    library = importlib.import_module(f"{__name__}.{name}").library
    assert isinstance(library, ClientLibrary)
    return library


def available() -> list[str]:
    """The names of every client library mapped here, sorted."""
    return sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.ispkg)


def dotted_name(exc: BaseException | None) -> str:
    """The shortest public dotted name of the exception's class (`requests.ReadTimeout`)."""
    if exc is None:
        return "nothing"
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    parts = cls.__module__.split(".")
    for end in range(1, len(parts) + 1):
        module = sys.modules.get(".".join(parts[:end]))
        if module is not None and getattr(module, cls.__qualname__, None) is cls:
            return f"{'.'.join(parts[:end])}.{cls.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"
