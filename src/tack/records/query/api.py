"""HTTP handler for record queries (a body, since filter trees do not fit a URL well)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Router, post

from tack.http.context import org_ctx
from tack.records.query.model import RecordQuery, RecordQueryPage
from tack.records.query.service import query_records

Req = Request[Any, Any, Any]


@post("/forms/{form_id:str}/records/query", status_code=200,
      summary="Query a form's records: filter tree, sort, search, keyset pages, counts")
async def query(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: RecordQuery) -> RecordQueryPage:
    async with org_ctx(request, org_id, write=False) as ctx:
        return await query_records(ctx, form_id, data)


router = Router(path="/api/v1/orgs/{org_id:str}", tags=["records"], route_handlers=[query])
