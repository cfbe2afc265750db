"""The working calendar: due times in natural and working time (holidays, make-up working days,
breaks, daylight saving time), its properties under hypothesis, and its API on both databases."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from tack.app import create_app
from tack.flows.calendar import (
    TimeUnit,
    WorkCalendar,
    WorkCalendarIn,
    add_time,
    calendar_errors,
    is_working_day,
    is_working_time,
    periods_on,
)
from tack.flows.calendar_api import router as calendar_router
from tack.flows.calendar_service import load_calendar
from tack.runtime import Runtime
from tests.directory.conftest import sign_in, system_ctx

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT = WorkCalendar()
# China's National Day week of 2025: Wednesday 1 to Wednesday 8 October off, made up on
# Sunday 28 September and Saturday 11 October.
NATIONAL_DAY = WorkCalendar(holidays=frozenset(dt.date(2025, 10, d) for d in range(1, 9)),
                            workdays=frozenset({dt.date(2025, 9, 28), dt.date(2025, 10, 11)}))


def local(text: str, tz: ZoneInfo = SHANGHAI) -> dt.datetime:
    """A wall-clock time in `tz`, as the aware UTC instant the arithmetic takes."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(dt.UTC)


def due(start: str, amount: float, unit: TimeUnit, cal: WorkCalendar = DEFAULT, tz: ZoneInfo = SHANGHAI) -> str:
    """The due time as the wall clock in `tz` shows it."""
    result = add_time(local(start, tz), amount, unit, cal, tz)
    assert result.tzinfo == dt.UTC
    return result.astimezone(tz).strftime("%a %Y-%m-%d %H:%M")


# -- concrete cases ------------------------------------------------------------------------------

def test_friday_to_monday() -> None:
    # 2026-01-09 is a Friday
    assert due("2026-01-09 15:00", 1, "working_days") == "Mon 2026-01-12 15:00"
    assert due("2026-01-09 15:00", 8, "working_hours") == "Mon 2026-01-12 15:00"
    assert due("2026-01-09 15:00", 2.5, "working_days") == "Wed 2026-01-14 10:00"
    assert due("2026-01-09 09:00", 1, "working_days") == "Mon 2026-01-12 09:00"
    assert due("2026-01-09 15:00", 0, "working_days") == "Fri 2026-01-09 15:00"


def test_a_period_used_up_exactly_ends_there() -> None:
    assert due("2026-01-09 15:00", 3, "working_hours") == "Fri 2026-01-09 18:00"
    assert due("2026-01-09 11:00", 1, "working_hours") == "Fri 2026-01-09 12:00"
    assert due("2026-01-09 15:00", 3.5, "working_hours") == "Mon 2026-01-12 09:30"


def test_over_a_holiday_and_on_make_up_days() -> None:
    assert due("2025-09-30 15:00", 1, "working_days", NATIONAL_DAY) == "Thu 2025-10-09 15:00"
    assert due("2025-09-30 15:00", 8, "working_hours", NATIONAL_DAY) == "Thu 2025-10-09 15:00"
    # Friday 26 September: the next working day is the make-up Sunday
    assert due("2025-09-26 15:00", 1, "working_days", NATIONAL_DAY) == "Sun 2025-09-28 15:00"
    # Friday 10 October, late: the make-up Saturday follows
    assert due("2025-10-10 17:00", 2, "working_hours", NATIONAL_DAY) == "Sat 2025-10-11 10:00"
    # a task assigned on a holiday starts counting on the first working day after it
    assert due("2025-10-03 10:00", 1, "working_hours", NATIONAL_DAY) == "Thu 2025-10-09 10:00"
    assert is_working_day(dt.date(2025, 10, 11), NATIONAL_DAY)
    assert not is_working_day(dt.date(2025, 10, 1), NATIONAL_DAY)
    assert not is_working_day(dt.date(2025, 10, 12), NATIONAL_DAY)


def test_the_lunch_break_does_not_count() -> None:
    assert due("2026-01-06 11:00", 2, "working_hours") == "Tue 2026-01-06 14:00"
    assert due("2026-01-06 12:30", 1, "working_hours") == "Tue 2026-01-06 14:00"
    # during the break, working days count from its end: the morning is behind us
    assert due("2026-01-06 12:30", 0.5, "working_days") == "Tue 2026-01-06 17:00"
    assert due("2026-01-06 12:30", 1, "working_days") == "Wed 2026-01-07 13:00"
    no_break = WorkCalendar(break_start=None, break_end=None)
    assert due("2026-01-06 11:00", 2, "working_hours", no_break) == "Tue 2026-01-06 13:00"
    assert is_working_time(local("2026-01-06 12:59"), no_break, SHANGHAI)
    assert not is_working_time(local("2026-01-06 12:59"), DEFAULT, SHANGHAI)
    assert is_working_time(local("2026-01-06 13:00"), DEFAULT, SHANGHAI)
    assert not is_working_time(local("2026-01-06 18:00"), DEFAULT, SHANGHAI)


def test_starting_outside_working_hours() -> None:
    assert due("2026-01-06 07:00", 1, "working_hours") == "Tue 2026-01-06 10:00"
    assert due("2026-01-06 20:00", 1, "working_hours") == "Wed 2026-01-07 10:00"
    assert due("2026-01-10 10:00", 1, "working_hours") == "Mon 2026-01-12 10:00"  # a Saturday
    assert due("2026-01-06 07:00", 1, "working_days") == "Wed 2026-01-07 09:00"
    assert due("2026-01-06 20:00", 1, "working_days") == "Thu 2026-01-08 09:00"
    assert due("2026-01-10 10:00", 1, "working_days") == "Tue 2026-01-13 09:00"
    assert due("2026-01-06 18:00", 0.25, "working_days") == "Wed 2026-01-07 11:00"


def test_natural_time() -> None:
    assert due("2026-01-09 15:00", 90, "minutes") == "Fri 2026-01-09 16:30"
    assert due("2026-01-09 15:00", 36, "hours") == "Sun 2026-01-11 03:00"
    assert due("2026-01-09 15:00", 1, "days") == "Sat 2026-01-10 15:00"
    assert due("2026-01-09 15:00", 1.5, "days") == "Sun 2026-01-11 03:00"
    # days keep the clock time over a daylight saving change; hours count elapsed time
    assert due("2026-03-28 10:00", 1, "days", tz=BERLIN) == "Sun 2026-03-29 10:00"
    assert due("2026-03-28 10:00", 24, "hours", tz=BERLIN) == "Sun 2026-03-29 11:00"


def test_daylight_saving_in_berlin() -> None:
    # 29 March 2026 the clocks go 02:00 -> 03:00; 25 October 2026 03:00 -> 02:00
    assert due("2026-03-27 15:00", 1, "working_days", tz=BERLIN) == "Mon 2026-03-30 15:00"
    assert due("2026-03-27 15:00", 8, "working_hours", tz=BERLIN) == "Mon 2026-03-30 15:00"
    assert local("2026-03-30 15:00", BERLIN) - local("2026-03-27 15:00", BERLIN) == dt.timedelta(hours=71)
    always = WorkCalendar(work_days=frozenset(range(1, 8)), day_start="00:00", day_end="24:00",
                          break_start=None, break_end=None)
    (spring,) = periods_on(dt.date(2026, 3, 29), always, BERLIN)
    (autumn,) = periods_on(dt.date(2026, 10, 25), always, BERLIN)
    assert spring[1] - spring[0] == dt.timedelta(hours=23) and autumn[1] - autumn[0] == dt.timedelta(hours=25)
    assert due("2026-03-28 12:00", 24, "working_hours", always, BERLIN) == "Sun 2026-03-29 13:00"
    assert due("2026-03-28 12:00", 1, "working_days", always, BERLIN) == "Sun 2026-03-29 12:00"
    assert due("2026-10-24 12:00", 24, "working_hours", always, BERLIN) == "Sun 2026-10-25 11:00"
    # a day starting at a wall time the clock skips starts when the clock jumps
    early = WorkCalendar(work_days=frozenset(range(1, 8)), day_start="02:30", day_end="18:00",
                         break_start=None, break_end=None)
    (start, end), = periods_on(dt.date(2026, 3, 29), early, BERLIN)
    assert start.astimezone(BERLIN).strftime("%H:%M") == "03:00" and end - start == dt.timedelta(hours=15)
    # a wall time shown twice is its first showing
    late = WorkCalendar(work_days=frozenset(range(1, 8)), day_start="02:30", day_end="18:00",
                        break_start=None, break_end=None)
    (start, _), = periods_on(dt.date(2026, 10, 25), late, BERLIN)
    assert start == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)


def test_shanghai_default_calendar() -> None:
    # 2026-01-09T07:00Z is Friday 15:00 in Shanghai (UTC+8, no daylight saving)
    start = dt.datetime(2026, 1, 9, 7, 0, tzinfo=dt.UTC)
    assert add_time(start, 1, "working_days", DEFAULT, SHANGHAI) == dt.datetime(2026, 1, 12, 7, 0, tzinfo=dt.UTC)
    assert add_time(start, 4, "working_hours", DEFAULT, SHANGHAI) == dt.datetime(2026, 1, 12, 2, 0, tzinfo=dt.UTC)
    # any offset in, UTC out
    plus8 = start.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert add_time(plus8, 1, "hours", DEFAULT, SHANGHAI) == dt.datetime(2026, 1, 9, 8, 0, tzinfo=dt.UTC)


def test_bad_input_and_hopeless_calendars_fail_fast() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        add_time(dt.datetime(2026, 1, 9, 15), 1, "hours", DEFAULT, SHANGHAI)
    with pytest.raises(ValueError, match="zero or more"):
        add_time(local("2026-01-09 15:00"), -1, "hours", DEFAULT, SHANGHAI)
    with pytest.raises(ValueError, match="finite"):
        add_time(local("2026-01-09 15:00"), float("nan"), "working_hours", DEFAULT, SHANGHAI)
    nothing = WorkCalendar(work_days=frozenset())
    once = WorkCalendar(work_days=frozenset(), workdays=frozenset({dt.date(2026, 2, 1)}))
    only_sundays_all_off = WorkCalendar(work_days=frozenset({7}), holidays=frozenset(
        dt.date(2026, 1, 4) + dt.timedelta(weeks=w) for w in range(600)))
    began = time.perf_counter()
    for cal in (nothing, once, only_sundays_all_off):
        for unit in ("working_hours", "working_days"):
            with pytest.raises(ValueError, match="10 years"):
                add_time(local("2026-03-01 10:00"), 1, unit, cal, SHANGHAI)
    with pytest.raises(ValueError, match="10 years"):
        add_time(local("2026-01-09 15:00"), 100_000, "working_days", DEFAULT, SHANGHAI)
    assert time.perf_counter() - began < 2, "searches are capped"
    assert due("2026-01-09 15:00", 0.75, "working_days", once) == "Sun 2026-02-01 16:00"


def test_calendar_errors_name_their_paths() -> None:
    def rules(**kw: Any) -> list[tuple[str, str]]:
        import msgspec
        body = msgspec.convert(kw, WorkCalendarIn)
        return [(e.path, e.rule) for e in calendar_errors(body)]

    assert rules() == []
    assert rules(day_start="18:00", day_end="09:00") == [("$.day_end", "after-start")]
    assert rules(break_start="08:00", break_end="09:30") == [("$.break_start", "within-day")]
    assert rules(break_start="13:00", break_end="12:00") == [("$.break_end", "after-start")]
    assert rules(break_end=None) == [("$.break_end", "required")]
    assert rules(break_start=None, break_end=None, day_end="24:00") == []
    assert rules(work_days=[1, 1]) == [("$.work_days", "unique")]
    assert rules(work_days=[]) == [("$.work_days", "working-days")]
    assert rules(work_days=[], days=[{"day": "2026-02-01", "kind": "workday"}]) == []
    assert rules(days=[{"day": "2026-02-01", "kind": "holiday"}, {"day": "2026-02-02", "kind": "holiday"},
                       {"day": "2026-02-01", "kind": "workday"}]) == [("$.days[2].day", "unique")]
    many = [{"day": (dt.date(2026, 1, 1) + dt.timedelta(days=i)).isoformat(), "kind": "holiday"}
            for i in range(1001)]
    assert rules(days=many) == [("$.days", "max-items")]


# -- properties ----------------------------------------------------------------------------------

ZONES = [ZoneInfo(z) for z in ("UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York",
                               "Australia/Lord_Howe", "America/St_Johns", "Asia/Kathmandu")]
FIRST, LAST = dt.date(2026, 1, 1), dt.date(2027, 12, 31)


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    quarter = st.integers(0, 96)
    start, end = sorted(draw(st.lists(quarter, min_size=2, max_size=2, unique=True)))
    brk: tuple[str | None, str | None] = (None, None)
    if end - start >= 3 and draw(st.booleans()):
        b0, b1 = sorted(draw(st.lists(st.integers(start + 1, end - 1), min_size=2, max_size=2, unique=True)))
        brk = (_hhmm(b0), _hhmm(b1))
    dates = st.dates(FIRST, LAST)
    special = draw(st.lists(dates, max_size=40, unique=True))
    cut = draw(st.integers(0, len(special)))
    return WorkCalendar(work_days=frozenset(draw(st.sets(st.integers(1, 7), min_size=1))),
                        day_start=_hhmm(start), day_end=_hhmm(end), break_start=brk[0], break_end=brk[1],
                        holidays=frozenset(special[:cut]), workdays=frozenset(special[cut:]))


def _hhmm(quarters: int) -> str:
    return f"{quarters // 4:02d}:{quarters % 4 * 15:02d}"


starts = st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=dt.UTC))
minutes = st.integers(0, 60 * 120)
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(calendars(), st.sampled_from(ZONES), starts, st.sampled_from(["minutes", "hours", "days", "working_hours",
                                                                     "working_days"]),
       st.floats(0, 40, allow_nan=False), st.floats(0, 40, allow_nan=False))
def test_more_time_is_never_due_earlier(cal: WorkCalendar, tz: ZoneInfo, start: dt.datetime, unit: TimeUnit,
                                        a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    first = add_time(start, lo, unit, cal, tz)
    second = _or_past_horizon(lambda: add_time(start, hi, unit, cal, tz))
    assert start <= first <= second


@PROPS
@given(calendars(), st.sampled_from(ZONES), starts, minutes.filter(bool))
def test_working_hours_land_in_working_time_and_count_exactly(cal: WorkCalendar, tz: ZoneInfo,
                                                             start: dt.datetime, amount: int) -> None:
    result = _or_past_horizon(lambda: add_time(start, amount / 60, "working_hours", cal, tz))
    day = result.astimezone(tz).date()
    ends = {end for d in (day - dt.timedelta(days=1), day) for _, end in periods_on(d, cal, tz)}
    assert is_working_time(result, cal, tz) or result in ends
    # the working time between start and the due time is the amount, to the second
    counted, d = dt.timedelta(), start.astimezone(tz).date() - dt.timedelta(days=1)
    while d <= day:
        for a, b in periods_on(d, cal, tz):
            counted += max(dt.timedelta(), min(b, result) - max(a, start))
        d += dt.timedelta(days=1)
    assert counted == dt.timedelta(minutes=amount)


@PROPS
@given(calendars(), st.sampled_from(ZONES), starts, minutes, minutes)
def test_working_hours_add_up(cal: WorkCalendar, tz: ZoneInfo, start: dt.datetime, a: int, b: int) -> None:
    once = _or_past_horizon(lambda: add_time(start, (a + b) / 60, "working_hours", cal, tz))
    twice = add_time(add_time(start, a / 60, "working_hours", cal, tz), b / 60, "working_hours", cal, tz)
    assert once == twice


@PROPS
@given(calendars(), st.sampled_from(ZONES), starts, st.integers(1, 20))
def test_whole_working_days_land_on_working_days(cal: WorkCalendar, tz: ZoneInfo, start: dt.datetime,
                                                 n: int) -> None:
    result = _or_past_horizon(lambda: add_time(start, n, "working_days", cal, tz))
    day = result.astimezone(tz).date()
    assert is_working_day(day, cal)
    # (on the day the clocks change, a period may fall wholly in the skipped hour)
    assert is_working_time(result, cal, tz) or _clocks_change(day, tz)


def _or_past_horizon(due_time: Callable[[], dt.datetime]) -> dt.datetime:
    """The due time; cases whose due time lies past the ten-year search are not this test's
    business (a calendar of 15 minutes a week runs out of them)."""
    try:
        return due_time()
    except ValueError as exc:
        assert "10 years" in str(exc)
        reject()
        raise


def _clocks_change(day: dt.date, tz: ZoneInfo) -> bool:
    midnight = dt.datetime.combine(day, dt.time(), tz)
    return midnight.utcoffset() != (midnight + dt.timedelta(days=1)).utcoffset()


# -- the API, on both databases --------------------------------------------------------------

@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[AsyncTestClient[Any]]:
    """The app, with the calendar's routes even before app.py mounts them."""
    app = create_app(rt.settings, runtime=rt, start_runtime=False)
    if not any(r.path.endswith("/calendar/due") for r in app.routes):
        app.register(calendar_router)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c


GOLDEN_WEEK = {
    "work_days": [1, 2, 3, 4, 5], "day_start": "09:00", "day_end": "18:00",
    "break_start": "12:00", "break_end": "13:00",
    "days": [{"day": f"2025-10-0{d}", "kind": "holiday", "name": "National Day"} for d in range(1, 9)]
    + [{"day": "2025-09-28", "kind": "workday", "name": "Make-up day"},
       {"day": "2025-10-11", "kind": "workday", "name": "Make-up day"}],
}


async def test_default_calendar_and_due_times(client: AsyncTestClient[Any], demo: dict[str, Any], alice: Any,
                                              rt: Runtime) -> None:
    base = f"/api/v1/orgs/{demo['org_id']}/calendar"
    r = await alice.get(base)
    assert r.status_code == 200, r.text
    assert r.json() == {"work_days": [1, 2, 3, 4, 5], "day_start": "09:00", "day_end": "18:00",
                        "break_start": "12:00", "break_end": "13:00", "days": [], "time_zone": "Asia/Shanghai",
                        "hours_per_day": 8.0, "is_default": True, "updated_at": None}
    r = await alice.post(f"{base}/due", {"start": "2026-01-09T15:00:00+08:00", "amount": 1, "unit": "working_days"})
    assert r.status_code == 200, r.text
    assert r.json()["due_at"] == "2026-01-12T07:00:00Z" and r.json()["time_zone"] == "Asia/Shanghai"
    async with system_ctx(rt, demo["org_id"], write=False) as ctx:
        assert await load_calendar(ctx) == WorkCalendar(time_zone="Asia/Shanghai")


async def test_admins_replace_the_calendar(client: AsyncTestClient[Any], demo: dict[str, Any], alice: Any,
                                           rt: Runtime) -> None:
    base = f"/api/v1/orgs/{demo['org_id']}/calendar"
    r = await alice.put(base, GOLDEN_WEEK)
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body["is_default"] and body["updated_at"] and len(body["days"]) == 10
    assert body["days"][0] == {"day": "2025-09-28", "kind": "workday", "name": "Make-up day"}
    assert (await alice.get(base)).json() == body
    r = await alice.post(f"{base}/due", {"start": "2025-09-30T15:00:00+08:00", "amount": 8, "unit": "working_hours"})
    assert r.json()["due_at"] == "2025-10-09T07:00:00Z", r.text
    async with system_ctx(rt, demo["org_id"], write=False) as ctx:
        cal = await load_calendar(ctx)
    assert cal.workdays == {dt.date(2025, 9, 28), dt.date(2025, 10, 11)} and len(cal.holidays) == 8
    # a member reads it and asks for due times, but may not change it
    carol = await sign_in(client, "carol@example.com")
    assert (await carol.get(base)).json()["days"] == body["days"]
    r = await carol.post(f"{base}/due", {"start": "2025-10-10T17:00:00+08:00", "amount": 2, "unit": "working_hours"})
    assert r.json()["due_at"] == "2025-10-11T02:00:00Z", r.text
    r = await carol.put(base, {})
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    # PUT replaces the whole calendar: the special days not sent are gone
    alice = await sign_in(client, "alice@example.com")
    r = await alice.put(base, {"work_days": [1, 2, 3, 4, 5, 6], "day_start": "08:30", "day_end": "17:30",
                               "break_start": None, "break_end": None,
                               "days": [{"day": "2026-01-01", "kind": "holiday", "name": "New Year"}]})
    assert r.status_code == 200, r.text
    assert r.json()["hours_per_day"] == 9.0 and [d["day"] for d in r.json()["days"]] == ["2026-01-01"]
    r = await alice.post(f"{base}/due", {"start": "2026-01-09T17:00:00+08:00", "amount": 1, "unit": "working_hours"})
    assert r.json()["due_at"] == "2026-01-10T01:00:00Z", "Saturday 09:00 is now working time"


async def test_bad_calendars_and_queries_get_clear_answers(client: AsyncTestClient[Any], demo: dict[str, Any],
                                                           alice: Any) -> None:
    base = f"/api/v1/orgs/{demo['org_id']}/calendar"

    async def paths(body: dict[str, Any], url: str = base, method: str = "put") -> tuple[int, list[tuple[str, str]]]:
        r = await getattr(alice, method)(url, body)
        assert r.headers["content-type"].startswith("application/problem+json"), r.text
        return r.status_code, [(e["path"], e["rule"]) for e in r.json().get("errors", [])]

    assert await paths({"day_start": "18:00", "day_end": "09:00", "break_start": None, "break_end": None}) == (
        422, [("$.day_end", "after-start")])
    assert await paths({"break_start": "07:00", "break_end": "08:00"}) == (422, [("$.break_start", "within-day")])
    assert await paths({"work_days": []}) == (422, [("$.work_days", "working-days")])
    assert await paths({"days": [{"day": "2026-05-01", "kind": "holiday"}, {"day": "2026-05-01", "kind": "workday"}]}
                       ) == (422, [("$.days[1].day", "unique")])
    many = [{"day": (dt.date(2026, 1, 1) + dt.timedelta(days=i)).isoformat(), "kind": "holiday"} for i in range(1001)]
    assert await paths({"days": many}) == (422, [("$.days", "max-items")])
    status, _ = await paths({"day_start": "9am"})
    assert status == 400
    assert (await alice.get(base)).json()["is_default"], "nothing was stored"
    due = f"{base}/due"
    assert await paths({"start": "2026-01-09T15:00:00", "amount": 1}, due, "post") == (422, [("$.start", "time-zone")])
    assert await paths({"amount": 100_000, "unit": "working_days"}, due, "post") == (422, [("$.amount", "range")])
    status, _ = await paths({"amount": -1}, due, "post")
    assert status == 400
    r = await alice.post(due, {"amount": 2, "unit": "hours"})
    assert r.status_code == 200, r.text
    answer = r.json()
    start = dt.datetime.fromisoformat(answer["start"])
    assert dt.datetime.fromisoformat(answer["due_at"]) - start == dt.timedelta(hours=2)
