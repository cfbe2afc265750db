"""Previewing a submission: what the fill-in page shows while someone types.

The page sends what has been entered so far; the answer is what the form makes of it, by the
very rules a submit applies (`tack.forms.values.evaluate_submission`): defaults, computed
fields, which fields `visible_if` hides and which are required right now, and the problems a
submit would report. Nothing is stored and no serial number is taken. One rule set, on the
server: the page never re-implements the formula language, so what it shows is what is stored.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
import sqlalchemy as sa
from msgspec import Meta

from tack.access.service import check_writable, form_access
from tack.apps.service import compiled_form, form_row
from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import Conflict, FieldError, Forbidden, ValidationFailed
from tack.directory.tables import orgs
from tack.forms.values import evaluate_submission
from tack.records.context import value_context
from tack.records.models import Data
from tack.records.service import record_access, record_row


class RecordPreview(msgspec.Struct, forbid_unknown_fields=True):
    data: Data
    # Preview an edit of this record: fields not sent keep their stored values, and no
    # defaults apply. Without it, a new record: fields not sent take their defaults.
    record_id: uuid.UUID | None = None


class Cell(msgspec.Struct, array_like=True):
    """A sub-table cell: [table field id, row index, column id]."""

    field: str
    row: int
    column: str


class PreviewResult(msgspec.Struct):
    data: dict[str, Any]  # as it would be stored: visible values by field id, computed ones included
    hidden: list[str]  # field ids hidden by their visible_if, or from the caller by their permission groups
    hidden_cells: list[Cell]
    required: list[str]  # visible field ids required now (required, or required_if TRUE)
    required_cells: list[Cell]
    errors: Annotated[list[FieldError], Meta(description="What a submit would refuse, at `$.data.<key>`")]


async def preview_record(ctx: Ctx, form_id: uuid.UUID, body: RecordPreview) -> PreviewResult:
    """Checked like the submit or edit it previews: who may not submit (or edit that record)
    gets 403, and fields hidden from them never appear in the answer."""
    require(ctx.actor, "record.write")
    form = await form_row(ctx, form_id)
    previous: dict[str, Any] | None = None
    if body.record_id is None:
        access = await form_access(ctx, form_id)
        if not access.can_submit:
            raise Forbidden("Your permission groups do not let you submit this form.")
    else:
        row = await record_row(ctx, body.record_id)
        if row["form_id"] != form_id:
            raise ValidationFailed.field("$.record_id", "The record belongs to another form.", "form")
        access = await record_access(ctx, row, "edit")
        if row["deleted_at"] is not None:
            raise Conflict("The record is deleted; restore it first.")
        previous = dict(row["data"])
    compiled = await compiled_form(ctx, form_id, form["version"])
    tz = str((await ctx.conn.execute(sa.select(orgs.c.time_zone).where(orgs.c.id == ctx.org_id))).scalar() or "UTC")
    vctx = await value_context(ctx, compiled, body.data, tz)
    result = evaluate_submission(compiled, body.data, vctx, previous=previous)
    errors = list(result.errors)
    try:
        check_writable(access, compiled, body.data, previous, result.data)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    return PreviewResult(
        data=access.visible(result.data),
        hidden=sorted({k for k in result.hidden if isinstance(k, str)} | access.hidden_fields),
        hidden_cells=[Cell(*k) for k in sorted(k for k in result.hidden if isinstance(k, tuple))],
        required=sorted(k for k in result.required if isinstance(k, str) and k not in access.hidden_fields),
        required_cells=[Cell(*k) for k in sorted(k for k in result.required if isinstance(k, tuple))],
        errors=errors,
    )
