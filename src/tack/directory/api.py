"""HTTP handlers of the directory: parse, call the service, render. Nothing else lives here."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Request, Router, delete, get, patch, post, put
from litestar.params import Parameter

from tack.directory import audit, departments, invitations, members, orgs, queries, roles
from tack.directory.models import (
    AdminSet,
    AuditPage,
    Department,
    DepartmentCreate,
    DepartmentList,
    DepartmentUpdate,
    HeadsSet,
    Invitation,
    InvitationCreate,
    InvitationList,
    Member,
    MemberCreate,
    MemberIds,
    MemberPage,
    MemberUpdate,
    Org,
    OrgUpdate,
    Role,
    RoleCreate,
    RoleList,
    RoleUpdate,
)
from tack.http.context import org_ctx

Req = Request[Any, Any, Any]
Limit = Annotated[int, Parameter(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Parameter(max_length=500, description="`next_cursor` of the previous page")]
Level = Annotated[int, Parameter(ge=1, le=20)]
# Optional and bounded: the bounds must sit on `int | None` itself; on `Level | None` Litestar
# documents them but does not check them.
OptionalLevel = Annotated[int | None, Parameter(ge=1, le=20)]


class MemberList(MemberPage):
    pass


# -- organization --------------------------------------------------------------------------

@get("/", summary="Read the organization's settings")
async def get_org(request: Req, org_id: uuid.UUID) -> Org:
    async with org_ctx(request, org_id) as ctx:
        return await orgs.get_org(ctx)


@patch("/", summary="Change the organization's settings")
async def update_org(request: Req, org_id: uuid.UUID, data: OrgUpdate) -> Org:
    async with org_ctx(request, org_id) as ctx:
        return await orgs.update_org(ctx, data)


@get("/audit", summary="Read the audit log (owners)")
async def list_audit(request: Req, org_id: uuid.UUID, cursor: Cursor = None, limit: Limit = 50,
                     action: Annotated[str | None, Parameter(max_length=100)] = None) -> AuditPage:
    async with org_ctx(request, org_id) as ctx:
        return await audit.list_audit(ctx, cursor=cursor, limit=limit, action=action)


# -- departments ---------------------------------------------------------------------------

@get("/departments", summary="List all departments (flat; build the tree by parent_id)")
async def list_departments(request: Req, org_id: uuid.UUID) -> DepartmentList:
    async with org_ctx(request, org_id) as ctx:
        return await departments.list_departments(ctx)


@post("/departments", summary="Create a department")
async def create_department(request: Req, org_id: uuid.UUID, data: DepartmentCreate) -> Department:
    async with org_ctx(request, org_id) as ctx:
        return await departments.create_department(ctx, data)


@get("/departments/{department_id:str}", summary="Read a department")
async def get_department(request: Req, org_id: uuid.UUID, department_id: uuid.UUID) -> Department:
    async with org_ctx(request, org_id) as ctx:
        return await departments.get_department(ctx, department_id)


@patch("/departments/{department_id:str}", summary="Rename, move or reorder a department")
async def update_department(request: Req, org_id: uuid.UUID, department_id: uuid.UUID,
                            data: DepartmentUpdate) -> Department:
    async with org_ctx(request, org_id) as ctx:
        return await departments.update_department(ctx, department_id, data)


@delete("/departments/{department_id:str}", summary="Delete an empty department")
async def delete_department(request: Req, org_id: uuid.UUID, department_id: uuid.UUID) -> None:
    async with org_ctx(request, org_id) as ctx:
        await departments.delete_department(ctx, department_id)


@put("/departments/{department_id:str}/heads", summary="Set the department's heads")
async def set_heads(request: Req, org_id: uuid.UUID, department_id: uuid.UUID, data: HeadsSet) -> Department:
    async with org_ctx(request, org_id) as ctx:
        return await departments.set_heads(ctx, department_id, data.member_ids)


@get("/departments/{department_id:str}/heads", summary="Heads of a department (and of its ancestors)")
async def department_heads(request: Req, org_id: uuid.UUID, department_id: uuid.UUID,
                           include_ancestors: bool = False, level: OptionalLevel = None) -> MemberList:
    async with org_ctx(request, org_id) as ctx:
        items = await queries.department_heads(ctx, department_id, include_ancestors=include_ancestors, level=level)
        return MemberList(items=items, next_cursor=None)


# -- members -------------------------------------------------------------------------------

@get("/members", summary="List members (filter by department, role, text; cursor-paginated)")
async def list_members(request: Req, org_id: uuid.UUID, department_id: uuid.UUID | None = None,
                       include_descendants: bool = False,
                       q: Annotated[str | None, Parameter(max_length=200)] = None,
                       status: Literal["active", "inactive", "all"] = "active", role_id: uuid.UUID | None = None,
                       cursor: Cursor = None, limit: Limit = 50) -> MemberPage:
    async with org_ctx(request, org_id) as ctx:
        return await members.list_members(ctx, department_id=department_id, include_descendants=include_descendants,
                                          q=q, status=status, role_id=role_id, cursor=cursor, limit=limit)


@post("/members", summary="Add a member (an unknown email becomes a new user)")
async def add_member(request: Req, org_id: uuid.UUID, data: MemberCreate) -> Member:
    async with org_ctx(request, org_id) as ctx:
        return await members.add_member(ctx, data)


@get("/members/{member_id:str}", summary="Read a member")
async def get_member(request: Req, org_id: uuid.UUID, member_id: uuid.UUID) -> Member:
    async with org_ctx(request, org_id) as ctx:
        return await members.get_member(ctx, member_id)


@patch("/members/{member_id:str}", summary="Edit a member: profile, manager, departments")
async def update_member(request: Req, org_id: uuid.UUID, member_id: uuid.UUID, data: MemberUpdate) -> Member:
    async with org_ctx(request, org_id) as ctx:
        return await members.update_member(ctx, member_id, data)


@post("/members/{member_id:str}/deactivate", status_code=200, summary="Deactivate a member (history is kept)")
async def deactivate_member(request: Req, org_id: uuid.UUID, member_id: uuid.UUID) -> Member:
    async with org_ctx(request, org_id) as ctx:
        return await members.deactivate_member(ctx, member_id)


@post("/members/{member_id:str}/reactivate", status_code=200, summary="Reactivate a member")
async def reactivate_member(request: Req, org_id: uuid.UUID, member_id: uuid.UUID) -> Member:
    async with org_ctx(request, org_id) as ctx:
        return await members.reactivate_member(ctx, member_id)


@put("/members/{member_id:str}/admin", summary="Make a member an admin, a sub-admin or neither (owner)")
async def set_admin(request: Req, org_id: uuid.UUID, member_id: uuid.UUID, data: AdminSet) -> Member:
    async with org_ctx(request, org_id) as ctx:
        return await members.set_admin_role(ctx, member_id, data)


@get("/members/{member_id:str}/manager", summary="The manager N levels up (1 = direct manager)")
async def manager_at(request: Req, org_id: uuid.UUID, member_id: uuid.UUID, level: Level = 1) -> Member:
    async with org_ctx(request, org_id) as ctx:
        found = await queries.manager_at(ctx, member_id, level)
        if found is None:
            from tack.core.errors import NotFound

            raise NotFound(f"This member has no manager {level} level(s) up.")
        return found


@get("/members/{member_id:str}/manager-chain", summary="Managers upward, nearest first")
async def manager_chain(request: Req, org_id: uuid.UUID, member_id: uuid.UUID, max_levels: OptionalLevel = None,
                        until_role_id: uuid.UUID | None = None) -> MemberList:
    async with org_ctx(request, org_id) as ctx:
        items = await queries.manager_chain(ctx, member_id, max_levels=max_levels, until_role_id=until_role_id)
        return MemberList(items=items, next_cursor=None)


@get("/members/{member_id:str}/departments", summary="The departments a member belongs to")
async def member_departments(request: Req, org_id: uuid.UUID, member_id: uuid.UUID) -> DepartmentList:
    async with org_ctx(request, org_id) as ctx:
        return DepartmentList(items=await queries.member_departments(ctx, member_id))


# -- roles ---------------------------------------------------------------------------------

@get("/roles", summary="List roles")
async def list_roles(request: Req, org_id: uuid.UUID) -> RoleList:
    async with org_ctx(request, org_id) as ctx:
        return await roles.list_roles(ctx)


@post("/roles", summary="Create a role")
async def create_role(request: Req, org_id: uuid.UUID, data: RoleCreate) -> Role:
    async with org_ctx(request, org_id) as ctx:
        return await roles.create_role(ctx, data)


@get("/roles/{role_id:str}", summary="Read a role")
async def get_role(request: Req, org_id: uuid.UUID, role_id: uuid.UUID) -> Role:
    async with org_ctx(request, org_id) as ctx:
        return await roles.get_role(ctx, role_id)


@patch("/roles/{role_id:str}", summary="Rename a role or change its description")
async def update_role(request: Req, org_id: uuid.UUID, role_id: uuid.UUID, data: RoleUpdate) -> Role:
    async with org_ctx(request, org_id) as ctx:
        return await roles.update_role(ctx, role_id, data)


@delete("/roles/{role_id:str}", summary="Delete a role")
async def delete_role(request: Req, org_id: uuid.UUID, role_id: uuid.UUID) -> None:
    async with org_ctx(request, org_id) as ctx:
        await roles.delete_role(ctx, role_id)


@get("/roles/{role_id:str}/members", summary="Members of a role, optionally within a department subtree")
async def role_members(request: Req, org_id: uuid.UUID, role_id: uuid.UUID, department_id: uuid.UUID | None = None,
                       include_descendants: bool = True, cursor: Cursor = None, limit: Limit = 50) -> MemberPage:
    async with org_ctx(request, org_id) as ctx:
        return await roles.list_role_members(ctx, role_id, department_id=department_id,
                                             include_descendants=include_descendants, cursor=cursor, limit=limit)


@post("/roles/{role_id:str}/members", status_code=204, summary="Give members a role")
async def add_role_members(request: Req, org_id: uuid.UUID, role_id: uuid.UUID, data: MemberIds) -> None:
    async with org_ctx(request, org_id) as ctx:
        await roles.add_role_members(ctx, role_id, data.member_ids)


@delete("/roles/{role_id:str}/members/{member_id:str}", summary="Take a role from a member")
async def remove_role_member(request: Req, org_id: uuid.UUID, role_id: uuid.UUID, member_id: uuid.UUID) -> None:
    async with org_ctx(request, org_id) as ctx:
        await roles.remove_role_member(ctx, role_id, member_id)


# -- invitations ---------------------------------------------------------------------------

@get("/invitations", summary="List invitations")
async def list_invitations(request: Req, org_id: uuid.UUID) -> InvitationList:
    async with org_ctx(request, org_id) as ctx:
        return await invitations.list_invitations(ctx)


@post("/invitations", summary="Create an invitation link / code")
async def create_invitation(request: Req, org_id: uuid.UUID, data: InvitationCreate) -> Invitation:
    async with org_ctx(request, org_id) as ctx:
        return await invitations.create_invitation(ctx, data)


@delete("/invitations/{invitation_id:str}", summary="Revoke an invitation")
async def revoke_invitation(request: Req, org_id: uuid.UUID, invitation_id: uuid.UUID) -> None:
    async with org_ctx(request, org_id) as ctx:
        await invitations.revoke_invitation(ctx, invitation_id)


# Ids in paths are declared `str` and parsed by the handlers' `uuid.UUID` annotations, so a
# malformed id is a 400 naming the parameter rather than a routing miss (404).
router = Router(
    path="/api/v1/orgs/{org_id:str}",
    tags=["directory"],
    route_handlers=[
        get_org, update_org, list_audit,
        list_departments, create_department, get_department, update_department, delete_department, set_heads,
        department_heads,
        list_members, add_member, get_member, update_member, deactivate_member, reactivate_member, set_admin,
        manager_at, manager_chain, member_departments,
        list_roles, create_role, get_role, update_role, delete_role, role_members, add_role_members,
        remove_role_member,
        list_invitations, create_invitation, revoke_invitation,
    ],
)
