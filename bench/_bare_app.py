"""The anchor of `records_write`: the least a Litestar endpoint can do to store a submission.

One POST endpoint decodes the body with msgspec and inserts it as one JSON row, in one
transaction, through the same stack as Tack (SQLAlchemy Core async over aiosqlite or psycopg)
and answers 201 with the stored row. No authentication, validation, formulas, revision or event:
the limit of the stack.

The engine is `tack.core.db.Database`, so both servers run with the same engine settings (on
SQLite: WAL, synchronous=NORMAL, one writer at a time with BEGIN IMMEDIATE; on PostgreSQL: the
same pool): the difference measured is Tack's work, not a database setting.

    BENCH_DATABASE_URL=... uvicorn bench._bare_app:create_app --factory --workers 1
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import sqlalchemy as sa
from litestar import Litestar, get, post

from tack.core.db import Database
from tack.core.ids import new_id
from tack.core.types import JSON, Id, UTCDateTime

TABLE = "bench_bare_rows"
rows = sa.Table(TABLE, sa.MetaData(),
                sa.Column("id", Id(), primary_key=True),
                sa.Column("data", JSON, nullable=False),
                sa.Column("created_at", UTCDateTime(), nullable=False))


class Submission(msgspec.Struct):
    data: dict[str, Any]


class Stored(msgspec.Struct):
    id: uuid.UUID
    data: dict[str, Any]
    created_at: dt.datetime


def create_app() -> Litestar:
    db = Database(os.environ["BENCH_DATABASE_URL"])

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with db.engine.begin() as conn:
            await conn.run_sync(rows.metadata.create_all)
        try:
            yield
        finally:
            await db.dispose()

    @post("/rows")
    async def insert_row(data: Submission) -> Stored:
        row_id, now = new_id(), dt.datetime.now(dt.UTC)
        async with db.transaction() as conn:
            await conn.execute(rows.insert().values(id=row_id, data=data.data, created_at=now))
        return Stored(id=row_id, data=data.data, created_at=now)

    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar(route_handlers=[insert_row, healthz], lifespan=[lifespan], debug=False)
