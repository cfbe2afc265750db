"""Benchmark `records_query`: filter on two promoted fields + sort + first page of 50, over N
records of one form (default 1,000,000), through the records query service in-process, rows
decoded into records, against the same query in hand-written SQL on the same connection
against a purpose-built table with ideal indexes, rows decoded the same way.

    python -m bench.records_query [--records 1000000] [--rounds 200] [--quick] [--db URL]

The view: Status = "Open" AND Amount > 100, sorted by Due (newest first). Tack's side is a
saved view's query: the promoted index its view asked for is built by the same durable job
production uses. The anchor table holds the same rows with Status, Amount and Due as real
columns and an index on (status, due, id).

RESULT: median milliseconds per query; ratio = anchor / tack (higher is better for Tack).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
import uuid
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa

from bench.common import measure, report, result
from tack.apps.models import AppCreate
from tack.apps.service import compiled_form, create_app, create_form
from tack.cli import run_migrations
from tack.core.clock import SYSTEM_CLOCK
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database
from tack.core.ids import new_id
from tack.core.jobs import JobRunner
from tack.directory import orgs, users
from tack.directory.models import OrgCreate
from tack.forms.model import FormDef
from tack.records.query import RecordQuery, SortKey
from tack.records.query import promote as promote_mod
from tack.records.query.filters import parse_filter, parse_sort
from tack.records.query.service import query_records
from tack.records.service import record_of
from tack.records.tables import records

OPTIONS = [{"id": f"o{i}", "label": label} for i, label in enumerate(["Open", "Pending", "Done", "Closed"])]
FIELDS = [
    {"id": "f_title001", "name": "Title", "type": "text"},
    {"id": "f_status01", "name": "Status", "type": "select", "settings": {"options": OPTIONS}},
    {"id": "f_amount01", "name": "Amount", "type": "number"},
    {"id": "f_due00001", "name": "Due", "type": "date"},
    {"id": "f_note0001", "name": "Note", "type": "textarea"},
]
QUERY = RecordQuery(filter={"and": [{"field": "Status", "op": "eq", "value": "Open"},
                                    {"field": "Amount", "op": "gt", "value": 100}]},
                    sort=[SortKey("Due", "desc")], limit=50)
BATCH = 5_000


async def make_org_and_form(db: Database, name: str = "Bench Co") -> tuple[uuid.UUID, uuid.UUID]:
    async with db.transaction() as conn:
        owner = await users.create_user(conn, SYSTEM_CLOCK, email=f"{uuid.uuid4().hex[:12]}@example.com", name="Owner")
        ctx = await orgs.create_org(conn, SYSTEM_CLOCK, owner["id"], OrgCreate(name=name))
        app = await create_app(ctx, AppCreate(name="Tasks"))
        form = await create_form(ctx, app.id, msgspec.convert({"name": "Tasks", "fields": FIELDS}, FormDef))
    return ctx.org_id, form.id


def record_rows(org_id: uuid.UUID, form_id: uuid.UUID, n: int, seed: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    now = SYSTEM_CLOCK.now()
    day0 = dt.date(2024, 1, 1)
    rows = []
    for i in range(n):
        rows.append({
            "org_id": org_id, "id": new_id(), "form_id": form_id, "form_version": 1, "version": 1, "status": "none",
            "created_at": now, "updated_at": now, "data": {
                "f_title001": f"Task {i}", "f_status01": f"o{rnd.randrange(4)}", "f_amount01": rnd.randrange(1000),
                "f_due00001": (day0 + dt.timedelta(days=rnd.randrange(1000))).isoformat(),
                "f_note0001": "lorem ipsum " * rnd.randrange(4)}})
    return rows


async def fill(db: Database, org_id: uuid.UUID, form_id: uuid.UUID, n: int, seed: int,
               anchor: sa.Table | None = None) -> None:
    done = 0
    while done < n:
        rows = record_rows(org_id, form_id, min(BATCH, n - done), seed + done)
        async with db.transaction() as conn:
            await conn.execute(records.insert(), rows)
            if anchor is not None:
                await conn.execute(anchor.insert(), [{
                    **r, "status_col": r["data"]["f_status01"], "amount_col": r["data"]["f_amount01"],
                    "due_col": r["data"]["f_due00001"]} for r in rows])
        done += len(rows)


async def promote_view_index(db: Database, org_id: uuid.UUID, form_id: uuid.UUID) -> str | None:
    """What saving the view does: ask for its index; then run the job that builds it."""
    async with db.transaction() as conn:
        ctx = Ctx(org_id=org_id, actor=Actor.system(), conn=conn, clock=SYSTEM_CLOCK)
        form = await compiled_form(ctx, form_id, 1)
        spec = promote_mod.index_spec(parse_filter(form, QUERY.filter), parse_sort(form, [
            msgspec.structs.asdict(s) for s in QUERY.sort]))
        name = await promote_mod.promote(ctx, form_id, spec)
    await JobRunner(db, SYSTEM_CLOCK).drain()
    return name


def anchor_table(md: sa.MetaData) -> sa.Table:
    cols = [c._copy() for c in records.columns]
    for c in cols:
        c.primary_key = c.name in ("org_id", "id")
    return sa.Table("bench_anchor", md, *cols, sa.Column("status_col", sa.String(40)),
                    sa.Column("amount_col", sa.Float), sa.Column("due_col", sa.String(10)),
                    sa.Index("ix_bench_anchor_ideal", "org_id", "status_col", "due_col", "id"))


async def run(db_url: str, n: int, rounds: int) -> None:
    db = Database(db_url)
    md = sa.MetaData()
    anchor = anchor_table(md)
    async with db.engine.begin() as conn:
        await conn.run_sync(md.create_all)
    org_id, form_id = await make_org_and_form(db)
    await fill(db, org_id, form_id, n, seed=11, anchor=anchor)
    name = await promote_view_index(db, org_id, form_id)
    async with db.autocommit() as conn:
        await conn.exec_driver_sql("ANALYZE")

    async def tack_round() -> None:
        async with db.transaction(write=False) as conn:
            ctx = Ctx(org_id=org_id, actor=Actor.system(), conn=conn, clock=SYSTEM_CLOCK)
            page = await query_records(ctx, form_id, QUERY)
            assert len(page.items) == 50

    anchor_sql = sa.select(anchor).where(
        anchor.c.org_id == org_id, anchor.c.status_col == "o0", anchor.c.amount_col > 100,
        anchor.c.deleted_at.is_(None)).order_by(anchor.c.due_col.desc(), anchor.c.id.desc()).limit(51)

    async def anchor_round() -> None:
        async with db.transaction(write=False) as conn:
            rows = (await conn.execute(anchor_sql)).mappings().all()
            items = [record_of(r) for r in rows[:50]]
            assert len(items) == 50

    # Same answer from both (the anchor's order is Tack's: due descending, then id).
    async with db.transaction(write=False) as conn:
        ctx = Ctx(org_id=org_id, actor=Actor.system(), conn=conn, clock=SYSTEM_CLOCK)
        got = [r.id for r in (await query_records(ctx, form_id, QUERY)).items]
        want = [r["id"] for r in (await conn.execute(anchor_sql)).mappings().all()[:50]]
    assert got == want, "Tack and the anchor disagree"
    for _ in range(2):  # alternate so that noise hits both alike
        t = await measure(tack_round, rounds=rounds, warmup=20)
        a = await measure(anchor_round, rounds=rounds, warmup=20)
    tack_ms = report("records_query", "tack", t, records=n, dialect=db.dialect, promoted_index=name)
    anchor_ms = report("records_query", "hand-written SQL, ideal index", a, records=n, dialect=db.dialect)
    await db.dispose()
    result("records_query", tack_ms, "handsql", anchor_ms, "ms", higher_is_better=False)


def scratch_url(db: str | None) -> tuple[str, str | None]:
    """A fresh database: a SQLite file, or a scratch PostgreSQL database (dropped afterwards)."""
    if db in (None, "sqlite"):
        return f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}", None
    if db == "postgresql":
        name = f"tack_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name
    return db, None


def drop_scratch(name: str | None) -> None:
    if name:
        admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--db", default=None, help="sqlite (default), postgresql (a scratch database) or a URL")
    args = ap.parse_args()
    if args.quick:
        args.records, args.rounds = 100_000, 50
    url, scratch = scratch_url(args.db)
    try:
        run_migrations(url)
        asyncio.run(run(url, args.records, args.rounds))
    finally:
        drop_scratch(scratch)


if __name__ == "__main__":
    main()
