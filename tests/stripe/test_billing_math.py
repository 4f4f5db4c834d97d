"""The billing arithmetic on its own: periods, prorations, discounts, balances, due work."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from mockkit.stripe.billing.amounts import Line, Off, apply_balance, prorate, totals
from mockkit.stripe.billing.periods import (
    add_intervals,
    anchor_from_config,
    boundary,
    next_boundary,
    period_containing,
)
from mockkit.stripe.billing.schedule import Timeline


def ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())  # type: ignore[misc]


def day(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")


def test_month_end_anchor_clamps_then_returns_to_the_31st() -> None:
    anchor = ts(2024, 1, 31, 12)
    got = [day(boundary(anchor, "month", 1, n)) for n in range(4)]
    assert got == ["2024-01-31 12:00", "2024-02-29 12:00", "2024-03-31 12:00", "2024-04-30 12:00"]
    # Counted from the anchor, not from the previous (clamped) end.
    assert day(next_boundary(anchor, "month", 1, ts(2024, 3, 1))) == "2024-03-31 12:00"


def test_yearly_from_leap_day_and_quarterly_counts() -> None:
    leap = ts(2024, 2, 29)
    assert day(add_intervals(leap, "year", 1)) == "2025-02-28 00:00"
    assert day(add_intervals(leap, "year", 4)) == "2028-02-29 00:00"
    assert day(add_intervals(ts(2024, 11, 30), "month", 3)) == "2025-02-28 00:00"
    assert add_intervals(0, "week", 2) == 14 * 86400
    assert add_intervals(5, "day", 3) == 5 + 3 * 86400


@pytest.mark.parametrize("interval,count", [("day", 1), ("week", 2), ("month", 1), ("year", 1)])
def test_period_containing_brackets_every_instant(interval: str, count: int) -> None:
    anchor = ts(2024, 1, 31, 8, 30)
    for t in (
        anchor,
        anchor + 1,
        ts(2024, 2, 29, 8, 30) - 1,
        ts(2024, 2, 29, 8, 30),
        ts(2026, 7, 1),
    ):
        start, end = period_containing(anchor, interval, count, t)
        assert start <= t < end
        assert add_intervals(start, interval, count) == end or interval in ("month", "year")
    # Before the anchor too (a backdated view of the cycle).
    start, end = period_containing(anchor, "month", 1, anchor - 1)
    assert end == anchor and day(start) == "2023-12-31 08:30"


def test_anchor_from_config_picks_the_next_matching_instant() -> None:
    now = ts(2024, 1, 20, 10)
    assert day(anchor_from_config(now, "month", 15)) == "2024-02-15 10:00"
    assert day(anchor_from_config(now, "month", 31, hour=0)) == "2024-01-31 00:00"
    assert day(anchor_from_config(ts(2024, 2, 1), "month", 31, hour=0)) == "2024-02-29 00:00"
    assert day(anchor_from_config(now, "year", 1, month=3, hour=9)) == "2024-03-01 09:00"
    assert day(anchor_from_config(now, "year", 1, month=1, hour=9)) == "2025-01-01 09:00"


def test_prorate_is_exact_by_the_second_and_rounds_half_away_from_zero() -> None:
    assert prorate(3000, 0, 30, 15) == 1500
    assert prorate(1000, 0, 3, 1) == 667  # 666.67
    assert prorate(1000, 0, 3, 2) == 333
    assert prorate(-1000, 0, 3, 1) == -667
    assert prorate(1, 0, 2, 1) == 1  # exactly a half rounds up
    assert prorate(2000, 0, 10, 0) == 2000 and prorate(2000, 0, 10, 10) == 0


def test_percent_discount_rounds_on_the_sum_and_shares_exactly() -> None:
    lines = [Line(333), Line(333), Line(334), Line(500, discountable=False)]
    result = totals(lines, [Off("di_a", percent_off=Decimal("33.3"))])
    # 33.3% of the 1000 discountable = 333.0 -> 333; the non-discountable line is untouched.
    assert result.discount_amounts == [("di_a", 333)]
    assert sum(a for line in lines for _, a in line.discount_amounts) == 333
    assert lines[3].discount_amounts == []
    assert (result.subtotal, result.total) == (1500, 1167)


def test_amount_off_is_capped_and_line_discounts_come_first() -> None:
    lines = [Line(1000, discounts=[Off("di_line", percent_off=Decimal(10))]), Line(200)]
    result = totals(lines, [Off("di_inv", amount_off=5000)])
    assert lines[0].discount_amounts[0] == ("di_line", 100)
    assert result.subtotal == 1100  # item discounts already incorporated
    assert result.total == 0  # the 50.00 off is capped at what is left
    assert dict(result.discount_amounts) == {"di_line": 100, "di_inv": 1100}


def test_discounts_stack_in_order_and_skip_credits() -> None:
    lines = [Line(2000), Line(-500)]
    result = totals(lines, [Off("di_1", percent_off=Decimal(50)), Off("di_2", amount_off=300)])
    assert dict(result.discount_amounts) == {"di_1": 1000, "di_2": 300}
    assert result.total == 2000 - 500 - 1000 - 300
    assert lines[1].discount_amounts == []


def test_balance_credit_is_used_and_negative_totals_become_credit() -> None:
    assert apply_balance(2000, 0) == (2000, 0)
    assert apply_balance(2000, -500) == (1500, 0)
    assert apply_balance(300, -500) == (0, -200)
    assert apply_balance(-300, 0) == (0, -300)
    assert apply_balance(2000, 250) == (2250, 0)


def test_timeline_pops_in_time_then_rank_then_insertion_order() -> None:
    tl = Timeline()
    tl.add(20, "retry", "in_1")
    tl.add(10, "renew", "sub_2", rank=10)
    tl.add(10, "finalize", "in_3", rank=5)
    tl.add(10, "renew", "sub_4", rank=10)
    assert tl.next_at() == 10
    order = []
    while (due := tl.pop_due(15)) is not None:
        order.append((due.action, due.oid))
    assert order == [("finalize", "in_3"), ("renew", "sub_2"), ("renew", "sub_4")]
    assert tl.pop_due(19) is None and len(tl) == 1
    tl.add(12, "late", "x")  # added while running: still comes out in time order
    assert tl.pop_due(100).oid == "x"  # type: ignore[union-attr]
