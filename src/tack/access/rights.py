"""Turning an app's permission groups into one member's rights on one form (no I/O here).

A member in several groups gets the union: they may submit if any group lets them; they reach
a record for reading, editing or deleting if any of their groups' scopes does (the scopes are
OR-ed, so the most permissive wins); a field is hidden only if every group that lets them read
hides it, and read-only only if every group that lets them submit or edit keeps it from them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tack.access.models import (
    NOTHING,
    FormAccess,
    FormRights,
    GroupMembers,
    PermissionGroup,
    RecordScope,
    Rights,
)

OWN: dict[str, Any] = {"field": "created_by", "op": "is_me"}
MY_DEPARTMENTS: dict[str, Any] = {"field": "owner_department", "op": "in_my_departments"}
MY_DEPARTMENTS_AND_BELOW: dict[str, Any] = {"field": "owner_department", "op": "in_my_departments_and_below"}
BUILT_IN = (OWN, MY_DEPARTMENTS, MY_DEPARTMENTS_AND_BELOW)

DEFAULT_GROUP_NAME = "Everyone"


def default_rights() -> Rights:
    """The rights of a new app's "Everyone" group, and of every member of an app that has no
    group at all: submit, and see, edit and delete what they submitted (what DingTalk Yida gives
    a new form's submitters, and Feishu Base's "can edit own records")."""
    return Rights(can_submit=True, read=RecordScope(scope="own"), edit=RecordScope(scope="own"),
                  delete=RecordScope(scope="own"))


@dataclass(frozen=True)
class Person:
    """What group membership and scopes depend on."""

    member_id: uuid.UUID | None
    department_ids: frozenset[uuid.UUID]
    department_paths: tuple[str, ...]  # materialized paths "/<hex>/<hex>/"
    role_ids: frozenset[uuid.UUID]


def is_in(person: Person, m: GroupMembers) -> bool:
    if m.everyone:
        return True
    if person.member_id is not None and person.member_id in m.member_ids:
        return True
    if person.role_ids.intersection(m.role_ids):
        return True
    if person.department_ids.intersection(m.department_ids):
        return True
    if m.include_sub_departments:
        segments = [f"/{d.hex}/" for d in m.department_ids]
        return any(s in p for s in segments for p in person.department_paths)
    return False


def scope_filter(scope: RecordScope) -> dict[str, Any] | None:
    """The filter tree of a scope: None reaches every record, NOTHING none."""
    if scope.scope == "all":
        return None
    if scope.scope == "own":
        return OWN
    if scope.scope == "department":
        return MY_DEPARTMENTS
    if scope.scope == "department_and_below":
        return MY_DEPARTMENTS_AND_BELOW
    if scope.scope == "custom" and scope.filter is not None:
        return scope.filter
    return NOTHING


def union(filters: Iterable[dict[str, Any] | None]) -> dict[str, Any] | None:
    """The filter matching what any of `filters` matches, kept small."""
    out: dict[str, dict[str, Any]] = {}
    for f in filters:
        if f is None:
            return None
        if f != NOTHING:
            out.setdefault(json.dumps(f, sort_keys=True, default=str), f)
    found = list(out.values())
    if MY_DEPARTMENTS_AND_BELOW in found and MY_DEPARTMENTS in found:
        found.remove(MY_DEPARTMENTS)  # the subtree holds the departments themselves
    if not found:
        return NOTHING
    return found[0] if len(found) == 1 else {"or": found}


@dataclass(frozen=True)
class Effective:
    """One group's rights on one form, its overrides applied."""

    name: str
    can_submit: bool
    read: dict[str, Any] | None
    edit: dict[str, Any] | None
    delete: dict[str, Any] | None
    hidden: frozenset[str]
    readonly: frozenset[str]


def effective(name: str, rights: Rights, rules: FormRights | None) -> Effective:
    r = rules or FormRights()
    return Effective(
        name=name,
        can_submit=rights.can_submit if r.can_submit is None else r.can_submit,
        read=scope_filter(r.read or rights.read), edit=scope_filter(r.edit or rights.edit),
        delete=scope_filter(r.delete or rights.delete),
        hidden=frozenset(r.hidden_fields), readonly=frozenset(r.readonly_fields) | frozenset(r.hidden_fields))


def everything(form_id: uuid.UUID, app_id: uuid.UUID, groups: tuple[str, ...] = ()) -> FormAccess:
    return FormAccess(form_id=form_id, app_id=app_id, is_app_admin=True, can_submit=True, read_filter=None,
                      edit_filter=None, delete_filter=None, groups=groups)


def resolve(form_id: uuid.UUID, app_id: uuid.UUID, groups: Sequence[PermissionGroup], person: Person) -> FormAccess:
    """The rights `person` has on the form through the app's `groups` (no groups at all: the
    default rights, so apps made before permission groups keep working)."""
    if not groups:
        mine = [effective(DEFAULT_GROUP_NAME, default_rights(), None)]
    else:
        joined = [g for g in groups if is_in(person, g.members)]
        if any(g.app_admin for g in joined):
            return everything(form_id, app_id, tuple(g.name for g in joined))
        mine = [effective(g.name, g.rights, g.forms.get(str(form_id))) for g in joined]
    read = union(e.read for e in mine)
    edit = union(e.edit for e in mine)
    delete = union(e.delete for e in mine)
    readers = [e for e in mine if e.read != NOTHING] or mine
    writers = [e for e in mine if e.can_submit or e.edit != NOTHING] or mine
    hidden = _all_of(e.hidden for e in readers)
    readonly = _all_of(e.readonly for e in writers) | hidden
    return FormAccess(form_id=form_id, app_id=app_id, is_app_admin=False, can_submit=any(e.can_submit for e in mine),
                      read_filter=read, edit_filter=edit, delete_filter=delete, hidden_fields=hidden,
                      readonly_fields=readonly, groups=tuple(e.name for e in mine))


def _all_of(sets: Iterable[frozenset[str]]) -> frozenset[str]:
    """What every set holds (nothing when there is no set)."""
    result: frozenset[str] | None = None
    for s in sets:
        result = s if result is None else result & s
    return result or frozenset()
