"""The account's Billing settings that Stripe keeps in the Dashboard, settable on the fake.

::

    fake = StripeFake()
    fake.billing.retry_schedule = (1, 3, 5)        # days after the previous attempt
    fake.billing.after_final_failure = "unpaid"    # or "cancel", "past_due"
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from mockkit.stripe.billing.periods import DAY

__all__ = ["BillingSettings"]

FinalAction = Literal["cancel", "unpaid", "past_due"]
InvoiceFinalAction = Literal["past_due", "mark_uncollectible"]


@dataclass
class BillingSettings:
    """What a Stripe account's Billing settings decide, in the fake.

    `retry_schedule`: when failed renewal payments are retried, each entry the delay after the
    previous attempt, in days (an int or float) or a `timedelta`. The default, 3, 5 and 7 days,
    is Stripe's custom-schedule default; Smart Retries (timed by machine learning) are not
    emulated. `after_final_failure`: what happens to the subscription when the last retry
    fails: `"cancel"` (the default), `"unpaid"` or `"past_due"` (left as it is).
    `invoice_after_final_failure`: the invoice is left open (`"past_due"`, the default) or
    marked uncollectible. `upcoming_days`: days before a renewal that `invoice.upcoming` is
    sent (None: never). `draft_seconds`: how long a renewal invoice stays a draft before it
    is finalized (Stripe: an hour after `invoice.created`). `incomplete_seconds`: how long an
    unpaid first invoice keeps a subscription `incomplete` before it expires (23 hours).
    """

    retry_schedule: Sequence[float | timedelta] = (3, 5, 7)
    after_final_failure: FinalAction = "cancel"
    invoice_after_final_failure: InvoiceFinalAction = "past_due"
    upcoming_days: float | None = 3
    draft_seconds: int = 3600
    incomplete_seconds: int = 23 * 3600
    trial_will_end_days: float = 3

    def retry_delays(self) -> list[int]:
        """The retry schedule in seconds."""
        out = []
        for entry in self.retry_schedule:
            seconds = entry.total_seconds() if isinstance(entry, timedelta) else entry * DAY
            if seconds <= 0:
                raise ValueError(f"retry_schedule entries must be positive, got {entry!r}")
            out.append(int(seconds))
        return out
