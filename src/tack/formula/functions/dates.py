"""Dates: TODAY, NOW, DATE, YEAR, MONTH, DAY, WEEKDAY, HOUR, MINUTE, DATEDIF, DATEADD, EOMONTH,
WORKDAY, NETWORKDAYS.

Dates are `datetime.date`; moments are aware datetimes, read in the organization's time zone
(from the evaluation context) whenever a calendar question is asked of them. TODAY and NOW
read the injected clock. Working days are Monday to Friday; WORKDAY and NETWORKDAYS count
them with arithmetic, not day-by-day loops, so a span of centuries costs the same as a week.
A function of a blank date is blank.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from tack.formula.context import EvalContext
from tack.formula.functions.base import (
    A_DATE,
    A_DATETIME,
    A_NUMBER,
    A_TEXT,
    DATES_ARG,
    Param,
    function,
    same_as,
)
from tack.formula.sqlbase import NO_CONST, SqlBuilder, SqlValue
from tack.formula.types import DATE, DATETIME, NUMBER
from tack.formula.values import NUM, VALUE, fail, flatten, to_date, to_datetime, to_int, to_number, to_text

F = "dates"


def _date_or_none(v: Any, ctx: EvalContext) -> dt.date | None:
    return to_date(v, ctx.tz)


def _safe(make: Any, *args: Any) -> Any:
    try:
        return make(*args)
    except (OverflowError, ValueError):
        fail(NUM, "the date is out of range")


@function("TODAY", F, [], DATE, "Today's date in the organization's time zone", volatile=True)
def _today(ctx: EvalContext) -> dt.date:
    return ctx.today


@function("NOW", F, [], DATETIME, "The current date and time", volatile=True)
def _now(ctx: EvalContext) -> dt.datetime:
    return ctx.now


def add_months(d: dt.date, months: int) -> dt.date:
    """Month arithmetic that keeps the day where it can: Jan 31 + 1 month = Feb 28 (or 29)."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        fail(NUM, "the date is out of range")
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return d.replace(year=year, month=month + 1, day=day)


@function("DATE", F, [Param("year", A_NUMBER), Param("month", A_NUMBER), Param("day", A_NUMBER)], DATE,
          "The date with this year, month and day (months and days past the end roll over)")
def _date(ctx: EvalContext, y: Any, m: Any, d: Any) -> dt.date:
    year, month, day = to_int(y), to_int(m), to_int(d)
    if not 1 <= year <= 9999:
        fail(NUM, "the year must be between 1 and 9999")
    first = add_months(dt.date(year, 1, 1), month - 1)
    return _safe(lambda: first + dt.timedelta(days=day - 1))  # type: ignore[no-any-return]


def _part_sql(part: str) -> Any:
    def sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
        if args[0].type != DATE:
            b.unsupported(f"{part.upper()} of a date and time cannot run in a filter")
        return b.value(b.date_part(part, args[0].expr), NUMBER, args[0].blank)

    return sql


_DATE = Param("date", A_DATE)


@function("YEAR", F, [_DATE], NUMBER, "The year of a date", sql=_part_sql("year"))
def _year(ctx: EvalContext, v: Any) -> int | None:
    d = _date_or_none(v, ctx)
    return d.year if d else None


@function("MONTH", F, [_DATE], NUMBER, "The month of a date, 1 to 12", sql=_part_sql("month"))
def _month(ctx: EvalContext, v: Any) -> int | None:
    d = _date_or_none(v, ctx)
    return d.month if d else None


@function("DAY", F, [_DATE], NUMBER, "The day of the month of a date, 1 to 31", sql=_part_sql("day"))
def _day(ctx: EvalContext, v: Any) -> int | None:
    d = _date_or_none(v, ctx)
    return d.day if d else None


@function("WEEKDAY", F, [_DATE, Param("return_type", A_NUMBER, True)], NUMBER,
          "The day of the week: 1 (Sunday) to 7; with type 2, 1 (Monday) to 7; type 3, 0 (Monday) to 6")
def _weekday(ctx: EvalContext, v: Any, kind: Any = 1) -> int | None:
    d = _date_or_none(v, ctx)
    if d is None:
        return None
    k = to_int(kind)
    if k == 1:
        return (d.weekday() + 1) % 7 + 1
    if k == 2:
        return d.weekday() + 1
    if k == 3:
        return d.weekday()
    fail(NUM, "WEEKDAY's type is 1, 2 or 3")


@function("HOUR", F, [Param("time", A_DATETIME)], NUMBER, "The hour of a date and time, 0 to 23")
def _hour(ctx: EvalContext, v: Any) -> int | None:
    t = to_datetime(v, ctx.tz)
    return t.astimezone(ctx.tz).hour if t else None


@function("MINUTE", F, [Param("time", A_DATETIME)], NUMBER, "The minute of a date and time, 0 to 59")
def _minute(ctx: EvalContext, v: Any) -> int | None:
    t = to_datetime(v, ctx.tz)
    return t.astimezone(ctx.tz).minute if t else None


def _months_between(a: dt.date, b: dt.date) -> int:
    months = (b.year - a.year) * 12 + b.month - a.month
    return months - 1 if b.day < a.day else months


def _datedif_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    if args[2].const is NO_CONST or str(args[2].const).upper() != "D" or DATETIME in (args[0].type, args[1].type):
        b.unsupported('DATEDIF cannot run in a filter except in whole days ("D") between dates')
    start, end = args[0].expr, args[1].expr
    expr = sa.case((start > end, sa.null()), else_=b.days_between(end, start))
    return b.value(expr, NUMBER, b.blank_if_any(args[0], args[1]))


@function("DATEDIF", F, [Param("start", A_DATE), Param("end", A_DATE), Param("unit", A_TEXT)], NUMBER,
          'Whole years ("Y"), months ("M") or days ("D") from start to end; also "YM", "MD", "YD"',
          sql=_datedif_sql)
def _datedif(ctx: EvalContext, start: Any, end: Any, unit: Any) -> int | None:
    a, b = _date_or_none(start, ctx), _date_or_none(end, ctx)
    if a is None or b is None:
        return None
    if a > b:
        fail(NUM, "DATEDIF's start is after its end")
    u = to_text(unit).strip().upper()
    months = _months_between(a, b)
    if u == "D":
        return (b - a).days
    if u == "M":
        return months
    if u == "Y":
        return months // 12
    if u == "YM":
        return months % 12
    if u == "MD":
        return (b - add_months(a, months)).days
    if u == "YD":
        return (b - add_months(a, months - months % 12)).days
    fail(VALUE, 'DATEDIF\'s unit is "Y", "M", "D", "YM", "MD" or "YD"')


_UNITS = {
    "y": "years", "year": "years", "years": "years",
    "m": "months", "month": "months", "months": "months",
    "w": "weeks", "week": "weeks", "weeks": "weeks",
    "d": "days", "day": "days", "days": "days",
    "h": "hours", "hour": "hours", "hours": "hours",
    "mi": "minutes", "n": "minutes", "minute": "minutes", "minutes": "minutes",
}  # fmt: skip


def _dateadd_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    unit = _UNITS.get(str(args[2].const).lower(), "") if len(args) > 2 else "days"
    if args[0].type != DATE or (len(args) > 2 and args[2].const is NO_CONST) or unit not in ("days", "weeks"):
        b.unsupported("DATEADD cannot run in a filter except by days or weeks on a date")
    n = b.operand(args[1])
    if unit == "weeks":
        n = b.trunc(n) * 7
    return b.value(b.add_days(args[0].expr, n), DATE, args[0].blank)


@function("DATEADD", F, [Param("date", A_DATE), Param("count", A_NUMBER), Param("unit", A_TEXT, True)],
          same_as(0), 'A date moved by a count of "D" days (default), "W" weeks, "M" months, "Y" years, '
          'or for a date and time also "H" hours, "MI" minutes', sql=_dateadd_sql)
def _dateadd(ctx: EvalContext, v: Any, count: Any, unit: Any = "D") -> dt.date | None:
    u = _UNITS.get(to_text(unit).strip().lower())
    if u is None:
        fail(VALUE, 'DATEADD\'s unit is "Y", "M", "W", "D", "H" or "MI"')
    if v is None:
        return None
    d = to_datetime(v, ctx.tz) if isinstance(v, dt.datetime) else to_date(v, ctx.tz)
    assert d is not None
    if u in ("years", "months"):
        return add_months(d, to_int(count) * (12 if u == "years" else 1))
    if isinstance(d, dt.datetime):
        return _safe(lambda: d + dt.timedelta(**{u: to_number(count)}))  # type: ignore[no-any-return]
    if u in ("hours", "minutes"):
        fail(VALUE, "a date has no hours or minutes; use a date and time")
    return _safe(lambda: d + dt.timedelta(**{u: to_int(count)}))  # type: ignore[no-any-return]


@function("EOMONTH", F, [_DATE, Param("months", A_NUMBER, True)], DATE,
          "The last day of the month, some months before or after a date")
def _eomonth(ctx: EvalContext, v: Any, months: Any = 0) -> dt.date | None:
    d = _date_or_none(v, ctx)
    if d is None:
        return None
    first = add_months(d.replace(day=1), to_int(months))
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


# ---- working days: Monday..Friday, numbered consecutively ------------------------------------
# date(1, 1, 1) is a Monday. A date's work number is the count of weekdays before it, so a
# Saturday or Sunday has the number of the Monday after it.


def _work_number(d: dt.date) -> int:
    week, day = divmod(d.toordinal() - 1, 7)
    return week * 5 + min(day, 5)


def _from_work_number(n: int) -> dt.date:
    week, day = divmod(n, 5)
    return _safe(dt.date.fromordinal, week * 7 + day + 1)  # type: ignore[no-any-return]


def _holidays(ctx: EvalContext, holidays: Any) -> list[dt.date]:
    days = {to_date(h, ctx.tz) for h in flatten([holidays]) if h is not None}
    return sorted(d for d in days if d is not None and d.weekday() < 5)


_HOLIDAYS = Param("holidays", DATES_ARG, optional=True)


@function("WORKDAY", F, [Param("start", A_DATE), Param("days", A_NUMBER), _HOLIDAYS], DATE,
          "The date a number of working days (Monday to Friday, minus holidays) after start")
def _workday(ctx: EvalContext, start: Any, days: Any, holidays: Any = None) -> dt.date | None:
    d = _date_or_none(start, ctx)
    if d is None:
        return None
    n = to_int(days)
    if n == 0:
        return d
    base = _work_number(d) - (1 if d.weekday() >= 5 and n > 0 else 0)
    end = _from_work_number(base + n)
    hol, lo = _holidays(ctx, holidays), d
    # Each holiday passed over pushes the end one more working day; repeat over the new stretch.
    while hol:
        if n > 0:
            k = sum(1 for h in hol if lo < h <= end)
        else:
            k = sum(1 for h in hol if end <= h < lo)
        if not k:
            break
        lo, end = end, _from_work_number(_work_number(end) + (k if n > 0 else -k))
    return end


@function("NETWORKDAYS", F, [Param("start", A_DATE), Param("end", A_DATE), _HOLIDAYS], NUMBER,
          "The number of working days from start to end, both included, minus holidays")
def _networkdays(ctx: EvalContext, start: Any, end: Any, holidays: Any = None) -> int | None:
    a, b = _date_or_none(start, ctx), _date_or_none(end, ctx)
    if a is None or b is None:
        return None
    sign = 1
    if a > b:
        a, b, sign = b, a, -1
    days = _work_number(b) - _work_number(a) + (1 if b.weekday() < 5 else 0)
    days -= sum(1 for h in _holidays(ctx, holidays) if a <= h <= b)
    return sign * days
