"""Permission groups of an app, and each actor's rights on a form.

`form_access(ctx, form_id)` is what every record command and query asks before it reads or
writes. Org owners and admins, organization tokens and the system administer every app; anyone
else gets the union of the app's groups they belong to (`tack.access.rights`). The answer is
memoized for the transaction's connection: a bulk submission of 1,000 records asks once.
"""

from __future__ import annotations

import dataclasses
import uuid
import weakref
from collections.abc import Mapping
from typing import Any, Literal

import msgspec
import sqlalchemy as sa
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncConnection

from tack.access import rights as rights_mod
from tack.access.filters import check_filter, no_fields, with_ids
from tack.access.models import (
    NOTHING,
    FormAccess,
    FormRights,
    GroupMembers,
    PermissionGroup,
    PermissionGroupCreate,
    PermissionGroupList,
    PermissionGroupUpdate,
    RecordScope,
    Rights,
)
from tack.access.rights import BUILT_IN, DEFAULT_GROUP_NAME, Person, default_rights, everything, resolve
from tack.access.scopes import record_in_scope, refuse
from tack.access.tables import permission_groups
from tack.apps.tables import apps, forms
from tack.auth.policy import level, require
from tack.core.ctx import Ctx
from tack.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from tack.core.events import emit
from tack.core.ids import new_id
from tack.directory import audit
from tack.directory.tables import department_members, departments, members, role_members, roles
from tack.forms.definition import CompiledForm

MAX_GROUPS = 100
Action = Literal["read", "edit", "delete"]

# What this transaction already resolved: rights per (org, actor, form), primary departments.
_memo: weakref.WeakKeyDictionary[AsyncConnection, dict[Any, Any]] = weakref.WeakKeyDictionary()


# -- rights ------------------------------------------------------------------------------------

def administers_everything(ctx: Ctx) -> bool:
    """Org owners and admins, organization tokens and the system are app admins of every app."""
    return ctx.actor.kind == "system" or level(ctx.actor) in ("owner", "admin", "service")


async def form_access(ctx: Ctx, form_id: uuid.UUID, *, app_id: uuid.UUID | None = None) -> FormAccess:
    """What the actor may do on the form (NotFound if there is no such form in the org).
    A caller that has just read the form's row passes its `app_id` (one round trip saved)."""
    key = (ctx.org_id, ctx.actor, form_id)
    memo = _memo.setdefault(ctx.conn, {})
    if key in memo:
        return memo[key]  # type: ignore[no-any-return]
    if app_id is None:
        app_id = (await ctx.conn.execute(sa.select(forms.c.app_id).where(
            forms.c.org_id == ctx.org_id, forms.c.id == form_id, forms.c.deleted_at.is_(None)))).scalar()
    if app_id is None:
        raise NotFound("No such form in this organization.")
    if administers_everything(ctx):
        found = everything(form_id, app_id)
    else:
        found = await _fitted(ctx, resolve(form_id, app_id, await _groups(ctx, app_id), await _person(ctx)))
    memo[key] = found
    return found


async def _fitted(ctx: Ctx, access: FormAccess) -> FormAccess:
    """`access` with the custom rules that no longer fit the form (a field they name was deleted
    or changed type) reaching nothing, instead of breaking every read of the form. The parts of
    a scope are OR-ed, so leaving one out only narrows it."""
    filters = {a: access.filter_for(a) for a in ("read", "edit", "delete")}
    if all(f is None or f == NOTHING or f in BUILT_IN for f in filters.values()):
        return access
    from tack.apps.service import compiled_form, form_row

    form = await compiled_form(ctx, access.form_id, (await form_row(ctx, access.form_id))["version"])

    def fits(tree: dict[str, Any]) -> bool:
        try:
            check_filter(form, tree, "$")
        except ValidationFailed:
            return False
        return True

    fitted: dict[str, dict[str, Any] | None] = {}
    for action, f in filters.items():
        kept = [p for p in _or_parts(f) if p is None or p == NOTHING or p in BUILT_IN or fits(p)]
        fitted[action] = rights_mod.union(kept) if kept else NOTHING
    return dataclasses.replace(access, read_filter=fitted["read"], edit_filter=fitted["edit"],
                               delete_filter=fitted["delete"])


def _or_parts(f: dict[str, Any] | None) -> list[dict[str, Any] | None]:
    """The alternatives of an OR (nested ORs flattened), or [f]."""
    if f is not None and set(f) == {"or"} and isinstance(f["or"], list) and f["or"]:
        return [p for child in f["or"] for p in _or_parts(child)]
    return [f]


async def is_app_admin(ctx: Ctx, app_id: uuid.UUID) -> bool:
    if administers_everything(ctx):
        return True
    person = await _person(ctx)
    return any(g.app_admin and rights_mod.is_in(person, g.members) for g in await _groups(ctx, app_id))


async def require_app_admin(ctx: Ctx, app_id: uuid.UUID, rule: str = "access.manage") -> None:
    """Raise unless the actor administers the app (its forms, shared views and groups)."""
    require(ctx.actor, rule)
    await _app_row(ctx, app_id)
    if not await is_app_admin(ctx, app_id):
        raise Forbidden("Only the app's administrators may do this.")


async def require_record(ctx: Ctx, access: FormAccess, form: CompiledForm, record_id: uuid.UUID,
                         action: Action) -> None:
    """A record outside the actor's read scope does not exist for them (404); one they may read
    but not `action` is a 403."""
    if not await record_in_scope(ctx, form, record_id, access.read_filter):
        raise NotFound("No such record in this organization.")
    if action != "read" and not await record_in_scope(ctx, form, record_id, access.filter_for(action)):
        raise refuse(action)


def check_writable(access: FormAccess, form: CompiledForm, sent: Mapping[str, Any],
                   before: Mapping[str, Any] | None, after: Mapping[str, Any], path: str = "$.data") -> None:
    """Refuse a submission or change that sets a field the actor may not change (read-only or
    hidden for them). Sending back a read-only field's current value is not a change."""
    if not access.readonly_fields:
        return
    errors = []
    for key in sent:
        c = form.by_key.get(key)
        if c is None or c.fd.id not in access.readonly_fields:
            continue
        fid = c.fd.id
        changed = after.get(fid) != before.get(fid) if before is not None else sent[key] not in (None, "", [])
        if changed:
            errors.append(FieldError(path=f"{path}.{key}", message="This field is read-only for you.",
                                     rule="read-only"))
    if errors:
        raise ValidationFailed("Some fields are read-only for you.", errors=errors)


async def primary_department(ctx: Ctx, member_id: uuid.UUID | None) -> uuid.UUID | None:
    """The department a member's records belong to: their first department other than the
    organization's root (the root only when they sit nowhere else)."""
    if member_id is None:
        return None
    memo = _memo.setdefault(ctx.conn, {})
    key = ("primary_department", ctx.org_id, member_id)
    if key in memo:
        return memo[key]  # type: ignore[no-any-return]
    rows = (await ctx.conn.execute(
        sa.select(departments.c.id, departments.c.parent_id)
        .select_from(department_members.join(departments, sa.and_(
            departments.c.org_id == department_members.c.org_id,
            departments.c.id == department_members.c.department_id)))
        .where(department_members.c.org_id == ctx.org_id, department_members.c.member_id == member_id)
        .order_by(departments.c.parent_id.is_(None), departments.c.id))).all()
    found: uuid.UUID | None = rows[0][0] if rows else None
    memo[key] = found
    return found


async def _person(ctx: Ctx) -> Person:
    me = ctx.actor.member_id
    if me is None:
        return Person(member_id=None, department_ids=frozenset(), department_paths=(), role_ids=frozenset())
    depts = (await ctx.conn.execute(
        sa.select(departments.c.id, departments.c.path)
        .select_from(department_members.join(departments, sa.and_(
            departments.c.org_id == department_members.c.org_id,
            departments.c.id == department_members.c.department_id)))
        .where(department_members.c.org_id == ctx.org_id, department_members.c.member_id == me))).all()
    role_ids = (await ctx.conn.execute(sa.select(role_members.c.role_id).where(
        role_members.c.org_id == ctx.org_id, role_members.c.member_id == me))).scalars().all()
    return Person(member_id=me, department_ids=frozenset(d[0] for d in depts),
                  department_paths=tuple(d[1] for d in depts), role_ids=frozenset(role_ids))


async def _groups(ctx: Ctx, app_id: uuid.UUID) -> list[PermissionGroup]:
    rows = (await ctx.conn.execute(sa.select(permission_groups).where(
        permission_groups.c.org_id == ctx.org_id, permission_groups.c.app_id == app_id)
        .order_by(permission_groups.c.position, permission_groups.c.id))).mappings().all()
    return [_group(r) for r in rows]


# -- permission groups -------------------------------------------------------------------------

async def list_groups(ctx: Ctx, app_id: uuid.UUID) -> PermissionGroupList:
    await require_app_admin(ctx, app_id, "access.read")
    items = await _groups(ctx, app_id)
    return PermissionGroupList(items=items, implicit_default=not items)


async def get_group(ctx: Ctx, group_id: uuid.UUID) -> PermissionGroup:
    row = await _group_row(ctx, group_id)
    await require_app_admin(ctx, row["app_id"], "access.read")
    return _group(row)


async def create_group(ctx: Ctx, app_id: uuid.UUID, data: PermissionGroupCreate) -> PermissionGroup:
    await require_app_admin(ctx, app_id)
    existing = await _groups(ctx, app_id)
    if len(existing) >= MAX_GROUPS:
        raise Conflict(f"An app has at most {MAX_GROUPS} permission groups.")
    rules = await _checked(ctx, app_id, data.members, data.rights, data.forms)
    if not existing:
        # The app ran on the implicit default so far: keep it, so adding a group never takes
        # rights away from everyone else.
        await create_default_group(ctx, app_id)
    group_id = await _insert(ctx, app_id, name=data.name.strip(), description=data.description,
                             app_admin=data.app_admin, members=data.members, rights=data.rights, forms=rules)
    return _group(await _group_row(ctx, group_id))


async def create_default_group(ctx: Ctx, app_id: uuid.UUID) -> uuid.UUID:
    """A new app's one group: everyone may submit, and see, edit and delete their own records."""
    return await _insert(ctx, app_id, name=DEFAULT_GROUP_NAME, description="Every member of the organization",
                         app_admin=False, members=GroupMembers(everyone=True), rights=default_rights(), forms={})


async def update_group(ctx: Ctx, group_id: uuid.UUID, data: PermissionGroupUpdate) -> PermissionGroup:
    row = await _group_row(ctx, group_id)
    await require_app_admin(ctx, row["app_id"])
    if data.expected_version is not None and data.expected_version != row["version"]:
        raise Conflict(f"The group changed since you read it (now version {row['version']}); reload it.",
                       extra={"current_version": row["version"]})
    current = _group(row)
    members_ = current.members if data.members is UNSET else data.members
    rights = current.rights if data.rights is UNSET else data.rights
    rules = current.forms if data.forms is UNSET else data.forms
    rules = await _checked(ctx, row["app_id"], members_, rights, rules)
    values: dict[str, Any] = {"members": msgspec.to_builtins(members_), "rights": msgspec.to_builtins(rights),
                              "forms": msgspec.to_builtins(rules)}
    for k in ("description", "app_admin", "position"):
        if getattr(data, k) is not UNSET:
            values[k] = getattr(data, k)
    if data.name is not UNSET:
        values["name"] = data.name.strip()
    res = await ctx.conn.execute(permission_groups.update().where(
        permission_groups.c.org_id == ctx.org_id, permission_groups.c.id == group_id,
        permission_groups.c.version == row["version"]).values(**values, version=row["version"] + 1,
                                                               updated_at=ctx.now()))
    if res.rowcount != 1:
        raise Conflict("The group changed while you were saving it; reload it.")
    _forget(ctx)
    await audit.record(ctx, "permission_group.updated", "permission_group", group_id, values)
    await emit(ctx, "permission_group.updated", str(group_id), {"id": group_id, "app_id": row["app_id"]})
    return _group(await _group_row(ctx, group_id))


async def delete_group(ctx: Ctx, group_id: uuid.UUID) -> None:
    row = await _group_row(ctx, group_id)
    await require_app_admin(ctx, row["app_id"])
    others = (await ctx.conn.execute(sa.select(sa.func.count()).select_from(permission_groups).where(
        permission_groups.c.org_id == ctx.org_id, permission_groups.c.app_id == row["app_id"],
        permission_groups.c.id != group_id))).scalar_one()
    if not others:
        # With no group left the app would fall back to the default rights: say so instead.
        raise Conflict("An app keeps at least one permission group; change this one's rights instead.")
    await ctx.conn.execute(permission_groups.delete().where(
        permission_groups.c.org_id == ctx.org_id, permission_groups.c.id == group_id))
    _forget(ctx)
    await audit.record(ctx, "permission_group.deleted", "permission_group", group_id, {"name": row["name"]})
    await emit(ctx, "permission_group.deleted", str(group_id), {"id": group_id, "app_id": row["app_id"]})


async def _insert(ctx: Ctx, app_id: uuid.UUID, *, name: str, description: str | None, app_admin: bool,
                  members: GroupMembers, rights: Rights, forms: dict[str, FormRights]) -> uuid.UUID:
    group_id, now = new_id(), ctx.now()
    position = (await ctx.conn.execute(sa.select(sa.func.max(permission_groups.c.position)).where(
        permission_groups.c.org_id == ctx.org_id, permission_groups.c.app_id == app_id))).scalar()
    await ctx.conn.execute(permission_groups.insert().values(
        org_id=ctx.org_id, id=group_id, app_id=app_id, name=name, description=description,
        position=0 if position is None else position + 1, app_admin=app_admin,
        members=msgspec.to_builtins(members), rights=msgspec.to_builtins(rights), forms=msgspec.to_builtins(forms),
        version=1, created_at=now, updated_at=now))
    _forget(ctx)
    await audit.record(ctx, "permission_group.created", "permission_group", group_id,
                       {"app_id": app_id, "name": name})
    await emit(ctx, "permission_group.created", str(group_id), {"id": group_id, "app_id": app_id})
    return group_id


async def _checked(ctx: Ctx, app_id: uuid.UUID, members_: GroupMembers, rights: Rights,
                   rules: dict[str, FormRights]) -> dict[str, FormRights]:
    """Check a group's members, rights and form rules; the rules with field names made ids."""
    from tack.apps.service import compiled_form  # it imports tack.access

    errors: list[FieldError] = []
    await _check_ids(ctx, members, members_.member_ids, "$.members.member_ids", errors)
    await _check_ids(ctx, departments, members_.department_ids, "$.members.department_ids", errors)
    await _check_ids(ctx, roles, members_.role_ids, "$.members.role_ids", errors)
    for action in ("read", "edit", "delete"):
        _check_scope(no_fields(), getattr(rights, action), f"$.rights.{action}", errors)
    out: dict[str, FormRights] = {}
    app_forms = {str(r[0]): r for r in (await ctx.conn.execute(sa.select(forms.c.id, forms.c.version).where(
        forms.c.org_id == ctx.org_id, forms.c.app_id == app_id, forms.c.deleted_at.is_(None)))).all()}
    for key, rule in rules.items():
        p = f"$.forms.{key}"
        if key not in app_forms:
            errors.append(FieldError(path=p, message="The app has no such form.", rule="exists"))
            continue
        form = await compiled_form(ctx, app_forms[key][0], app_forms[key][1])
        for action in ("read", "edit", "delete"):
            scope = getattr(rule, action)
            if scope is not None:
                _check_scope(form, scope, f"{p}.{action}", errors)
        lists = {}
        for name in ("hidden_fields", "readonly_fields"):
            ids = []
            for i, f in enumerate(getattr(rule, name)):
                c = form.by_key.get(f)
                if c is None:
                    errors.append(FieldError(path=f"{p}.{name}[{i}]", message=f"The form has no field {f!r}.",
                                             rule="unknown-field"))
                elif c.fd.id not in ids:
                    ids.append(c.fd.id)
            lists[name] = ids
        out[key] = msgspec.structs.replace(rule, **lists, **{
            a: _scope_with_ids(form, getattr(rule, a)) for a in ("read", "edit", "delete")})
    if errors:
        raise ValidationFailed("The permission group is not valid.", errors=errors[:100])
    return out


def _check_scope(form: CompiledForm, scope: RecordScope, path: str, errors: list[FieldError]) -> None:
    if scope.scope == "custom":
        if scope.filter is None:
            errors.append(FieldError(path=f"{path}.filter", message="A custom scope needs a filter.",
                                     rule="required"))
            return
        try:
            check_filter(form, scope.filter, f"{path}.filter")
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    elif scope.filter is not None:
        errors.append(FieldError(path=f"{path}.filter", message="Only a custom scope has a filter.",
                                 rule="custom-only"))


def _scope_with_ids(form: CompiledForm, scope: RecordScope | None) -> RecordScope | None:
    if scope is None or scope.filter is None:
        return scope
    return RecordScope(scope=scope.scope, filter=with_ids(form, scope.filter))


async def _check_ids(ctx: Ctx, table: sa.Table, ids: list[uuid.UUID], path: str, errors: list[FieldError]) -> None:
    if not ids:
        return
    found = set((await ctx.conn.execute(sa.select(table.c.id).where(
        table.c.org_id == ctx.org_id, table.c.id.in_(ids)))).scalars().all())
    errors.extend(FieldError(path=f"{path}[{i}]", message="No such id in this organization.", rule="exists")
                  for i, x in enumerate(ids) if x not in found)


async def _app_row(ctx: Ctx, app_id: uuid.UUID) -> sa.RowMapping:
    row = (await ctx.conn.execute(sa.select(apps).where(
        apps.c.org_id == ctx.org_id, apps.c.id == app_id, apps.c.deleted_at.is_(None)))).mappings().first()
    if row is None:
        raise NotFound("No such app in this organization.")
    return row


async def _group_row(ctx: Ctx, group_id: uuid.UUID) -> sa.RowMapping:
    row = (await ctx.conn.execute(sa.select(permission_groups).where(
        permission_groups.c.org_id == ctx.org_id, permission_groups.c.id == group_id))).mappings().first()
    if row is None:
        raise NotFound("No such permission group in this organization.")
    return row


def _group(r: sa.RowMapping) -> PermissionGroup:
    return PermissionGroup(
        id=r["id"], app_id=r["app_id"], name=r["name"], description=r["description"], position=r["position"],
        app_admin=r["app_admin"], members=msgspec.convert(r["members"], GroupMembers),
        rights=msgspec.convert(r["rights"], Rights), forms=msgspec.convert(r["forms"], dict[str, FormRights]),
        version=r["version"], created_at=r["created_at"], updated_at=r["updated_at"])


def _forget(ctx: Ctx) -> None:
    """Group changes alter rights: drop what this transaction memoized."""
    _memo.pop(ctx.conn, None)
