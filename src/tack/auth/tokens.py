"""API tokens: personal (act as the member, within the token's scopes) and organization
tokens (a program acting for the organization, within its scopes).

A token is shown once. It encodes its organization and id, so the server finds it by primary
key; only a SHA-256 of its random secret is stored (the secret has 160 bits of entropy, so a
slow hash adds nothing), compared in constant time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from typing import Annotated, Literal

import msgspec
import sqlalchemy as sa
from msgspec import Meta
from sqlalchemy.ext.asyncio import AsyncConnection

from tack.auth.policy import SCOPES, allows, holds_scope, require
from tack.auth.tables import api_tokens
from tack.core.clock import Clock
from tack.core.ctx import Ctx
from tack.core.errors import FieldError, NotFound, ValidationFailed
from tack.core.ids import new_id
from tack.directory import audit

PREFIX = "tack_"


class Token(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: Literal["personal", "organization"]
    scopes: list[str]
    hint: str  # the token's last characters ("tack_…D7jnVg"), to tell tokens apart
    member_id: uuid.UUID | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreated(Token):
    token: str = ""


class TokenList(msgspec.Struct):
    items: list[Token]
    next_cursor: str | None = None


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]
    scopes: Annotated[list[str], Meta(min_length=1, max_length=50)]
    kind: Literal["personal", "organization"] = "personal"
    expires_in_days: Annotated[int, Meta(ge=1, le=3650)] | None = None


def _hash(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()


def encode_token(org_id: uuid.UUID, token_id: uuid.UUID, secret: bytes) -> str:
    return PREFIX + base64.urlsafe_b64encode(org_id.bytes + token_id.bytes + secret).decode().rstrip("=")


def decode_token(raw: str) -> tuple[uuid.UUID, uuid.UUID, bytes] | None:
    if not raw.startswith(PREFIX):
        return None
    body = raw[len(PREFIX):]
    try:
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except Exception:
        return None
    if len(data) != 52:
        return None
    return uuid.UUID(bytes=data[:16]), uuid.UUID(bytes=data[16:32]), data[32:]


async def create_token(ctx: Ctx, data: TokenCreate) -> TokenCreated:
    require(ctx.actor, "token.write_org" if data.kind == "organization" else "token.write_personal")
    bad = [FieldError(path=f"$.scopes[{i}]", message=f"unknown scope {s!r}", rule="enum")
           for i, s in enumerate(data.scopes) if s not in SCOPES]
    if bad:
        raise ValidationFailed("Some scopes are unknown.", errors=bad)
    scopes = sorted(set(data.scopes))
    if ctx.actor.scopes is not None and not all(holds_scope(ctx.actor.scopes, s) for s in scopes):
        raise ValidationFailed.field("$.scopes", "A token cannot grant scopes it does not hold itself.", "subset")
    if data.kind == "personal" and ctx.actor.member_id is None:
        raise ValidationFailed.field("$.kind", "Only a person can hold a personal token.", "personal")
    token_id, secret = new_id(), secrets.token_bytes(20)
    now = ctx.now()
    expires = now + dt.timedelta(days=data.expires_in_days) if data.expires_in_days else None
    raw = encode_token(ctx.org_id, token_id, secret)
    await ctx.conn.execute(api_tokens.insert().values(
        org_id=ctx.org_id, id=token_id, name=data.name.strip(), kind=data.kind, member_id=ctx.actor.member_id,
        scopes=scopes, secret_hash=_hash(secret), prefix=f"{PREFIX}…{raw[-6:]}", created_at=now, expires_at=expires))
    await audit.record(ctx, "token.created", "token", token_id, {"name": data.name, "kind": data.kind,
                                                                 "scopes": scopes})
    t = await _get(ctx, token_id)
    return TokenCreated(**msgspec.structs.asdict(t), token=raw)


async def list_tokens(ctx: Ctx) -> TokenList:
    """Admins see the organization's tokens and their own; everyone else only their own."""
    require(ctx.actor, "token.read")
    q = sa.select(api_tokens).where(api_tokens.c.org_id == ctx.org_id, api_tokens.c.revoked_at.is_(None))
    if not allows(ctx.actor, "token.read_all"):
        q = q.where(api_tokens.c.kind == "personal", api_tokens.c.member_id == ctx.actor.member_id)
    else:
        q = q.where(sa.or_(api_tokens.c.kind == "organization", api_tokens.c.member_id == ctx.actor.member_id))
    rows = (await ctx.conn.execute(q.order_by(api_tokens.c.id.desc()))).mappings().all()
    return TokenList(items=[_token(r) for r in rows])


async def revoke_token(ctx: Ctx, token_id: uuid.UUID) -> None:
    t = await _get(ctx, token_id)
    if t.kind == "organization":
        require(ctx.actor, "token.write_org")
    elif t.member_id != ctx.actor.member_id:
        require(ctx.actor, "token.write_org")  # admins may revoke anyone's personal token
    else:
        require(ctx.actor, "token.write_personal")
    await ctx.conn.execute(api_tokens.update().where(api_tokens.c.org_id == ctx.org_id, api_tokens.c.id == token_id)
                           .values(revoked_at=ctx.now()))
    await audit.record(ctx, "token.revoked", "token", token_id, {"name": t.name})


async def revoke_member_tokens(ctx: Ctx, member_id: uuid.UUID) -> None:
    await ctx.conn.execute(api_tokens.update().where(
        api_tokens.c.org_id == ctx.org_id, api_tokens.c.member_id == member_id, api_tokens.c.kind == "personal",
        api_tokens.c.revoked_at.is_(None)).values(revoked_at=ctx.now()))


async def authenticate(conn: AsyncConnection, clock: Clock, raw: str) -> sa.RowMapping | None:
    """The live token row for a presented token, or None. Reads only (see `touch`)."""
    decoded = decode_token(raw)
    if decoded is None:
        return None
    org_id, token_id, secret = decoded
    row = (await conn.execute(sa.select(api_tokens).where(
        api_tokens.c.org_id == org_id, api_tokens.c.id == token_id))).mappings().first()
    if row is None or not hmac.compare_digest(row["secret_hash"], _hash(secret)):
        return None
    now = clock.now()
    if row["revoked_at"] is not None or (row["expires_at"] is not None and row["expires_at"] <= now):
        return None
    return row


def needs_touch(row: sa.RowMapping, now: dt.datetime) -> bool:
    """`last_used_at` is kept to the minute, so most requests write nothing for it."""
    return row["last_used_at"] is None or now - row["last_used_at"] > dt.timedelta(minutes=1)


async def touch(conn: AsyncConnection, clock: Clock, org_id: uuid.UUID, token_id: uuid.UUID) -> None:
    await conn.execute(api_tokens.update().where(api_tokens.c.org_id == org_id, api_tokens.c.id == token_id)
                       .values(last_used_at=clock.now()))


async def _get(ctx: Ctx, token_id: uuid.UUID) -> Token:
    row = (await ctx.conn.execute(sa.select(api_tokens).where(
        api_tokens.c.org_id == ctx.org_id, api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)
    ))).mappings().first()
    if row is None:
        raise NotFound("No such token.")
    t = _token(row)
    if t.kind == "personal" and t.member_id != ctx.actor.member_id and not allows(ctx.actor, "token.read_all"):
        raise NotFound("No such token.")
    return t


def _token(r: sa.RowMapping) -> Token:
    return Token(id=r["id"], name=r["name"], kind=r["kind"], scopes=list(r["scopes"]), hint=r["prefix"],
                 member_id=r["member_id"], created_at=r["created_at"], expires_at=r["expires_at"],
                 last_used_at=r["last_used_at"])
