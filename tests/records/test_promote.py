"""Promoted indexes: a saved view's query shape becomes a partial expression index that the
database's own planner then uses for that view's query (checked with EXPLAIN on both)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tack.core.consumers import consumers, process_once
from tack.core.ctx import Actor, Ctx
from tack.core.events import Event
from tack.core.ids import new_id
from tack.core.jobs import JobRunner
from tack.records.query import RecordQuery, SortKey
from tack.records.query import promote as promote_mod
from tack.records.query.service import _select, compile_query
from tack.records.query.tables import promoted_indexes
from tack.records.tables import records
from tack.runtime import Runtime
from tests.records.test_query import NOW, _setup

QUERY = RecordQuery(filter={"and": [{"field": "Status", "op": "eq", "value": "Open"},
                                    {"field": "Amount", "op": "gt", "value": 100}]},
                    sort=[SortKey("Due", "desc")], limit=50)


async def _plan(rt: Runtime, ctx0: Ctx, form_id: uuid.UUID) -> str:
    from tack.apps.service import compiled_form

    async with rt.db.transaction(write=False) as conn:
        ctx = Ctx(org_id=ctx0.org_id, actor=Actor.system("test"), conn=conn, clock=rt.clock)
        form = await compiled_form(ctx, form_id, 1)
        stmt = _select(await compile_query(ctx, form_id, form, QUERY), cursor=None).limit(51)
        sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if rt.db.dialect == "sqlite" else "EXPLAIN "
        rows = (await conn.exec_driver_sql(prefix + sql)).all()
    return "\n".join(str(r[-1] if rt.db.dialect == "sqlite" else r[0]) for r in rows)


async def test_a_saved_view_gets_its_index_and_the_planner_uses_it(rt: Runtime, monkeypatch: pytest.MonkeyPatch,
                                                                   demo: dict[str, Any]) -> None:
    monkeypatch.setattr(promote_mod, "PROMOTE_MIN_RECORDS", 50)
    ctx0, form_id, _ = await _setup(rt, str(uuid.UUID(int=1)))
    async with rt.db.transaction() as conn:
        await conn.execute(records.insert(), [dict(
            org_id=ctx0.org_id, id=new_id(), form_id=form_id, form_version=1, version=1, status="none",
            data={"f_sel00001": ["o1", "o2", "o3"][i % 3], "f_num00001": i, "f_date0001": f"2026-11-{1 + i % 28:02d}"},
            created_at=NOW, updated_at=NOW) for i in range(3000)])
    async with rt.db.transaction() as conn:
        ctx = Ctx(org_id=ctx0.org_id, actor=Actor.system("test"), conn=conn, clock=rt.clock)
        import msgspec

        from tack.views.models import ViewCreate
        from tack.views.service import create_view

        view = await create_view(ctx, form_id, msgspec.convert({
            "name": "Open, big, by due", "kind": "grid", "shared": True,
            "config": {"filter": QUERY.filter, "sort": [{"field": "Due", "direction": "desc"}]}}, ViewCreate))
    # The views domain announced the view; the promotion consumer hears it and asks for a job.
    event = Event(id=new_id(), org_id=ctx0.org_id, type="view.created", subject=str(view.id), time=NOW,
                  data={"id": str(view.id), "form_id": str(form_id)})
    assert await process_once(rt.db, rt.clock, consumers.get("promote-for-views"), event)
    async with rt.db.transaction(write=False) as conn:
        row = (await conn.execute(sa.select(promoted_indexes))).mappings().one()
    assert row["state"] == "pending"
    assert [tuple(k) for k in row["spec"]] == [("f_sel00001", "text"), ("f_date0001", "text")]
    await JobRunner(rt.db, rt.clock).drain()
    async with rt.db.transaction(write=False) as conn:
        assert (await conn.execute(sa.select(promoted_indexes.c.state))).scalar_one() == "ready"
    if rt.db.is_postgres:
        async with rt.db.autocommit() as conn:
            await conn.exec_driver_sql("ANALYZE records")
    assert row["name"] in await _plan(rt, ctx0, form_id)
    # Asking again changes nothing; the job is idempotent.
    async with rt.db.transaction() as conn:
        ctx = Ctx(org_id=ctx0.org_id, actor=Actor.system("test"), conn=conn, clock=rt.clock)
        assert await promote_mod.promote(ctx, form_id, [("f_sel00001", "text"), ("f_date0001", "text")]) == row["name"]
    assert await JobRunner(rt.db, rt.clock).drain() == 0


async def test_small_forms_wait_for_their_index(rt: Runtime) -> None:
    ctx0, form_id, _ = await _setup(rt, str(uuid.UUID(int=1)))
    async with rt.db.transaction() as conn:
        ctx = Ctx(org_id=ctx0.org_id, actor=Actor.system("test"), conn=conn, clock=rt.clock)
        name = await promote_mod.promote(ctx, form_id, [("f_num00001", "number")])
    await JobRunner(rt.db, rt.clock).drain()
    async with rt.db.transaction(write=False) as conn:
        assert (await conn.execute(sa.select(promoted_indexes.c.state))).scalar_one() == "waiting"
    assert name not in await _plan(rt, ctx0, form_id)


async def test_a_number_sort_index_is_used_and_stray_text_reads_as_blank(rt: Runtime,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(promote_mod, "PROMOTE_MIN_RECORDS", 50)
    ctx0, form_id, _ = await _setup(rt, str(uuid.UUID(int=1)))
    async with rt.db.transaction() as conn:
        await conn.execute(records.insert(), [dict(
            org_id=ctx0.org_id, id=new_id(), form_id=form_id, form_version=1, version=1, status="none",
            data={"f_sel00001": ["o1", "o2", "o3"][i % 3], "f_num00001": i}, created_at=NOW, updated_at=NOW)
            for i in range(3000)])
        # A value a type change has not converted yet (text where a number now belongs).
        await conn.execute(records.insert().values(
            org_id=ctx0.org_id, id=new_id(), form_id=form_id, form_version=1, version=1, status="none",
            data={"f_sel00001": "o1", "f_num00001": "12 kg"}, created_at=NOW, updated_at=NOW))
    query = RecordQuery(filter={"field": "Status", "op": "eq", "value": "Open"}, sort=[SortKey("Amount", "desc")])
    async with rt.db.transaction() as conn:
        ctx = Ctx(org_id=ctx0.org_id, actor=Actor.system("test"), conn=conn, clock=rt.clock)
        from tack.apps.service import compiled_form
        from tack.records.query.filters import parse_filter, parse_sort

        form = await compiled_form(ctx, form_id, 1)
        spec = promote_mod.index_spec(parse_filter(form, query.filter), parse_sort(form, [{"field": "Amount",
                                                                                           "direction": "desc"}]))
        assert spec == [("f_sel00001", "text"), ("f_num00001", "number")]
        name = await promote_mod.promote(ctx, form_id, spec)
    await JobRunner(rt.db, rt.clock).drain()
    async with rt.db.autocommit() as conn:
        await conn.exec_driver_sql("ANALYZE records")
    async with rt.db.transaction(write=False) as conn:
        ctx = Ctx(org_id=ctx0.org_id, actor=Actor.system("test"), conn=conn, clock=rt.clock)
        stmt = _select(await compile_query(ctx, form_id, form, query), cursor=None).limit(51)
        sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if rt.db.dialect == "sqlite" else "EXPLAIN "
        plan = "\n".join(str(r[-1] if rt.db.dialect == "sqlite" else r[0])
                         for r in (await conn.exec_driver_sql(prefix + sql)).all())
        # The index is used (on SQLite for the order too; PostgreSQL's planner picks its own
        # plan for a table this small).
        assert name in plan and "TEMP B-TREE" not in plan, plan
        from tack.records.query import query_records

        page = await query_records(ctx, form_id, query)
        assert [r.data["f_num00001"] for r in page.items[:3]] == [2997, 2994, 2991]
