"""HTTP handlers of the notification center: the caller's own notifications only."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import Parameter

from tack.http.context import org_ctx
from tack.notifications import service
from tack.notifications.models import MarkedRead, MarkRead, NotificationList

Req = Request[Any, Any, Any]
Cursor = Annotated[str | None, Parameter(max_length=500, description="`next_cursor` of the previous page")]
Limit = Annotated[int, Parameter(ge=1, le=200, description="Page size")]


class UnreadCount(msgspec.Struct):
    unread: int


@get("/notifications", summary="Your notifications, newest first, with how many are unread")
async def list_notifications(request: Req, org_id: uuid.UUID, unread: bool = False, cursor: Cursor = None,
                             limit: Limit = 50) -> NotificationList:
    async with org_ctx(request, org_id) as ctx:
        return await service.list_notifications(ctx, unread_only=unread, cursor=cursor, limit=limit)


@get("/notifications/unread-count", summary="How many of your notifications are unread (for a badge)")
async def unread_count(request: Req, org_id: uuid.UUID) -> UnreadCount:
    async with org_ctx(request, org_id) as ctx:
        return UnreadCount(unread=await service.unread_count(ctx))


@post("/notifications/read", status_code=200, summary="Mark some of your notifications (or all) read")
async def mark_read(request: Req, org_id: uuid.UUID, data: MarkRead) -> MarkedRead:
    async with org_ctx(request, org_id) as ctx:
        return await service.mark_read(ctx, data)


router = Router(path="/api/v1/orgs/{org_id:str}", tags=["notifications"], route_handlers=[
    list_notifications, unread_count, mark_read])
