"""HTTP handlers for the organization's working calendar."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Router, get, post, put

from tack.flows import calendar_service as service
from tack.flows.calendar import DueAnswer, DueQuery, WorkCalendarIn, WorkCalendarOut
from tack.http.context import org_ctx

Req = Request[Any, Any, Any]


@get("/calendar", summary="Read the organization's working calendar")
async def get_calendar(request: Req, org_id: uuid.UUID) -> WorkCalendarOut:
    """Working weekdays, working hours and break, holidays and make-up working days. Timeouts of
    approval tasks in working hours or working days count on it."""
    async with org_ctx(request, org_id) as ctx:
        return await service.get_calendar(ctx)


@put("/calendar", summary="Replace the organization's working calendar (admins)")
async def put_calendar(request: Req, org_id: uuid.UUID, data: WorkCalendarIn) -> WorkCalendarOut:
    async with org_ctx(request, org_id) as ctx:
        return await service.put_calendar(ctx, data)


@post("/calendar/due", status_code=200, summary="When is something due: a start plus natural or working time")
async def due_at(request: Req, org_id: uuid.UUID, data: DueQuery) -> DueAnswer:
    """`working_hours` count only time inside working periods; `working_days` land the same
    position in the working day that many working days later."""
    async with org_ctx(request, org_id, write=False) as ctx:
        return await service.due_at(ctx, data)


router = Router(path="/api/v1/orgs/{org_id:str}", tags=["calendar"], route_handlers=[
    get_calendar, put_calendar, due_at])
