"""Idempotent requests: the first answer to a key is saved and replayed for 24 hours.

As on Stripe, keys are scoped to the API key, a key reused with other parameters is an
`idempotency_error`, and errors found before the request executed (`StripeError.store`
False: parameter validation) are not saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockkit.stripe.errors import StripeError

__all__ = ["TTL", "Attempt", "Idempotency", "Saved"]

#: Seconds a key is remembered (Stripe prunes keys after at least 24 hours).
TTL = 24 * 3600

#: What a key's first request asked: its method, path and decoded parameters.
Fingerprint = tuple[str, str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Attempt:
    """A POST carrying an `Idempotency-Key`: where its answer is kept, and what it asked."""

    scope: tuple[str, str]
    key: str
    fingerprint: Fingerprint


@dataclass(slots=True)
class Saved:
    """A response kept for idempotent replay."""

    fingerprint: Fingerprint
    status: int
    body: bytes
    request_id: str
    #: When it was saved, on the fake's clock.
    at: int = 0


class Idempotency:
    """The saved answers of one fake, by (API key, idempotency key)."""

    def __init__(self) -> None:
        self._saved: dict[tuple[str, str], Saved] = {}

    @staticmethod
    def attempt(api_key: str, key: str, method: str, path: str, params: dict[str, Any]) -> Attempt:
        """The attempt of a request with `Idempotency-Key: key` (a too long key is a 400).

        `params` are the request's parameters decoded (`mockkit.stripe.params.decode`): "the
        same parameters" is the same nested values, whatever order the names came in (the
        order of an array's items counts), as on Stripe.
        """
        if len(key) > 255:
            raise StripeError(
                400,
                "invalid_request_error",
                "Idempotency-Key must be at most 255 characters long.",
                store=False,
            )
        return Attempt((api_key, key), key, (method, path, params))

    def replay(self, attempt: Attempt, now: int) -> Saved | None:
        """The saved answer to replay for `attempt`, if its key was used in the last 24 hours.

        Raises the `idempotency_error` when the key was first used with other parameters.
        """
        saved = self._saved.get(attempt.scope)
        if saved is None or now - saved.at >= TTL:
            return None
        if saved.fingerprint != attempt.fingerprint:
            raise StripeError(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters "
                "they were first used with. Try using a key other than "
                f"'{attempt.key}' if you meant to execute a different request.",
            )
        return saved

    def save(self, attempt: Attempt, status: int, body: bytes, request_id: str, now: int) -> None:
        """Keep the answer to `attempt`."""
        self._saved[attempt.scope] = Saved(attempt.fingerprint, status, body, request_id, now)

    def clear(self) -> None:
        """Forget every key."""
        self._saved.clear()
