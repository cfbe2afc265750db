"""`Idempotency-Key` on POST: a retried request gets the first response again instead of
doing the work twice (a lost network reply must not create two members).

Keys are scoped to the caller's credential (a hash of the token or session cookie) and kept
24 hours. The same key with a different request is refused; a second request arriving while
the first is still running gets 409.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from tack.core.db import insert_ignore
from tack.core.errors import PROBLEM_BASE
from tack.core.tables import idempotency_keys

HEADER = b"idempotency-key"
KEEP = dt.timedelta(hours=24)
MAX_KEY = 200


def _problem(status: int, slug: str, title: str, detail: str) -> tuple[int, bytes]:
    return status, json.dumps({"type": PROBLEM_BASE + slug, "title": title, "status": status,
                               "detail": detail}).encode()


async def _send_raw(send: Send, status: int, body: bytes, content_type: str, replay: bool = False) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    if replay:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key_raw = headers.get(HEADER)
        if not key_raw:
            await app(scope, receive, send)
            return
        key = key_raw.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY:
            status, body = _problem(400, "bad-request", "The request is malformed",
                                    f"Idempotency-Key must be 1 to {MAX_KEY} characters.")
            await _send_raw(send, status, body, "application/problem+json")
            return
        credential = headers.get(b"authorization") or _cookie(headers.get(b"cookie", b""))
        principal = hashlib.sha256(credential or b"anonymous").hexdigest()[:64]

        chunks: list[bytes] = []
        more = True
        while more:
            msg = await receive()
            chunks.append(msg.get("body", b""))
            more = msg.get("more_body", False)
        body_in = b"".join(chunks)
        fingerprint = hashlib.sha256(scope["path"].encode() + b"\n" + body_in).hexdigest()

        rt = scope["app"].state["runtime"]
        db, clock = rt.db, rt.clock
        now = clock.now()
        async with db.transaction() as conn:
            await conn.execute(idempotency_keys.delete().where(idempotency_keys.c.created_at < now - KEEP)
                               .where(idempotency_keys.c.principal == principal))
            res = await conn.execute(insert_ignore(db.dialect, idempotency_keys, ["principal", "key"]).values(
                principal=principal, key=key, fingerprint=fingerprint, status=0, body=b"", created_at=now
            ).returning(idempotency_keys.c.key))
            existing = None
            if res.first() is None:
                existing = (await conn.execute(sa.select(idempotency_keys).where(
                    idempotency_keys.c.principal == principal, idempotency_keys.c.key == key))).mappings().first()
        if existing is not None:
            if existing["fingerprint"] != fingerprint:
                status, body = _problem(422, "idempotency-key-reused", "Idempotency-Key reused",
                                        "This Idempotency-Key was used with a different request.")
                await _send_raw(send, status, body, "application/problem+json")
            elif existing["status"] == 0:
                status, body = _problem(409, "idempotency-in-progress", "Request in progress",
                                        "A request with this Idempotency-Key is still being processed.")
                await _send_raw(send, status, body, "application/problem+json")
            else:
                await _send_raw(send, existing["status"], existing["body"],
                                existing["content_type"] or "application/json", replay=True)
            return

        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body_in, "more_body": False}
            return await receive()

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": []}

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            await send(message)

        try:
            await app(scope, replay_receive, capture_send)
        finally:
            status = captured["status"]
            async with db.transaction() as conn:
                where = (idempotency_keys.c.principal == principal, idempotency_keys.c.key == key)
                if status >= 500 or status in (401, 409, 429):
                    # Not a final answer: let the client retry with the same key.
                    await conn.execute(idempotency_keys.delete().where(*where))
                else:
                    ctype = next((v.decode() for k, v in captured["headers"] if k.lower() == b"content-type"), None)
                    await conn.execute(idempotency_keys.update().where(*where).values(
                        status=status, content_type=ctype, body=b"".join(captured["body"])))

    return middleware


def _cookie(raw: bytes) -> bytes | None:
    for part in raw.split(b";"):
        name, _, value = part.strip().partition(b"=")
        if name == b"tack_session" and value:
            return value
    return None
