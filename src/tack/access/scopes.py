"""Record scopes in SQL: the condition a scope's filter puts on `records`, and whether one record
lies inside it.

The built-in scopes (own, department, department and below) compile here, on the record's own
columns, with no knowledge of the form. A custom filter compiles through the record query
compiler (`tack.records.query`), which knows every field type.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tack.access.models import NOTHING
from tack.access.rights import MY_DEPARTMENTS, MY_DEPARTMENTS_AND_BELOW, OWN
from tack.core.ctx import Ctx
from tack.core.errors import Forbidden, ValidationFailed
from tack.directory.tables import department_members, departments
from tack.forms.definition import CompiledForm
from tack.records.tables import records


def my_departments(ctx: Ctx) -> sa.Select[Any]:
    return sa.select(department_members.c.department_id).where(
        department_members.c.org_id == ctx.org_id, department_members.c.member_id == ctx.actor.member_id)


def my_departments_and_below(ctx: Ctx) -> sa.Select[Any]:
    """Every department whose path starts with the path of one of the actor's departments."""
    mine = departments.alias("mine")
    return (sa.select(departments.c.id)
            .select_from(departments.join(mine, sa.and_(
                mine.c.org_id == departments.c.org_id,
                departments.c.path.startswith(mine.c.path, autoescape=False))))
            .where(departments.c.org_id == ctx.org_id, mine.c.id.in_(my_departments(ctx))))


async def scope_condition(ctx: Ctx, form: CompiledForm, tree: dict[str, Any] | None) -> sa.ColumnElement[bool]:
    """The SQL condition on `records` that `tree` (a scope's filter) puts."""
    if tree is None:
        return sa.true()
    if tree == NOTHING:
        return sa.false()
    me = ctx.actor.member_id
    if tree == OWN:
        return records.c.created_by == me if me is not None else sa.false()
    if tree == MY_DEPARTMENTS:
        return records.c.owner_department_id.in_(my_departments(ctx)) if me is not None else sa.false()
    if tree == MY_DEPARTMENTS_AND_BELOW:
        return records.c.owner_department_id.in_(my_departments_and_below(ctx)) if me is not None else sa.false()
    children = tree.get("or")
    if isinstance(children, list) and len(tree) == 1 and children:
        # A union of scopes: each part compiles on its own (the built-in ones without the form).
        return sa.or_(*[await scope_condition(ctx, form, c) for c in children])
    return await _custom(ctx, form, tree)


async def _custom(ctx: Ctx, form: CompiledForm, tree: dict[str, Any]) -> sa.ColumnElement[bool]:
    """A custom scope through the record query compiler. A rule that no longer compiles (its
    field was deleted or changed type) reaches nothing: the safe reading of a rule we cannot
    evaluate."""
    from tack.records.query.filters import parse_filter

    try:
        node = parse_filter(form, tree, "$.scope")
    except ValidationFailed:
        return sa.false()
    if node is None:
        return sa.true()
    from tack.records.query.env import query_env
    from tack.records.query.filters import filter_sql, needs_me, needs_time_zone

    return filter_sql(node, await query_env(ctx, personal=needs_me(node), zoned=needs_time_zone(node)), form)


async def record_in_scope(ctx: Ctx, form: CompiledForm, record_id: uuid.UUID,
                          tree: dict[str, Any] | None) -> bool:
    if tree is None:
        return True
    if tree == NOTHING:
        return False
    q = sa.select(records.c.id).where(records.c.org_id == ctx.org_id, records.c.id == record_id,
                                      await scope_condition(ctx, form, tree))
    return (await ctx.conn.execute(q)).first() is not None


def refuse(action: str) -> Forbidden:
    what = {"edit": "change", "delete": "delete or restore"}.get(action, action)
    return Forbidden(f"Your permission groups do not let you {what} this record.")
