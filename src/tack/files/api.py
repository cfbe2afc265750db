"""HTTP handlers of the file store: parse, call the service, render.

Uploads are multipart/form-data read as a stream (`upload.py`), so the upload handler declares
no `data` for Litestar to parse: the request body is documented by `UploadOperation` instead,
and Litestar's body-size limit is off for it (the file store's own limit applies while the
bytes flow). Who is calling is checked before a byte of the body is read, in a short read
transaction; the bytes are then spooled with no transaction open, and recorded in one write
transaction at the end.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, Router, delete, get, post
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import Parameter
from litestar.response import Stream

from tack.auth.policy import require
from tack.core.errors import BadRequest, FieldError
from tack.files import service
from tack.files.models import FileInfo
from tack.files.names import content_disposition
from tack.files.sniff import INLINE_TYPES
from tack.files.storage import storage_for
from tack.files.upload import PURPOSES, UploadLimits, receive_upload
from tack.http.context import actor_in_org, org_ctx, resolve_principal, runtime_of

Req = Request[Any, Any, Any]
NO_COMPRESSION = {"skip_compression": True}  # images, PDF and ZIP are compressed already


@dataclass
class UploadOperation(Operation):
    """The upload's request body, as multipart/form-data (the handler reads it as a stream)."""

    def __post_init__(self) -> None:
        form = Schema(
            type=OpenAPIType.OBJECT, required=["file"],
            properties={
                "file": Schema(type=OpenAPIType.STRING, format="binary",  # type: ignore[arg-type]
                               description="The file; its name and type come from the part's headers"),
                "purpose": Schema(type=OpenAPIType.STRING, enum=list(PURPOSES), default="attachment",
                                  description="What the file is for; image, signature and avatar need an image"),
            })
        self.request_body = RequestBody(required=True, content={"multipart/form-data": OpenAPIMediaType(schema=form)},
                                        description="One file, at most TACK_UPLOAD_MAX_BYTES, of an allowed type")


@dataclass
class ContentOperation(Operation):
    """The download's answers: the bytes (of any type), or 304 when the client's copy is current."""

    def __post_init__(self) -> None:
        headers: dict[str, OpenAPIHeader | Reference] = {"ETag": OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING), description="The SHA-256, quoted")}
        self.responses = {
            "200": OpenAPIResponse(
                description="The file's bytes, with its sniffed Content-Type", headers=headers,
                content={"*/*": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, format="binary"))}),  # type: ignore[arg-type]
            "304": OpenAPIResponse(description="Not modified: If-None-Match named the current ETag", headers=headers),
            **{k: v for k, v in (self.responses or {}).items() if not k.startswith("2")},
        }


async def check_params(request: Req) -> None:
    """The before-request check of the upload route: no NUL in the path or query. (The app's
    own check also reads the body to look for NULs in JSON; an upload's body is a file, where
    any byte is fine, and must not be read into memory.)"""
    names = [n for n, v in request.path_params.items() if isinstance(v, str) and "\x00" in v]
    names += [n for n, vs in request.query_params.dict().items() if "\x00" in n or any("\x00" in v for v in vs)]
    if names:
        raise BadRequest("Text may not contain the NUL character (U+0000).", errors=[
            FieldError(path=n.replace("\x00", "\ufffd"), message="must not contain the NUL character (U+0000)",
                       rule="no-nul") for n in names])


def _content_length(request: Req) -> int | None:
    raw = request.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() else None


@post("/files", status_code=201, request_max_body_size=None, before_request=check_params,
      operation_class=UploadOperation,
      summary="Upload a file (multipart/form-data: `file`, and optionally `purpose`)")
async def upload_file(request: Req, org_id: uuid.UUID) -> FileInfo:
    rt = runtime_of(request)
    limits, storage = UploadLimits.of(rt.settings), storage_for(rt.settings)
    async with rt.db.transaction(write=False) as conn:  # who, before reading a byte of the body
        actor = await actor_in_org(conn, await resolve_principal(request, conn), org_id)
    require(actor, "file.write")
    staged = await receive_upload(request.stream(), request.headers.get("content-type", ""),
                                  _content_length(request), limits, storage.staging_dir)
    try:
        async with org_ctx(request, org_id) as ctx:
            return await service.record_upload(ctx, staged, storage)
    except Exception:
        await service.forget_unrecorded(rt.db, rt.clock, org_id, staged.sha256, storage)
        raise
    finally:
        staged.discard()


@get("/files/{file_id:str}", summary="Read a file's details")
async def get_file(request: Req, org_id: uuid.UUID, file_id: uuid.UUID) -> FileInfo:
    async with org_ctx(request, org_id) as ctx:
        return await service.get_file(ctx, file_id)


def _matches(if_none_match: str, sha256: str) -> bool:
    """RFC 9110 If-None-Match: `*`, or a list of entity tags compared weakly."""
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == f'"{sha256}"' for tag in if_none_match.split(","))


@get("/files/{file_id:str}/content", opt=NO_COMPRESSION, operation_class=ContentOperation,
     summary="Download a file's bytes (ETag and If-None-Match supported)")
async def download_file(request: Req, org_id: uuid.UUID, file_id: uuid.UUID,
                        if_none_match: Annotated[str | None, Parameter(
                            header="If-None-Match", required=False,
                            description="The ETag of the copy the client holds")] = None) -> Response[Any]:
    rt = runtime_of(request)
    async with org_ctx(request, org_id) as ctx:
        row = await service.file_for_download(ctx, file_id)
    headers = {"ETag": f'"{row["sha256"]}"', "Cache-Control": "private", "X-Content-Type-Options": "nosniff"}
    if if_none_match and _matches(if_none_match, row["sha256"]):
        return Response(content=None, status_code=304, headers=headers)
    blob = await service.open_content(row, storage_for(rt.settings))
    disposition = "inline" if row["content_type"] in INLINE_TYPES else "attachment"
    headers["Content-Disposition"] = content_disposition(disposition, row["name"])
    headers["Content-Length"] = str(blob.size)
    return Stream(blob.chunks(), media_type=row["content_type"], headers=headers)


@delete("/files/{file_id:str}", summary="Delete a file (its uploader, or an admin)")
async def delete_file(request: Req, org_id: uuid.UUID, file_id: uuid.UUID) -> None:
    async with org_ctx(request, org_id) as ctx:
        await service.delete_file(ctx, file_id)


router = Router(path="/api/v1/orgs/{org_id:str}", tags=["files"],
                route_handlers=[upload_file, get_file, download_file, delete_file])
