"""Promoting the fields views use into indexes (see docs/decisions/0003).

Records are JSON documents in one shared table, so a view that filters a million records on
"Status = Open" and sorts them by "Due" needs an index on those two JSON values *of that form*.
When a view is saved, its query shape becomes an index spec — the fields it tests for equality
first, then its sort keys (or its range field), then the record id — and a durable job builds
a partial expression index for it, limited to the form's live records:

    SQLite:      CREATE INDEX rx_… ON records (json_extract(data, '$.f_status'), …, id)
                 WHERE org_id = '…' AND form_id = '…' AND deleted_at IS NULL
    PostgreSQL:  CREATE INDEX CONCURRENTLY rx_… ON records (((data ->> 'f_status') COLLATE "C") NULLS FIRST, …, id)
                 WHERE org_id = '…'::uuid AND form_id = '…'::uuid AND deleted_at IS NULL

(CONCURRENTLY: PostgreSQL builds it without blocking writes.) The query compiler writes the
same expressions and names the org and form as literals, so both planners pick the index up by
themselves. Small forms need no index — the (org, form, id) index narrows them to a few
thousand rows — and a million organizations' small forms must not cost a million indexes, so
an index is built only once the form holds `PROMOTE_MIN_RECORDS` records; until then the job
looks again daily.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import uuid
from typing import Any

import sqlalchemy as sa

from tack.core.consumers import consumer
from tack.core.ctx import Ctx
from tack.core.db import dialect_of
from tack.core.errors import NotFound
from tack.core.events import Event
from tack.core.jobs import enqueue, job
from tack.forms.definition import CompiledForm
from tack.records.query.filters import Condition, Group, Node, Sort, parse_filter, parse_sort
from tack.records.query.operands import id_literal, index_sql
from tack.records.query.tables import promoted_indexes
from tack.records.tables import records

PROMOTE_MIN_RECORDS = 5_000
MAX_INDEXES_PER_FORM = 20
MAX_KEYS = 4
EQUALITY = frozenset({"eq", "any_of", "is_me"})
RANGE = frozenset({"lt", "le", "gt", "ge", "between", "in_period"})
RECHECK = dt.timedelta(days=1)

Spec = list[tuple[str, str]]  # (field id, "text" | "number")


def index_spec(node: Node | None, sorts: list[Sort]) -> Spec:
    """The index that serves a query: equality fields, then sort keys (or a range field)."""
    top = list(node.items) if isinstance(node, Group) and node.mode == "and" else [node] if node else []
    conds = [n for n in top if isinstance(n, Condition) and n.field.index_how and n.field.field is not None]
    spec: Spec = []

    def add(c: Any) -> None:
        key = (c.field.fd.id, c.index_how)
        if key not in spec and len(spec) < MAX_KEYS:
            spec.append(key)

    for c in conds:
        if c.op in EQUALITY:
            add(c.field)
    sortable = [s for s in sorts if s.field.index_how and s.field.field is not None
                and s.field.kind is not None and s.field.kind.name not in ("select", "checkbox")]
    if sortable and len(sortable) == len(sorts) and len({s.descending for s in sorts}) == 1:
        for s in sortable:
            add(s.field)
    elif not sorts:
        for c in conds:
            if c.op in RANGE:
                add(c.field)
                break
    return spec


# Which promoted indexes are ready, per form, remembered briefly: queries ask on every page,
# and an index becoming ready a few seconds late to the planner costs nothing.
READY_TTL = 30.0
_ready: dict[tuple[uuid.UUID, uuid.UUID], tuple[float, frozenset[str]]] = {}


async def ready_indexes(ctx: Ctx, form_id: uuid.UUID) -> frozenset[str]:
    key = (ctx.org_id, form_id)
    now = time.monotonic()
    found = _ready.get(key)
    if found is not None and now - found[0] < READY_TTL:
        return found[1]
    names = frozenset((await ctx.conn.execute(sa.select(promoted_indexes.c.name).where(
        promoted_indexes.c.org_id == ctx.org_id, promoted_indexes.c.form_id == form_id,
        promoted_indexes.c.state == "ready"))).scalars())
    if len(_ready) > 10_000:
        _ready.clear()
    _ready[key] = (now, names)
    return names


def index_name(org_id: uuid.UUID, form_id: uuid.UUID, spec: Spec) -> str:
    digest = hashlib.sha256(f"{org_id}:{form_id}:{spec}".encode()).hexdigest()[:40]
    return f"rx_{digest}"


async def promote_for_view(ctx: Ctx, form_id: uuid.UUID, form: CompiledForm, filter: Any, sort: Any) -> str | None:
    """Called in the transaction that saves a view: ask for the index its query needs."""
    try:
        spec = index_spec(parse_filter(form, filter), parse_sort(form, sort))
    except Exception:  # a view the query layer cannot read is reported where it is read
        return None
    if not spec:
        return None
    return await promote(ctx, form_id, spec)


async def promote(ctx: Ctx, form_id: uuid.UUID, spec: Spec) -> str | None:
    name = index_name(ctx.org_id, form_id, spec)
    existing = (await ctx.conn.execute(sa.select(promoted_indexes.c.name).where(
        promoted_indexes.c.org_id == ctx.org_id, promoted_indexes.c.form_id == form_id))).scalars().all()
    if name in existing:
        return name
    if len(existing) >= MAX_INDEXES_PER_FORM:
        return None
    await ctx.conn.execute(promoted_indexes.insert().values(
        org_id=ctx.org_id, form_id=form_id, name=name, spec=[list(k) for k in spec], state="pending",
        created_at=ctx.now()))
    await enqueue(ctx, "records.promote_index", {"form_id": str(form_id), "name": name},
                  dedupe_key=f"promote:{name}")
    return name


def create_index_sql(org_id: uuid.UUID, form_id: uuid.UUID, name: str, spec: Spec, dialect: str) -> str:
    nulls = " NULLS FIRST" if dialect == "postgresql" else ""
    keys = [index_sql(fid, how, dialect) + nulls for fid, how in spec] + ["id"]
    org, form = (str(id_literal(v, dialect).compile()) for v in (org_id, form_id))
    concurrently = " CONCURRENTLY" if dialect == "postgresql" else ""
    return (f"CREATE INDEX{concurrently} IF NOT EXISTS {name} ON records ({', '.join(keys)}) "
            f"WHERE org_id = {org} AND form_id = {form} AND deleted_at IS NULL")


@job("records.promote_index", atomic=False)
async def build_index(ctx: Ctx, payload: dict[str, Any]) -> None:
    """Build one promoted index (idempotent: it may run again after a crash)."""
    form_id, name = uuid.UUID(payload["form_id"]), payload["name"]
    where = (promoted_indexes.c.org_id == ctx.org_id, promoted_indexes.c.form_id == form_id,
             promoted_indexes.c.name == name)
    row = (await ctx.conn.execute(sa.select(promoted_indexes).where(*where))).mappings().first()
    if row is None or row["state"] == "ready":
        return
    size = (await ctx.conn.execute(sa.select(sa.func.count()).select_from(sa.select(records.c.id).where(
        records.c.org_id == ctx.org_id, records.c.form_id == form_id, records.c.deleted_at.is_(None))
        .limit(PROMOTE_MIN_RECORDS).subquery()))).scalar_one()
    if size < PROMOTE_MIN_RECORDS:
        await ctx.conn.execute(promoted_indexes.update().where(*where).values(state="waiting"))
        due = ctx.now() + RECHECK  # (a key of its own: this job's row still holds `promote:<name>`)
        await enqueue(ctx, "records.promote_index", payload, due_at=due, dedupe_key=f"promote:{name}:{due:%Y%m%d}")
        return
    await build_now(ctx, form_id, name, [(k[0], k[1]) for k in row["spec"]])
    await ctx.conn.execute(promoted_indexes.update().where(*where).values(state="ready", ready_at=ctx.now(),
                                                                          error=None))
    _ready.pop((ctx.org_id, form_id), None)


async def build_now(ctx: Ctx, form_id: uuid.UUID, name: str, spec: Spec) -> None:
    dialect = dialect_of(ctx.conn)
    if dialect == "postgresql":
        # A concurrent build that died leaves an INVALID index behind: drop it and start over.
        invalid = (await ctx.conn.execute(sa.text(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = :name AND NOT i.indisvalid"), {"name": name})).first()
        if invalid is not None:
            await ctx.conn.exec_driver_sql(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    await ctx.conn.exec_driver_sql(create_index_sql(ctx.org_id, form_id, name, spec, dialect))


async def drop_indexes(ctx: Ctx, form_id: uuid.UUID) -> None:
    """When a form is deleted for good: its promoted indexes go with it."""
    names = (await ctx.conn.execute(sa.select(promoted_indexes.c.name).where(
        promoted_indexes.c.org_id == ctx.org_id, promoted_indexes.c.form_id == form_id))).scalars().all()
    for name in names:
        await ctx.conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    await ctx.conn.execute(promoted_indexes.delete().where(
        promoted_indexes.c.org_id == ctx.org_id, promoted_indexes.c.form_id == form_id))
    _ready.pop((ctx.org_id, form_id), None)


@consumer("promote-for-views", "view.created", "view.updated")
async def on_view_saved(ctx: Ctx, event: Event) -> None:
    """A view saved: ask for the index its filter and sort need (the views domain knows nothing
    of indexes; it says what happened, and this listens)."""
    from tack.apps.service import compiled_form, form_row
    from tack.views.tables import views

    view_id = uuid.UUID(str(event.data["id"]))
    row = (await ctx.conn.execute(sa.select(views.c.form_id, views.c.config).where(
        views.c.org_id == ctx.org_id, views.c.id == view_id))).first()
    if row is None:
        return
    try:
        form = await compiled_form(ctx, row.form_id, (await form_row(ctx, row.form_id))["version"])
    except NotFound:
        return
    config = row.config or {}
    await promote_for_view(ctx, row.form_id, form, config.get("filter"), config.get("sort") or [])
