"""Redis backend of the bus: Streams with consumer groups for events, PUBLISH for broadcasts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from tack.core.bus import EventHandler, MessageHandler, worker_name
from tack.core.events import Event, decode_event, encode_event

log = logging.getLogger(__name__)

STREAM = "tack:events"
STREAM_MAXLEN = 100_000
CLAIM_IDLE_MS = 30_000  # a message unacknowledged this long belonged to a dead worker
CLAIM_EVERY = 10.0  # seconds between looks for such messages


class RedisBus:
    def __init__(self, url: str) -> None:
        self.url = url
        self._redis = aioredis.from_url(url)
        self._consumer = worker_name()
        self._tasks: list[asyncio.Task[None]] = []
        self._pubsub: aioredis.client.PubSub | None = None
        self._listeners: dict[str, list[MessageHandler]] = {}

    async def start(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()

    async def publish(self, event: Event) -> None:
        await self._redis.xadd(STREAM, {"e": encode_event(event)}, maxlen=STREAM_MAXLEN, approximate=True)

    async def consume(self, group: str, handler: EventHandler) -> None:
        try:
            await self._redis.xgroup_create(STREAM, group, id="$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._tasks.append(asyncio.create_task(self._consume_loop(group, handler), name=f"redis-{group}"))

    async def _consume_loop(self, group: str, handler: EventHandler) -> None:
        next_claim = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                if loop.time() >= next_claim:
                    next_claim = loop.time() + CLAIM_EVERY
                    # Also how a message whose handler failed here comes back: it stays pending.
                    reply: Any = await self._redis.xautoclaim(
                        STREAM, group, self._consumer, min_idle_time=CLAIM_IDLE_MS, count=100)
                    await self._handle(group, handler, reply[1])
                resp: Any = await self._redis.xreadgroup(group, self._consumer, {STREAM: ">"}, count=100, block=1000)
                for _stream, messages in resp or []:
                    await self._handle(group, handler, messages)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis consumer %s failed; retrying", group)
                await asyncio.sleep(1)

    async def _handle(self, group: str, handler: EventHandler, messages: list) -> None:  # type: ignore[type-arg]
        for msg_id, fields in messages:
            if not fields:
                continue
            ev = decode_event(fields[b"e"])
            await handler(ev)  # an exception leaves it pending: redelivered later (at least once)
            await self._redis.xack(STREAM, group, msg_id)

    async def broadcast(self, channel: str, payload: bytes) -> None:
        await self._redis.publish(f"tack:bcast:{channel}", payload)

    async def listen(self, channel: str, handler: MessageHandler) -> None:
        if self._pubsub is None:
            self._pubsub = self._redis.pubsub()
            await self._pubsub.subscribe(f"tack:bcast:{channel}")
            self._tasks.append(asyncio.create_task(self._listen_loop(), name="redis-listen"))
        else:
            await self._pubsub.subscribe(f"tack:bcast:{channel}")
        self._listeners.setdefault(channel, []).append(handler)

    async def _listen_loop(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                msg = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if msg is None:
                    continue
                channel = msg["channel"].decode().removeprefix("tack:bcast:")
                for h in self._listeners.get(channel, []):
                    await h(msg["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis listener failed")
                await asyncio.sleep(0.5)

    async def ping(self) -> bool:
        return bool(await self._redis.ping())
