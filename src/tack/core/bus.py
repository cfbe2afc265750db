"""The event bus between worker processes: in-process (default), Redis or NATS.

Two ways to use it:
- `publish` / `consume(group, ...)`: durable events. Each event reaches one subscriber of each
  consumer group (the consumer's name), at least once: it is acknowledged only after the
  handler returned. Redis Streams consumer groups, NATS JetStream durable pull consumers.
- `broadcast` / `listen(channel, ...)`: one message to every worker, at most once (realtime
  fan-out; recipients are resolved at the edge). Redis PUBLISH, NATS core subjects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Protocol

from tack.core.events import Event, decode_event, encode_event

log = logging.getLogger(__name__)

EventHandler = Callable[[Event], Awaitable[None]]
MessageHandler = Callable[[bytes], Awaitable[None]]


class Bus(Protocol):
    url: str

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def publish(self, event: Event) -> None: ...
    async def consume(self, group: str, handler: EventHandler) -> None: ...
    async def broadcast(self, channel: str, payload: bytes) -> None: ...
    async def listen(self, channel: str, handler: MessageHandler) -> None: ...
    async def ping(self) -> bool: ...


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def create_bus(url: str) -> Bus:
    if url.startswith("memory://"):
        return MemoryBus(url)
    if url.startswith(("redis://", "rediss://")):
        from tack.core.bus_redis import RedisBus

        return RedisBus(url)
    if url.startswith(("nats://", "tls://")):
        from tack.core.bus_nats import NatsBus

        return NatsBus(url)
    raise ValueError(f"unsupported TACK_BUS_URL scheme: {url!r} (use memory://, redis:// or nats://)")


class _Retrying:
    """Runs a handler until it succeeds, backing off; shared by the in-process bus."""

    @staticmethod
    async def run(handler: EventHandler, event: Event) -> None:
        delay = 0.05
        while True:
            try:
                await handler(event)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event handler failed for %s %s; retrying", event.type, event.id)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


class MemoryBus:
    """One process: the embedded default. Queues live as long as the process."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._groups: dict[str, list[asyncio.Queue[Event]]] = {}
        self._listeners: dict[str, list[MessageHandler]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()

    async def publish(self, event: Event) -> None:
        # Round-trip through the wire format so in-process behaves like the networked buses.
        raw = encode_event(event)
        for queues in self._groups.values():
            q = min(queues, key=lambda q: q.qsize())  # one subscriber per group gets it
            q.put_nowait(decode_event(raw))

    async def consume(self, group: str, handler: EventHandler) -> None:
        q: asyncio.Queue[Event] = asyncio.Queue()
        self._groups.setdefault(group, []).append(q)

        async def loop() -> None:
            while True:
                ev = await q.get()
                await _Retrying.run(handler, ev)

        self._tasks.append(asyncio.create_task(loop(), name=f"bus-consume-{group}"))

    async def broadcast(self, channel: str, payload: bytes) -> None:
        for h in list(self._listeners.get(channel, [])):
            try:
                await h(payload)
            except Exception:
                log.exception("broadcast listener failed on %s", channel)

    async def listen(self, channel: str, handler: MessageHandler) -> None:
        self._listeners.setdefault(channel, []).append(handler)

    async def ping(self) -> bool:
        return True
