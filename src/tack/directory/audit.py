"""The audit log of administrative changes: written by the command that made the change, in
its transaction; readable by owners (and organization tokens with `audit:read`)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import sqlalchemy as sa

from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.ids import new_id
from tack.core.pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor
from tack.directory.models import AuditEntry, AuditPage
from tack.directory.tables import audit_log


async def record(ctx: Ctx, action: str, subject_type: str, subject_id: uuid.UUID | str | None,
                 data: dict[str, Any] | None = None) -> None:
    a = ctx.actor
    await ctx.conn.execute(audit_log.insert().values(
        org_id=ctx.org_id, id=new_id(), at=ctx.now(), actor_kind=a.kind, actor_user_id=a.user_id,
        actor_member_id=a.member_id, actor_name=a.name, token_id=a.token_id, action=action,
        subject_type=subject_type, subject_id=str(subject_id) if subject_id is not None else None,
        data=msgspec.to_builtins(data or {})))


async def list_audit(ctx: Ctx, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT,
                     action: str | None = None) -> AuditPage:
    require(ctx.actor, "audit.read")
    q = sa.select(audit_log).where(audit_log.c.org_id == ctx.org_id)
    if action:
        q = q.where(audit_log.c.action == action)
    key = decode_cursor(cursor, uuid.UUID)
    if key is not None:
        q = q.where(audit_log.c.id < key[0])
    rows = (await ctx.conn.execute(q.order_by(audit_log.c.id.desc()).limit(limit + 1))).mappings().all()
    items = [AuditEntry(id=r["id"], at=r["at"], actor_kind=r["actor_kind"], actor_name=r["actor_name"],
                        actor_member_id=r["actor_member_id"], token_id=r["token_id"], action=r["action"],
                        subject_type=r["subject_type"], subject_id=r["subject_id"], data=r["data"])
             for r in rows[:limit]]
    nxt = encode_cursor([str(items[-1].id)]) if len(rows) > limit else None
    return AuditPage(items=items, next_cursor=nxt)
