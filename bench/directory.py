"""Benchmark `directory`: the org-chart queries the approval engine asks on every submission,
through the service layer, against the same questions in hand-written SQL on the same connection.

Data: one organization with a department tree (depth 6) and N members (default 10,000), each
with a manager chain up to the CEO. Per round: manager chain of a deep member, heads of a deep
department and its ancestors, and the first page (50) of a subtree's members.

    python -m bench.directory [--members 10000] [--rounds 200] [--quick] [--db URL]

RESULT: median milliseconds per round; ratio = anchor / tack (higher is better for Tack).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from bench.common import measure, report, result
from tack.cli import run_migrations
from tack.core.clock import SYSTEM_CLOCK
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database
from tack.core.ids import new_id
from tack.directory import members as members_svc
from tack.directory import queries
from tack.directory.tables import department_members, departments, members, orgs, users


async def build(db: Database, n_members: int, seed: int) -> dict[str, object]:
    """Write the data set directly (bulk inserts), with the same shape the services would make."""
    rnd = random.Random(seed)
    now = SYSTEM_CLOCK.now()
    org_id = new_id()
    root = new_id()
    depts = [(root, None, f"/{root.hex}/", 0)]
    frontier = [depts[0]]
    for depth in range(1, 6):  # 1 + 4 + 16 + 64 + 256 + ... limited below
        nxt = []
        for d in frontier:
            for i in range(4 if depth < 5 else 2):
                did = new_id()
                row = (did, d[0], f"{d[2]}{did.hex}/", i)
                depts.append(row)
                nxt.append(row)
        frontier = nxt
    leaves = frontier
    async with db.transaction() as conn:
        await conn.execute(orgs.insert().values(id=org_id, name="Bench Co", locale="en", time_zone="UTC",
                                                root_department_id=root, created_at=now))
        await conn.execute(departments.insert(), [
            {"org_id": org_id, "id": d, "parent_id": p, "name": f"D{k}", "position": pos, "path": path,
             "created_at": now} for k, (d, p, path, pos) in enumerate(depts)])
        user_rows, member_rows, dm_rows = [], [], []
        ids: list[uuid.UUID] = []
        for i in range(n_members):
            uid, mid = new_id(), new_id()
            # managers come from earlier members: a chain of depth ~log(n) up to member 0
            manager = ids[rnd.randrange(max(1, i // 4))] if i else None
            ids.append(mid)
            user_rows.append({"id": uid, "email": f"m{i}-{org_id.hex[:6]}@bench.example", "name": f"Member {i:05d}",
                              "locale": "en", "time_zone": "UTC", "created_at": now})
            member_rows.append({"org_id": org_id, "id": mid, "user_id": uid, "name": f"Member {i:05d}",
                                "manager_id": manager, "status": "active", "admin_role": "member", "joined_at": now})
            dept = depts[0] if i == 0 else leaves[rnd.randrange(len(leaves))] if i > 50 else depts[1 + i % 20]
            dm_rows.append({"org_id": org_id, "department_id": dept[0], "member_id": mid, "is_head": i < 60})
        for chunk in range(0, n_members, 2000):
            await conn.execute(users.insert(), user_rows[chunk:chunk + 2000])
            await conn.execute(members.insert(), member_rows[chunk:chunk + 2000])
            await conn.execute(department_members.insert(), dm_rows[chunk:chunk + 2000])
    deep_member = ids[-1]
    return {"org_id": org_id, "deep_member": deep_member, "deep_dept": leaves[0][0], "subtree": depts[1][0],
            "subtree_path": depts[1][2], "deep_path": leaves[0][2]}


async def run(db_url: str, n_members: int, rounds: int) -> None:
    db = Database(db_url)
    facts = await build(db, n_members, seed=7)
    org_id = facts["org_id"]
    assert isinstance(org_id, uuid.UUID)

    async def tack_round() -> None:
        async with db.transaction(write=False) as conn:
            ctx = Ctx(org_id=org_id, actor=Actor.system(), conn=conn, clock=SYSTEM_CLOCK)
            await queries.manager_chain(ctx, facts["deep_member"])  # type: ignore[arg-type]
            await queries.department_heads(ctx, facts["deep_dept"], include_ancestors=True)  # type: ignore[arg-type]
            await members_svc.list_members(ctx, department_id=facts["subtree"], include_descendants=True,  # type: ignore[arg-type]
                                           limit=50)

    chain_sql = sa.text("""
        WITH RECURSIVE chain(id, level) AS (
          SELECT manager_id, 1 FROM members WHERE org_id = :org AND id = :m AND manager_id IS NOT NULL
          UNION ALL
          SELECT m.manager_id, c.level + 1 FROM members m JOIN chain c ON m.org_id = :org AND m.id = c.id
          WHERE m.manager_id IS NOT NULL AND c.level < 64)
        SELECT m.id, m.name, u.email FROM chain c JOIN members m ON m.org_id = :org AND m.id = c.id
        JOIN users u ON u.id = m.user_id ORDER BY c.level""")
    heads_sql = sa.text("""
        SELECT m.id, m.name, u.email FROM department_members dm JOIN departments d
          ON d.org_id = dm.org_id AND d.id = dm.department_id
        JOIN members m ON m.org_id = dm.org_id AND m.id = dm.member_id JOIN users u ON u.id = m.user_id
        WHERE dm.org_id = :org AND dm.is_head AND :path LIKE d.path || '%' ORDER BY length(d.path) DESC""")
    page_sql = sa.text("""
        SELECT m.id, m.name, u.email FROM members m JOIN users u ON u.id = m.user_id
        WHERE m.org_id = :org AND m.status = 'active' AND m.id IN (
          SELECT dm.member_id FROM department_members dm JOIN departments d ON d.org_id = dm.org_id
          AND d.id = dm.department_id WHERE dm.org_id = :org AND d.path LIKE :prefix)
        ORDER BY m.name, m.id LIMIT 51""")

    def p(v: object) -> object:  # SQLite keeps UUIDs as 32 hex characters, PostgreSQL natively
        return v.hex if db.dialect == "sqlite" and isinstance(v, uuid.UUID) else v

    async def anchor_round() -> None:
        async with db.transaction(write=False) as conn:
            rows = (await conn.execute(chain_sql, {"org": p(org_id), "m": p(facts["deep_member"])})).all()
            assert rows
            (await conn.execute(heads_sql, {"org": p(org_id), "path": facts["deep_path"]})).all()
            (await conn.execute(page_sql, {"org": p(org_id), "prefix": f"{facts['subtree_path']}%"})).all()

    for _ in range(2):  # alternate so that noise hits both alike
        t = await measure(tack_round, rounds=rounds, warmup=20)
        a = await measure(anchor_round, rounds=rounds, warmup=20)
    tack_ms = report("directory", "tack", t, members=n_members, dialect=db.dialect)
    anchor_ms = report("directory", "hand-written SQL", a, members=n_members, dialect=db.dialect)
    await db.dispose()
    result("directory", tack_ms, "handsql", anchor_ms, "ms", higher_is_better=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    args = ap.parse_args()
    if args.quick:
        args.members, args.rounds = 2_000, 50
    url = args.db or f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    run_migrations(url)
    asyncio.run(run(url, args.members, args.rounds))


if __name__ == "__main__":
    main()
