"""`Idempotency-Key` on POST: a retried request gets the first response again instead of
doing the work twice (a lost network reply must not create two members).

Keys are scoped to the caller's credential (a hash of the token or session cookie) and kept
24 hours. The same key with a different request (path, query or body) is refused; a second
request arriving while the first is still running gets 409. Only requests that did their work
(2xx/3xx) are remembered: a refused one changed nothing, so the client may fix it and retry
with the same key. A request without a credential has no one to scope its key to, so its key
is checked for shape and otherwise ignored (two strangers must never share answers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from typing import Any, cast

import msgspec
import sqlalchemy as sa
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from tack.core.db import insert_ignore
from tack.core.errors import BadRequest, FieldError, Problem
from tack.core.tables import idempotency_keys

HEADER = b"idempotency-key"
KEEP = dt.timedelta(hours=24)
MAX_KEY = 200
SPOOL_IN_MEMORY = 1 << 20  # bytes of a keyed request body kept in memory; the rest spools to disk
MAX_BODY = 64 << 20  # the largest body a keyed request may carry
REPLAY_CHUNK = 64 << 10


class KeyReused(Problem):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency-Key reused"


class KeyInProgress(Problem):
    status, slug, title = 409, "idempotency-in-progress", "Request in progress"


async def _send_problem(send: Send, scope: Scope, problem: Problem) -> None:
    body = msgspec.json.encode(problem.to_dict(instance=scope["path"]))
    await _send_raw(send, problem.status, body, "application/problem+json")


def _bad_key(key: str) -> Problem | None:
    if key and len(key) <= MAX_KEY:
        return None
    rule = "min-length" if not key else "max-length"
    return BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY} characters.", errors=[
        FieldError(path="Idempotency-Key", message=f"must be 1 to {MAX_KEY} characters", rule=rule)])


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
        if (bad := _bad_key(key)) is not None:
            await _send_problem(send, scope, bad)
            return
        credential = headers.get(b"authorization") or _cookie(headers.get(b"cookie", b""))
        if not credential:
            await app(scope, receive, send)
            return
        principal = hashlib.sha256(credential).hexdigest()[:64]

        # The body is needed twice (its fingerprint now, the handler later): spool it, in memory
        # while small and on disk beyond that, so a large upload with a key stays bounded in memory.
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed below
        digest = hashlib.sha256(scope["path"].encode() + b"\n" + scope.get("query_string", b"") + b"\n")
        size = 0
        more = True
        while more:
            msg = await receive()
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                spool.close()
                await _send_problem(send, scope, BadRequest(
                    f"A request with an Idempotency-Key may carry at most {MAX_BODY // (1 << 20)} MiB.",
                    errors=[FieldError(path="$", message="body too large for an idempotent request",
                                       rule="max-size")]))
                return
            digest.update(chunk)
            spool.write(chunk)
            more = msg.get("more_body", False)
        spool.seek(0)
        fingerprint = digest.hexdigest()

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
            spool.close()
            if existing["fingerprint"] != fingerprint:
                await _send_problem(send, scope, KeyReused("This Idempotency-Key was used with a different request."))
            elif existing["status"] == 0:
                await _send_problem(send, scope, KeyInProgress(
                    "A request with this Idempotency-Key is still being processed."))
            else:
                await _send_raw(send, existing["status"], existing["body"],
                                existing["content_type"] or "application/json", replay=True)
            return

        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                chunk = spool.read(REPLAY_CHUNK)
                if len(chunk) < REPLAY_CHUNK:
                    sent_body = True
                return {"type": "http.request", "body": chunk, "more_body": not sent_body}
            return await receive()

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": []}

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            await send(message)

        # Ask for an uncompressed answer: the stored body is replayed as is, to a client that
        # may not accept the encoding the first one did (and no content-encoding is stored).
        scope = cast(Scope, {**scope, "headers": [(k, v) for k, v in scope["headers"]
                                                  if k.lower() != b"accept-encoding"]})
        try:
            await app(scope, replay_receive, capture_send)
        finally:
            spool.close()
            status = captured["status"]
            async with db.transaction() as conn:
                where = (idempotency_keys.c.principal == principal, idempotency_keys.c.key == key)
                if status >= 400:
                    # Refused (or failed): nothing was done, so the key may be used again.
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
