"""A tiny fake for the fault tests: answers every request with a PaymentIntent-like object."""

from __future__ import annotations

from mockkit.fake import BaseFake
from mockkit.http import Request, Response

__all__ = ["EchoFake"]


class EchoFake(BaseFake):
    """Answers `POST /v1/payment_intents` and anything else with a small JSON object."""

    hosts = ("https://api.stripe.com",)

    def dispatch(self, request: Request) -> Response:
        return Response.json({"id": "pi_mockkit", "object": "payment_intent", "status": "ok"})
