"""The exceptions cassettes raise; each message says what happened and what to do next."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockkit.cassettes.leak import LeakFinding

__all__ = ["CassetteError", "CassetteLeakError", "CassetteMiss", "LiveKeyError"]


class CassetteError(Exception):
    """Base class of every cassette error."""


class CassetteMiss(CassetteError):
    """A request the cassette cannot answer.

    Deliberately not a `requests.ConnectionError`: stripe-python retries those (three attempts
    with backoff), while any other exception is wrapped in `APIConnectionError` at once, with
    this message in it, and never retried.
    """

    def __init__(self, message: str, request_line: str = "", closest: int | None = None) -> None:
        super().__init__(message)
        self.request_line = request_line
        self.closest = closest


class CassetteLeakError(CassetteError):
    """The leak gate refused to write a cassette that still holds a secret."""

    def __init__(self, path: str, findings: Sequence[LeakFinding]) -> None:
        self.path = path
        self.findings = list(findings)
        lines = "\n".join(f"  - {finding}" for finding in self.findings)
        super().__init__(
            f"mockkit refused to write cassette {path}: it would contain a secret.\n{lines}\n"
            "Scrub that field (use(..., scrub=DEFAULT_SCRUBBER.add(json={'name': '<NAME>'})) "
            "or pass the value in secrets=...), then record again. The previous cassette, if "
            "any, was left untouched."
        )


class LiveKeyError(CassetteError):
    """Recording with a live Stripe key (`sk_live_`, `rk_live_`) was refused."""
