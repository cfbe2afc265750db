"""Test fixtures. Every database test runs on SQLite and, when a server answers, on PostgreSQL.

PostgreSQL: one database per run (`tack_test_<random>`), migrated once, emptied before each test
and dropped at the end, so runs never collide. SQLite: a migrated template file copied per test.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from tack.app import create_app
from tack.cli import run_migrations
from tack.config import Settings
from tack.core.clock import SYSTEM_CLOCK, Clock, FrozenClock
from tack.core.db import metadata
from tack.models import load_all_tables
from tack.runtime import Runtime

load_all_tables()

PG_ADMIN_URL = os.environ.get("TACK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """A local service (PostgreSQL, Redis, NATS) answers on this port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def pg_available() -> bool:
    return bool(os.environ.get("TACK_TEST_PG_URL")) or port_open(5432)


BACKENDS = ["sqlite"] + (["postgresql"] if pg_available() and os.environ.get("TACK_TEST_SKIP_PG") != "1" else [])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    run_migrations(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = f"tack_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL.replace("+asyncpg", "+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    run_migrations(url)
    yield url
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "tack.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("pg_url")
    engine = sa.create_engine(url)
    with engine.begin() as c:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        c.execute(sa.text(f"TRUNCATE {names} CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path, bus_url="memory://", secret_key="test",
                    base_url="http://testserver.local", background=False, smtp_port=1, login_attempts_per_15min=5)


@pytest.fixture
def clock() -> Clock:
    """The runtime's clock: the real one here; test folders that move time override this
    fixture with `frozen_now()`."""
    return SYSTEM_CLOCK


def frozen_now() -> FrozenClock:
    """A clock stopped at the current second, moved only by the test."""
    return FrozenClock(dt.datetime.now(dt.UTC).replace(microsecond=0))


@pytest.fixture
async def rt(settings: Settings, clock: Clock) -> AsyncIterator[Runtime]:
    """A runtime on the `clock` fixture; background loops off (tests drive jobs explicitly)."""
    runtime = Runtime.create(settings, clock)
    await runtime.bus.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(rt.settings, runtime=rt, start_runtime=False)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
async def demo(rt: Runtime) -> dict[str, Any]:
    """The demo organization; returns its id and the member ids by email."""
    from tack.demo import load_demo

    await load_demo(rt.settings, templates=False)
    return await demo_facts(rt)


async def demo_facts(rt: Runtime) -> dict[str, Any]:
    from tack.directory.tables import departments, members, orgs, users

    async with rt.db.transaction(write=False) as conn:
        org_id = (await conn.execute(sa.select(orgs.c.id).where(orgs.c.name == "Demo Co."))).scalar_one()
        rows = (await conn.execute(sa.select(users.c.email, members.c.id).join(
            members, members.c.user_id == users.c.id).where(members.c.org_id == org_id))).all()
        depts = (await conn.execute(sa.select(departments.c.name, departments.c.id).where(
            departments.c.org_id == org_id))).all()
    return {"org_id": str(org_id), "members": {e: str(m) for e, m in rows}, "departments": {n: str(d) for n, d in depts}}


class Api:
    """A signed-in web client: sends the CSRF header like the web app does."""

    def __init__(self, client: AsyncTestClient[Any], csrf: str, me: dict[str, Any]) -> None:
        self.client, self.csrf, self.me = client, csrf, me

    def _h(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf, **(headers or {})}

    async def get(self, url: str, **kw: Any) -> Any:
        return await self.client.get(url, **kw)

    async def post(self, url: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        return await self.client.post(url, json=json, headers=self._h(headers))

    async def patch(self, url: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        return await self.client.patch(url, json=json, headers=self._h(headers))

    async def put(self, url: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        return await self.client.put(url, json=json, headers=self._h(headers))

    async def delete(self, url: str, headers: dict[str, str] | None = None) -> Any:
        return await self.client.delete(url, headers=self._h(headers))


async def sign_in(client: AsyncTestClient[Any], email: str, password: str = "demo-password") -> Api:
    client.cookies.clear()
    r = await client.post("/api/v1/auth/sign-in", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    return Api(client, body["csrf_token"], body)


@pytest.fixture
async def alice(client: AsyncTestClient[Any], demo: dict[str, Any]) -> Api:
    return await sign_in(client, "alice@example.com")


def new_email() -> str:
    return f"u{uuid.uuid4().hex[:10]}@example.com"
