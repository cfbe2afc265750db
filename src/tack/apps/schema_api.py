"""HTTP handlers for schema changes: the preview of a publish, the form's trash, conversions."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, Router, delete, get, post
from litestar.params import Parameter

from tack.apps import field_trash, schema_changes
from tack.apps.models import Form, FormPublish
from tack.apps.schema_models import ConversionList, MovedValuePage, SchemaPreview, Trash, TrashedField
from tack.http.context import org_ctx

Req = Request[Any, Any, Any]
FieldParam = Annotated[str, Parameter(max_length=40, description="The field's stable id (`f_...`, not a UUID)")]


@post("/forms/{form_id:str}/publish/preview", status_code=200,
      summary="Preview a publish: fields added, renamed, deleted, type changes and the data they affect")
async def preview_publish(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: FormPublish) -> SchemaPreview:
    async with org_ctx(request, org_id) as ctx:
        return await schema_changes.preview_publish(ctx, form_id, data)


@get("/forms/{form_id:str}/trash", summary="A form's trash: deleted fields and values moved aside by type changes")
async def list_trash(request: Req, org_id: uuid.UUID, form_id: uuid.UUID) -> Trash:
    async with org_ctx(request, org_id) as ctx:
        return await field_trash.list_trash(ctx, form_id)


@post("/forms/{form_id:str}/trash/{field:str}/restore", status_code=200,
      summary="Restore a deleted field (publishes a new version with it; its values come back)")
async def restore_field(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, field: FieldParam) -> Form:
    async with org_ctx(request, org_id) as ctx:
        return await field_trash.restore_field(ctx, form_id, field)


@delete("/forms/{form_id:str}/trash/{field:str}", status_code=202,
        summary="Purge a deleted field now (its values are removed from every record in the background)")
async def purge_field(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, field: FieldParam) -> TrashedField:
    async with org_ctx(request, org_id) as ctx:
        return await field_trash.purge_field(ctx, form_id, field)


@get("/forms/{form_id:str}/moved-values", summary="Values type changes could not convert, with their records")
async def list_moved_values(request: Req, org_id: uuid.UUID, form_id: uuid.UUID,
                            field_id: Annotated[str | None, Parameter(max_length=40)] = None,
                            cursor: Annotated[str | None, Parameter(max_length=500)] = None,
                            limit: Annotated[int, Parameter(ge=1, le=200)] = 50) -> MovedValuePage:
    async with org_ctx(request, org_id) as ctx:
        return await field_trash.list_moved_values(ctx, form_id, field_id=field_id, cursor=cursor, limit=limit)


@get("/forms/{form_id:str}/conversions", summary="A form's type conversions and their progress, newest first")
async def list_conversions(request: Req, org_id: uuid.UUID, form_id: uuid.UUID) -> ConversionList:
    async with org_ctx(request, org_id) as ctx:
        return await field_trash.list_conversions(ctx, form_id)


router = Router(path="/api/v1/orgs/{org_id:str}", tags=["apps"], route_handlers=[
    preview_publish, list_trash, restore_field, purge_field, list_moved_values, list_conversions])
