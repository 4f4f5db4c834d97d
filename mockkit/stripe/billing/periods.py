"""Billing periods: where each period of a recurring price starts and ends.

Stripe counts every period from the subscription's `billing_cycle_anchor`, not from the end of
the previous period: a monthly subscription anchored on 31 January renews on 28 (or 29)
February, then on 31 March, not on 28 March. So boundary `n` is always "anchor plus n
intervals", with the day of the month clamped to the length of the month it lands in.
All times are Unix seconds in UTC.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

__all__ = [
    "DAY",
    "INTERVALS",
    "add_intervals",
    "anchor_from_config",
    "boundary",
    "next_boundary",
    "period_containing",
]

DAY = 86400
#: Seconds in the fixed-length intervals; months and years follow the calendar.
_FIXED = {"day": DAY, "week": 7 * DAY}
INTERVALS = ("day", "week", "month", "year")


def _add_months(ts: int, months: int) -> int:
    """`ts` moved by `months` calendar months, the day clamped to the target month's length."""
    dt = datetime.fromtimestamp(ts, UTC)
    index = dt.year * 12 + (dt.month - 1) + months
    year, month = divmod(index, 12)
    day = min(dt.day, calendar.monthrange(year, month + 1)[1])
    return int(dt.replace(year=year, month=month + 1, day=day).timestamp())


def add_intervals(ts: int, interval: str, count: int) -> int:
    """`ts` moved forward by `count` intervals (`day`, `week`, `month` or `year`)."""
    if interval in _FIXED:
        return ts + _FIXED[interval] * count
    if interval == "month":
        return _add_months(ts, count)
    if interval == "year":
        return _add_months(ts, 12 * count)
    raise ValueError(f"unknown interval {interval!r}")


def boundary(anchor: int, interval: str, count: int, n: int) -> int:
    """Boundary `n` of the cycle: `anchor` plus `n * count` intervals (n may be negative)."""
    return add_intervals(anchor, interval, count * n)


def next_boundary(anchor: int, interval: str, count: int, after: int) -> int:
    """The first period boundary strictly after `after` (boundaries are anchor + k intervals)."""
    return period_containing(anchor, interval, count, after)[1]


def period_containing(anchor: int, interval: str, count: int, t: int) -> tuple[int, int]:
    """The period `[start, end)` of the cycle anchored at `anchor` that contains `t`."""
    if interval in _FIXED:
        length = _FIXED[interval] * count
        n = (t - anchor) // length
        return anchor + n * length, anchor + (n + 1) * length
    months = count * (12 if interval == "year" else 1)
    a = datetime.fromtimestamp(anchor, UTC)
    b = datetime.fromtimestamp(t, UTC)
    # An estimate from the calendar months between them, corrected by at most a step or two
    # (the clamped day of month makes the exact count depend on the day and time).
    diff = (b.year - a.year) * 12 + (b.month - a.month)
    n = diff // months
    while _add_months(anchor, n * months) > t:
        n -= 1
    while _add_months(anchor, (n + 1) * months) <= t:
        n += 1
    return _add_months(anchor, n * months), _add_months(anchor, (n + 1) * months)


def anchor_from_config(
    now: int,
    interval: str,
    day_of_month: int,
    hour: int | None = None,
    minute: int | None = None,
    second: int | None = None,
    month: int | None = None,
) -> int:
    """The first instant after `now` matching a `billing_cycle_anchor_config`.

    Monthly prices match `day_of_month` (clamped to short months) of any month; yearly ones
    also `month`. Hour, minute and second default to those of `now`, as Stripe's do.
    """
    base = datetime.fromtimestamp(now, UTC)
    h = base.hour if hour is None else hour
    mi = base.minute if minute is None else minute
    s = base.second if second is None else second
    year, mon = base.year, base.month
    for _ in range(30):
        if interval != "year" or month is None or mon == month:
            day = min(day_of_month, calendar.monthrange(year, mon)[1])
            candidate = int(datetime(year, mon, day, h, mi, s, tzinfo=UTC).timestamp())
            if candidate > now:
                return candidate
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    raise ValueError("no anchor matches the configuration")  # unreachable for valid input
