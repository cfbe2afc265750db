"""Helpers shared by the API tests: a second organization, tokens, and snapshots of an
organization's rows to prove that a refused request changed nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from tack.auth.passwords import hash_password
from tack.core.clock import SYSTEM_CLOCK
from tack.core.db import metadata
from tack.directory import users
from tack.directory.tables import orgs
from tack.directory.tables import users as users_t
from tack.runtime import Runtime
from tests.conftest import Api, new_email, sign_in

PASSWORD = "another-password"
PROBLEM = "application/problem+json"
# Global tables a request may legitimately touch while it is refused (the caller's own session,
# idempotency records, rate-limit counters), so they are not part of a snapshot.
NOT_SNAPSHOTTED = {"sessions", "idempotency_keys", "rate_limits", "password_resets", "processed_events"}

Snapshot = dict[str, list[dict[str, Any]]]


async def create_person(rt: Runtime, name: str = "Mallory Fox", email: str | None = None) -> str:
    """A user with a password who belongs to no organization yet; returns the email."""
    email = email or new_email()
    async with rt.db.transaction() as conn:
        await users.create_user(conn, SYSTEM_CLOCK, email=email, name=name,
                                password_hash=await hash_password(PASSWORD))
    return email


async def all_scopes(client: AsyncTestClient[Any]) -> list[str]:
    r = await client.get("/api/v1/scopes")
    assert r.status_code == 200, r.text
    return [s["name"] for s in r.json()["items"]]


async def new_org(client: AsyncTestClient[Any], rt: Runtime, name: str = "Org B") -> tuple[Api, str]:
    """A fresh person signs in and creates an organization; returns their session and its id."""
    email = await create_person(rt)
    api = await sign_in(client, email, PASSWORD)
    r = await api.post("/api/v1/orgs", {"name": name})
    assert r.status_code == 201, r.text
    return api, r.json()["id"]


async def make_token(api: Api, org_id: str, *, kind: str, scopes: list[str], name: str = "test") -> dict[str, Any]:
    r = await api.post(f"/api/v1/orgs/{org_id}/tokens", {"name": name, "kind": kind, "scopes": scopes})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _sort_key(row: dict[str, Any]) -> str:
    return repr(sorted((k, str(v)) for k, v in row.items()))


async def snapshot(rt: Runtime, org_id: str) -> Snapshot:
    """Every row the organization owns (every table with an `org_id` column), its `orgs` row, and
    all users (global people: a refused request must not create or change one)."""
    oid = uuid.UUID(org_id)
    out: Snapshot = {}
    async with rt.db.transaction(write=False) as conn:
        for table in metadata.sorted_tables:
            if table.name in NOT_SNAPSHOTTED:
                continue
            if "org_id" in table.c:
                q = sa.select(table).where(table.c.org_id == oid)
            elif table is orgs:
                q = sa.select(table).where(table.c.id == oid)
            elif table is users_t:
                q = sa.select(table)
            else:
                continue
            rows = [dict(r) for r in (await conn.execute(q)).mappings().all()]
            out[table.name] = sorted(rows, key=_sort_key)
    return out


def diff(before: Snapshot, after: Snapshot) -> list[str]:
    """Human-readable differences between two snapshots (empty when nothing changed)."""
    out = []
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name, []), after.get(name, [])
        if b != a:
            gone = [r for r in b if r not in a]
            new = [r for r in a if r not in b]
            out.append(f"{name}: {len(gone)} row(s) changed/removed {gone[:2]}, {len(new)} new/changed {new[:2]}")
    return out


async def count_rows(rt: Runtime) -> dict[str, int]:
    """Row counts of every table (for "a refused request wrote nothing")."""
    async with rt.db.transaction(write=False) as conn:
        return {t.name: (await conn.execute(sa.select(sa.func.count()).select_from(t))).scalar_one()
                for t in metadata.sorted_tables if t.name not in NOT_SNAPSHOTTED}


@dataclass(frozen=True)
class Multipart:
    """A multipart/form-data body (an upload) in a table of request bodies: httpx's `files`
    (name -> (file name, bytes, content type)) and `data` (the plain fields)."""

    files: dict[str, tuple[str, bytes, str]]
    data: dict[str, str] = field(default_factory=dict)


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path template, operation) for every operation of an OpenAPI document."""
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                yield method.upper(), path, op
