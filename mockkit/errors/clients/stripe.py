"""stripe-python: the exception and the number of attempts, decided by the SDK's own code.

A failure below HTTP goes through stripe-python's `RequestsClient` error handling (it becomes
`stripe.APIConnectionError`); an HTTP answer goes through its response interpretation (the
status picks the class: 402 `CardError`, 429 `RateLimitError`, ...). Whether a call is retried
is the SDK's own `_should_retry` rule, so the attempts the docs table states are what the
SDK does, not what we believe it does.
"""

from __future__ import annotations

from typing import Any

from requests.structures import CaseInsensitiveDict

from mockkit.errors.clients import STRIPE_PROBE, ClientLibrary, Reply, get
from mockkit.http import Request
from mockkit.transport import TransportFault

__all__ = ["STRIPE_DEFAULT_TIMEOUT", "StripeLibrary", "library"]

#: stripe-python's default `RequestsClient` timeout (seconds).
STRIPE_DEFAULT_TIMEOUT = 80.0


class StripeLibrary(ClientLibrary):
    """stripe-python over its default `RequestsClient`."""

    name = "stripe"

    def probe(self, method: str | None = None, url: str | None = None) -> Request:
        """A call as stripe-python sends it: `Stripe-Version`, a test key, its 80 s timeout."""
        import stripe

        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        headers["Stripe-Version"] = str(stripe.api_version)
        headers["Authorization"] = "Bearer sk_test_mockkit"
        return Request(
            method or STRIPE_PROBE[0],
            url or STRIPE_PROBE[1],
            headers=headers,
            timeout=STRIPE_DEFAULT_TIMEOUT,
        )

    def raised(self, reply: Reply, request: Request) -> BaseException | None:
        """The exception stripe-python raises for `reply`, made by stripe-python itself."""
        import stripe
        from stripe._api_requestor import _APIRequestor

        if isinstance(reply, TransportFault):
            failure = get("requests").transport_exception(reply, request)
            try:
                stripe.RequestsClient()._handle_request_error(failure)  # type: ignore[arg-type]
            except stripe.APIConnectionError as exc:
                return exc
            raise AssertionError("stripe did not raise")  # pragma: no cover
        headers = CaseInsensitiveDict(dict(reply.headers))
        requestor: Any = _APIRequestor._global_instance()  # type: ignore[no-untyped-call]
        try:
            requestor._interpret_response(reply.body, reply.status, headers, api_mode="V1")
        except Exception as exc:  # whatever the SDK raises is the answer, even a non-Stripe error
            return exc
        return None

    def retried(self, reply: Reply, request: Request, *, async_client: bool = False) -> bool:
        """Whether stripe-python retries a call that met `reply` (its `_should_retry` rule).

        `async_client=True`: for its async methods, whose `HTTPXClient` maps transport
        failures its own way (every one of them retryable).
        """
        import stripe
        from stripe._http_client import HTTPClient

        client: Any = stripe.RequestsClient()
        if isinstance(reply, TransportFault):
            if async_client:
                client = stripe.HTTPXClient()
                failure = get("httpx").transport_exception(reply, request)
                try:
                    client._handle_request_error(failure)
                except stripe.APIConnectionError as exc:
                    error = exc
            else:
                raised = self.raised(reply, request)
                assert isinstance(raised, stripe.APIConnectionError)
                error = raised
            return bool(HTTPClient._should_retry(client, None, error, 0, 1))
        headers = CaseInsensitiveDict(dict(reply.headers))
        response = (reply.body, reply.status, headers)
        return bool(HTTPClient._should_retry(client, response, None, 0, 1))


library = StripeLibrary()
