"""HTTP handlers for importing records from spreadsheets and exporting them to spreadsheets.

An import is three calls: upload the file (`POST /files`), create the import of it into a form
(`POST /forms/{form_id}/imports`, a dry run by default), then poll it (`GET /imports/{id}`) for
the progress bar, read its problems (`GET /imports/{id}/errors`) and commit it
(`POST /imports/{id}/commit`). An export is one download: `GET /forms/{form_id}/export`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import Parameter
from litestar.response import Stream

from tack.core.errors import ValidationFailed
from tack.files.names import content_disposition
from tack.http.context import org_ctx, runtime_of
from tack.records import exports, imports
from tack.records.transfer_models import (
    ExportFormat,
    ImportCreate,
    ImportList,
    ImportProblemList,
    ImportStatus,
)

Req = Request[Any, Any, Any]
Cursor = Annotated[str | None, Parameter(max_length=500, description="`next_cursor` of the previous page")]


@post("/forms/{form_id:str}/imports", status_code=201,
      summary="Import records from an uploaded CSV or XLSX file (a dry run unless dry_run is false)")
async def create_import(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: ImportCreate) -> ImportStatus:
    async with org_ctx(request, org_id) as ctx:
        return await imports.create_import(ctx, form_id, data)


@get("/forms/{form_id:str}/imports", summary="A form's imports, newest first")
async def list_imports(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, cursor: Cursor = None,
                       limit: Annotated[int, Parameter(ge=1, le=200)] = 50) -> ImportList:
    async with org_ctx(request, org_id) as ctx:
        return await imports.list_imports(ctx, form_id, cursor=cursor, limit=limit)


@get("/imports/{import_id:str}", summary="An import's state and progress (poll it for a progress bar)")
async def get_import(request: Req, org_id: uuid.UUID, import_id: uuid.UUID) -> ImportStatus:
    async with org_ctx(request, org_id) as ctx:
        return await imports.get_import(ctx, import_id)


@get("/imports/{import_id:str}/errors",
     summary="The problems an import's latest run found: line, column, field, rule and message")
async def list_import_errors(request: Req, org_id: uuid.UUID, import_id: uuid.UUID, cursor: Cursor = None,
                             limit: Annotated[int, Parameter(ge=1, le=1000)] = 100) -> ImportProblemList:
    async with org_ctx(request, org_id) as ctx:
        return await imports.list_problems(ctx, import_id, cursor=cursor, limit=limit)


@post("/imports/{import_id:str}/commit", status_code=202,
      summary="Store the rows of a dry run that found no problem (all or nothing)")
async def commit_import(request: Req, org_id: uuid.UUID, import_id: uuid.UUID) -> ImportStatus:
    async with org_ctx(request, org_id) as ctx:
        return await imports.commit_import(ctx, import_id)


@dataclass
class ExportOperation(Operation):
    """The export's answer: a CSV or XLSX file, not JSON."""

    def __post_init__(self) -> None:
        text = Schema(type=OpenAPIType.STRING)
        binary = Schema(type=OpenAPIType.STRING, format="binary")  # type: ignore[arg-type]
        headers: dict[str, OpenAPIHeader | Reference] = {"Content-Disposition": OpenAPIHeader(
            schema=text, description="attachment, with the form's name as the file name")}
        self.responses = {
            "200": OpenAPIResponse(description="The spreadsheet, streamed", headers=headers, content={
                "text/csv": OpenAPIMediaType(schema=text), exports.MEDIA_TYPES["xlsx"]: OpenAPIMediaType(schema=binary)}),
            **{k: v for k, v in (self.responses or {}).items() if not k.startswith("2")},
        }


def _json_param(raw: str | None, name: str) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise ValidationFailed.field(name, "Expected JSON (a filter tree, or a list of sorts).", "json") from None


@get("/forms/{form_id:str}/export", summary="Download records as CSV or XLSX: a view, or a filter, sort and search",
     operation_class=ExportOperation)
async def export_records(
    request: Req, org_id: uuid.UUID, form_id: uuid.UUID,
    format: Annotated[ExportFormat, Parameter(description="csv (UTF-8 with BOM) or xlsx")] = "csv",
    view_id: Annotated[uuid.UUID | None, Parameter(description="Export this view: its filter, sort and columns")] = None,
    filter: Annotated[str | None, Parameter(max_length=20_000, description="A filter tree, as JSON")] = None,
    sort: Annotated[str | None, Parameter(max_length=2000, description="Sorts, as JSON: [{field, direction}]")] = None,
    search: Annotated[str | None, Parameter(max_length=200, description="Text to find")] = None,
    fields: Annotated[str | None, Parameter(
        max_length=20_000, description="The columns, as field ids or names separated by commas (default: the "
                                       "view's columns, or every field)")] = None,
) -> Stream:
    rt = runtime_of(request)
    columns = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    raw_filter, raw_sort = _json_param(filter, "filter"), _json_param(sort, "sort")
    async with org_ctx(request, org_id) as ctx:
        plan = await exports.plan_export(ctx, form_id, format, view_id=view_id, filter=raw_filter, sort=raw_sort,
                                         search=search, fields=columns)
    return Stream(exports.stream_export(rt.db, rt.clock, plan), media_type=plan.media_type,
                  headers={"Content-Disposition": content_disposition("attachment", plan.file_name),
                           "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


router = Router(path="/api/v1/orgs/{org_id:str}", tags=["imports and exports"], route_handlers=[
    create_import, list_imports, get_import, list_import_errors, commit_import, export_records])
