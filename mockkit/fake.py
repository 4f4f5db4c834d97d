"""The shape every provider fake shares: state + routes + errors, behind one `handle()`.

A fake subclasses `BaseFake`, declares the canonical hosts it answers (`hosts`), builds a
`Routes` table and implements `dispatch()`. Everything transport-related lives here and in
`mockkit.transport`: entering the fake (`with fake:`) answers its hosts in-process,
`fake.serve()` answers them over loopback, both on the same state. Fault rules added with
`fake.inject(...)` are applied before routing, in both transports alike.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Protocol

import responses

from mockkit.http import Request, Response
from mockkit.identity import identify, root_page
from mockkit.transport import LoopbackServer, TransportFault, intercept

__all__ = ["BaseFake", "FaultRule", "Injectable", "Route", "Routes"]


class Injectable(Protocol):
    """Anything `fake.inject()` accepts: it answers a request or raises `TransportFault`.

    Every `mockkit.errors.Fault` is one; the protocol keeps this module free of that package.

    `respond()` may also return `None`: the fault only delayed the request (`slow()` without
    `then=`), and the fake answers it as usual.
    """

    def respond(self, request: Request) -> Response | None: ...


# --------------------------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------------------------

_PARAM = re.compile(r"\{(\w+)\}")


@dataclass
class Route:
    """One route: a method, a path template such as `/v1/customers/{id}`, and its handler."""

    method: str
    template: str
    handler: Callable[..., Response]
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        pieces = _PARAM.split(self.template)  # literal, name, literal, name, ...
        pattern = "".join(
            re.escape(piece) if i % 2 == 0 else f"(?P<{piece}>[^/]+)"
            for i, piece in enumerate(pieces)
        )
        self.regex = re.compile(pattern + r"\Z")


class Routes:
    """A small route table: exact paths in a dict, templated paths tried in order.

    `match()` returns the handler and path parameters, or `None` with a hint of the closest
    known route, so a fake can answer an unsupported request with a message that helps.
    """

    def __init__(self) -> None:
        self._exact: dict[tuple[str, str], Route] = {}
        self._templated: list[Route] = []

    def add(self, method: str, template: str, handler: Callable[..., Response]) -> None:
        """Add a route; `{name}` segments become keyword arguments of the handler."""
        route = Route(method.upper(), template, handler)
        if "{" in template:
            self._templated.append(route)
        else:
            self._exact[(route.method, template)] = route

    def route(
        self, method: str, template: str
    ) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
        """Decorator form of `add()`."""

        def decorate(fn: Callable[..., Response]) -> Callable[..., Response]:
            self.add(method, template, fn)
            return fn

        return decorate

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for `method path` and its parameters, or `None`."""
        route = self._exact.get((method, path))
        if route is not None:
            return route, {}
        for route in self._templated:
            if route.method == method:
                m = route.regex.match(path)
                if m:
                    return route, m.groupdict()
        return None

    def all(self) -> list[Route]:
        """Every route, exact ones first."""
        return [*self._exact.values(), *self._templated]

    def allowed_methods(self, path: str) -> list[str]:
        """Methods that some route accepts for `path` (for 405-style messages)."""
        found = []
        for route in self.all():
            if (route.template == path or route.regex.match(path)) and route.method not in found:
                found.append(route.method)
        return found

    def closest(self, method: str, path: str) -> str | None:
        """The known route most like `method path`, as `"METHOD /template"`."""
        candidates = {f"{r.method} {r.template}": r for r in self.all()}
        best = difflib.get_close_matches(f"{method} {path}", list(candidates), n=1, cutoff=0.0)
        return best[0] if best else None


# --------------------------------------------------------------------------------------------
# Fault rules
# --------------------------------------------------------------------------------------------


@dataclass
class FaultRule:
    """When to apply a fault: which requests, after how many, how often, how many times."""

    fault: Injectable
    method: str | None = None
    path: str | re.Pattern[str] | None = None
    times: int | None = 1
    after: int = 0
    every: int | None = None
    seen: int = 0
    fired: int = 0

    def matches(self, request: Request) -> bool:
        """Whether the request is one this rule watches (method and path)."""
        if self.method is not None and request.method != self.method.upper():
            return False
        if self.path is None:
            return True
        if isinstance(self.path, re.Pattern):
            return self.path.search(request.path) is not None
        if any(ch in self.path for ch in "*?["):
            return fnmatch.fnmatchcase(request.path, self.path)
        return request.path == self.path

    def take(self, request: Request) -> bool:
        """Count a watched request; True when the fault fires for it."""
        if not self.matches(request):
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.every is not None and (self.seen - self.after) % self.every != 0:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        self.fired += 1
        return True

    @property
    def exhausted(self) -> bool:
        """True once the rule has fired `times` times."""
        return self.times is not None and self.fired >= self.times


# --------------------------------------------------------------------------------------------
# The base fake
# --------------------------------------------------------------------------------------------


class BaseFake:
    """State + routes + errors for one provider; subclasses fill in the three.

    Subclasses set `hosts` (canonical base URLs answered in-process), implement
    `dispatch(request)` and `reset()` (calling `super().reset()`), and may override
    `internal_error()` to shape the last-resort error like their provider's.
    """

    #: Canonical base URLs (scheme + host) this fake answers in-process.
    hosts: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._rules_lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._in_process: Any = None
        self._mock: responses.RequestsMock | None = None
        #: Every request received, in order (including ones a fault answered).
        self.requests: list[Request] = []

    # ---- to be provided by subclasses ------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """Answer one request from state; subclasses route it."""
        raise NotImplementedError

    def parse(self, request: Request) -> None:
        """Work on `request` that needs none of the fake's state, done before its lock is taken.

        Decoding and validating a large body takes a while: done here, it does not hold up the
        fake's other clients. A fake may keep the result in `request.parsed` for `dispatch`.
        """

    def internal_error(self, request: Request, exc: BaseException) -> Response:
        """The answer when `dispatch` raised unexpectedly (a bug in the fake): a plain 500."""
        return Response.json(
            {"error": "server_error", "error_description": f"mockkit fake failed: {exc!r}"},
            status=500,
        )

    # ---- request handling ------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Log the request, apply any matching fault rule, else dispatch it to the routes.

        Served (not in-process), a browser opening the root URL gets a page saying what the
        server is, and every answer names the provider it stands for (`mockkit.identity`).
        """
        if request.served:
            page = root_page(self, request)
            if page is not None:
                return page  # not provider traffic: neither logged nor faulted
            return identify(self, self._handle(request))
        return self._handle(request)

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
        fault = self._fault_for(request)
        if fault is not None:
            response = fault.respond(request)  # may raise TransportFault
            if response is not None:  # None: a delay only, then the usual answer
                request.status = response.status
                return response
        try:
            self.parse(request)
            with self._lock:
                response = self.dispatch(request)
            # What `parse` made of the request was for `dispatch` only; the request log keeps
            # the request for the test's lifetime, and every object it holds on to is one
            # more for each of Python's full garbage collections to walk.
            request.parsed = None
        except TransportFault:
            raise
        except Exception as exc:  # a bug in the fake: answer, never leak a traceback
            response = self.internal_error(request, exc)
        request.status = response.status
        return response

    def _fault_for(self, request: Request) -> Injectable | None:
        if not self._rules:
            return None
        with self._rules_lock:
            for rule in self._rules:
                if rule.take(request):
                    return rule.fault
        return None

    # ---- faults ----------------------------------------------------------------------------

    def inject(
        self,
        fault: Injectable,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        times: int | None = 1,
        after: int = 0,
        every: int | None = None,
    ) -> FaultRule:
        """Answer matching requests with `fault` instead of the fake's own answer.

        `method`/`path` pick the requests (path: exact, glob such as `/v1/payment_intents*`,
        or a compiled regex; None matches all). `after=N` lets N matching requests through
        first; `every=N` fires on every Nth matching request; `times` caps how often it fires
        (None: no cap). Returns the rule, whose `fired` count a test can assert on.
        """
        if not callable(getattr(fault, "respond", None)):
            raise TypeError(
                f"inject() needs a fault from mockkit.errors (an object with respond()), "
                f"got {fault!r}"
            )
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for no limit")
        if every is not None and every < 1:
            raise ValueError("every must be at least 1")
        if after < 0:
            raise ValueError("after must not be negative")
        rule = FaultRule(fault, method, path, times, after, every)
        with self._rules_lock:
            self._rules.append(rule)
        return rule

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        with self._rules_lock:
            self._rules.clear()

    # ---- state -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget all state, logged requests and fault rules."""
        with self._lock:
            self.requests.clear()
        self.clear_faults()

    # ---- transports ------------------------------------------------------------------------

    def start(self) -> BaseFake:
        """Start answering `hosts` in-process (what `with fake:` does)."""
        if self._in_process is not None:
            raise RuntimeError(f"{type(self).__name__} is already active")
        cm = intercept(self, self.hosts)
        self._mock = cm.__enter__()
        self._in_process = cm
        return self

    def stop(self) -> None:
        """Stop answering in-process."""
        cm, self._in_process, self._mock = self._in_process, None, None
        if cm is not None:
            cm.__exit__(None, None, None)

    @property
    def mock(self) -> responses.RequestsMock:
        """The `responses` mock answering other hosts, to add a test's own stubs beside the fake.

        mockkit's own while the test runs none; the test's own when it started one first.
        """
        if self._in_process is None:
            raise RuntimeError(f"{type(self).__name__} is not active; use `with fake:`")
        if self._mock is None:
            raise RuntimeError(
                "no `responses` mock is active beside the fake: something else patches "
                "requests' HTTPAdapter.send"
            )
        return self._mock

    def register(self, mock: responses.RequestsMock) -> None:
        """Answer this fake's hosts on a `responses` mock the test already runs."""
        from mockkit.transport import register

        register(self, self.hosts, mock)

    def serve(
        self, host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False
    ) -> LoopbackServer:
        """A real HTTP server for this fake (same state); use as `with fake.serve() as server:`.

        Loopback only: another `host` (`0.0.0.0`, a LAN address) raises `ValueError` unless
        `allow_remote=True`, since a fake accepts any credentials.
        """
        return LoopbackServer(self, host=host, port=port, allow_remote=allow_remote)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def calls(self, method: str | None = None, path: str | None = None) -> Iterator[Request]:
        """Logged requests, filtered by method and path (glob allowed)."""
        for r in list(self.requests):
            if method is not None and r.method != method.upper():
                continue
            if path is not None and not fnmatch.fnmatchcase(r.path, path):
                continue
            yield r
