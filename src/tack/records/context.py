"""What cleaning a submission needs from the database, fetched in a few batched queries before
any field is cleaned: which member, department, file and record ids the submission names exist
here (and the linked records' data, which lookups and roll-ups read)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from tack.core.ctx import Ctx
from tack.directory.tables import departments, members
from tack.forms.definition import CompiledField, CompiledForm
from tack.forms.fields import ValueContext
from tack.records.links import load_linked_records

MEMBER_TYPES = {"member", "members"}
DEPARTMENT_TYPES = {"department", "departments"}
FILE_TYPES = {"attachment", "image", "signature"}


async def value_context(ctx: Ctx, form: CompiledForm, data: Mapping[str, Any], time_zone: str, *,
                        previous: Mapping[str, Any] | None = None) -> ValueContext:
    """`previous`: the stored data of the record being updated (its links' records are read too)."""
    wanted: dict[str, set[uuid.UUID]] = {"member": set(), "department": set(), "file": set()}
    for key, value in data.items():
        c = form.by_key.get(key)
        if c is not None:
            _collect(c, value, wanted)
    vctx = ValueContext(now=ctx.now(), time_zone=time_zone)
    if wanted["member"]:
        vctx.known_members = set((await ctx.conn.execute(sa.select(members.c.id).where(
            members.c.org_id == ctx.org_id, members.c.id.in_(wanted["member"]),
            members.c.status == "active"))).scalars().all())
    if wanted["department"]:
        vctx.known_departments = set((await ctx.conn.execute(sa.select(departments.c.id).where(
            departments.c.org_id == ctx.org_id, departments.c.id.in_(wanted["department"])))).scalars().all())
    if wanted["file"]:
        from tack.files.service import find_files

        found = await find_files(ctx, wanted["file"])
        vctx.known_files = set(found)
        vctx.file_types = {i: f.content_type for i, f in found.items()}
    await load_linked_records(ctx, form, vctx, data, previous)
    return vctx


def _collect(c: CompiledField, value: Any, wanted: dict[str, set[uuid.UUID]]) -> None:
    t = c.fd.type
    if t == "subtable" and isinstance(value, list):
        for row in value:
            if isinstance(row, Mapping):
                for key, cell in row.items():
                    col = c.by_key.get(key)
                    if col is not None:
                        _collect(col, cell, wanted)
        return
    kind = "member" if t in MEMBER_TYPES else "department" if t in DEPARTMENT_TYPES else "file" if t in FILE_TYPES \
        else None
    if kind is not None:
        wanted[kind].update(_uuids(value))


def _uuids(value: Any) -> Iterable[uuid.UUID]:
    items = value if isinstance(value, list) else [value]
    for item in items[:1000]:
        if isinstance(item, str):
            try:
                yield uuid.UUID(item)
            except ValueError:
                continue  # the field type reports it
