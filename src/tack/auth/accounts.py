"""Sign-in, password change and password reset by email."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tack.auth.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from tack.auth.sessions import end_all_sessions
from tack.auth.tables import password_resets
from tack.core import ratelimit
from tack.core.clock import Clock
from tack.core.ctx import Actor, Ctx
from tack.core.db import NIL_ORG, Database
from tack.core.errors import Gone, Unauthorized, ValidationFailed
from tack.core.mail import send_email
from tack.directory.tables import users
from tack.directory.users import find_user_by_email, get_user, normalize_email

WINDOW = dt.timedelta(minutes=15)
RESET_VALID = dt.timedelta(hours=1)


def _attempts_key(kind: str, email: str) -> str:
    """The rate-limit key for attempts on one email: a digest, so any valid email (up to 320
    characters) fits the key column and no address is stored in the counters table."""
    return f"{kind}:email:{hashlib.sha256(email.encode()).hexdigest()[:40]}"


def check_password_rules(password: str, path: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed.field(path, f"Use at least {MIN_LENGTH} characters.", "min-length")
    if len(password) > 1000:
        raise ValidationFailed.field(path, "Use at most 1000 characters.", "max-length")


async def sign_in(db: Database, clock: Clock, email: str, password: str, *, client_ip: str,
                  limit: int) -> sa.RowMapping:
    """Check an email and password. Attempts are limited per account and per client address.
    The attempt is counted in its own transaction first, so a failed check still counts."""
    email = normalize_email(email)
    async with db.transaction() as conn:
        await ratelimit.hit(conn, clock, _attempts_key("signin", email), limit=limit, window=WINDOW)
        await ratelimit.hit(conn, clock, f"signin:ip:{client_ip}", limit=limit * 5, window=WINDOW)
    async with db.transaction() as conn:
        user = await find_user_by_email(conn, email)
        ok = await verify_password(user["password_hash"] if user else None, password)
        if user is None or not ok:
            raise Unauthorized("The email or password is wrong.")
        await ratelimit.reset(conn, _attempts_key("signin", email))
        if needs_rehash(user["password_hash"]):
            await conn.execute(users.update().where(users.c.id == user["id"])
                               .values(password_hash=await hash_password(password)))
    return user


async def set_password(conn: AsyncConnection, user_id: uuid.UUID, password: str, path: str = "$.password") -> None:
    check_password_rules(password, path)
    await conn.execute(users.update().where(users.c.id == user_id).values(password_hash=await hash_password(password)))


async def change_password(conn: AsyncConnection, user_id: uuid.UUID, current: str, new: str,
                          keep_session: str | None) -> None:
    user = await get_user(conn, user_id)
    if not await verify_password(user["password_hash"], current):
        raise ValidationFailed.field("$.current_password", "The current password is wrong.", "matches")
    await set_password(conn, user_id, new, "$.new_password")
    await end_all_sessions(conn, user_id, except_value=keep_session)


async def request_password_reset(conn: AsyncConnection, clock: Clock, email: str, base_url: str,
                                 client_ip: str) -> None:
    """Email a one-hour reset link if the account exists. Says nothing either way (no account
    enumeration); limited per address like sign-in."""
    email = normalize_email(email)
    await ratelimit.hit(conn, clock, _attempts_key("reset", email), limit=5, window=WINDOW)
    await ratelimit.hit(conn, clock, f"reset:ip:{client_ip}", limit=30, window=WINDOW)
    user = await find_user_by_email(conn, email)
    if user is None:
        return
    token = secrets.token_urlsafe(32)
    now = clock.now()
    await conn.execute(password_resets.insert().values(
        id=hashlib.sha256(token.encode()).hexdigest(), user_id=user["id"], created_at=now, expires_at=now + RESET_VALID))
    ctx = Ctx(org_id=NIL_ORG, actor=Actor.system("password-reset"), conn=conn, clock=clock)
    link = f"{base_url}/reset-password?token={token}"
    zh = user["locale"] == "zh-CN"
    await send_email(
        ctx, to=user["email"],
        subject="重置您的 Tack 密码" if zh else "Reset your Tack password",
        body=(f"{user['name']}，您好：\n\n请在一小时内打开下面的链接设置新密码：\n{link}\n\n如果不是您本人操作，请忽略此邮件。\n"
              if zh else
              f"Hello {user['name']},\n\nOpen this link within an hour to choose a new password:\n{link}\n\n"
              "If you did not ask for this, ignore this email.\n"))


async def confirm_password_reset(conn: AsyncConnection, clock: Clock, token: str, password: str) -> uuid.UUID:
    check_password_rules(password, "$.password")
    row = (await conn.execute(sa.select(password_resets).where(
        password_resets.c.id == hashlib.sha256(token.encode()).hexdigest()))).mappings().first()
    if row is None or row["used_at"] is not None or row["expires_at"] <= clock.now():
        raise Gone("This reset link has expired or was already used.")
    await conn.execute(password_resets.update().where(password_resets.c.id == row["id"]).values(used_at=clock.now()))
    await set_password(conn, row["user_id"], password)
    await end_all_sessions(conn, row["user_id"])
    return row["user_id"]
