"""HTTP handlers for records, their history and comments."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, Router, delete, get, patch, post
from litestar.params import Parameter

from tack.http.context import org_ctx
from tack.records import bulk, links, preview, queries, service
from tack.records.models import (
    BulkChangeResult,
    BulkCreate,
    BulkDelete,
    BulkResult,
    BulkUpdate,
    Comment,
    CommentCreate,
    CommentList,
    Record,
    RecordCreate,
    RecordPage,
    RecordUpdate,
    RevisionList,
)

Req = Request[Any, Any, Any]
Limit = Annotated[int, Parameter(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Parameter(max_length=500, description="`next_cursor` of the previous page")]


@get("/forms/{form_id:str}/records", summary="List a form's records, newest first")
async def list_records(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, cursor: Cursor = None,
                       limit: Limit = 50, deleted: bool = False) -> RecordPage:
    async with org_ctx(request, org_id) as ctx:
        return await queries.list_records(ctx, form_id, cursor=cursor, limit=limit, deleted=deleted)


@post("/forms/{form_id:str}/records", summary="Submit a record (data keyed by field id or name)")
async def create_record(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: RecordCreate) -> Record:
    async with org_ctx(request, org_id) as ctx:
        return await service.create_record(ctx, form_id, data)


@post("/forms/{form_id:str}/records/preview", status_code=200,
      summary="Preview a submission: defaults, computed fields, hidden and required fields, problems (nothing stored)")
async def preview_record(request: Req, org_id: uuid.UUID, form_id: uuid.UUID,
                         data: preview.RecordPreview) -> preview.PreviewResult:
    async with org_ctx(request, org_id) as ctx:
        return await preview.preview_record(ctx, form_id, data)


@post("/forms/{form_id:str}/records/bulk", status_code=200, summary="Submit up to 1,000 records at once")
async def bulk_create(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: BulkCreate) -> BulkResult:
    async with org_ctx(request, org_id) as ctx:
        return await service.bulk_create(ctx, form_id, data)


@post("/forms/{form_id:str}/records/bulk-update", status_code=200,
      summary="Change up to 1,000 records at once (each with the version you read)")
async def bulk_update(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: BulkUpdate) -> BulkChangeResult:
    async with org_ctx(request, org_id) as ctx:
        return await bulk.bulk_update(ctx, form_id, data)


@post("/forms/{form_id:str}/records/bulk-delete", status_code=200,
      summary="Delete (or restore) up to 1,000 records at once")
async def bulk_delete(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: BulkDelete) -> BulkChangeResult:
    async with org_ctx(request, org_id) as ctx:
        return await bulk.bulk_delete(ctx, form_id, data)


@get("/records/{record_id:str}", summary="Read a record")
async def get_record(request: Req, org_id: uuid.UUID, record_id: uuid.UUID) -> Record:
    async with org_ctx(request, org_id) as ctx:
        return await service.get_record(ctx, record_id)


@patch("/records/{record_id:str}", summary="Change a record (send the version you read)")
async def update_record(request: Req, org_id: uuid.UUID, record_id: uuid.UUID, data: RecordUpdate) -> Record:
    async with org_ctx(request, org_id) as ctx:
        return await service.update_record(ctx, record_id, data)


@delete("/records/{record_id:str}", status_code=200, summary="Delete a record (it can be restored)")
async def delete_record(request: Req, org_id: uuid.UUID, record_id: uuid.UUID,
                        expected_version: Annotated[int | None, Parameter(ge=1)] = None) -> Record:
    async with org_ctx(request, org_id) as ctx:
        return await service.delete_record(ctx, record_id, expected_version)


@post("/records/{record_id:str}/restore", status_code=200, summary="Restore a deleted record")
async def restore_record(request: Req, org_id: uuid.UUID, record_id: uuid.UUID) -> Record:
    async with org_ctx(request, org_id) as ctx:
        return await service.restore_record(ctx, record_id)


@get("/records/{record_id:str}/history", summary="A record's revisions: who changed which fields, when")
async def history(request: Req, org_id: uuid.UUID, record_id: uuid.UUID) -> RevisionList:
    async with org_ctx(request, org_id) as ctx:
        return await queries.history(ctx, record_id)


@get("/records/{record_id:str}/comments", summary="A record's comments")
async def list_comments(request: Req, org_id: uuid.UUID, record_id: uuid.UUID) -> CommentList:
    async with org_ctx(request, org_id) as ctx:
        return await queries.list_comments(ctx, record_id)


@post("/records/{record_id:str}/comments", summary="Comment on a record (with @mentions)")
async def add_comment(request: Req, org_id: uuid.UUID, record_id: uuid.UUID, data: CommentCreate) -> Comment:
    async with org_ctx(request, org_id) as ctx:
        return await queries.add_comment(ctx, record_id, data)


@delete("/records/{record_id:str}/comments/{comment_id:str}", summary="Delete a comment (author or admin)")
async def delete_comment(request: Req, org_id: uuid.UUID, record_id: uuid.UUID, comment_id: uuid.UUID) -> None:
    async with org_ctx(request, org_id) as ctx:
        await queries.delete_comment(ctx, record_id, comment_id)


@get("/records/{record_id:str}/links", summary="The records a record links to, with their titles")
async def record_links(request: Req, org_id: uuid.UUID, record_id: uuid.UUID) -> links.LinkedRecordList:
    async with org_ctx(request, org_id) as ctx:
        return await links.linked_records(ctx, record_id)


@get("/records/{record_id:str}/backlinks", summary="The records that link to a record")
async def backlinks(request: Req, org_id: uuid.UUID, record_id: uuid.UUID, cursor: Cursor = None,
                    limit: Limit = 50) -> links.BacklinkPage:
    async with org_ctx(request, org_id) as ctx:
        return await links.backlinks(ctx, record_id, cursor=cursor, limit=limit)


router = Router(path="/api/v1/orgs/{org_id:str}", tags=["records"], route_handlers=[
    list_records, create_record, preview_record, bulk_create, bulk_update, bulk_delete, get_record, update_record, delete_record, restore_record, history,
    list_comments, add_comment, delete_comment, record_links, backlinks])
