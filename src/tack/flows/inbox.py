"""The approval inbox: to do, done, initiated by me, CC to me — newest first, keyset-paged,
filterable by app, form and time, each item marked unread until its instance is opened after
the item arrived. Every tab reads one index: tasks by (org, assignee, state, created), instances
by (org, initiator, started), CC rows by (org, member, at)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any, Literal

import sqlalchemy as sa

from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import FieldError, Forbidden, ValidationFailed
from tack.directory.tables import members
from tack.flows.models import InboxCounts, InboxItem, InboxPage, Person
from tack.flows.tables import flow_cc, flow_instances, flow_reads, flow_tasks

Tab = Literal["todo", "done", "initiated", "cc"]
DONE_STATES = ("approved", "rejected", "handled", "returned", "transferred", "resubmitted")
MAX_LIMIT = 100


def _me(ctx: Ctx) -> uuid.UUID:
    require(ctx.actor, "record.read")
    if ctx.actor.member_id is None:
        raise Forbidden("The inbox belongs to a person (a session or a personal token).")
    return ctx.actor.member_id


def _cursor(at: dt.datetime, id_: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), str(id_)]).encode()).decode()


def _after(cursor: str | None) -> tuple[dt.datetime, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        at, i = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        when = dt.datetime.fromisoformat(at)
        if when.utcoffset() is None:  # this list writes aware times; a naive one was made up
            raise ValueError(at)
        return when, uuid.UUID(i)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise ValidationFailed.field("cursor", "This cursor is not one this list gave.", "cursor") from None


def _aware(**times: dt.datetime | None) -> None:
    """`since`/`until` need a UTC offset: a bare wall time could be any of 24 hours' worth of instants."""
    naive = [FieldError(path=k, message="Give the time with a UTC offset (say 2026-01-09T09:00:00+08:00).",
                        rule="time-zone") for k, v in times.items() if v is not None and v.utcoffset() is None]
    if naive:
        raise ValidationFailed("Give the times with a UTC offset.", errors=naive)


async def inbox(ctx: Ctx, tab: Tab, *, app_id: uuid.UUID | None = None, form_id: uuid.UUID | None = None,
                since: dt.datetime | None = None, until: dt.datetime | None = None, unread: bool = False,
                cursor: str | None = None, limit: int = 20) -> InboxPage:
    me = _me(ctx)
    _aware(since=since, until=until)
    limit = max(1, min(limit, MAX_LIMIT))
    reads = flow_reads.alias("r")
    if tab in ("todo", "done"):
        t = flow_tasks
        at_col, id_col, inst_col = t.c.created_at, t.c.id, t.c.instance_id
        cols = [t.c.id.label("task_id"), t.c.instance_id, t.c.title, t.c.app_id, t.c.form_id, t.c.initiator_id,
                at_col.label("at"), t.c.node_name, t.c.state, t.c.due_at, flow_instances.c.status]
        q = sa.select(*cols).select_from(t.join(flow_instances, sa.and_(
            flow_instances.c.org_id == t.c.org_id, flow_instances.c.id == t.c.instance_id))).where(
            t.c.org_id == ctx.org_id, t.c.assignee_id == me,
            t.c.state == "pending" if tab == "todo" else t.c.state.in_(DONE_STATES))
    elif tab == "initiated":
        i = flow_instances
        at_col, id_col, inst_col = i.c.started_at, i.c.id, i.c.id
        q = sa.select(sa.null().label("task_id"), i.c.id.label("instance_id"), i.c.title, i.c.app_id, i.c.form_id,
                      i.c.initiator_id, at_col.label("at"), sa.null().label("node_name"), sa.null().label("state"),
                      sa.null().label("due_at"), i.c.status).where(i.c.org_id == ctx.org_id, i.c.initiator_id == me)
    else:
        c = flow_cc
        at_col, id_col, inst_col = c.c.at, c.c.instance_id, c.c.instance_id
        q = sa.select(sa.null().label("task_id"), c.c.instance_id, c.c.title, c.c.app_id, c.c.form_id,
                      c.c.initiator_id, at_col.label("at"), sa.null().label("node_name"), sa.null().label("state"),
                      sa.null().label("due_at"), flow_instances.c.status).select_from(c.join(flow_instances, sa.and_(
                          flow_instances.c.org_id == c.c.org_id, flow_instances.c.id == c.c.instance_id))).where(
            c.c.org_id == ctx.org_id, c.c.member_id == me)
    read_at = sa.select(reads.c.read_at).where(reads.c.org_id == ctx.org_id, reads.c.member_id == me,
                                               reads.c.instance_id == inst_col).scalar_subquery()
    q = q.add_columns(read_at.label("read_at"))
    if app_id is not None:
        q = q.where(_col(q, "app_id") == app_id)
    if form_id is not None:
        q = q.where(_col(q, "form_id") == form_id)
    if since is not None:
        q = q.where(at_col >= since)
    if until is not None:
        q = q.where(at_col < until)
    if unread:
        q = q.where(sa.or_(read_at.is_(None), read_at < at_col))
    after = _after(cursor)
    if after is not None:
        q = q.where(sa.or_(at_col < after[0], sa.and_(at_col == after[0], id_col < after[1])))
    q = q.order_by(at_col.desc(), id_col.desc()).limit(limit + 1)
    rows = (await ctx.conn.execute(q)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    names = await _names(ctx, {r["initiator_id"] for r in rows if r["initiator_id"]})
    items = [InboxItem(
        instance_id=r["instance_id"], task_id=r["task_id"], title=r["title"], status=r["status"], app_id=r["app_id"],
        form_id=r["form_id"], at=r["at"], node_name=r["node_name"], state=r["state"], due_at=r["due_at"],
        initiator=Person(id=r["initiator_id"], name=names.get(r["initiator_id"], "")) if r["initiator_id"] else None,
        unread=r["read_at"] is None or r["read_at"] < r["at"]) for r in rows]
    last = rows[-1] if rows else None
    nxt = _cursor(last["at"], last["task_id"] if tab in ("todo", "done") else last["instance_id"]) \
        if more and last is not None else None
    return InboxPage(items=items, next_cursor=nxt)


def _col(q: Any, name: str) -> Any:
    for c in q.selected_columns:
        if c.name == name:
            return c
    raise KeyError(name)


async def counts(ctx: Ctx) -> InboxCounts:
    me = _me(ctx)
    r = flow_reads
    t = flow_tasks
    read_t = sa.select(r.c.read_at).where(r.c.org_id == ctx.org_id, r.c.member_id == me,
                                          r.c.instance_id == t.c.instance_id).scalar_subquery()
    todo = (await ctx.conn.execute(sa.select(sa.func.count(), sa.func.count().filter(
        sa.or_(read_t.is_(None), read_t < t.c.created_at))).where(
        t.c.org_id == ctx.org_id, t.c.assignee_id == me, t.c.state == "pending"))).one()
    c = flow_cc
    read_c = sa.select(r.c.read_at).where(r.c.org_id == ctx.org_id, r.c.member_id == me,
                                          r.c.instance_id == c.c.instance_id).scalar_subquery()
    cc_unread = (await ctx.conn.execute(sa.select(sa.func.count()).where(
        c.c.org_id == ctx.org_id, c.c.member_id == me, sa.or_(read_c.is_(None), read_c < c.c.at)))).scalar()
    running = (await ctx.conn.execute(sa.select(sa.func.count()).where(
        flow_instances.c.org_id == ctx.org_id, flow_instances.c.initiator_id == me,
        flow_instances.c.status == "running"))).scalar()
    return InboxCounts(todo=todo[0], todo_unread=todo[1], cc_unread=cc_unread or 0, initiated_running=running or 0)


async def _names(ctx: Ctx, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = (await ctx.conn.execute(sa.select(members.c.id, members.c.name).where(
        members.c.org_id == ctx.org_id, members.c.id.in_(ids)))).all()
    return {r[0]: r[1] for r in rows}
