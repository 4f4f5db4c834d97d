"""Signing and delivering webhook events exactly as Stripe does.

`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by whsec_...>`, so
`stripe.Webhook.construct_event(body, header, secret)` accepts what the fake sends. Delivery can
also misbehave on request, as real delivery does: duplicates, out of order, a bad signature, an
old timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Delivery", "WebhookForwarder", "deliver", "payload", "sign"]

log = logging.getLogger("mockkit.stripe.webhooks")

#: Seconds stripe-python's `construct_event` tolerates by default; `old=True` goes past it.
TOLERANCE = 300
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign(body: bytes | str, secret: str, timestamp: int | float | None = None) -> str:
    """The `Stripe-Signature` header for `body` (the exact bytes sent) signed with `secret`."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    t = int(time.time() if timestamp is None else timestamp)
    digest = hmac.new(secret.encode("utf-8"), b"%d." % t + raw, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def payload(event: Mapping[str, Any]) -> bytes:
    """The body Stripe POSTs for `event` (pretty-printed JSON, as Stripe sends it)."""
    return json.dumps(event, indent=2).encode("utf-8")


@dataclass
class Delivery:
    """One delivery attempt: which event, where, and what the endpoint answered."""

    event_id: str
    type: str
    status: int | None
    body: str = ""
    error: str | None = None
    signature: str = ""

    @property
    def ok(self) -> bool:
        """Whether the endpoint acknowledged the event (any 2xx), as Stripe counts it."""
        return self.status is not None and 200 <= self.status < 300


def _post_url(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int, str]:
    # A raw http.client connection: inside `with fake:` the `responses` mock patches `requests`
    # only, so delivery to a local server still goes over the socket.
    parts = urlsplit(url)
    conn_cls = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_cls(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", target, body=body, headers=dict(headers))
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _post(
    target: Any, path: str, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, str]:
    if isinstance(target, str):
        url = target if path in ("", "/") else target.rstrip("/") + "/" + path.lstrip("/")
        return _post_url(url, body, headers, timeout)
    if hasattr(target, "post") and hasattr(target, "application"):  # a Flask/werkzeug client
        response = target.post(path, data=body, headers=headers)
        return int(response.status_code), response.get_data(as_text=True)
    if type(target).__module__.startswith("django."):  # Django's test Client
        # Django takes the content type apart from the other headers, and the body as is.
        others = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        response = target.post(
            path, data=body, content_type=headers["Content-Type"], headers=others
        )
        return int(response.status_code), bytes(response.content).decode("utf-8", "replace")
    if _is_httpx_client(target):  # Starlette's / FastAPI's TestClient, any httpx.Client
        response = target.post(path, content=body, headers=headers)
        return int(response.status_code), str(response.text)
    if callable(target):
        result = target(body, headers)
        if isinstance(result, tuple):
            return int(result[0]), str(result[1]) if len(result) > 1 else ""
        return int(result if result is not None else 200), ""
    raise TypeError(
        "deliver() sends to a test client (Flask's, Starlette's / FastAPI's TestClient, "
        "Django's; with path=...), a URL string, or a callable taking (body, headers); "
        f"got {target!r}"
    )


def _is_httpx_client(target: Any) -> bool:
    """Whether `target` is a synchronous httpx (or httpx2) client, as Starlette's TestClient is.

    Told by its class, so neither library is imported for a target that is not one of theirs.
    """
    return any(
        cls.__name__ == "Client" and cls.__module__.split(".")[0] in ("httpx", "httpx2")
        for cls in type(target).__mro__
    )


def deliver(
    target: Any,
    events: Iterable[Mapping[str, Any]],
    secret: str,
    *,
    path: str = "/",
    duplicate: bool = False,
    reverse: bool = False,
    shuffle: int | None = None,
    bad_signature: bool = False,
    timestamp: int | float | None = None,
    old: bool = False,
    timeout: float = 10.0,
) -> list[Delivery]:
    """POST each event, signed, to `target`; return what each delivery got back.

    `target` is a test client (events go to `path`): Flask's, Starlette's / FastAPI's
    `TestClient` (or any `httpx.Client`), Django's test `Client`; or a URL, or a callable
    taking `(body, headers)`. `duplicate` sends each event twice in a row, `reverse` or
    `shuffle=seed` changes the order, `bad_signature` signs with a wrong secret, `old` signs
    with a timestamp ten minutes back (beyond stripe-python's 300 s tolerance), `timestamp`
    sets it exactly.
    """
    batch = list(events)
    if reverse:
        batch.reverse()
    if shuffle is not None:
        random.Random(shuffle).shuffle(batch)
    if duplicate:
        batch = [e for e in batch for _ in (0, 1)]
    key = "whsec_mockkit_wrong_secret" if bad_signature else secret
    results = []
    for event in batch:
        body = payload(event)
        ts = timestamp if timestamp is not None else time.time() - (2 * TOLERANCE if old else 0)
        header = sign(body, key, ts)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": header,
            "User-Agent": USER_AGENT,
        }
        try:
            status, text = _post(target, path, body, headers, timeout)
            results.append(Delivery(event["id"], event["type"], status, text, signature=header))
        except (OSError, http.client.HTTPException) as exc:
            results.append(Delivery(event["id"], event["type"], None, error=repr(exc)))
    return results


@dataclass
class WebhookForwarder:
    """POSTs every new event to a URL from a background thread, as Stripe's delivery does.

    A failed delivery (connection error or non-2xx) is retried `retries` times after short
    pauses; failures are logged and kept in `deliveries`, never raised into the fake.
    """

    url: str
    secret: str
    retries: int = 2
    backoff: float = 0.2
    deliveries: list[Delivery] = field(default_factory=list)
    _queue: queue.Queue[Mapping[str, Any] | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None
    _sleep: Callable[[float], None] = time.sleep
    #: Shapes each event as the endpoint's API version shows it, when it is queued.
    render: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None

    def start(self) -> WebhookForwarder:
        """Start the delivery thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="mockkit-stripe-webhooks", daemon=True
            )
            self._thread.start()
        return self

    def __call__(self, event: Mapping[str, Any]) -> None:
        """Queue one event for delivery (the fake calls this for each new event)."""
        self._queue.put(event if self.render is None else self.render(event))

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            try:
                if event is None:
                    return
                self._deliver(event)
            finally:
                self._queue.task_done()

    def _deliver(self, event: Mapping[str, Any]) -> None:
        for attempt in range(self.retries + 1):
            try:
                result = deliver(self.url, [event], self.secret)[0]
            except Exception as exc:  # never let a delivery bug kill the thread
                result = Delivery(event["id"], event["type"], None, error=repr(exc))
            self.deliveries.append(result)
            if result.ok:
                return
            log.warning(
                "mockkit: webhook %s (%s) to %s failed (attempt %d): %s",
                event["id"],
                event["type"],
                self.url,
                attempt + 1,
                result.error or result.status,
            )
            if attempt < self.retries:
                self._sleep(self.backoff * (2**attempt))

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until every queued event was delivered or given up on; False on timeout."""
        deadline = time.monotonic() + timeout
        done = self._queue.all_tasks_done
        with done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                done.wait(remaining)
        return True

    def stop(self) -> None:
        """Deliver what is queued, then stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None
