"""What a compiled formula reads while it runs: the record's values, the clock, the time zone.

Nothing else: a formula cannot reach the database, the network or the system clock. TODAY()
and NOW() read the injected clock once per evaluation (so `NOW() - NOW()` is 0), in the
organization's time zone, which is what "today" means to the people using the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from tack.core.clock import SYSTEM_CLOCK, Clock


class EvalContext:
    __slots__ = ("values", "clock", "tz", "_now")

    def __init__(
        self,
        values: Mapping[str, Any] | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        now: dt.datetime | None = None,
        tz: dt.tzinfo | str = dt.UTC,
    ) -> None:
        self.values: Mapping[str, Any] = values if values is not None else {}
        self.clock = clock
        self.tz: dt.tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
        if now is not None and now.tzinfo is None:
            raise ValueError("EvalContext needs a timezone-aware `now`")
        self._now = now

    @property
    def now(self) -> dt.datetime:
        if self._now is None:
            self._now = self.clock.now()
        return self._now.astimezone(self.tz)

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def value(self, name: str) -> Any:
        """A field's value; a field that is absent is blank."""
        return self.values.get(name)

    def rows(self, table: str) -> list[Mapping[str, Any]]:
        """The rows of a sub-table (a list of {column: value}); anything else reads as no rows."""
        rows = self.values.get(table)
        if not isinstance(rows, list):
            return []
        return [r for r in rows if isinstance(r, Mapping)]

    def with_values(self, values: Mapping[str, Any]) -> EvalContext:
        """The same clock reading and zone over other values (a batch of records, one `now`)."""
        ctx = EvalContext(values, clock=self.clock, tz=self.tz)
        ctx._now = self._now
        return ctx
