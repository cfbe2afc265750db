"""The batched path an import stores records by: the same records a submission makes (system
values, gap-free serial numbers, unique fields, a `created` revision and a `record.created`
event each), written a chunk at a time with one statement per table instead of one per row.

Keep it in step with `tack.records.service.create_record`: whatever a submission writes for a
new record, an imported record gets too.
"""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa

from tack.core.ctx import Ctx
from tack.core.db import dialect_of
from tack.core.ids import new_id
from tack.core.tables import outbox
from tack.forms.definition import CompiledField, CompiledForm
from tack.forms.fields.serial import format_serial, period_key
from tack.records.links import link_fields, sync_links
from tack.records.query.search import search_body
from tack.records.query.tables import record_search
from tack.records.service import unique_field_lock
from tack.records.tables import record_revisions, records, serial_counters


def _unique_key(value: Any) -> tuple[str, Any] | None:
    """How `_check_unique` in the record service compares a value: numbers as numbers, text as
    text; lists, objects and checkboxes are never unique."""
    if value is None or isinstance(value, list | dict | bool):
        return None
    if isinstance(value, int | float):
        return ("n", float(value))
    return ("s", value)


class UniqueGuard:
    """A form's unique fields, checked across the file (a value twice in it) and against the
    records already stored (one query per field per chunk).

    The file's values are remembered by a 64-bit hash with the line they were first seen on:
    about 100 bytes per row and unique field (10 MB for 100,000 rows), whatever the values."""

    def __init__(self, form: CompiledForm) -> None:
        self.fields = [c for c in form.fields if c.fd.unique and c.ftype.stores_value]
        self._seen: dict[int, int] = {}

    async def lock(self, ctx: Ctx, form_id: uuid.UUID) -> None:
        """On PostgreSQL, keep submissions of this form's unique fields waiting until this
        transaction ends: they take the same lock shared (`service.unique_field_lock`)."""
        for c in self.fields:
            await unique_field_lock(ctx, form_id, c.fd.id, shared=False)

    async def check(self, ctx: Ctx, form_id: uuid.UUID, rows: list[tuple[int, dict[str, Any]]]
                    ) -> list[tuple[int, CompiledField, str]]:
        """(line, field, message) for each value that another row or record already has."""
        out: list[tuple[int, CompiledField, str]] = []
        for c in self.fields:
            fresh: dict[tuple[str, Any], list[int]] = {}
            for line, data in rows:
                key = _unique_key(data.get(c.fd.id))
                if key is None:
                    continue
                h = hash((c.fd.id, key))
                first = self._seen.setdefault(h, line)
                if first != line:
                    out.append((line, c, f"Line {first} of the file has this value too; it must be unique."))
                else:
                    fresh.setdefault(key, []).append(line)
            if fresh:
                for key in await _stored(ctx, form_id, c.fd.id, list(fresh)):
                    out.extend((line, c, "Another record already has this value; it must be unique.")
                               for line in fresh[key])
        return out


async def _stored(ctx: Ctx, form_id: uuid.UUID, field_id: str, keys: list[tuple[str, Any]]) -> set[tuple[str, Any]]:
    cell = records.c.data[field_id]
    numbers = [v for kind, v in keys if kind == "n"]
    texts = [v for kind, v in keys if kind == "s"]
    found: set[tuple[str, Any]] = set()
    base = sa.select(cell.as_string() if texts else cell.as_float()).where(
        records.c.org_id == ctx.org_id, records.c.form_id == form_id, records.c.deleted_at.is_(None))
    if texts:
        rows = await ctx.conn.execute(base.where(cell.as_string().in_(texts)))
        found |= {("s", v) for (v,) in rows}
    if numbers:
        rows = await ctx.conn.execute(base.with_only_columns(cell.as_float()).where(cell.as_float().in_(numbers)))
        found |= {("n", float(v)) for (v,) in rows}
    return found


async def _take_serials(ctx: Ctx, form_id: uuid.UUID, field_id: str, period: str, n: int) -> int:
    """Take `n` numbers of a counter at once; returns the first. Like the record service's
    `_next_serial`, under the counter row's lock until the transaction ends (no gaps)."""
    if dialect_of(ctx.conn) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(serial_counters).values(org_id=ctx.org_id, form_id=form_id, field_id=field_id, period=period,
                                          value=n)
    stmt = stmt.on_conflict_do_update(index_elements=["org_id", "form_id", "field_id", "period"],
                                      set_={"value": serial_counters.c.value + n}).returning(serial_counters.c.value)
    return int((await ctx.conn.execute(stmt)).scalar_one()) - n + 1


async def insert_records(ctx: Ctx, form_id: uuid.UUID, form_version: int, form: CompiledForm,
                         batch: list[dict[str, Any]], tz: str, *, owner_department_id: uuid.UUID | None = None
                         ) -> list[uuid.UUID]:
    """Store cleaned submissions as new records, with what Tack sets (who and when, serial
    numbers), their links and search text, a `created` revision and a `record.created` event
    each."""
    if not batch:
        return []
    now = ctx.now()
    stamp = now.isoformat().replace("+00:00", "Z")
    member = str(ctx.actor.member_id) if ctx.actor.member_id else None
    local = now.astimezone(ZoneInfo(tz)).date()
    for c in form.fields:
        t, fid = c.fd.type, c.fd.id
        if t in ("created_by", "updated_by") and member:
            for data in batch:
                data[fid] = member
        elif t in ("created_at", "updated_at"):
            for data in batch:
                data[fid] = stamp
        elif t == "serial":
            first = await _take_serials(ctx, form_id, fid, period_key(c.settings.reset, local), len(batch))
            for i, data in enumerate(batch):
                data[fid] = format_serial(c.settings.pattern, local, first + i)
    ids = [new_id() for _ in batch]
    await ctx.conn.execute(records.insert(), [
        {"org_id": ctx.org_id, "id": rid, "form_id": form_id, "form_version": form_version, "version": 1,
         "data": data, "status": "none", "created_by": ctx.actor.member_id, "owner_department_id": owner_department_id,
         "created_at": now, "updated_by": ctx.actor.member_id, "updated_at": now, "deleted_at": None}
        for rid, data in zip(ids, batch, strict=True)])
    if link_fields(form):  # one statement per record, for forms with links only
        for rid, data in zip(ids, batch, strict=True):
            await sync_links(ctx, form, rid, data, created=True)
    await ctx.conn.execute(record_revisions.insert(), [
        {"org_id": ctx.org_id, "record_id": rid, "version": 1, "kind": "created", "at": now,
         "actor_member_id": ctx.actor.member_id, "actor_name": ctx.actor.name,
         "changes": {k: [None, v] for k, v in data.items()}}
        for rid, data in zip(ids, batch, strict=True)])
    await ctx.conn.execute(record_search.insert(), [
        {"org_id": ctx.org_id, "record_id": rid, "form_id": form_id, "body": search_body(form, data)}
        for rid, data in zip(ids, batch, strict=True)])
    await ctx.conn.execute(outbox.insert(), [
        {"org_id": ctx.org_id, "id": new_id(), "type": "record.created", "subject": str(rid), "at": now,
         "data": msgspec.to_builtins({"id": rid, "form_id": form_id, "data": data})}
        for rid, data in zip(ids, batch, strict=True)])
    return ids
