"""Counting a query's records without scanning a million rows on every page load.

Up to `EXACT_UP_TO` matches are counted exactly (the count stops there, so it is cheap when the
answer is small or the filter is selective through an index). Beyond, the answer is an estimate,
labelled as such: PostgreSQL's planner estimate for the same query, or on SQLite the form's size
times the share of matches in a sample of its newest records. Frappe caps at 1,000 for the same
reason; we count further and still say when we guessed.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tack.core.ctx import Ctx
from tack.core.db import dialect_of
from tack.records.query.model import Count
from tack.records.tables import records

EXACT_UP_TO = 10_000
SAMPLE = 5_000


async def count_matching(ctx: Ctx, where: list[ColumnElement[Any]]) -> Count:
    capped = sa.select(sa.func.count()).select_from(
        sa.select(records.c.id).where(*where).limit(EXACT_UP_TO + 1).subquery())
    n = int((await ctx.conn.execute(capped)).scalar_one())
    if n <= EXACT_UP_TO:
        return Count(value=n, exact=True)
    if dialect_of(ctx.conn) == "postgresql":
        stmt = sa.select(records.c.id).where(*where)
        compiled = stmt.compile(dialect=ctx.conn.dialect, compile_kwargs={"literal_binds": True})
        plan = (await ctx.conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
        plan = json.loads(plan) if isinstance(plan, str) else plan
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        return Count(value=max(estimate, EXACT_UP_TO + 1), exact=False)
    # SQLite: the form's size (an index-only count) times the matching share of a sample.
    form_only = where[:3]  # org, form, deleted: see compile_query
    total = int((await ctx.conn.execute(sa.select(sa.func.count()).select_from(records).where(*form_only)))
                .scalar_one())
    sample = sa.select(records.c.id).where(*form_only).order_by(records.c.id.desc()).limit(SAMPLE).subquery()
    hits = int((await ctx.conn.execute(sa.select(sa.func.count()).select_from(records).where(
        records.c.id.in_(sa.select(sample.c.id)), *where))).scalar_one())
    return Count(value=max(round(total * hits / SAMPLE), EXACT_UP_TO + 1), exact=False)
