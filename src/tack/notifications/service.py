"""The notification center: telling members things, and their reading of what they were told.

`notify` is called by other domains (through their event consumers, see
`tack.notifications.consumers`) and has no HTTP path: whoever calls it answers for why those
members are told. Everyone reads and marks only their own notifications; an organization token
is nobody and has none.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from tack.auth.policy import RULES, require
from tack.core.ctx import Ctx
from tack.core.db import dialect_of, insert_ignore
from tack.core.errors import FieldError, Forbidden, ValidationFailed
from tack.core.ids import new_id
from tack.core.pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor
from tack.directory.tables import members
from tack.notifications.models import MarkedRead, MarkRead, Notification, NotificationList
from tack.notifications.tables import notifications

# Reading one's own notifications needs no role, only (for a token) a scope. Until the policy
# has a rule of its own for them, reading the organization is the nearest one.
READ_RULE = "notification.read" if "notification.read" in RULES else "org.read"
UNREAD_CAP = 1000  # the unread count stops here: a badge shows "99+" long before
TITLE_MAX, BODY_MAX, LINK_MAX = 200, 1000, 500


async def notify(ctx: Ctx, member_ids: Iterable[uuid.UUID], *, kind: str, title: str, body: str = "",
                 link: str, subject: str | None = None,
                 source_event_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Tell each distinct active member of the organization; returns those told now. Members who
    left (inactive) or are not in the organization are skipped. With `source_event_id`, a member
    already told of that event (same kind) is not told again. Over-long texts are shortened
    rather than refused: an event must never fail to notify because its title is long."""
    if not kind or len(kind) > 60:
        raise ValidationFailed.field("$.kind", "A notification's kind is 1 to 60 characters.", "length")
    if not link.startswith("/") or link.startswith("//") or len(link) > LINK_MAX:
        raise ValidationFailed.field("$.link", "A notification links to a path of the web app, such as "
                                     "/approvals/<id>.", "path")
    wanted = list(dict.fromkeys(member_ids))
    if not wanted:
        return []
    active = set((await ctx.conn.execute(sa.select(members.c.id).where(
        members.c.org_id == ctx.org_id, members.c.id.in_(wanted), members.c.status == "active"))).scalars())
    recipients = [m for m in wanted if m in active]
    if not recipients:
        return []
    now = ctx.now()
    rows = [{"org_id": ctx.org_id, "id": new_id(), "member_id": m, "kind": kind, "title": _cut(title, TITLE_MAX),
             "body": _cut(body, BODY_MAX), "link": link, "subject": subject, "source_event_id": source_event_id,
             "created_at": now, "read_at": None} for m in recipients]
    stmt = insert_ignore(dialect_of(ctx.conn), notifications,
                         ["org_id", "member_id", "source_event_id", "kind"]).values(rows)
    # RETURNING rather than rowcount: psycopg's async cursor reports -1 for ON CONFLICT DO NOTHING.
    return list((await ctx.conn.execute(stmt.returning(notifications.c.member_id))).scalars())


async def list_notifications(ctx: Ctx, *, unread_only: bool = False, cursor: str | None = None,
                             limit: int = DEFAULT_LIMIT) -> NotificationList:
    """The caller's notifications, newest first, with their unread count."""
    me = _me(ctx)
    key = decode_cursor(cursor, _when, uuid.UUID)
    q = sa.select(notifications).where(notifications.c.org_id == ctx.org_id, notifications.c.member_id == me)
    if unread_only:
        q = q.where(notifications.c.read_at.is_(None))
    if key is not None:
        at, after = key
        q = q.where(sa.or_(notifications.c.created_at < at,
                           sa.and_(notifications.c.created_at == at, notifications.c.id < after)))
    rows = (await ctx.conn.execute(q.order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
                                   .limit(limit + 1))).mappings().all()
    items = [_notification(r) for r in rows[:limit]]
    next_cursor = (encode_cursor([items[-1].created_at.isoformat(), str(items[-1].id)])
                   if len(rows) > limit else None)
    return NotificationList(items=items, next_cursor=next_cursor, unread=await _unread(ctx, me))


async def unread_count(ctx: Ctx) -> int:
    """How many of the caller's notifications are unread (up to UNREAD_CAP)."""
    return await _unread(ctx, _me(ctx))


async def mark_read(ctx: Ctx, data: MarkRead) -> MarkedRead:
    """Mark the caller's listed notifications (or all of them) read. Ids that are not the
    caller's, or already read, change nothing: marking is idempotent and reveals nobody else's."""
    me = _me(ctx)
    if data.all == (data.ids is not None):
        raise ValidationFailed("Say which notifications to mark read: `ids`, or `all: true`.", errors=[
            FieldError(path="$.ids", message="Give either ids or all: true, not both or neither.", rule="one_of")])
    where = [notifications.c.org_id == ctx.org_id, notifications.c.member_id == me,
             notifications.c.read_at.is_(None)]
    if data.ids is not None:
        if not data.ids:
            return MarkedRead(marked=0, unread=await _unread(ctx, me))
        where.append(notifications.c.id.in_(list(dict.fromkeys(data.ids))))
    marked = (await ctx.conn.execute(notifications.update().where(*where).values(read_at=ctx.now())
                                     .returning(notifications.c.id))).scalars().all()
    return MarkedRead(marked=len(marked), unread=await _unread(ctx, me))


# -- helpers -----------------------------------------------------------------------------------

def _me(ctx: Ctx) -> uuid.UUID:
    require(ctx.actor, READ_RULE)
    if ctx.actor.member_id is None:
        raise Forbidden("An organization token has no notifications; sign in or use a personal token.")
    return ctx.actor.member_id


async def _unread(ctx: Ctx, member_id: uuid.UUID) -> int:
    capped = sa.select(sa.literal(1)).where(
        notifications.c.org_id == ctx.org_id, notifications.c.member_id == member_id,
        notifications.c.read_at.is_(None)).limit(UNREAD_CAP).subquery()
    return int((await ctx.conn.execute(sa.select(sa.func.count()).select_from(capped))).scalar_one())


def _when(value: Any) -> dt.datetime:
    at = dt.datetime.fromisoformat(str(value))
    if at.tzinfo is None:
        raise ValueError("a cursor's time carries its zone")
    return at


def _cut(text: str, limit: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _notification(r: sa.RowMapping) -> Notification:
    return Notification(id=r["id"], kind=r["kind"], title=r["title"], body=r["body"], link=r["link"],
                        subject=r["subject"], created_at=r["created_at"], read_at=r["read_at"])
