"""Invoice arithmetic, exact to the smallest currency unit: prorations, discounts, balances.

Rules (Stripe's, where its docs state them; the fake's own where they do not, documented):

- A proration is the item's amount times the share of the period left, by the second,
  rounded half away from zero: `amount * (end - at) / (end - start)`.
- A line's own discounts apply first, in order, each to what is left of that line.
- Invoice-level discounts then apply in order to the sum of what is left of the discountable
  lines with a positive amount: a percentage rounded half up on that sum, a fixed amount capped
  at it. Each discount's total is shared out over those lines in proportion to what is left of
  each (largest remainder), so the lines' `discount_amounts` always add up to the invoice's.
- `subtotal` is the sum of line amounts less their own discounts (Stripe: "item discounts are
  already incorporated"); `total` is the subtotal less invoice-level discounts.
- The customer's balance (negative = credit) adds to the total: `amount_due` is never below
  zero, a negative remainder becomes the customer's new credit (`ending_balance`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

__all__ = ["Line", "Off", "Totals", "apply_balance", "percent", "prorate", "round_half", "totals"]


def round_half(value: Fraction) -> int:
    """`value` rounded to an integer, halves away from zero."""
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    whole = magnitude.numerator // magnitude.denominator
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return sign * whole


def prorate(amount: int, start: int, end: int, at: int) -> int:
    """The part of `amount` (for the period `[start, end)`) covering `[at, end)`."""
    if end <= start:
        return 0
    at = min(max(at, start), end)
    return round_half(Fraction(amount * (end - at), end - start))


def percent(amount: int, pct: Decimal) -> int:
    """`pct` percent of `amount`, rounded half up."""
    value = (Decimal(amount) * pct / Decimal(100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(value)


@dataclass(frozen=True)
class Off:
    """One discount's effect: a percentage or a fixed amount off, under the discount's id."""

    id: str
    percent_off: Decimal | None = None
    amount_off: int | None = None


@dataclass
class Line:
    """One invoice line as the arithmetic sees it."""

    amount: int
    discountable: bool = True
    discounts: Sequence[Off] = ()
    #: Filled by `totals`: (discount id, amount) per discount that took something off.
    discount_amounts: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Totals:
    """The invoice figures that follow from its lines and discounts."""

    subtotal: int
    total: int
    #: (discount id, amount) summed over the lines, in the order discounts were applied.
    discount_amounts: list[tuple[str, int]]


def _share(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights` (all > 0), largest remainders rounded up."""
    whole = sum(weights)
    exact = [Fraction(total * w, whole) for w in weights]
    parts = [int(x) for x in exact]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def totals(lines: Sequence[Line], invoice_discounts: Sequence[Off] = ()) -> Totals:
    """Apply line and invoice discounts to `lines` (recording each line's share) and sum up."""
    left = [line.amount for line in lines]
    by_discount: dict[str, int] = {}
    for i, line in enumerate(lines):
        line.discount_amounts = []
        for off in line.discounts:
            if not line.discountable or left[i] <= 0:
                break
            cut = _cut(off, left[i])
            left[i] -= cut
            line.discount_amounts.append((off.id, cut))
            by_discount[off.id] = by_discount.get(off.id, 0) + cut
    subtotal = sum(left)
    invoice_cut = 0
    for off in invoice_discounts:
        eligible = [i for i, line in enumerate(lines) if line.discountable and left[i] > 0]
        base = sum(left[i] for i in eligible)
        cut = _cut(off, base) if base > 0 else 0
        if cut:
            for i, part in zip(eligible, _share(cut, [left[i] for i in eligible]), strict=True):
                if part:
                    left[i] -= part
                    lines[i].discount_amounts.append((off.id, part))
        by_discount[off.id] = by_discount.get(off.id, 0) + cut
        invoice_cut += cut
    return Totals(subtotal, subtotal - invoice_cut, list(by_discount.items()))


def _cut(off: Off, base: int) -> int:
    if off.percent_off is not None:
        return min(base, percent(base, off.percent_off))
    return min(base, off.amount_off or 0)


def apply_balance(total: int, starting_balance: int) -> tuple[int, int]:
    """`(amount_due, ending_balance)` for an invoice `total` and the customer's balance.

    A positive balance is owed by the customer and is added; a negative one is credit and is
    used up first. What the credit does not use up, or a negative total, stays as credit.
    """
    owed = total + starting_balance
    if owed >= 0:
        return owed, 0
    return 0, owed
