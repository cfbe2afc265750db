"""Relative periods ("this week", "last 30 days") as half-open ranges of days in the
organization's time zone, computed from the injected clock when the query runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

NAMED = ("today", "yesterday", "tomorrow", "this_week", "last_week", "next_week", "this_month", "last_month",
         "next_month", "this_quarter", "last_quarter", "next_quarter", "this_year", "last_year", "next_year")
MAX_DAYS = 36_600


class BadPeriod(ValueError):
    pass


def check_period(value: Any) -> Any:
    """A named period, or {"last_days": N} / {"next_days": N} (N from 1 to 36,600)."""
    if isinstance(value, str) and value in NAMED:
        return value
    if isinstance(value, dict) and len(value) == 1:
        (key, n), = value.items()
        if key in ("last_days", "next_days") and isinstance(n, int) and not isinstance(n, bool) \
                and 1 <= n <= MAX_DAYS:
            return {key: n}
    raise BadPeriod("Expected a period: " + ", ".join(NAMED) + ', {"last_days": N} or {"next_days": N}.')


def _month_start(d: dt.date, shift: int) -> dt.date:
    m = d.year * 12 + d.month - 1 + shift
    return dt.date(m // 12, m % 12 + 1, 1)


def day_range(period: Any, today: dt.date) -> tuple[dt.date, dt.date]:
    """[first day, day after the last): weeks start on Monday; "last 30 days" is today and the
    29 days before it, "next 7 days" today and the 6 after (as spreadsheet tools count)."""
    if isinstance(period, dict):
        (key, n), = period.items()
        if key == "last_days":
            return today - dt.timedelta(days=n - 1), today + dt.timedelta(days=1)
        return today, today + dt.timedelta(days=n)
    one = dt.timedelta(days=1)
    if period in ("today", "yesterday", "tomorrow"):
        start = today + {"today": 0, "yesterday": -1, "tomorrow": 1}[period] * one
        return start, start + one
    kind, unit = period.split("_", 1)
    shift = {"this": 0, "last": -1, "next": 1}[kind]
    if unit == "week":
        start = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=shift)
        return start, start + dt.timedelta(weeks=1)
    if unit == "month":
        return _month_start(today, shift), _month_start(today, shift + 1)
    if unit == "quarter":
        first = _month_start(today, -((today.month - 1) % 3))
        return _month_start(first, 3 * shift), _month_start(first, 3 * shift + 3)
    year = today.year + shift
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
