"""Changing and deleting up to 1,000 records in one request, all or nothing or item by item.

Each item goes through the same command a single change does (validation, permission scopes,
optimistic concurrency, revision, event): bulk is a loop in one transaction, not a second write
path. `all_or_nothing`: the first problem of a kind that is not about the item's data (a stale
version, a record out of reach) fails the whole request; data problems of every item are
reported together, each at `$.items[i]...`. `per_item`: each item commits or fails alone (a
savepoint each) and the answer lists each item's status.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import msgspec

from tack.apps.service import form_row
from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import FieldError, NotFound, Problem, ValidationFailed
from tack.records.models import (
    BulkChangeResult,
    BulkDelete,
    BulkItemResult,
    BulkUpdate,
    Record,
    RecordUpdate,
)
from tack.records.service import delete_record, record_row, restore_record, update_record

Step = Callable[[], Awaitable[Record]]


async def bulk_update(ctx: Ctx, form_id: uuid.UUID, body: BulkUpdate) -> BulkChangeResult:
    require(ctx.actor, "record.write")
    await form_row(ctx, form_id)

    def step(item: msgspec.Struct) -> Step:
        async def run() -> Record:
            await _of_form(ctx, form_id, item.id)  # type: ignore[attr-defined]
            return await update_record(ctx, item.id, RecordUpdate(  # type: ignore[attr-defined]
                data=item.data, expected_version=item.expected_version))  # type: ignore[attr-defined]
        return run

    return await _run(ctx, [step(i) for i in body.items], body.mode)


async def bulk_delete(ctx: Ctx, form_id: uuid.UUID, body: BulkDelete) -> BulkChangeResult:
    require(ctx.actor, "record.write")
    await form_row(ctx, form_id)

    def step(item: msgspec.Struct) -> Step:
        async def run() -> Record:
            await _of_form(ctx, form_id, item.id)  # type: ignore[attr-defined]
            if body.restore:
                return await restore_record(ctx, item.id)  # type: ignore[attr-defined]
            return await delete_record(ctx, item.id, item.expected_version)  # type: ignore[attr-defined]
        return run

    return await _run(ctx, [step(i) for i in body.items], body.mode)


async def _of_form(ctx: Ctx, form_id: uuid.UUID, record_id: uuid.UUID) -> None:
    if (await record_row(ctx, record_id))["form_id"] != form_id:
        raise NotFound("No such record in this form.")


async def _run(ctx: Ctx, steps: list[Step], mode: str) -> BulkChangeResult:
    results: list[BulkItemResult] = []
    if mode == "per_item":
        for i, run in enumerate(steps):
            try:
                async with ctx.conn.begin_nested():
                    rec = await run()
                results.append(BulkItemResult(index=i, status=200, record=rec))
            except Problem as p:
                results.append(BulkItemResult(index=i, status=p.status, problem=p.to_dict()))
        return BulkChangeResult(changed=sum(1 for r in results if r.record is not None), results=results)
    errors: list[FieldError] = []
    for i, run in enumerate(steps):
        try:
            results.append(BulkItemResult(index=i, status=200, record=await run()))
        except ValidationFailed as p:
            errors.extend(msgspec.structs.replace(e, path=e.path.replace("$", f"$.items[{i}]", 1)) for e in p.errors)
        except Problem as p:  # stale, gone or out of reach: the whole request fails, naming the item
            p.extra = {**p.extra, "item": i}
            raise
    if errors:
        raise ValidationFailed(f"{len({e.path.split('.data')[0] for e in errors})} item(s) are not valid; "
                               "nothing was changed.", errors=errors[:1000])
    return BulkChangeResult(changed=len(results), results=results)
