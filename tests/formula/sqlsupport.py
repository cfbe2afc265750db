"""The SQL test bed: rows with blanks and edge values, stored as typed columns and as JSON
documents in tables of our own, on SQLite and (when it answers) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import secrets
import socket
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tack.formula import DATE, NUMBER, TEXT, ErrorValue, Type, table_of

SCHEMA: dict[str, Type | str] = {
    "amount": NUMBER,
    "qty": NUMBER,
    "name": TEXT,
    "ok": "bool",
    "start": DATE,
    "end": DATE,
    "submitted": "datetime",
    "lines": table_of({"amount": NUMBER}),
    "owner": "member",
}

def _rows() -> list[dict[str, Any]]:
    rnd = random.Random(20260105)
    names = [None, "", "bob", "BOB", "Ann  Lee", "  ann   lee ", "zoë", "报销单", "a", "Mike", "m", "b c"]
    dates = [None, dt.date(2024, 2, 29), dt.date(2026, 1, 5), dt.date(2025, 12, 31), dt.date(2026, 1, 31),
             dt.date(1999, 7, 4), dt.date(2030, 3, 1)]  # fmt: skip
    numbers = [None, 0, 1, -1, 2.5, -7.25, 3, 12000.5, 0.1, 101, 99.95, 1e6, 2.675, -0.5]
    rows = []
    for i in range(40):
        rows.append({
            "id": i + 1,
            "amount": rnd.choice(numbers),
            "qty": rnd.choice([None, 0, 1, 2, 3, -1, 2.7, -2.7, 10]),
            "name": rnd.choice(names),
            "ok": rnd.choice([None, True, False]),
            "start": rnd.choice(dates),
            "end": rnd.choice(dates),
        })
    return rows


ROWS = _rows()


def pg_url() -> str | None:
    if os.environ.get("TACK_TEST_SKIP_PG") == "1":
        return None
    url = os.environ.get("TACK_TEST_PG_URL")
    if url:
        return url.replace("+asyncpg", "+psycopg")
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    except OSError:
        return None


ColumnFor = Callable[[str, Type], Any]


class Db:
    """A table of our own, as typed columns and as JSON documents (how records store fields)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        md = sa.MetaData()
        suffix = secrets.token_hex(4)
        self.typed = sa.Table(
            f"formula_typed_{suffix}", md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("amount", sa.Float), sa.Column("qty", sa.Float), sa.Column("name", sa.String),
            sa.Column("ok", sa.Boolean), sa.Column("start", sa.Date), sa.Column("end", sa.Date),
        )  # fmt: skip
        self.docs = sa.Table(
            f"formula_docs_{suffix}", md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
        )  # fmt: skip
        self.md = md
        md.create_all(engine)
        docs = [{"id": r["id"], "data": {k: _json(v) for k, v in r.items() if k != "id" and v is not None}}
                for r in ROWS]  # fmt: skip
        with engine.begin() as c:
            c.execute(self.typed.insert(), ROWS)
            c.execute(self.docs.insert(), docs)

    def column_for(self, layout: str) -> tuple[sa.Table, ColumnFor]:
        if layout == "typed":
            return self.typed, lambda name, t: self.typed.c[name]
        data = self.docs.c.data

        def from_json(name: str, t: Type) -> Any:
            if t == NUMBER:
                return data[name].as_float()
            if t.name == "bool":
                return data[name].as_boolean()
            if t == DATE and self.dialect == "postgresql":
                return sa.cast(data[name].as_string(), sa.Date)
            return data[name].as_string()  # SQLite keeps dates as ISO text

        return self.docs, from_json

    def drop(self) -> None:
        self.md.drop_all(self.engine)
        self.engine.dispose()


def _json(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def same(python: Any, database: Any) -> bool:
    if python is None or isinstance(python, ErrorValue):
        return database is None
    if database is None:
        return False
    if isinstance(python, bool):
        return bool(database) is python
    if isinstance(python, int | float):
        return math.isclose(float(database), float(python), rel_tol=1e-9, abs_tol=1e-9)
    return bool(python == database)
