"""Who is calling, and the `Ctx` a handler passes to services.

A request is authenticated by an API token (`Authorization: Bearer tack_...`) or by the web
session cookie. Cookie-authenticated unsafe requests must carry the session's CSRF token in
`X-CSRF-Token`. A caller who is not an active member of the organization in the path gets 404,
as if it did not exist.
"""

from __future__ import annotations

import contextlib
import hmac
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from litestar import Request
from sqlalchemy.ext.asyncio import AsyncConnection

from tack.auth import tokens
from tack.auth.sessions import COOKIE, find_session
from tack.core.ctx import Actor, Ctx
from tack.core.errors import Forbidden, NotFound, Unauthorized
from tack.directory.tables import admin_departments, departments, members
from tack.runtime import Runtime

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def runtime_of(request: Request[Any, Any, Any]) -> Runtime:
    return request.app.state["runtime"]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID | None
    session_value: str | None = None
    csrf_token: str | None = None
    token: sa.RowMapping | None = None

    @property
    def is_session(self) -> bool:
        return self.session_value is not None


def bearer(request: Request[Any, Any, Any]) -> str | None:
    auth = request.headers.get("authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return None


def check_csrf(request: Request[Any, Any, Any], session: sa.RowMapping) -> None:
    """Unsafe requests made with the session cookie must echo the session's CSRF token.
    Compared as bytes: a header may carry any octets, and `compare_digest` refuses non-ASCII str."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token", "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(sent, session["csrf_token"].encode()):
        raise Forbidden("The CSRF token is missing or wrong; reload the page.")


async def resolve_principal(request: Request[Any, Any, Any], conn: AsyncConnection) -> Principal:
    rt = runtime_of(request)
    raw = bearer(request)
    if raw is not None:
        row = await tokens.authenticate(conn, rt.clock, raw)
        if row is None:
            raise Unauthorized("The API token is invalid, expired or revoked.")
        return Principal(user_id=None, token=row)
    value = request.cookies.get(COOKIE)
    if value:
        s = await find_session(conn, rt.clock, value)
        if s is not None:
            check_csrf(request, s)
            return Principal(user_id=s["user_id"], session_value=value, csrf_token=s["csrf_token"])
    raise Unauthorized("Sign in or send an API token.")


async def actor_in_org(conn: AsyncConnection, p: Principal, org_id: uuid.UUID) -> Actor:
    if p.token is not None:
        t = p.token
        if t["org_id"] != org_id:
            raise NotFound("No such organization.")
        scopes = frozenset(t["scopes"])
        if t["kind"] == "organization":
            return Actor(kind="token", name=f"token {t['name']}", admin_role="admin", scopes=scopes, token_id=t["id"])
        member = await _member(conn, org_id, member_id=t["member_id"])
        return await _actor(conn, org_id, member, kind="token", scopes=scopes, token_id=t["id"])
    member = await _member(conn, org_id, user_id=p.user_id)
    return await _actor(conn, org_id, member, kind="user")


async def _member(conn: AsyncConnection, org_id: uuid.UUID, *, user_id: uuid.UUID | None = None,
                  member_id: uuid.UUID | None = None) -> sa.RowMapping:
    q = sa.select(members).where(members.c.org_id == org_id, members.c.status == "active")
    q = q.where(members.c.user_id == user_id) if user_id is not None else q.where(members.c.id == member_id)
    row = (await conn.execute(q)).mappings().first()
    if row is None:
        raise NotFound("No such organization.")
    return row


async def _actor(conn: AsyncConnection, org_id: uuid.UUID, m: sa.RowMapping, *, kind: str,
                 scopes: frozenset[str] | None = None, token_id: uuid.UUID | None = None) -> Actor:
    paths: tuple[str, ...] = ()
    if m["admin_role"] == "sub_admin":
        rows = await conn.execute(sa.select(departments.c.path).join(admin_departments, sa.and_(
            admin_departments.c.org_id == departments.c.org_id, admin_departments.c.department_id == departments.c.id
        )).where(admin_departments.c.org_id == org_id, admin_departments.c.member_id == m["id"]))
        paths = tuple(rows.scalars().all())
    return Actor(kind=kind, name=m["name"], user_id=m["user_id"], member_id=m["id"],  # type: ignore[arg-type]
                 admin_role=m["admin_role"], admin_paths=paths, scopes=scopes, token_id=token_id)


@contextlib.asynccontextmanager
async def org_ctx(request: Request[Any, Any, Any], org_id: uuid.UUID, *,
                  write: bool | None = None) -> AsyncIterator[Ctx]:
    """The caller's Ctx in `org_id`, inside one transaction (a write one for unsafe methods,
    unless the handler says it only reads, as a query sent by POST does)."""
    rt = runtime_of(request)
    if write is None:
        write = request.method not in SAFE_METHODS
    async with rt.db.transaction(write=write) as conn:
        p = await resolve_principal(request, conn)
        actor = await actor_in_org(conn, p, org_id)
        yield Ctx(org_id=org_id, actor=actor, conn=conn, clock=rt.clock)
    await _touch_token(rt, p)


@contextlib.asynccontextmanager
async def user_conn(request: Request[Any, Any, Any], *, write: bool | None = None
                    ) -> AsyncIterator[tuple[Principal, AsyncConnection]]:
    """A signed-in person (session or personal token) and a connection, for /me and the like."""
    rt = runtime_of(request)
    write = request.method not in SAFE_METHODS if write is None else write
    async with rt.db.transaction(write=write) as conn:
        p = await resolve_principal(request, conn)
        if p.token is not None:
            if p.token["kind"] != "personal":
                raise Forbidden("An organization token does not act as a person.")
            user_id = (await conn.execute(sa.select(members.c.user_id).where(
                members.c.org_id == p.token["org_id"], members.c.id == p.token["member_id"]))).scalar_one()
            p = Principal(user_id=user_id, token=p.token)
        yield p, conn
    await _touch_token(rt, p)


async def _touch_token(rt: Runtime, p: Principal) -> None:
    if p.token is not None and tokens.needs_touch(p.token, rt.clock.now()):
        async with rt.db.transaction() as conn:
            await tokens.touch(conn, rt.clock, p.token["org_id"], p.token["id"])
