"""Domain events: appended to the outbox inside the command's own transaction.

An event is shaped like a CloudEvent (`id`, `type`, `source`, `subject`, `time`, `data`). It
becomes visible to consumers only when the transaction that wrote the change commits, so a
crash can neither lose an accepted change's events nor publish events of a rolled-back one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from tack.core.ctx import Ctx
from tack.core.db import wake_after_commit
from tack.core.ids import new_id
from tack.core.tables import outbox


class Event(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    type: str
    subject: str | None
    time: dt.datetime
    data: dict[str, Any]
    specversion: str = "1.0"
    source: str = "tack"

    def to_cloudevent(self) -> dict[str, Any]:
        return {
            "specversion": self.specversion,
            "id": str(self.id),
            "source": f"/orgs/{self.org_id}",
            "type": f"tack.{self.type}",
            "subject": self.subject,
            "time": self.time.isoformat(),
            "datacontenttype": "application/json",
            "data": self.data,
        }


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


def encode_event(ev: Event) -> bytes:
    return _encoder.encode(ev)


def decode_event(raw: bytes) -> Event:
    return _decoder.decode(raw)


async def emit(ctx: Ctx, type: str, subject: str | None, data: dict[str, Any]) -> Event:
    """Append a domain event to the outbox in the caller's transaction."""
    ev = Event(id=new_id(), org_id=ctx.org_id, type=type, subject=subject, time=ctx.now(),
               data=msgspec.to_builtins(data))
    await ctx.conn.execute(
        outbox.insert().values(org_id=ev.org_id, id=ev.id, type=ev.type, subject=ev.subject,
                               data=ev.data, at=ev.time)
    )
    wake_after_commit(ctx.conn)
    return ev


async def emit_many(ctx: Ctx, items: list[tuple[str, str | None, dict[str, Any]]]) -> list[Event]:
    """Append several events in one statement (a command that decides many at once)."""
    if not items:
        return []
    now = ctx.now()
    evs = [Event(id=new_id(), org_id=ctx.org_id, type=t, subject=subj, time=now, data=msgspec.to_builtins(d))
           for t, subj, d in items]
    await ctx.conn.execute(outbox.insert(), [
        {"org_id": e.org_id, "id": e.id, "type": e.type, "subject": e.subject, "data": e.data, "at": e.time}
        for e in evs])
    wake_after_commit(ctx.conn)
    return evs
