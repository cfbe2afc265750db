"""A plug-in the scale-out test loads into `tack serve` through TACK_PLUGINS: a consumer that
records, in the audit log, which process handled each department event."""

from __future__ import annotations

import os

from tack.core.consumers import consumer
from tack.core.ctx import Ctx
from tack.core.events import Event
from tack.directory import audit


@consumer("scaleout-probe", "department.created")
async def record_handler(ctx: Ctx, ev: Event) -> None:
    await audit.record(ctx, "scaleout.seen", "event", ev.id, {"pid": os.getpid(), "event_type": ev.type})
