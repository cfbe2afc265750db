"""Event consumers: named, idempotent handlers of committed domain events.

Delivery is at least once; each consumer records the events it processed in
`processed_events` in the same transaction as its own effects, so a redelivered or replayed
event changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tack.core.clock import Clock
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database, insert_ignore
from tack.core.events import Event
from tack.core.registry import Registry
from tack.core.tables import processed_events

ConsumerFn = Callable[[Ctx, Event], Awaitable[None]]


@dataclass(frozen=True)
class Consumer:
    name: str
    handle: ConsumerFn
    # Event types this consumer wants; a trailing ".*" matches a prefix. Empty: all events.
    types: tuple[str, ...] = ()

    def wants(self, event_type: str) -> bool:
        if not self.types:
            return True
        for t in self.types:
            if t == event_type or (t.endswith(".*") and event_type.startswith(t[:-1])):
                return True
        return False


consumers: Registry[Consumer] = Registry("event consumer")


def consumer(name: str, *types: str) -> Callable[[ConsumerFn], ConsumerFn]:
    """Register a function as an event consumer: `@consumer("audit-mirror", "member.*")`."""

    # The name is the consumer group on every bus: NATS durable names allow no dots or spaces.
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise ValueError(f"consumer names are letters, digits, '-' and '_': {name!r}")

    def deco(fn: ConsumerFn) -> ConsumerFn:
        consumers.register(name, Consumer(name=name, handle=fn, types=types))
        return fn

    return deco


async def process_once(db: Database, clock: Clock, c: Consumer, ev: Event) -> bool:
    """Run `c` on `ev` unless it already did; True when it ran now."""
    if not c.wants(ev.type):
        return False
    async with db.transaction() as conn:
        stmt = insert_ignore(db.dialect, processed_events, ["org_id", "consumer", "event_id"]).values(
            org_id=ev.org_id, consumer=c.name, event_id=ev.id, processed_at=clock.now()
        ).returning(processed_events.c.event_id)
        # RETURNING rather than rowcount: psycopg's async cursor reports -1 for ON CONFLICT DO NOTHING.
        if (await conn.execute(stmt)).first() is None:
            return False  # processed before: a redelivery or a replay
        await c.handle(Ctx(org_id=ev.org_id, actor=Actor.system(c.name), conn=conn, clock=clock), ev)
    return True


def since(clock: Clock, **delta: float) -> dt.datetime:
    return clock.now() - dt.timedelta(**delta)
