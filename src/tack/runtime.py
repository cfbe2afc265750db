"""The running platform: settings, database, bus, clock, and the background loops (outbox relay,
event consumers, job runner) that `serve` hosts by default and `tack worker` hosts when scaled out."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from dataclasses import dataclass, field

from tack.config import Settings
from tack.core import mail
from tack.core.bus import Bus, create_bus
from tack.core.clock import SYSTEM_CLOCK, Clock
from tack.core.consumers import consumers, process_once
from tack.core.db import Database
from tack.core.jobs import JobRunner
from tack.core.relay import relay_forever
from tack.files import storage as files_storage

log = logging.getLogger("tack")


def load_domains(settings: Settings) -> None:
    """Import every module that registers plug-ins (job kinds, consumers), then TACK_PLUGINS."""
    for name in ("tack.core.mail", "tack.directory.consumers", "tack.files.service", "tack.records.links",
                 "tack.apps.field_trash", "tack.records.imports",
                 "tack.records.query.promote", "tack.notifications.consumers", "tack.flows.jobs",
                 *settings.plugins):
        importlib.import_module(name)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    bus: Bus
    clock: Clock = SYSTEM_CLOCK
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def create(cls, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> Runtime:
        load_domains(settings)
        mail.configure(settings)
        files_storage.configure(settings)
        from tack.apps import schema_changes  # the trash period of deleted form fields

        schema_changes.configure(settings)
        return cls(settings=settings, db=Database(settings.database_url), bus=create_bus(settings.bus_url), clock=clock)

    async def start(self, *, relay: bool = True, background: bool | None = None) -> None:
        """Connect the bus and start the loops. Every process relays the events it commits (low
        latency); consumers and jobs run where `background` is on."""
        await self.bus.start()
        background = self.settings.background if background is None else background
        if background:
            for name, c in consumers.items():
                async def handler(ev, c=c):  # type: ignore[no-untyped-def]
                    await process_once(self.db, self.clock, c, ev)

                await self.bus.consume(name, handler)
            runner = JobRunner(self.db, self.clock)
            self._tasks.append(asyncio.create_task(runner.forever(self.db.commit_signal()), name="jobs"))
        if relay:
            self._tasks.append(asyncio.create_task(
                relay_forever(self.db, self.bus, self.clock, self.db.commit_signal()), name="relay"))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        await self.bus.close()
        await self.db.dispose()
