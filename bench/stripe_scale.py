"""Benchmark 2: the in-process Stripe fake's per-call cost holding 10 vs 10,000 objects."""

from __future__ import annotations

from bench.timing import Row

NAME = "stripe_scale"
TITLE = "2. Stripe fake, 10 vs 10,000 objects held"


def run(quick: bool) -> list[Row]:
    try:
        from mockkit.stripe import StripeFake  # noqa: F401
    except ImportError:
        return [Row(NAME, "fake", note="skipped: mockkit.stripe.StripeFake absent")]
    raise NotImplementedError("pre-filling the fake is not written yet")
