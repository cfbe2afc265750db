"""Helpers for the directory tests: a system Ctx on the demo org, and tree invariants."""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import sqlalchemy as sa

from tack.core.ctx import Actor, Ctx
from tack.directory.tables import departments
from tack.runtime import Runtime


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
