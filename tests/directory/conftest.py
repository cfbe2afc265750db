"""Helpers for the directory tests: a fast demo org, quick sign-in, a system Ctx, tree invariants.

The demo org is built once per session through the real services (`load_demo`), its rows are
kept, and each test gets them bulk-inserted into its own fresh database: the same data in a
fraction of the time. Likewise `sign_in` here opens a session row directly instead of
verifying an argon2 hash on every call; the real sign-in is tested in tests/auth.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from tack.auth import sessions
from tack.config import Settings
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database, metadata
from tack.demo import load_demo
from tack.directory.tables import departments
from tack.directory.users import find_user_by_email
from tack.runtime import Runtime
from tests.conftest import Api, demo_facts


@pytest.fixture(scope="session")
async def demo_rows(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    path = tmp_path_factory.mktemp("demo-snapshot") / "demo.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    await load_demo(Settings(database_url=url, data_dir=path.parent, secret_key="test"))
    db = Database(url)
    try:
        async with db.transaction(write=False) as conn:
            return {t.name: [dict(r) for r in (await conn.execute(sa.select(t))).mappings()]
                    for t in metadata.sorted_tables}
    finally:
        await db.dispose()


def _insert_order(table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parents before children, managers before their reports (self-referencing keys)."""
    if table == "departments":
        return sorted(rows, key=lambda r: len(r["path"]))
    if table == "members":
        by_id = {r["id"]: r for r in rows}

        def depth(r: dict[str, Any]) -> int:
            n = 0
            while r["manager_id"] is not None:
                r, n = by_id[r["manager_id"]], n + 1
            return n

        return sorted(rows, key=depth)
    return rows


@pytest.fixture
async def demo(rt: Runtime, demo_rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The demo organization (see tests/conftest.py), restored from the session's snapshot."""
    async with rt.db.transaction() as conn:
        for t in metadata.sorted_tables:
            rows = demo_rows[t.name]
            if rows:
                await conn.execute(t.insert(), _insert_order(t.name, rows))
    return await demo_facts(rt)


async def sign_in(client: AsyncTestClient[Any], email: str) -> Api:
    """A signed-in web client for `email`, without the cost of a password check."""
    rt: Runtime = client.app.state["runtime"]
    async with rt.db.transaction() as conn:
        user = await find_user_by_email(conn, email)
        assert user is not None, email
        value, csrf = await sessions.create_session(conn, rt.clock, user["id"], days=rt.settings.session_days)
    client.cookies.clear()
    client.cookies.set(sessions.COOKIE, value)
    return Api(client, csrf, {"user": {"id": str(user["id"]), "email": user["email"]}})


@pytest.fixture
async def alice(client: AsyncTestClient[Any], demo: dict[str, Any]) -> Api:
    return await sign_in(client, "alice@example.com")


@contextlib.asynccontextmanager
async def system_ctx(rt: Runtime, org_id: str | uuid.UUID, *, write: bool = True) -> AsyncIterator[Ctx]:
    """The system acting in `org_id`, inside one transaction (what jobs and flows use)."""
    async with rt.db.transaction(write=write) as conn:
        yield Ctx(org_id=uuid.UUID(str(org_id)), actor=Actor.system(), conn=conn, clock=rt.clock)


async def department_rows(rt: Runtime, org_id: str | uuid.UUID) -> list[dict[str, Any]]:
    async with rt.db.transaction(write=False) as conn:
        rows = (await conn.execute(sa.select(departments).where(
            departments.c.org_id == uuid.UUID(str(org_id))))).mappings().all()
    return [dict(r) for r in rows]


async def assert_tree_sound(rt: Runtime, org_id: str | uuid.UUID) -> None:
    """Positions are 0..n-1 among each set of siblings, and every path is the parent's path plus
    the department's own id (so subtree queries by path prefix are right)."""
    rows = await department_rows(rt, org_id)
    by_id = {r["id"]: r for r in rows}
    siblings: dict[Any, list[int]] = defaultdict(list)
    for r in rows:
        siblings[r["parent_id"]].append(r["position"])
        if r["parent_id"] is None:
            assert r["path"] == f"/{r['id'].hex}/"
        else:
            assert r["path"] == f"{by_id[r['parent_id']]['path']}{r['id'].hex}/", r["name"]
    for parent, positions in siblings.items():
        assert sorted(positions) == list(range(len(positions))), (parent, positions)


async def child_names(rt: Runtime, org_id: str | uuid.UUID, parent_id: str | uuid.UUID) -> list[str]:
    """Names of a department's children in display order."""
    rows = await department_rows(rt, org_id)
    kids = [r for r in rows if r["parent_id"] == uuid.UUID(str(parent_id))]
    return [r["name"] for r in sorted(kids, key=lambda r: r["position"])]
