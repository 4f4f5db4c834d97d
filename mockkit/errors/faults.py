"""The fault types: what a transport can carry out, and what each SDK makes of it.

Every factory in `mockkit.errors` returns a `Fault`. `fault.respond(request)` is the one
interface the transports share: it returns the HTTP `Response` to send, raises a
`TransportFault` for failures below HTTP, or returns `None` (`slow()` without `then=`: only a
delay, then the usual answer). Everything else a fault offers (a `responses` stub, the
exception an SDK raises, a side effect for a mock, the docs table's row) is built on
`respond()` and on the client-library mappings in `mockkit.errors.clients`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

import requests
import responses

from mockkit.errors import clients
from mockkit.errors.clients import SDK, Reply
from mockkit.errors.clients.stripe import STRIPE_DEFAULT_TIMEOUT
from mockkit.errors.clients.stripe import library as stripe_library
from mockkit.errors.simulated import MAX_SERVED_HOLD, SimulatedFault, SimulatedReadTimeout
from mockkit.http import Request, Response
from mockkit.transport import TransportFault, request_from_prepared

__all__ = ["Fault", "HTTPFault", "Outcome", "Slow", "SocketFault"]


@dataclass(frozen=True)
class Outcome:
    """What a client sees for a fault: the exception per SDK and stripe-python's attempts.

    Computed by running the fault's answer through the SDKs' own code (stripe-python's error
    mapping and retry rule, authlib's token-response parsing), so it is what they do, not what
    we believe they do; the test suite checks each against real calls.
    """

    stripe: str
    stripe_attempts: int
    requests: str
    authlib: str
    served: str
    #: What plain httpx (or httpx2) raises in-process.
    httpx: str = "-"
    #: Requests stripe-python's async client (`*_async`, over httpx) sends for one call.
    stripe_async_attempts: int = 0


class Fault(Exception):
    """A failure a transport can carry out. Base of everything `mockkit.errors` returns.

    Subclasses implement `respond()`; everything else (stubs, side effects, the SDK
    outcome) is built on it.

    A fault is an `Exception` for one reason only: code that raises whatever exception it is
    given (`responses.add(..., body=fault)`, `Mock(side_effect=fault)`) raises the fault, and
    its message says how to use a fault there. Raising one yourself carries nothing out.
    """

    #: The SDK whose exception `side_effect()` raises when none is named (None: must name one).
    sdk: SDK | None = None
    #: What the loopback server does for this fault, in a few words (for the docs table).
    served: str = "answers the same HTTP response"

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __repr__(self) -> str:
        return f"<Fault {self.name}>"

    def __str__(self) -> str:
        return (
            f"mockkit.errors {self.name} was raised as an exception (given to responses as "
            "body=, or to a mock as side_effect=?). A fault describes what the provider or the "
            "network does; each transport turns it into what the client library sees. With "
            f"responses, register it with `fault.stub(rsps, method, url)` (or "
            "`rsps.add_callback(method, url, callback=fault.callback())`) and requests raises "
            "what it raises for it; with a mock, use `side_effect=fault.side_effect('stripe')` "
            "(or 'authlib', 'requests'); on a fake, `fake.inject(fault, ...)`."
        )

    # ---- the transport interface ------------------------------------------------------------

    def respond(self, request: Request) -> Response | None:
        """The HTTP answer for `request`; raises `TransportFault` for failures below HTTP."""
        raise NotImplementedError

    # ---- responses ---------------------------------------------------------------------------

    def callback(
        self, then: Response | Fault | None = None
    ) -> Callable[[requests.PreparedRequest], tuple[int, list[tuple[str, str]], bytes]]:
        """A `responses` callback that answers with this fault (`then`: after a mere delay)."""

        def callback(
            prepared: requests.PreparedRequest,
        ) -> tuple[int, list[tuple[str, str]], bytes]:
            request = request_from_prepared(prepared)
            try:
                response = self.respond(request)
                if response is None:
                    response = _resolve(then, request)
            except TransportFault as fault:
                raise fault.to_requests_exception(prepared) from None
            if response is None:
                raise requests.ConnectionError(
                    f"mockkit: {self.name} only delays; stub it with then=<a Response or "
                    "fault> to say what answers after the delay",
                    request=prepared,
                )
            return response.status, list(response.headers), response.body

        return callback

    def stub(
        self,
        rsps: responses.RequestsMock | None = None,
        method: str = "GET",
        url: str | re.Pattern[str] = re.compile(r".*"),
        *,
        then: Response | Fault | None = None,
        match: Iterable[Any] = (),
    ) -> responses.BaseResponse:
        """Register this fault as the answer to `method url` on a `responses` mock.

        `rsps` defaults to the `responses` module's own mock (`@responses.activate`). `match`
        takes `responses.matchers`. Returns the registered stub, whose `call_count` counts
        the attempts the client made.
        """
        if isinstance(self, Slow) and then is None and self.then is None:
            raise ValueError(
                f"{self.name} as a stub needs then=: a stub has no usual answer to fall back on"
            )
        target: Any = rsps if rsps is not None else responses.mock
        return target.add_callback(  # type: ignore[no-any-return]
            method.upper(),
            url,
            callback=self.callback(then),
            content_type=None,
            match=tuple(match),
        )

    # ---- what the SDKs raise -----------------------------------------------------------------

    def _reply(self, request: Request) -> Reply:
        """What this fault does to `request`: its response, or the transport failure it raises."""
        try:
            response = self.respond(request)
        except TransportFault as failure:
            return failure
        if response is None:
            raise ValueError(f"{self.name} without then= only delays: it raises nothing")
        return response

    def answer(
        self, sdk: SDK = "requests", method: str | None = None, url: str | None = None
    ) -> Response | BaseException:
        """This fault's answer to one probe request: a `Response`, or the `requests` exception."""
        request = clients.get(sdk).probe(method, url)
        reply = self._reply(request)
        if isinstance(reply, TransportFault):
            return clients.get("requests").transport_exception(reply, request)
        return reply

    def exception(
        self, sdk: SDK = "stripe", method: str | None = None, url: str | None = None
    ) -> BaseException:
        """The exception the SDK raises for this fault (after its retries, if any).

        `sdk="stripe"`: built by stripe-python's own error mapping, exactly as a failed API
        call raises it (`stripe.CardError` with its `code`, `json_body`, `request_id`, ...).
        `sdk="authlib"`: what authlib's `fetch_token()` raises for it on a token endpoint.
        `sdk="requests"`: the `requests` exception, or the `HTTPError` that
        `raise_for_status()` raises. A fault the SDK takes as success raises `ValueError`.
        (Each library is a module of `mockkit.errors.clients`.)
        """
        library = clients.get(sdk)
        request = library.probe(method, url)
        exc = library.raised(self._reply(request), request)
        if exc is None:
            raise ValueError(f"{sdk} raises nothing for {self.name}: it reads as a success")
        return exc

    def side_effect(self, sdk: SDK | None = None) -> Callable[..., Any]:
        """A callable for `mock.side_effect` / `mockkit_patch`: it raises what the SDK raises.

        For `sdk="requests"` an HTTP-level fault is *returned* as a `requests.Response`
        (requests raises nothing for a 500); transport faults raise. Each call builds a fresh
        exception (new `Request-Id`), as each real failed call would.
        """
        chosen = sdk or self.sdk
        if chosen is None:
            raise TypeError(
                f"say which SDK's exception {self.name} stands for: "
                "side_effect('stripe'), side_effect('authlib') or side_effect('requests')"
            )
        library = clients.get(chosen)
        name = self.name

        def side_effect(*args: Any, **kwargs: Any) -> Any:
            request = library.probe()
            return library.result(self._reply(request), request, name)

        side_effect.__name__ = f"raise_{re.sub(r'[^0-9a-zA-Z_]', '_', name)}"
        side_effect.__doc__ = f"Raise what {chosen} raises for mockkit.errors {name}."
        return side_effect

    def raise_(self, sdk: SDK | None = None) -> NoReturn:
        """Raise the SDK's exception for this fault now."""
        self.side_effect(sdk)()
        raise AssertionError("unreachable")  # pragma: no cover - side_effect raised

    # ---- documentation -----------------------------------------------------------------------

    def stripe_retried(self) -> bool:
        """Whether stripe-python retries this failure (its own `_should_retry` decides)."""
        request = stripe_library.probe()
        return stripe_library.retried(self._reply(request), request)

    def stripe_attempts(self, max_network_retries: int = 2) -> int:
        """How many requests stripe-python sends for one call that meets this fault every time."""
        return 1 + max_network_retries if self.stripe_retried() else 1

    def stripe_async_attempts(self, max_network_retries: int = 2) -> int:
        """The same for stripe-python's async methods, over its `HTTPXClient`.

        It differs for failures below HTTP: that client retries every one of them (a TLS
        failure and a cut body too), where the `requests` one does not.
        """
        request = stripe_library.probe()
        retried = stripe_library.retried(self._reply(request), request, async_client=True)
        return 1 + max_network_retries if retried else 1

    def outcome(self) -> Outcome:
        """What each SDK raises for this fault, and stripe-python's attempts (default retries)."""
        # A provider's own fault only means something to its own SDK.
        for_stripe = self.sdk in (None, "stripe")
        for_authlib = self.sdk in (None, "authlib")
        return Outcome(
            stripe=self._label("stripe") if for_stripe else "-",
            stripe_attempts=self.stripe_attempts() if for_stripe else 0,
            requests=self._label("requests"),
            authlib=self._label("authlib") if for_authlib else "-",
            served=self.served,
            httpx=self._label("httpx"),
            stripe_async_attempts=self.stripe_async_attempts() if for_stripe else 0,
        )

    def _label(self, sdk: SDK) -> str:
        library = clients.get(sdk)
        request = library.probe()
        return library.label(self._reply(request), request)


class HTTPFault(Fault):
    """A failure expressed as an HTTP response (a status, headers and a body).

    Served, the response is sent as is; in-process, `requests` receives it as is.
    """

    served = "answers the same HTTP response"

    def __init__(self, name: str, build: Callable[[Request], Response], sdk: SDK | None = None):
        super().__init__(name)
        self._build = build
        self.sdk = sdk

    def respond(self, request: Request) -> Response:
        """A fresh response (fresh `Request-Id`) for every request."""
        return self._build(request)


class SocketFault(Fault):
    """A failure below HTTP: raises a `Simulated*` `TransportFault` for the transport to enact."""

    def __init__(
        self,
        name: str,
        error: type[SimulatedFault],
        served: str,
        *,
        hold: float = 10.0,
        body: bytes = b"",
        keep: float = 0.5,
        status: int = 200,
    ) -> None:
        super().__init__(name)
        self.error = error
        self.served = served
        self.hold = hold
        self.body = body
        self.keep = keep
        self.status = status

    def respond(self, request: Request) -> Response:
        """Raise the transport failure (it never answers in HTTP)."""
        raise self.error(fault=self)


class Slow(Fault):
    """A delay before the answer; past the client's read timeout it is a read timeout.

    In-process no time passes: if the client's timeout (seen on the request) is shorter than
    `seconds`, `requests.ReadTimeout` is raised at once; otherwise the delay is recorded in
    `delays` and the request gets `then` (or, on a fake, its usual answer). Served, the server
    really waits (at most `MAX_SERVED_HOLD` seconds), so the client's own timer decides.
    """

    def __init__(self, seconds: float, then: Response | Fault | None = None) -> None:
        if seconds < 0:
            raise ValueError("slow() needs a delay of 0 seconds or more")
        super().__init__(f"slow({seconds:g})")
        self.seconds = seconds
        self.then = then
        self.hold = seconds
        #: Delays that passed in-process (virtually), one per request that met this fault.
        self.delays: list[float] = []
        self.served = f"waits {seconds:g} s for real, then answers"

    def respond(self, request: Request) -> Response | None:
        """Time out at once past the client's read timeout; else delay (virtually) and answer."""
        if request.served:
            time.sleep(min(self.seconds, MAX_SERVED_HOLD))
            return _resolve(self.then, request)
        limit = _read_timeout(request.timeout)
        if limit is not None and self.seconds >= limit:
            raise SimulatedReadTimeout(fault=self)
        self.delays.append(self.seconds)
        return _resolve(self.then, request)

    def outcome(self) -> Outcome:
        """Past stripe-python's 80 s timeout a read timeout; for others, their timeout decides."""
        base = super().outcome() if self.then is not None else None
        timed_out = f"requests.ReadTimeout if timeout < {self.seconds:g} s"
        if self.seconds >= STRIPE_DEFAULT_TIMEOUT:
            stripe_raises, attempts = "stripe.APIConnectionError", self.stripe_attempts()
        else:
            stripe_raises = base.stripe if base else "nothing (usual answer)"
            attempts = base.stripe_attempts if base else 1
        then = base.requests if base else "the usual answer"
        async_attempts = (
            self.stripe_async_attempts()
            if self.seconds >= STRIPE_DEFAULT_TIMEOUT
            else (base.stripe_async_attempts if base else 1)
        )
        return Outcome(
            stripe=stripe_raises,
            stripe_attempts=attempts,
            requests=f"{timed_out}, else {then}",
            authlib=f"{timed_out}, else {base.authlib if base else 'the usual answer'}",
            served=self.served,
            httpx=(
                f"httpx.ReadTimeout if timeout < {self.seconds:g} s, else "
                f"{base.httpx if base else 'the usual answer'}"
            ),
            stripe_async_attempts=async_attempts,
        )


def _resolve(then: Response | Fault | None, request: Request) -> Response | None:
    if then is None or isinstance(then, Response):
        return then
    return then.respond(request)


def _read_timeout(timeout: Any) -> float | None:
    if isinstance(timeout, tuple):
        timeout = timeout[1] if len(timeout) > 1 else timeout[0]
    return float(timeout) if isinstance(timeout, int | float) else None
