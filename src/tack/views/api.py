"""HTTP handlers for saved views."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Router, delete, get, patch, post

from tack.http.context import org_ctx
from tack.views import service
from tack.views.models import View, ViewCreate, ViewList, ViewOrder, ViewUpdate

Req = Request[Any, Any, Any]


@get("/forms/{form_id:str}/views", summary="List a form's views: the shared ones and your personal ones, in order")
async def list_views(request: Req, org_id: uuid.UUID, form_id: uuid.UUID) -> ViewList:
    async with org_ctx(request, org_id) as ctx:
        return await service.list_views(ctx, form_id)


@post("/forms/{form_id:str}/views", summary="Save a view (personal; shared views by app administrators)")
async def create_view(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: ViewCreate) -> View:
    async with org_ctx(request, org_id) as ctx:
        return await service.create_view(ctx, form_id, data)


@post("/forms/{form_id:str}/views/order", status_code=200, summary="Put views in a new order")
async def reorder_views(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: ViewOrder) -> ViewList:
    async with org_ctx(request, org_id) as ctx:
        return await service.reorder_views(ctx, form_id, data)


@get("/views/{view_id:str}", summary="Read a view")
async def get_view(request: Req, org_id: uuid.UUID, view_id: uuid.UUID) -> View:
    async with org_ctx(request, org_id) as ctx:
        return await service.get_view(ctx, view_id)


@patch("/views/{view_id:str}", summary="Change a view")
async def update_view(request: Req, org_id: uuid.UUID, view_id: uuid.UUID, data: ViewUpdate) -> View:
    async with org_ctx(request, org_id) as ctx:
        return await service.update_view(ctx, view_id, data)


@delete("/views/{view_id:str}", summary="Delete a view")
async def delete_view(request: Req, org_id: uuid.UUID, view_id: uuid.UUID) -> None:
    async with org_ctx(request, org_id) as ctx:
        await service.delete_view(ctx, view_id)


router = Router(path="/api/v1/orgs/{org_id:str}", tags=["views"], route_handlers=[
    list_views, create_view, reorder_views, get_view, update_view, delete_view])
