"""The organization's working calendar, and time arithmetic on it (pure: no I/O).

Approval flows time their tasks out in natural time (minutes, hours, days) or in working time
(working hours, working days). Working time is what falls inside the calendar's working periods
(`day_start`–`break_start` and `break_end`–`day_end`, wall-clock times in the organization's
time zone) on its working days: the weekdays in `work_days`, less the holidays, plus the
make-up working days that some countries (China, for one) put on weekends around a holiday.

Wall-clock times become instants through the time zone, so a period is as long as the clock
says it is, also on the days daylight saving time starts or ends. A wall time the clock skips
(spring forward) means the moment of the jump; a wall time it shows twice (fall back) means its
first showing. That mapping never goes backwards, which is what keeps due times monotonic.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta

from tack.core.errors import FieldError

TimeUnit = Literal["minutes", "hours", "days", "working_hours", "working_days"]
DayKind = Literal["holiday", "workday"]
TimeOfDay = Annotated[str, Meta(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
                                description="A wall-clock time HH:MM (00:00 to 24:00) in the organization's time zone")]
IsoWeekday = Annotated[int, Meta(ge=1, le=7, description="An ISO weekday: 1 is Monday, 7 is Sunday")]

MONDAY_TO_FRIDAY: frozenset[int] = frozenset({1, 2, 3, 4, 5})
# How far ahead a due time is searched for. A calendar with almost no working days (or an
# absurd timeout) ends in a clear error instead of a loop; no approval waits ten years.
SEARCH_DAYS = 3653
MAX_SPECIAL_DAYS = 1000
_DAY = 86_400
_US = 1_000_000


class WorkCalendar(msgspec.Struct, frozen=True, kw_only=True):
    """The calendar the arithmetic works on. The default (no row stored) is Monday to Friday,
    09:00–18:00 with a lunch break 12:00–13:00, and no holidays."""

    work_days: frozenset[int] = MONDAY_TO_FRIDAY
    day_start: str = "09:00"
    day_end: str = "18:00"
    break_start: str | None = "12:00"
    break_end: str | None = "13:00"
    holidays: frozenset[dt.date] = frozenset()
    # Make-up working days: worked even when their weekday is not in `work_days`.
    workdays: frozenset[dt.date] = frozenset()
    # The organization's IANA time zone, filled by `load_calendar` (the arithmetic takes `tz`).
    time_zone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


# -- on the wire -------------------------------------------------------------------------------

class SpecialDay(msgspec.Struct, forbid_unknown_fields=True):
    """A date that breaks the weekly rule: a holiday (not worked) or a make-up working day."""

    day: dt.date
    kind: DayKind
    name: Annotated[str, Meta(max_length=100)] = ""


class WorkCalendarIn(msgspec.Struct, forbid_unknown_fields=True):
    """The whole calendar, as `PUT` replaces it. Leave the break out for 12:00–13:00; send
    `null` for both ends for no break."""

    work_days: Annotated[list[IsoWeekday], Meta(max_length=7)] = msgspec.field(
        default_factory=lambda: [1, 2, 3, 4, 5])
    day_start: TimeOfDay = "09:00"
    day_end: TimeOfDay = "18:00"
    break_start: TimeOfDay | None = "12:00"
    break_end: TimeOfDay | None = "13:00"
    # The schema's bound only keeps absurd bodies out; the service answers 422 past MAX_SPECIAL_DAYS.
    days: Annotated[list[SpecialDay], Meta(max_length=20 * MAX_SPECIAL_DAYS)] = msgspec.field(default_factory=list)


class WorkCalendarOut(msgspec.Struct):
    work_days: list[int]
    day_start: str
    day_end: str
    break_start: str | None
    break_end: str | None
    days: list[SpecialDay]
    time_zone: str  # the organization's; change it in the organization's settings
    hours_per_day: float  # working hours in one working day
    is_default: bool  # nothing stored yet: the default calendar applies
    updated_at: dt.datetime | None = None


class DueQuery(msgspec.Struct, forbid_unknown_fields=True):
    """`start` defaults to now; it must carry a UTC offset."""

    amount: Annotated[float, Meta(ge=0, le=100_000)]
    unit: TimeUnit = "hours"
    start: dt.datetime | None = None


class DueAnswer(msgspec.Struct):
    start: dt.datetime
    due_at: dt.datetime
    time_zone: str


def calendar_errors(body: WorkCalendarIn) -> list[FieldError]:
    """Every rule `body` breaks, each named by its JSON path (empty: the calendar is sound)."""
    errors: list[FieldError] = []

    def bad(path: str, message: str, rule: str) -> None:
        errors.append(FieldError(path=path, message=message, rule=rule))

    if len(set(body.work_days)) != len(body.work_days):
        bad("$.work_days", "A weekday is listed twice.", "unique")
    if not body.work_days and not any(d.kind == "workday" for d in body.days):
        bad("$.work_days", "A calendar needs working days: name at least one weekday.", "working-days")
    start, end = _seconds(body.day_start), _seconds(body.day_end)
    if start >= end:
        bad("$.day_end", "The working day must end after it starts.", "after-start")
    if (body.break_start is None) != (body.break_end is None):
        missing = "break_end" if body.break_end is None else "break_start"
        bad(f"$.{missing}", "A break needs both a start and an end (or neither).", "required")
    elif body.break_start is not None and body.break_end is not None:
        b0, b1 = _seconds(body.break_start), _seconds(body.break_end)
        if b0 >= b1:
            bad("$.break_end", "The break must end after it starts.", "after-start")
        elif start < end and not (start < b0 and b1 < end):
            bad("$.break_start", f"The break must lie inside the working day ({body.day_start}–{body.day_end}).",
                "within-day")
    if len(body.days) > MAX_SPECIAL_DAYS:
        bad("$.days", f"A calendar holds at most {MAX_SPECIAL_DAYS} holidays and make-up working days; "
                      "drop the past years'.", "max-items")
    seen: dict[dt.date, int] = {}
    for i, d in enumerate(body.days):
        if d.day in seen:
            bad(f"$.days[{i}].day", f"{d.day.isoformat()} is already listed (at $.days[{seen[d.day]}]).", "unique")
        else:
            seen[d.day] = i
    return errors


# -- the arithmetic ----------------------------------------------------------------------------

def is_working_day(day: dt.date, cal: WorkCalendar) -> bool:
    if day in cal.workdays:
        return True
    if day in cal.holidays:
        return False
    return day.isoweekday() in cal.work_days


def periods_on(day: dt.date, cal: WorkCalendar, tz: ZoneInfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """The working periods of `day` (a date in `tz`) as half-open UTC intervals; none on a day off."""
    if not is_working_day(day, cal):
        return []
    return _periods(day, _spans(cal), tz)


def is_working_time(at: dt.datetime, cal: WorkCalendar, tz: ZoneInfo) -> bool:
    """`at` falls inside a working period (its start counts in, its end does not)."""
    _require_aware(at)
    at = at.astimezone(dt.UTC)
    return any(a <= at < b for a, b in periods_on(at.astimezone(tz).date(), cal, tz))


def working_seconds_per_day(cal: WorkCalendar) -> int:
    """The wall-clock length of one working day's working time, in seconds."""
    return sum(b - a for a, b in _spans(cal))


def add_time(start: dt.datetime, amount: float, unit: TimeUnit, cal: WorkCalendar, tz: ZoneInfo) -> dt.datetime:
    """When something started at `start` is due, `amount` units later.

    - `minutes`, `hours`: elapsed time. `days`: the same wall-clock time `amount` days later in
      `tz` (a fraction is that part of 24 clock hours).
    - `working_hours`: only time inside working periods counts. A result that uses up a period
      exactly is that period's end (18:00 on Friday, not 09:00 on Monday).
    - `working_days`: `amount` working days later at the same position in the working day
      (assigned Friday 15:00, one working day: Monday 15:00). Outside working time the count
      starts at the next working period's start; a fraction is that part of a working day's
      working time.

    Raises ValueError for a naive `start`, a negative or non-finite amount, or a due time more
    than ten years of calendar away.
    """
    _require_aware(start)
    if not math.isfinite(amount) or amount < 0:
        raise ValueError(f"The amount must be a finite number, zero or more (got {amount!r}).")
    try:
        start = start.astimezone(dt.UTC)
        if unit == "minutes":
            return start + dt.timedelta(minutes=amount)
        if unit == "hours":
            return start + dt.timedelta(hours=amount)
        if unit == "days":
            return _add_natural_days(start, amount, tz)
        if unit == "working_hours":
            return _add_working_seconds(start, round(amount * 3600), cal, tz)
        if unit == "working_days":
            return _add_working_days(start, amount, cal, tz)
    except OverflowError:  # near year 1 or 9999
        raise ValueError(f"{amount} {unit} from {start.isoformat()} is outside the years a date can have.") from None
    raise ValueError(f"Unknown time unit {unit!r}.")


def _add_natural_days(start: dt.datetime, amount: float, tz: ZoneInfo) -> dt.datetime:
    local = start.astimezone(tz).replace(tzinfo=None)
    wall = local + dt.timedelta(days=amount)
    midnight = dt.datetime.combine(wall.date(), dt.time())
    # During a repeated hour the wall time maps to its first showing, which may be before a
    # start taken in the second one: never answer earlier than the start.
    return max(start, _instant(wall.date(), wall - midnight, tz))


def _add_working_seconds(start: dt.datetime, seconds: int, cal: WorkCalendar, tz: ZoneInfo) -> dt.datetime:
    if seconds <= 0:
        return start
    spans = _working_spans(cal)
    remaining = dt.timedelta(seconds=seconds)
    for day in _working_days_from(start.astimezone(tz).date(), cal):
        for a, b in _periods(day, spans, tz):
            if b <= start:
                continue
            begin = max(a, start)
            if remaining <= b - begin:
                return begin + remaining
            remaining -= b - begin
    raise AssertionError("unreachable: _working_days_from raises at its limit")  # pragma: no cover


def _add_working_days(start: dt.datetime, amount: float, cal: WorkCalendar, tz: ZoneInfo) -> dt.datetime:
    spans = _working_spans(cal)
    length_us = sum(b - a for a, b in spans) * _US
    local = start.astimezone(tz)
    day = local.date()
    wall_us = ((local.hour * 60 + local.minute) * 60 + local.second) * _US + local.microsecond
    days = _working_days_from(day, cal)
    if is_working_day(day, cal) and wall_us < spans[-1][1] * _US:
        next(days)  # `day` itself is day 0
        # The working time of `day` already behind us; during a break, all of the morning.
        offset_us = sum(min(max(wall_us - a * _US, 0), (b - a) * _US) for a, b in spans)
    else:
        day, offset_us = next(d for d in days if d > day), 0
    # Integer microseconds: adding a then b lands where adding a + b does, to the microsecond.
    k, rest_us = divmod(offset_us + round(amount * length_us), length_us)
    for _ in range(k):
        day = next(days)
    for a, b in spans:
        if rest_us < (b - a) * _US:
            return max(start, _instant(day, dt.timedelta(microseconds=a * _US + rest_us), tz))
        rest_us -= (b - a) * _US
    raise AssertionError("unreachable: rest_us < length_us")  # pragma: no cover


def _working_days_from(first: dt.date, cal: WorkCalendar) -> Iterator[dt.date]:
    """The working days from `first` on, in order; ValueError past the search limit."""
    last = first + dt.timedelta(days=SEARCH_DAYS)
    # Without weekly working days only the listed make-up days are worked: stop after the last.
    if not cal.work_days:
        last = min(last, max(cal.workdays, default=first - dt.timedelta(days=1)))
    day = first
    while day <= last:
        if is_working_day(day, cal):
            yield day
        day += dt.timedelta(days=1)
    raise ValueError(f"The working calendar has no such due time within {SEARCH_DAYS // 365} years "
                     f"of {first.isoformat()}.")


def _working_spans(cal: WorkCalendar) -> list[tuple[int, int]]:
    spans = _spans(cal)
    if not spans:
        raise ValueError("The working calendar has no working hours in a day.")
    return spans


def _spans(cal: WorkCalendar) -> list[tuple[int, int]]:
    """A working day's periods as wall-clock seconds since midnight, in order, none empty.
    Clamped, so an unchecked calendar (a break outside the day) still makes sense."""
    start, end = _seconds(cal.day_start), _seconds(cal.day_end)
    if cal.break_start is None or cal.break_end is None:
        spans = [(start, end)]
    else:
        b0 = min(max(_seconds(cal.break_start), start), end)
        b1 = min(max(_seconds(cal.break_end), b0), end)
        spans = [(start, b0), (b1, end)]
    return [(a, b) for a, b in spans if a < b]


def _periods(day: dt.date, spans: list[tuple[int, int]], tz: ZoneInfo) -> list[tuple[dt.datetime, dt.datetime]]:
    out = []
    for a, b in spans:
        begin, end = _instant(day, dt.timedelta(seconds=a), tz), _instant(day, dt.timedelta(seconds=b), tz)
        if begin < end:  # a period wholly inside a skipped hour never happens
            out.append((begin, end))
    return out


def _instant(day: dt.date, since_midnight: dt.timedelta, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant the clock in `tz` shows `since_midnight` on `day` (24:00 is the next
    day's 00:00). A skipped wall time is the moment of the jump; a repeated one, its first showing."""
    wall = dt.datetime.combine(day, dt.time()) + since_midnight
    first = wall.replace(tzinfo=tz).astimezone(dt.UTC)  # fold=0: before the transition's offset
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In a gap: `first` (the old offset) lies after the jump and `fold=1` (the new offset) before
    # it. Bisect for the first instant whose clock reads `wall` or later.
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(dt.UTC)
    hi = first
    while hi - lo > dt.timedelta(microseconds=1):
        mid = lo + (hi - lo) // 2
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


def _seconds(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def _require_aware(at: dt.datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("Times must carry a UTC offset (got a naive datetime).")
