"""Idempotent requests: the first answer to a key is saved and replayed for 24 hours.

As on Stripe, keys are scoped to the API key, a key reused with other parameters is an
`idempotency_error`, and errors found before the request executed (`StripeError.store`
False: parameter validation) are not saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockkit.stripe.errors import StripeError
from mockkit.stripe.params import decode, parse_form

__all__ = ["TTL", "Attempt", "Idempotency", "Saved"]

#: Seconds a key is remembered (Stripe prunes keys after at least 24 hours).
TTL = 24 * 3600

#: What a key's first request asked: its method, path, query string and body, as sent (kept
#: as received: nothing a test does to the request log can change what a key remembers).
Fingerprint = tuple[str, str, str, bytes]


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
    def attempt(api_key: str, key: str, method: str, path: str, query: str, body: bytes) -> Attempt:
        """The attempt of a request with `Idempotency-Key: key` (a too long key is a 400).

        "The same parameters" (see `replay`) are the same decoded values, whatever order the
        names came in (the order of an array's items counts), as on Stripe.
        """
        if len(key) > 255:
            raise StripeError(
                400,
                "invalid_request_error",
                "Idempotency-Key must be at most 255 characters long.",
                store=False,
            )
        return Attempt((api_key, key), key, (method, path, query, body))

    def replay(self, attempt: Attempt, now: int) -> Saved | None:
        """The saved answer to replay for `attempt`, if its key was used in the last 24 hours.

        Raises the `idempotency_error` when the key was first used with other parameters.
        """
        saved = self._saved.get(attempt.scope)
        if saved is None or now - saved.at >= TTL:
            return None
        if saved.fingerprint != attempt.fingerprint and not _same_parameters(
            saved.fingerprint, attempt.fingerprint
        ):
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


def _same_parameters(first: Fingerprint, then: Fingerprint) -> bool:
    # Not the same bytes (a retry sends the same): the same parameters if they decode alike.
    # Both requests were decoded once already, so neither raises here.
    if first[:2] != then[:2]:
        return False

    def decoded(fingerprint: Fingerprint) -> dict[str, Any]:
        _, _, query, body = fingerprint
        return decode([*parse_form(query), *parse_form(body)])

    return decoded(first) == decoded(then)
