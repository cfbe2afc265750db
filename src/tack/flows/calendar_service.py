"""The organization's working calendar: read it, replace it, and load it for the flow engine.

Everyone in the organization may read the calendar (it says when their tasks fall due); only
its admins change it. The flow engine calls `load_calendar` whenever it sets a timeout in
working time: one query for the weekly rules and the time zone, one for the special days.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import NotFound, ValidationFailed
from tack.core.events import emit
from tack.directory.tables import orgs
from tack.flows.calendar import (
    DueAnswer,
    DueQuery,
    SpecialDay,
    WorkCalendar,
    WorkCalendarIn,
    WorkCalendarOut,
    add_time,
    calendar_errors,
    working_seconds_per_day,
)
from tack.flows.calendar_tables import work_calendar_days, work_calendars

DEFAULT = WorkCalendar()


async def get_calendar(ctx: Ctx) -> WorkCalendarOut:
    require(ctx.actor, "org.read")
    return await _read(ctx)


async def put_calendar(ctx: Ctx, body: WorkCalendarIn) -> WorkCalendarOut:
    """Replace the whole calendar: weekly rules and special days."""
    require(ctx.actor, "org.update")
    errors = calendar_errors(body)
    if errors:
        raise ValidationFailed("The working calendar is not valid.", errors=errors)
    values: dict[str, Any] = {
        "work_days": sorted(body.work_days), "day_start": body.day_start, "day_end": body.day_end,
        "break_start": body.break_start, "break_end": body.break_end, "updated_at": ctx.now()}
    # Update first: an organization stores its row once, then only changes it.
    res = await ctx.conn.execute(work_calendars.update().where(work_calendars.c.org_id == ctx.org_id)
                                 .values(**values))
    if res.rowcount == 0:
        await ctx.conn.execute(work_calendars.insert().values(org_id=ctx.org_id, **values))
    await ctx.conn.execute(work_calendar_days.delete().where(work_calendar_days.c.org_id == ctx.org_id))
    if body.days:
        await ctx.conn.execute(work_calendar_days.insert(), [
            {"org_id": ctx.org_id, "day": d.day, "kind": d.kind, "name": d.name.strip()}
            for d in sorted(body.days, key=lambda d: d.day)])
    await emit(ctx, "work_calendar.updated", str(ctx.org_id), {
        "work_days": values["work_days"], "day_start": body.day_start, "day_end": body.day_end,
        "break_start": body.break_start, "break_end": body.break_end,
        "holidays": sum(d.kind == "holiday" for d in body.days),
        "workdays": sum(d.kind == "workday" for d in body.days)})
    return await _read(ctx)


async def load_calendar(ctx: Ctx) -> WorkCalendar:
    """The calendar the arithmetic in `tack.flows.calendar` works on, with the organization's
    time zone in `time_zone`. No permission check: the flow engine calls it for whoever acts,
    and it reveals nothing a member may not read."""
    row = await _row(ctx)
    if row["day_start"] is None:
        return WorkCalendar(time_zone=row["time_zone"])
    days = (await ctx.conn.execute(sa.select(work_calendar_days.c.day, work_calendar_days.c.kind).where(
        work_calendar_days.c.org_id == ctx.org_id))).all()
    return WorkCalendar(
        work_days=frozenset(row["work_days"]), day_start=row["day_start"], day_end=row["day_end"],
        break_start=row["break_start"], break_end=row["break_end"],
        holidays=frozenset(d for d, kind in days if kind == "holiday"),
        workdays=frozenset(d for d, kind in days if kind == "workday"), time_zone=row["time_zone"])


async def due_at(ctx: Ctx, query: DueQuery) -> DueAnswer:
    """When something started at `query.start` (default now) is due, on this calendar."""
    require(ctx.actor, "org.read")
    start = query.start if query.start is not None else ctx.now()
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValidationFailed.field("$.start", "Give the start with a UTC offset (say 2026-01-09T15:00:00+08:00).",
                                     "time-zone")
    cal = await load_calendar(ctx)
    try:
        due = add_time(start, query.amount, query.unit, cal, cal.zone)
    except ValueError as exc:
        raise ValidationFailed.field("$.amount", str(exc), "range") from None
    return DueAnswer(start=start.astimezone(dt.UTC), due_at=due, time_zone=cal.time_zone)


# -- helpers -----------------------------------------------------------------------------------

async def _row(ctx: Ctx) -> sa.RowMapping:
    """The organization's time zone and its calendar row (all None when none is stored)."""
    q = (sa.select(orgs.c.time_zone, work_calendars.c.work_days, work_calendars.c.day_start,
                   work_calendars.c.day_end, work_calendars.c.break_start, work_calendars.c.break_end,
                   work_calendars.c.updated_at)
         .select_from(orgs.outerjoin(work_calendars, work_calendars.c.org_id == orgs.c.id))
         .where(orgs.c.id == ctx.org_id))
    row = (await ctx.conn.execute(q)).mappings().first()
    if row is None:
        raise NotFound("No such organization.")
    return row


async def _read(ctx: Ctx) -> WorkCalendarOut:
    row = await _row(ctx)
    if row["day_start"] is None:
        return _out(DEFAULT, [], row["time_zone"], None)
    days = (await ctx.conn.execute(sa.select(work_calendar_days).where(
        work_calendar_days.c.org_id == ctx.org_id).order_by(work_calendar_days.c.day))).mappings().all()
    cal = WorkCalendar(work_days=frozenset(row["work_days"]), day_start=row["day_start"], day_end=row["day_end"],
                       break_start=row["break_start"], break_end=row["break_end"])
    return _out(cal, [SpecialDay(day=d["day"], kind=d["kind"], name=d["name"]) for d in days], row["time_zone"],
                row["updated_at"])


def _out(cal: WorkCalendar, days: list[SpecialDay], time_zone: str, updated_at: dt.datetime | None) -> WorkCalendarOut:
    return WorkCalendarOut(work_days=sorted(cal.work_days), day_start=cal.day_start, day_end=cal.day_end,
                           break_start=cal.break_start, break_end=cal.break_end, days=days, time_zone=time_zone,
                           hours_per_day=round(working_seconds_per_day(cal) / 3600, 4),
                           is_default=updated_at is None, updated_at=updated_at)
