"""Shared fixtures for the formula tests: a schema, a record, a frozen moment, a strict runner."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tack.formula import DATE, DATETIME, NUMBER, TEXT, EvalContext, Type, compile_py, table_of
from tack.formula.sqlbase import register_sqlite_functions

from .sqlsupport import Db, pg_url

NOW = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)  # a Monday

SCHEMA: dict[str, Type | str] = {
    "amount": NUMBER,
    "qty": NUMBER,
    "blank_n": NUMBER,
    "name": TEXT,
    "blank_t": TEXT,
    "ok": "bool",
    "blank_b": "bool",
    "start": DATE,
    "end": DATE,
    "blank_d": DATE,
    "hired": DATE,
    "submitted": DATETIME,
    "owner": "member",
    "approvers": "members",
    "lines": table_of({"amount": NUMBER, "item": TEXT, "day": DATE}),
    "holidays": "list<date>",
}

VALUES: dict[str, Any] = {
    "amount": 12000,
    "qty": 4,
    "blank_n": None,
    "name": "  Ann   Lee ",
    "blank_t": None,
    "ok": True,
    "blank_b": None,
    "start": "2026-01-05",  # records come from JSON: dates arrive as ISO text
    "end": dt.date(2026, 1, 16),
    "blank_d": None,
    "hired": "2019-03-01",
    "submitted": "2026-01-04T23:30:00+00:00",
    "owner": "m-1",
    "approvers": ["m-1", "m-2"],
    "lines": [
        {"amount": 120, "item": "Taxi", "day": "2026-01-02"},
        {"amount": "80.5", "item": "hotel", "day": "2026-01-03"},
        {"amount": None, "item": "", "day": None},
        {"amount": 300, "item": "Flight", "day": "2025-12-30"},
    ],
    "holidays": ["2026-01-07", "2026-01-10"],
}


def run(source: str, values: dict[str, Any] | None = None, *, tz: str = "UTC", schema: Any = SCHEMA) -> Any:
    """Evaluate strictly: an unexpected Python exception fails the test instead of becoming #VALUE!."""
    compiled = compile_py(source, schema, strict=True)
    return compiled(EvalContext(VALUES if values is None else values, now=NOW, tz=tz))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Db]:
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('formula') / 'f.db'}")
        # Unicode-aware lower()/upper() and 15-digit round(), as the records store should register.
        sa.event.listen(engine, "connect", lambda conn, _record: register_sqlite_functions(conn))
    else:
        url = pg_url()
        if url is None:
            pytest.skip("PostgreSQL is not available")
        engine = sa.create_engine(url)
    database = Db(engine)
    yield database
    database.drop()


