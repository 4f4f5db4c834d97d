"""`StripeFake`: a stateful Stripe test-mode account that stripe-python cannot tell from Stripe.

In-process (`with StripeFake() as fake:`) it answers `https://api.stripe.com` (and the hosted
`checkout.stripe.com` / `hooks.stripe.com` pages) through `responses`; served
(`with fake.serve() as server:`) it answers the same routes, on the same state, over HTTP on
127.0.0.1. This module is the HTTP glue, done once for every endpoint: auth (`auth`),
parameter decoding (`params`), idempotency (`idempotency`), `expand` and encoding; plus the
hosted pages (`hosted`) and webhook delivery (`webhooks`). The rules live in each resource's
state, `mockkit.stripe.models`; the endpoints in `mockkit.stripe.routes`.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple

from mockkit.fake import BaseFake
from mockkit.http import Request, Response
from mockkit.providers import hosts_of
from mockkit.stripe import checkout_codes, hosted, incoming, portal, versions, webhooks
from mockkit.stripe.billing.settings import BillingSettings
from mockkit.stripe.encoding import answer
from mockkit.stripe.errors import StripeError, request_id
from mockkit.stripe.expand import expand
from mockkit.stripe.idempotency import Idempotency, Saved
from mockkit.stripe.models.billing_portal_configurations import BillingPortalConfigurations
from mockkit.stripe.models.payment_intents import PaymentIntents
from mockkit.stripe.models.setup_intents import SetupIntents
from mockkit.stripe.models.test_helpers_test_clocks import TestClocks
from mockkit.stripe.routes import ROUTES
from mockkit.stripe.state import StripeState
from mockkit.stripe.webhooks import Delivery, WebhookForwarder
from mockkit.transport import LoopbackServer, no_retry_sleep

__all__ = ["CheckoutError", "LoggedRequest", "StripeFake", "StripeServer"]

_active_lock = threading.Lock()
#: The StripeFake answering api.stripe.com in-process, if any (at most one).
_active: list[StripeFake] = []


class CheckoutError(Exception):
    """`fake.complete_checkout()` was asked to pay a session that cannot be paid."""


class LoggedRequest(NamedTuple):
    """One received request, as tests usually want to see it."""

    method: str
    path: str
    params: Any
    idempotency_key: str | None
    status: int | None


def _copy(obj: dict[str, Any]) -> dict[str, Any]:
    """An independent copy of a stored object, safe for a test to change."""
    copied: dict[str, Any] = json.loads(json.dumps(obj))
    return copied


class StripeServer(LoopbackServer):
    """A served `StripeFake`: `server.url` is the API base, `server.fake` the fake itself.

    When the fake is also active in-process (`with fake:`), requests to `server.url` are let
    through the `responses` mock, so both transports can be used in one test.
    """

    def __init__(self, fake: StripeFake, *args: Any, **kwargs: Any) -> None:
        super().__init__(fake, *args, **kwargs)  # host, port, allow_remote
        self.fake = fake
        self._sleeps: contextlib.ExitStack | None = None

    def start(self) -> StripeServer:
        """Bind and start serving (and let `server.url` through an active `responses` mock).

        While it serves, stripe-python in this process keeps its retries but skips their
        sleeps, as with the in-process fake.
        """
        if self._sleeps is None:
            self._sleeps = contextlib.ExitStack()
            self._sleeps.enter_context(no_retry_sleep())
        super().start()
        self.fake._servers.append(self)
        mock = self.fake._mock
        if mock is not None:
            mock.add_passthru(self.url)
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self in self.fake._servers:
            self.fake._servers.remove(self)
        super().stop()
        sleeps, self._sleeps = self._sleeps, None
        if sleeps is not None:
            sleeps.close()

    def __enter__(self) -> StripeServer:
        return self.start()


class StripeFake(portal.PortalActions, BaseFake):
    """A Stripe account in test mode, with its own state, for the real stripe-python SDK.

    ::

        with StripeFake() as fake:            # answers https://api.stripe.com in-process
            stripe.api_key = "sk_test_123"
            pi = stripe.PaymentIntent.create(amount=2000, currency="usd",
                                             payment_method="pm_card_visa", confirm=True,
                                             allowed_payment_method_types=["card"])
            assert pi.status == "succeeded"
            assert [e["type"] for e in fake.events][-1] == "payment_intent.succeeded"

    `api_key`: accept only this key (default: any `sk_test_`/`rk_test_` key). `webhook_secret`:
    the `whsec_...` events are signed with (default: a fresh one). `clock`: a callable giving
    Unix time for `created`/`expires_at` (default `time.time`; settable later as
    `fake.clock`). `seed`: make generated ids reproducible. `api_version`: the account's
    default API version, what requests without `Stripe-Version` and the account's events are
    answered as (default: the version the installed stripe-python pins); settable later as
    `fake.api_version`. `billing_portal_default=False`: start as an account that never saved
    its customer portal settings (no default portal configuration; kept by `reset()`).
    """

    hosts: ClassVar[tuple[str, ...]] = hosts_of("stripe")

    def __init__(
        self,
        api_key: str | None = None,
        *,
        webhook_secret: str | None = None,
        clock: Callable[[], float] | None = None,
        seed: int | None = None,
        api_version: str | None = None,
        billing_portal_default: bool = True,
    ) -> None:
        super().__init__()
        if api_key is not None and not api_key.startswith(("sk_test_", "rk_test_")):
            raise ValueError("StripeFake runs in test mode only: api_key must be sk_test_...")
        self.api_key = api_key
        #: The secret every event delivered by this fake is signed with.
        self.webhook_secret = webhook_secret or "whsec_" + secrets.token_hex(16)
        self._seed = seed
        self._portal_default = billing_portal_default
        self.state = self._new_state(clock)
        if api_version is not None:
            self.api_version = api_version
        self._idempotency = Idempotency()
        self._forwarders: list[WebhookForwarder] = []
        self._servers: list[StripeServer] = []

    def start(self) -> StripeFake:
        """Answer Stripe's hosts in-process (what `with fake:` does).

        A server of this fake that is already running stays reachable from inside the block.
        Two Stripe fakes cannot be active in-process at once (which one would answer?).
        """
        with _active_lock:
            if _active and self not in _active:
                raise RuntimeError(
                    f"another StripeFake ({_active[0]!r}) is already active in-process; "
                    "leave it first, or serve one of them (`fake.serve()`)"
                )
            super().start()
            _active.append(self)
        for server in self._servers:
            self.mock.add_passthru(server.url)
        return self

    def stop(self) -> None:
        """Stop answering in-process."""
        with _active_lock:
            if self in _active:
                _active.remove(self)
        super().stop()

    def serve(
        self, host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False
    ) -> StripeServer:
        """Serve this fake (same state) over HTTP: `with fake.serve() as server:`.

        Point the SDK at `server.url`: `stripe.api_base = server.url` or
        `StripeClient(key, base_addresses={"api": server.url})`. Checkout Sessions created
        through the server get a `url` on it, a page a browser can pay or cancel on. A
        non-loopback `host` is refused unless `allow_remote=True`.
        """
        return StripeServer(self, host=host, port=port, allow_remote=allow_remote)

    @property
    def api_version(self) -> str:
        """The account's default API version (see the class docstring)."""
        return self.state.api_version

    @api_version.setter
    def api_version(self, value: str) -> None:
        self.state.api_version = versions.setting(value)

    @property
    def clock(self) -> Callable[[], float]:
        """The callable giving the fake's current Unix time (for `created`, `expires_at`)."""
        return self.state.clock

    @clock.setter
    def clock(self, value: Callable[[], float]) -> None:
        self.state.clock = value

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event the fake emitted, oldest first."""
        return self.state.events

    def events_of(self, type: str) -> list[dict[str, Any]]:
        """The emitted events of one type (e.g. `"payment_intent.succeeded"`), oldest first."""
        return [e for e in self.state.events if e["type"] == type]

    def objects(self, kind: str) -> Mapping[str, dict[str, Any]]:
        """The stored objects of a kind (`"customer"`, `"payment_intent"`, ...) by id (read-only).

        Kinds: every stored resource's (`sorted(fake.state.stores)`): customer,
        payment_method, product, price, payment_intent, charge, refund, checkout.session,
        event.
        """
        try:
            return MappingProxyType(self.state.stores[kind].by_id)
        except KeyError:
            raise KeyError(f"unknown kind {kind!r}; one of {sorted(self.state.stores)}") from None

    @property
    def customers(self) -> Mapping[str, dict[str, Any]]:
        """Stored customers by id."""
        return self.objects("customer")

    @property
    def payment_intents(self) -> Mapping[str, dict[str, Any]]:
        """Stored PaymentIntents by id."""
        return self.objects("payment_intent")

    @property
    def charges(self) -> Mapping[str, dict[str, Any]]:
        """Stored charges by id."""
        return self.objects("charge")

    @property
    def refunds(self) -> Mapping[str, dict[str, Any]]:
        """Stored refunds by id."""
        return self.objects("refund")

    @property
    def checkout_sessions(self) -> Mapping[str, dict[str, Any]]:
        """Stored Checkout Sessions by id."""
        return self.objects("checkout.session")

    @property
    def payment_methods(self) -> Mapping[str, dict[str, Any]]:
        """Stored PaymentMethods by id."""
        return self.objects("payment_method")

    @property
    def products(self) -> Mapping[str, dict[str, Any]]:
        """Stored products by id."""
        return self.objects("product")

    @property
    def prices(self) -> Mapping[str, dict[str, Any]]:
        """Stored prices by id."""
        return self.objects("price")

    def get(self, object_id: str) -> dict[str, Any]:
        """A copy of any stored object by id (`cus_...`, `pi_...`, ...); KeyError if unknown."""
        for store in self.state.stores.values():
            found = store.by_id.get(object_id)
            if found is not None:
                return _copy(found)
        raise KeyError(f"the fake holds no object with id {object_id!r}")

    @property
    def request_log(self) -> list[LoggedRequest]:
        """Received requests as `(method, path, params, idempotency_key, status)` records."""
        return [
            LoggedRequest(r.method, r.path, r.params, r.header("Idempotency-Key"), r.status)
            for r in list(self.requests)
        ]

    def reset(self) -> None:
        """Forget every object, event, logged request, idempotency key and fault rule.

        Webhook forwarding (`forward_webhooks`) and the webhook secret stay.
        """
        super().reset()
        with self._lock:
            listeners, billing = self.state.listeners, self.state.billing
            version = self.state.api_version
            self.state = self._new_state(self.state.clock)
            self.state.listeners = listeners
            self.state.billing = billing
            self.state.api_version = version
            self._idempotency.clear()

    def _new_state(self, clock: Callable[[], float] | None) -> StripeState:
        state = StripeState(clock, self._seed)
        if not self._portal_default:
            BillingPortalConfigurations.of(state).forget_default()
        return state

    def complete_checkout(
        self,
        session_id: str,
        payment_method: str = "pm_card_visa",
        *,
        email: str | None = None,
        promotion_code: str | None = None,
    ) -> dict[str, Any]:
        """Pay an open Checkout Session as a customer would on the hosted page.

        Creates and confirms its PaymentIntent with `payment_method` (a test id such as
        `pm_card_visa`), completes the session and emits `checkout.session.completed`. Returns
        the session. In `mode=subscription` it creates the customer (if none) and the
        subscription paid with the card (or trialing); in `mode=setup` it confirms the
        session's SetupIntent, saving the card. A declined card leaves the session open, emits
        `payment_intent.payment_failed` and raises `CheckoutError` with the decline message;
        so does a session that is unknown, complete or expired. `promotion_code`: the code the
        customer enters (the session must allow them); one that is invalid, expired or does not
        apply raises `CheckoutError` with the page's message and changes nothing.
        """
        with self._lock:
            try:
                with self.state.serving(), self.state.transaction():
                    result = checkout_codes.complete(
                        self.state, session_id, payment_method, email, promotion_code
                    )
            except StripeError as exc:
                raise CheckoutError(exc.message) from None
        if result.error is not None:
            raise CheckoutError(
                f"{result.error.message} (code={result.error.code}, "
                f"decline_code={result.error.decline_code}); the session stays open."
            )
        return _copy(result.session)

    def authenticate(self, intent_id: str, succeed: bool = True) -> dict[str, Any]:
        """Complete (or fail) the 3D Secure challenge of a `requires_action` intent.

        A PaymentIntent (`pi_...`) proceeds on success (`succeeded`, or `requires_capture`
        for manual capture) and returns to `requires_payment_method` with
        `last_payment_error` on failure; a SetupIntent (`seti_...`) succeeds (its card is
        attached to its customer) or returns to `requires_payment_method` with
        `last_setup_error`. An invoice collected by the intent follows it.
        """
        with self._lock:
            try:
                with self.state.serving(), self.state.transaction():
                    if intent_id.startswith("seti_"):
                        intent = SetupIntents.of(self.state).authenticate(intent_id, succeed)
                    else:
                        intent = PaymentIntents.of(self.state).authenticate(intent_id, succeed)
                return _copy(intent)
            except StripeError as exc:
                raise ValueError(exc.message) from None

    @property
    def billing(self) -> BillingSettings:
        """The account's Billing settings: retry schedule, what follows the last failed retry.

        ``fake.billing.retry_schedule = (1, 3)`` (days after the previous attempt),
        ``fake.billing.after_final_failure = "unpaid"``; see `BillingSettings`. Kept by
        `reset()`.
        """
        return self.state.billing

    def advance(self, seconds: float) -> list[dict[str, Any]]:
        """Move the fake's own clock forward and run the Billing work now due, in time order.

        Renewals, trial ends, draft finalizations, payment retries, incomplete expiries and
        cancellations of subscriptions whose customer is on no test clock happen as they
        would have, each at its own time (their objects and events carry those times). No
        real time passes. Returns the events this emitted, oldest first. (Work also runs at
        the start of every API request, so moving `fake.clock` by other means works too.)
        """
        with self._lock, self.state.serving():
            before = len(self.state.events)
            self.state.advance(int(seconds))
            TestClocks.of(self.state).run_due()
            return [_copy(e) for e in self.state.events[before:]]

    # ---- webhooks ----------------------------------------------------------------------------

    def sign(
        self, payload: bytes | str, timestamp: float | None = None, secret: str | None = None
    ) -> str:
        """The `Stripe-Signature` header for `payload`, signed with `webhook_secret`."""
        return webhooks.sign(payload, secret or self.webhook_secret, timestamp)

    def deliver(
        self,
        target: Any,
        events: Iterable[Mapping[str, Any]] | None = None,
        *,
        path: str = "/",
        duplicate: bool = False,
        reverse: bool = False,
        shuffle: int | None = None,
        bad_signature: bool = False,
        timestamp: float | None = None,
        old: bool = False,
        api_version: str | None = None,
    ) -> list[Delivery]:
        """POST events (default: all emitted so far), signed, to `target`.

        `target`: a test client (events go to `path`): Flask's, Starlette's / FastAPI's
        `TestClient`, Django's; or a URL string, or a callable taking `(body, headers)`.
        Misbehave on request: `duplicate=True`, `reverse=True`, `shuffle=<seed>`,
        `bad_signature=True`, `old=True` (timestamp beyond the 300 s tolerance) or an exact
        `timestamp`. `api_version`: the version the endpoint is
        configured for (default: the account's); each event's object is rendered at it and
        the event's `api_version` says it. Returns one `Delivery` per POST.
        """
        version = versions.setting(api_version or self.state.api_version)
        chosen = [
            versions.render_event(self.state, e, version)
            for e in (self.state.events if events is None else events)
            if versions.shown(e, version)
        ]
        return webhooks.deliver(
            target,
            chosen,
            self.webhook_secret,
            path=path,
            duplicate=duplicate,
            reverse=reverse,
            shuffle=shuffle,
            bad_signature=bad_signature,
            timestamp=timestamp,
            old=old,
        )

    def forward_webhooks(
        self,
        url: str,
        *,
        retries: int = 2,
        backoff: float = 0.2,
        api_version: str | None = None,
    ) -> WebhookForwarder:
        """From now on POST every new event, signed, to `url` from a background thread.

        `api_version`: the version the endpoint is configured for (default: the account's
        when each event is sent); events are rendered at it. Returns the forwarder:
        `forwarder.wait()` blocks until what is queued was delivered, `forwarder.deliveries`
        lists the attempts, `forwarder.stop()` ends forwarding.
        """
        pinned = api_version and versions.setting(api_version)

        def render(event: Mapping[str, Any]) -> Mapping[str, Any]:
            # The state is looked up per event: `reset()` replaces it.
            state = self.state
            return versions.render_event(state, event, pinned or state.api_version)

        forwarder = WebhookForwarder(
            url, self.webhook_secret, retries, backoff, render=render
        ).start()
        with self._lock:
            self._forwarders.append(forwarder)
            self.state.listeners.append(forwarder)
        return forwarder

    def stop_forwarding(self) -> None:
        """Stop every webhook forwarder (after delivering what they have queued)."""
        with self._lock:
            forwarders, self._forwarders = self._forwarders, []
            for f in forwarders:
                if f in self.state.listeners:
                    self.state.listeners.remove(f)
        for f in forwarders:
            f.stop()

    # ---- request handling --------------------------------------------------------------------

    def internal_error(self, request: Request, exc: BaseException) -> Response:
        """A bug in the fake: Stripe's 500 `api_error`, marked not to be retried."""
        rid = request_id()
        error = StripeError(
            500,
            "api_error",
            f"mockkit's Stripe fake failed on {request.method} {request.path}: {exc!r}. "
            "This is a bug in mockkit; please report it.",
        )
        return error.response(rid, headers=self._headers(request, rid), should_retry=False)

    def _headers(self, request: Request, rid: str) -> list[tuple[str, str]]:
        headers = [
            ("Request-Id", rid),
            ("Stripe-Version", versions.used(request.header("Stripe-Version"), self.state)),
        ]
        key = request.header("Idempotency-Key")
        if key and request.method == "POST":
            headers.append(("Idempotency-Key", key))
        return headers

    def _error(self, error: StripeError, rid: str, request: Request) -> Response:
        return error.response(rid, headers=self._headers(request, rid))

    def parse(self, request: Request) -> None:
        """Auth, routing, decoding and validation: everything that needs none of the state.

        Runs before the fake's lock is taken (see `BaseFake.parse`), so a large body is decoded
        while other clients are answered. The outcome is kept in `request.parsed`.
        """
        request.parsed = incoming.parse(request, self.api_key, self.state.api_version)

    def dispatch(self, request: Request) -> Response:
        """Answer one request: hosted pages, or the API (auth, params, idempotency, expand).

        Every endpoint runs in a transaction of the state: a request answered with an error
        changes nothing (unless the error is a decline Stripe records, `keep_state`).
        """
        if request.parsed is None:
            self.parse(request)
        parsed = request.parsed
        if parsed is incoming.HOSTED:
            if request.path.startswith("/p/") or request.host == "billing.stripe.com":
                return portal.page(self.state, request)
            if request.path.startswith("/c/pay/") or request.host == "checkout.stripe.com":
                return hosted.checkout(self.state, request)
            return hosted.challenge(self.state, request)
        rid = "req_" + self.state.rng.getrandbits(56).to_bytes(7, "little").hex()  # randbytes(7)
        if isinstance(parsed, StripeError):
            return self._error(parsed, rid, request)
        if not isinstance(parsed, incoming.Parsed):
            return self._unrecognized(request, rid)
        endpoint, params, attempt = parsed.endpoint, parsed.params, parsed.attempt
        if attempt is not None:
            try:
                saved = self._idempotency.replay(attempt, self.state.now())
            except StripeError as exc:
                return self._error(exc, rid, request)
            if saved is not None:
                return self._replay(request, rid, saved)

        # Work due on the account's own clock (renewals, retries, expiries of customers on no
        # test clock) runs before the request, as if it had happened on time.
        clocks = TestClocks.of(self.state)
        if clocks.due():
            with self.state.serving():
                clocks.run_due()
        store = True
        with self.state.serving(
            rid,
            parsed.idempotency_key,
            base_url=request.base_url,
            served=request.served,
            api_version=parsed.version,
        ):
            try:
                with self.state.transaction():
                    result = endpoint.handler(self.state, params, **parsed.path_params)
                    paths = params.get("expand")
                    if paths:
                        result = expand(self.state, result, endpoint.kind, paths)
                result = versions.render(self.state, result, parsed.version)
                headers = [("Request-Id", rid), ("Stripe-Version", parsed.version)]
                if parsed.idempotency_key:
                    headers.append(("Idempotency-Key", parsed.idempotency_key))
                response = answer(result, headers)
            except StripeError as exc:
                store = exc.store
                response = self._error(exc, rid, request)
        if attempt is not None and store:
            self._idempotency.save(attempt, response.status, response.body, rid, self.state.now())
        return response

    def _replay(self, request: Request, rid: str, saved: Saved) -> Response:
        headers = self._headers(request, rid)
        headers += [
            ("Idempotent-Replayed", "true"),
            ("Original-Request", saved.request_id),
            ("Content-Type", "application/json"),
        ]
        return Response(saved.status, saved.body, headers)

    def _unrecognized(self, request: Request, rid: str) -> Response:
        hint = ROUTES.hint(request.method, request.path)
        message = (
            f"Unrecognized request URL ({request.method}: {request.path}). mockkit's Stripe "
            f"fake does not emulate this endpoint{hint}. See docs/stripe.md for what is "
            "emulated."
        )
        return self._error(StripeError(404, "invalid_request_error", message), rid, request)

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{kind}={len(store)}" for kind, store in self.state.stores.items() if len(store)
        )
        return f"<StripeFake {counts or 'empty'}>"
