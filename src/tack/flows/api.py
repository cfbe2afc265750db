"""HTTP handlers for approval flows: definitions, submitting, tasks, the inbox, delegations.

Thin: parse, call the service, answer. Every action answers with the instance as the caller
now sees it, so the page redraws from one response."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from litestar import Request, Router, delete, get, post, put

from tack.core.ctx import Ctx
from tack.flows import delegations, inbox, instances, runtime, service, versions
from tack.flows.models import (
    AddSignAction,
    BatchApprove,
    BatchResult,
    CcAction,
    Delegation,
    DelegationCreate,
    DelegationList,
    InboxCounts,
    InboxPage,
    Instance,
    InstanceComment,
    MigrationPreview,
    MigrationRequest,
    MigrationResult,
    PathPreview,
    Resubmit,
    ReturnAction,
    Submission,
    TaskAction,
    Timeline,
    TransferAction,
    Withdraw,
)
from tack.flows.service import Flow, FlowSave, FlowVersion
from tack.http.context import org_ctx, runtime_of

Req = Request[Any, Any, Any]


# --- definitions ------------------------------------------------------------------------------

@get("/forms/{form_id:str}/flow", summary="Read a form's approval flow (draft, published version, problems)")
async def get_flow(request: Req, org_id: uuid.UUID, form_id: uuid.UUID) -> Flow:
    async with org_ctx(request, org_id) as ctx:
        return await service.get_flow(ctx, form_id)


@put("/forms/{form_id:str}/flow", summary="Save the flow's draft; its problems come back to show on the nodes")
async def save_flow(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: FlowSave) -> Flow:
    async with org_ctx(request, org_id) as ctx:
        return await service.save_flow(ctx, form_id, data)


@post("/flows/{flow_id:str}/publish", status_code=200, summary="Publish the draft as a new version")
async def publish_flow(request: Req, org_id: uuid.UUID, flow_id: uuid.UUID) -> Flow:
    async with org_ctx(request, org_id) as ctx:
        return await service.publish_flow(ctx, flow_id)


@get("/flows/{flow_id:str}/versions/{version:int}", summary="Read a published version")
async def get_version(request: Req, org_id: uuid.UUID, flow_id: uuid.UUID, version: int) -> FlowVersion:
    async with org_ctx(request, org_id) as ctx:
        return await service.get_version(ctx, flow_id, version)


@post("/flows/{flow_id:str}/migrations/preview", status_code=200,
      summary="Which waiting instances of older versions can move to the published version")
async def preview_migration(request: Req, org_id: uuid.UUID, flow_id: uuid.UUID) -> MigrationPreview:
    async with org_ctx(request, org_id) as ctx:
        return await versions.preview_moves(ctx, flow_id)


@post("/flows/{flow_id:str}/migrations", status_code=200, summary="Move waiting instances to the published version")
async def migrate(request: Req, org_id: uuid.UUID, flow_id: uuid.UUID, data: MigrationRequest) -> MigrationResult:
    async with org_ctx(request, org_id) as ctx:
        return await versions.move_instances(ctx, flow_id, data)


# --- submitting -------------------------------------------------------------------------------

@post("/forms/{form_id:str}/approvals", summary="Submit a request: the record and its approval start together")
async def submit(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: Submission) -> Instance:
    async with org_ctx(request, org_id) as ctx:
        instance_id = await runtime.submit(ctx, form_id, data)
        return await instances.get_instance(ctx, instance_id)


@post("/forms/{form_id:str}/approvals/preview", status_code=200,
      summary="The path a request with these values would take, and who would act; nothing is saved")
async def preview(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: Submission) -> PathPreview:
    async with org_ctx(request, org_id, write=False) as ctx:
        return await instances.preview(ctx, form_id, data)


# --- instances ----------------------------------------------------------------------------------

@get("/approvals/{instance_id:str}", summary="Read an approval: the form, the path, the tasks, what you may do")
async def get_instance(request: Req, org_id: uuid.UUID, instance_id: uuid.UUID) -> Instance:
    async with org_ctx(request, org_id) as ctx:
        return await instances.get_instance(ctx, instance_id)


@get("/approvals/{instance_id:str}/timeline", summary="Every event of an approval, with who, when and for whom")
async def get_timeline(request: Req, org_id: uuid.UUID, instance_id: uuid.UUID) -> Timeline:
    async with org_ctx(request, org_id) as ctx:
        return await instances.timeline(ctx, instance_id)


async def _then_show(request: Req, org_id: uuid.UUID, fn: Any, *args: Any) -> Instance:
    async with org_ctx(request, org_id) as ctx:
        instance_id = await fn(ctx, *args)
        return await instances.get_instance(ctx, instance_id)


@post("/approvals/{instance_id:str}/withdraw", status_code=200, summary="Withdraw your request")
async def withdraw(request: Req, org_id: uuid.UUID, instance_id: uuid.UUID, data: Withdraw) -> Instance:
    return await _then_show(request, org_id, runtime.withdraw, instance_id, data)


@post("/approvals/{instance_id:str}/urge", status_code=200, summary="Remind who has the request now (rate-limited)")
async def urge(request: Req, org_id: uuid.UUID, instance_id: uuid.UUID) -> Instance:
    return await _then_show(request, org_id, runtime.urge, instance_id)


@post("/approvals/{instance_id:str}/comments", status_code=200, summary="Comment, with @mentions and files")
async def comment(request: Req, org_id: uuid.UUID, instance_id: uuid.UUID, data: InstanceComment) -> Instance:
    return await _then_show(request, org_id, runtime.comment, instance_id, data)


@post("/approvals/{instance_id:str}/cc", status_code=200, summary="Copy the request to more people")
async def cc(request: Req, org_id: uuid.UUID, instance_id: uuid.UUID, data: CcAction) -> Instance:
    return await _then_show(request, org_id, runtime.copy_to, instance_id, data)


@post("/approvals/{instance_id:str}/resubmit", status_code=200, summary="Resubmit a request returned to you")
async def resubmit(request: Req, org_id: uuid.UUID, instance_id: uuid.UUID, data: Resubmit) -> Instance:
    return await _then_show(request, org_id, runtime.resubmit, instance_id, data)


@post("/approvals/{instance_id:str}/read", status_code=204, summary="Mark the approval read for you")
async def read(request: Req, org_id: uuid.UUID, instance_id: uuid.UUID) -> None:
    async with org_ctx(request, org_id) as ctx:
        await instances.get_instance(ctx, instance_id, mark=True)


# --- tasks --------------------------------------------------------------------------------------

@post("/tasks/{task_id:str}/approve", status_code=200, summary="Approve")
async def approve(request: Req, org_id: uuid.UUID, task_id: uuid.UUID, data: TaskAction) -> Instance:
    return await _then_show(request, org_id, runtime.approve, task_id, data)


@post("/tasks/{task_id:str}/reject", status_code=200, summary="Reject (a comment is required): the request ends")
async def reject(request: Req, org_id: uuid.UUID, task_id: uuid.UUID, data: TaskAction) -> Instance:
    return await _then_show(request, org_id, runtime.reject, task_id, data)


@post("/tasks/{task_id:str}/handle", status_code=200, summary="Mark a handler's work done")
async def handle(request: Req, org_id: uuid.UUID, task_id: uuid.UUID, data: TaskAction) -> Instance:
    return await _then_show(request, org_id, runtime.handle, task_id, data)


@post("/tasks/{task_id:str}/return", status_code=200,
      summary="Return the request: to the previous step, a passed step, or the initiator")
async def send_back(request: Req, org_id: uuid.UUID, task_id: uuid.UUID, data: ReturnAction) -> Instance:
    return await _then_show(request, org_id, runtime.send_back, task_id, data)


@post("/tasks/{task_id:str}/transfer", status_code=200, summary="Give the task to someone else")
async def transfer(request: Req, org_id: uuid.UUID, task_id: uuid.UUID, data: TransferAction) -> Instance:
    return await _then_show(request, org_id, runtime.transfer, task_id, data)


@post("/tasks/{task_id:str}/add-sign", status_code=200, summary="Add approvers before you, after you, or beside you")
async def add_sign(request: Req, org_id: uuid.UUID, task_id: uuid.UUID, data: AddSignAction) -> Instance:
    return await _then_show(request, org_id, runtime.add_sign, task_id, data)


@post("/tasks/batch-approve", status_code=200, summary="Approve many tasks; each succeeds or fails on its own")
async def batch_approve(request: Req, org_id: uuid.UUID, data: BatchApprove) -> BatchResult:
    async with org_ctx(request, org_id, write=False) as ctx:
        actor = ctx.actor
    rt = runtime_of(request)
    shell = Ctx(org_id=org_id, actor=actor, conn=None, clock=rt.clock)  # type: ignore[arg-type]
    return await runtime.batch_approve(shell, rt.db.transaction, data)


# --- inbox --------------------------------------------------------------------------------------

@get("/inbox/counts", summary="How many tasks wait for you, and what is unread")
async def inbox_counts(request: Req, org_id: uuid.UUID) -> InboxCounts:
    async with org_ctx(request, org_id) as ctx:
        return await inbox.counts(ctx)


@get("/inbox/{tab:str}", summary="Your approvals: todo, done, initiated or cc; newest first")
async def inbox_tab(request: Req, org_id: uuid.UUID, tab: Literal["todo", "done", "initiated", "cc"],
                    app_id: uuid.UUID | None = None, form_id: uuid.UUID | None = None,
                    since: dt.datetime | None = None, until: dt.datetime | None = None, unread: bool = False,
                    cursor: str | None = None, limit: int = 20) -> InboxPage:
    async with org_ctx(request, org_id) as ctx:
        return await inbox.inbox(ctx, tab, app_id=app_id, form_id=form_id, since=since, until=until, unread=unread,
                                 cursor=cursor, limit=limit)


# --- delegation ---------------------------------------------------------------------------------

@get("/delegations", summary="Your delegations (administrators: anyone's)")
async def list_delegations(request: Req, org_id: uuid.UUID, member_id: uuid.UUID | None = None) -> DelegationList:
    async with org_ctx(request, org_id) as ctx:
        return await delegations.list_delegations(ctx, member_id)


@post("/delegations", summary="Let someone take your approval tasks for a while")
async def create_delegation(request: Req, org_id: uuid.UUID, data: DelegationCreate) -> Delegation:
    async with org_ctx(request, org_id) as ctx:
        return await delegations.create_delegation(ctx, data)


@delete("/delegations/{delegation_id:str}", summary="End a delegation now")
async def end_delegation(request: Req, org_id: uuid.UUID, delegation_id: uuid.UUID) -> None:
    async with org_ctx(request, org_id) as ctx:
        await delegations.end_delegation(ctx, delegation_id)


router = Router(path="/api/v1/orgs/{org_id:str}", tags=["flows"], route_handlers=[
    get_flow, save_flow, publish_flow, get_version, preview_migration, migrate, submit, preview, get_instance,
    get_timeline, withdraw, urge, comment, cc, resubmit, read, approve, reject, handle, send_back, transfer,
    add_sign, batch_approve, inbox_counts, inbox_tab, list_delegations, create_delegation, end_delegation])
