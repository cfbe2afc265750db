"""NATS backend of the bus: JetStream durable pull consumers for events, core subjects for broadcasts."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats
from nats.aio.client import Client as NatsClient
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

from tack.core.bus import EventHandler, MessageHandler
from tack.core.events import Event, decode_event, encode_event

log = logging.getLogger(__name__)

STREAM = "TACK_EVENTS"
SUBJECT = "tack.events"


class NatsBus:
    def __init__(self, url: str) -> None:
        self.url = url
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._nc = await nats.connect(self.url, name="tack", max_reconnect_attempts=-1)
        js = self._js = self._nc.jetstream()
        config = StreamConfig(name=STREAM, subjects=[f"{SUBJECT}.>"], max_msgs=1_000_000)
        try:
            await js.add_stream(config)
        except Exception:
            await js.update_stream(config)

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        if self._nc is not None:
            # flush + close rather than drain: draining waits for pull subscriptions whose
            # fetch loops are already cancelled, until its 30 s timeout.
            with contextlib.suppress(Exception):
                await self._nc.flush(timeout=2)
            with contextlib.suppress(Exception):
                await self._nc.close()

    async def publish(self, event: Event) -> None:
        assert self._js is not None
        # The event id doubles as the JetStream message id: a re-published event is de-duplicated.
        await self._js.publish(f"{SUBJECT}.{event.type}", encode_event(event),
                               headers={"Nats-Msg-Id": str(event.id)})

    async def consume(self, group: str, handler: EventHandler) -> None:
        assert self._js is not None
        sub = await self._js.pull_subscribe(
            f"{SUBJECT}.>", durable=group, stream=STREAM,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW, ack_policy=AckPolicy.EXPLICIT,
                                  ack_wait=30, max_deliver=-1),
        )

        async def loop() -> None:
            while True:
                try:
                    msgs = await sub.fetch(100, timeout=1)
                except NatsTimeout:
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("nats consumer %s failed; retrying", group)
                    await asyncio.sleep(1)
                    continue
                for msg in msgs:
                    try:
                        await handler(decode_event(msg.data))
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        log.exception("handler of %s failed; will be redelivered", group)
                        await msg.nak(delay=1)
                        continue
                    await msg.ack()

        self._tasks.append(asyncio.create_task(loop(), name=f"nats-{group}"))

    async def broadcast(self, channel: str, payload: bytes) -> None:
        assert self._nc is not None
        await self._nc.publish(f"tack.bcast.{channel}", payload)

    async def listen(self, channel: str, handler: MessageHandler) -> None:
        assert self._nc is not None

        async def cb(msg) -> None:  # type: ignore[no-untyped-def]
            try:
                await handler(msg.data)
            except Exception:
                log.exception("nats listener failed on %s", channel)

        await self._nc.subscribe(f"tack.bcast.{channel}", cb=cb)

    async def ping(self) -> bool:
        return self._nc is not None and self._nc.is_connected
