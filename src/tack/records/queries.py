"""Reading records: pages of a form's records, a record's history, and its comments.
(Filters, sorts, search and counts come with the query compiler.)"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from tack.access.scopes import scope_condition
from tack.access.service import form_access
from tack.apps.service import compiled_form, form_row
from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import Forbidden, NotFound, ValidationFailed
from tack.core.events import emit
from tack.core.ids import new_id
from tack.core.pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor
from tack.directory.tables import members
from tack.records.models import Comment, CommentCreate, CommentList, RecordPage, Revision, RevisionList
from tack.records.service import record_access, record_row, shown
from tack.records.tables import record_comments, record_revisions, records


async def list_records(ctx: Ctx, form_id: uuid.UUID, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT,
                       deleted: bool = False) -> RecordPage:
    """Newest first, keyset-paginated on the (time-ordered) id."""
    require(ctx.actor, "record.read")
    form = await form_row(ctx, form_id)
    access = await form_access(ctx, form_id)
    scope = await scope_condition(ctx, await compiled_form(ctx, form_id, form["version"]), access.read_filter)
    q = sa.select(records).where(records.c.org_id == ctx.org_id, records.c.form_id == form_id, scope,
                                 records.c.deleted_at.is_not(None) if deleted else records.c.deleted_at.is_(None))
    key = decode_cursor(cursor, uuid.UUID)
    if key is not None:
        q = q.where(records.c.id < key[0])
    rows = (await ctx.conn.execute(q.order_by(records.c.id.desc()).limit(limit + 1))).mappings().all()
    items = [shown(access, r) for r in rows[:limit]]
    return RecordPage(items=items, next_cursor=encode_cursor([str(items[-1].id)]) if len(rows) > limit else None)


async def history(ctx: Ctx, record_id: uuid.UUID) -> RevisionList:
    require(ctx.actor, "record.read")
    access = await record_access(ctx, await record_row(ctx, record_id), "read")
    rows = (await ctx.conn.execute(sa.select(record_revisions).where(
        record_revisions.c.org_id == ctx.org_id, record_revisions.c.record_id == record_id)
        .order_by(record_revisions.c.version))).mappings().all()
    return RevisionList(items=[Revision(version=r["version"], kind=r["kind"], at=r["at"],
                                        actor_member_id=r["actor_member_id"], actor_name=r["actor_name"],
                                        changes=access.visible(r["changes"])) for r in rows])


async def list_comments(ctx: Ctx, record_id: uuid.UUID) -> CommentList:
    require(ctx.actor, "record.read")
    await record_access(ctx, await record_row(ctx, record_id), "read")
    rows = (await ctx.conn.execute(sa.select(record_comments).where(
        record_comments.c.org_id == ctx.org_id, record_comments.c.record_id == record_id,
        record_comments.c.deleted_at.is_(None)).order_by(record_comments.c.id))).mappings().all()
    return CommentList(items=[_comment(r) for r in rows])


async def add_comment(ctx: Ctx, record_id: uuid.UUID, body: CommentCreate) -> Comment:
    require(ctx.actor, "record.write")
    row = await record_row(ctx, record_id)
    await record_access(ctx, row, "read")  # whoever may read a record may comment on it
    mentions = list(dict.fromkeys(body.mentions))
    if mentions:
        found = set((await ctx.conn.execute(sa.select(members.c.id).where(
            members.c.org_id == ctx.org_id, members.c.id.in_(mentions)))).scalars().all())
        missing = [i for i, m in enumerate(body.mentions) if m not in found]
        if missing:
            raise ValidationFailed.field(f"$.mentions[{missing[0]}]", "No such member.", "exists")
    comment_id = new_id()
    await ctx.conn.execute(record_comments.insert().values(
        org_id=ctx.org_id, id=comment_id, record_id=record_id, member_id=ctx.actor.member_id,
        author_name=ctx.actor.name, body=body.body.strip(), mentions=[str(m) for m in mentions], created_at=ctx.now()))
    await emit(ctx, "record.commented", str(record_id), {"id": comment_id, "record_id": record_id,
                                                          "form_id": row["form_id"], "mentions": mentions})
    r = (await ctx.conn.execute(sa.select(record_comments).where(
        record_comments.c.org_id == ctx.org_id, record_comments.c.id == comment_id))).mappings().one()
    return _comment(r)


async def delete_comment(ctx: Ctx, record_id: uuid.UUID, comment_id: uuid.UUID) -> None:
    require(ctx.actor, "record.write")
    await record_access(ctx, await record_row(ctx, record_id), "read")
    r = (await ctx.conn.execute(sa.select(record_comments).where(
        record_comments.c.org_id == ctx.org_id, record_comments.c.id == comment_id,
        record_comments.c.record_id == record_id, record_comments.c.deleted_at.is_(None)))).mappings().first()
    if r is None:
        raise NotFound("No such comment.")
    if r["member_id"] != ctx.actor.member_id and ctx.actor.admin_role not in ("owner", "admin") \
            and ctx.actor.kind != "system":
        raise Forbidden("Only the author or an admin may delete a comment.")
    await ctx.conn.execute(record_comments.update().where(
        record_comments.c.org_id == ctx.org_id, record_comments.c.id == comment_id).values(deleted_at=ctx.now()))


def _comment(r: sa.RowMapping) -> Comment:
    return Comment(id=r["id"], record_id=r["record_id"], member_id=r["member_id"], author_name=r["author_name"],
                   body=r["body"], mentions=[uuid.UUID(m) for m in r["mentions"]], created_at=r["created_at"])
