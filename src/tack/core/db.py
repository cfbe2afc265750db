"""The database: one async SQLAlchemy Core engine for SQLite (embedded default) and PostgreSQL.

`Database.transaction()` is how every command runs: one transaction per command, in which the
service writes its rows and appends its events to the outbox. On SQLite writers are serialized
inside the process (an asyncio lock plus `BEGIN IMMEDIATE`), because SQLite has one writer and
a deferred transaction that later upgrades to a write lock can fail with "database is locked".
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)


# Set on a connection whose transaction added work for the background loops (an outbox event,
# a job): only such a commit wakes them. Waking on every commit made the relay and the job
# runner wake each other with their own empty transactions, forever.
WAKE = "tack_wake"


def wake_after_commit(conn: AsyncConnection) -> None:
    conn.info[WAKE] = True


def _sqlite_table_hint(self: Any, table: Any, text: str | None) -> str | None:
    return text


# SQLAlchemy's SQLite dialect drops table hints; Tack uses one, `INDEXED BY <index>`, where SQLite's
# planner would otherwise misjudge a skewed table (tack.records.query.service).
SQLiteCompiler.get_from_hint_text = _sqlite_table_hint  # type: ignore[method-assign]


def sync_url(url: str) -> str:
    """The synchronous driver URL for the same database (Alembic runs synchronously)."""
    return url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.dialect = sa.engine.make_url(url).get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            path = sa.engine.make_url(url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        # Set after each write transaction commits: wakes the outbox relay and the job runner
        # at once instead of waiting for their next poll.
        self._commit_signals: list[asyncio.Event] = []
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextlib.asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncConnection]:
        """A connection inside one transaction, committed when the block ends without error."""
        if self._write_lock is not None and write:
            async with self._write_lock, self.engine.connect() as conn:
                conn = await conn.execution_options(tack_write=True)
                conn.info.pop(WAKE, None)
                async with conn.begin():
                    yield conn
                wake = conn.info.pop(WAKE, False)
            if wake:
                self._signal_commit()
            return
        async with self.engine.begin() as conn:
            conn.info.pop(WAKE, None)
            yield conn
            wake = conn.info.pop(WAKE, False)
        if wake:
            self._signal_commit()

    @contextlib.asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection outside any transaction block, for statements PostgreSQL refuses inside
        one (`CREATE INDEX CONCURRENTLY`). On SQLite, where DDL is transactional and there is
        one writer, it is an ordinary write transaction."""
        if self.dialect == "sqlite":
            async with self.transaction() as conn:
                yield conn
            return
        async with self.engine.connect() as conn:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")

    def commit_signal(self) -> asyncio.Event:
        """An event set after every write transaction of this process commits."""
        ev = asyncio.Event()
        self._commit_signals.append(ev)
        return ev

    def _signal_commit(self) -> None:
        for ev in self._commit_signals:
            ev.set()

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


# Functions other parts register on every new SQLite connection (the formula language's
# Unicode upper/lower and spreadsheet rounding), so SQL they compile runs the same as on PostgreSQL.
SQLITE_CONNECT_HOOKS: list[Callable[[Any], None]] = []


def on_sqlite_connect(setup: Callable[[Any], None]) -> Callable[[Any], None]:
    SQLITE_CONNECT_HOOKS.append(setup)
    return setup


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the driver so that we can say BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()
        # SQLite's own lower() folds ASCII only; people's names are not ASCII ("Élodie", "王芳").
        dbapi_conn.create_function("lower", 1, _unicode_lower, deterministic=True)
        for setup in SQLITE_CONNECT_HOOKS:
            setup(dbapi_conn)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("tack_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def insert_ignore(db_dialect: str, table: sa.Table, index_elements: list[str]) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` for the current dialect."""
    if db_dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=index_elements)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=index_elements)


def dialect_of(conn: AsyncConnection) -> str:
    return conn.dialect.name


NIL_ORG = uuid.UUID(int=0)  # org_id of platform-level rows (events and jobs that belong to no org)
