"""HTTP handlers for permission groups and for the caller's own rights on a form."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Router, delete, get, patch, post

from tack.access import service
from tack.access.models import (
    FormAccessOut,
    PermissionGroup,
    PermissionGroupCreate,
    PermissionGroupList,
    PermissionGroupUpdate,
)
from tack.auth.policy import require
from tack.http.context import org_ctx

Req = Request[Any, Any, Any]


@get("/apps/{app_id:str}/permission-groups", summary="List an app's permission groups (app administrators)")
async def list_groups(request: Req, org_id: uuid.UUID, app_id: uuid.UUID) -> PermissionGroupList:
    async with org_ctx(request, org_id) as ctx:
        return await service.list_groups(ctx, app_id)


@post("/apps/{app_id:str}/permission-groups", summary="Add a permission group to an app")
async def create_group(request: Req, org_id: uuid.UUID, app_id: uuid.UUID,
                       data: PermissionGroupCreate) -> PermissionGroup:
    async with org_ctx(request, org_id) as ctx:
        return await service.create_group(ctx, app_id, data)


@get("/permission-groups/{group_id:str}", summary="Read a permission group")
async def get_group(request: Req, org_id: uuid.UUID, group_id: uuid.UUID) -> PermissionGroup:
    async with org_ctx(request, org_id) as ctx:
        return await service.get_group(ctx, group_id)


@patch("/permission-groups/{group_id:str}", summary="Change a permission group")
async def update_group(request: Req, org_id: uuid.UUID, group_id: uuid.UUID,
                       data: PermissionGroupUpdate) -> PermissionGroup:
    async with org_ctx(request, org_id) as ctx:
        return await service.update_group(ctx, group_id, data)


@delete("/permission-groups/{group_id:str}", summary="Delete a permission group (an app keeps at least one)")
async def delete_group(request: Req, org_id: uuid.UUID, group_id: uuid.UUID) -> None:
    async with org_ctx(request, org_id) as ctx:
        await service.delete_group(ctx, group_id)


@get("/forms/{form_id:str}/access", summary="What you may do on a form: submit, which records, which fields")
async def my_form_access(request: Req, org_id: uuid.UUID, form_id: uuid.UUID) -> FormAccessOut:
    async with org_ctx(request, org_id) as ctx:
        require(ctx.actor, "app.read")
        return (await service.form_access(ctx, form_id)).out()


router = Router(path="/api/v1/orgs/{org_id:str}", tags=["permissions"], route_handlers=[
    list_groups, create_group, get_group, update_group, delete_group, my_form_access])
