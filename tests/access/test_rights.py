"""The union of permission groups, without a database."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tack.access.models import NOTHING, FormRights, GroupMembers, PermissionGroup, RecordScope, Rights
from tack.access.rights import MY_DEPARTMENTS, MY_DEPARTMENTS_AND_BELOW, OWN, Person, is_in, resolve, union

FORM, APP = uuid.uuid4(), uuid.uuid4()
ROOT, SALES, EAST = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
ME, ROLE = uuid.uuid4(), uuid.uuid4()
HENRY = Person(member_id=ME, department_ids=frozenset({EAST}),
               department_paths=(f"/{ROOT.hex}/{SALES.hex}/{EAST.hex}/",), role_ids=frozenset({ROLE}))
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def group(name: str, members: GroupMembers, rights: Rights | None = None, forms: dict[str, FormRights] | None = None,
          *, app_admin: bool = False) -> PermissionGroup:
    return PermissionGroup(id=uuid.uuid4(), app_id=APP, name=name, description=None, position=0, app_admin=app_admin,
                           members=members, rights=rights or Rights(), forms=forms or {}, version=1, created_at=NOW,
                           updated_at=NOW)


def scope(name: str, f: dict[str, Any] | None = None) -> RecordScope:
    return RecordScope(scope=name, filter=f)  # type: ignore[arg-type]


def test_membership_by_person_department_subtree_and_role() -> None:
    assert is_in(HENRY, GroupMembers(everyone=True))
    assert is_in(HENRY, GroupMembers(member_ids=[ME]))
    assert is_in(HENRY, GroupMembers(role_ids=[ROLE]))
    assert is_in(HENRY, GroupMembers(department_ids=[EAST], include_sub_departments=False))
    assert is_in(HENRY, GroupMembers(department_ids=[SALES]))
    assert not is_in(HENRY, GroupMembers(department_ids=[SALES], include_sub_departments=False))
    assert not is_in(HENRY, GroupMembers(member_ids=[uuid.uuid4()], role_ids=[uuid.uuid4()]))
    assert not is_in(HENRY, GroupMembers())


def test_union_of_scopes() -> None:
    custom = {"field": "f_amount01", "op": "gt", "value": 5}
    assert union([]) == NOTHING
    assert union([NOTHING, NOTHING]) == NOTHING
    assert union([OWN, None, NOTHING]) is None, "all wins"
    assert union([OWN, OWN]) == OWN
    assert union([MY_DEPARTMENTS, OWN, MY_DEPARTMENTS_AND_BELOW]) == {"or": [OWN, MY_DEPARTMENTS_AND_BELOW]}
    assert union([custom, OWN, dict(custom)]) == {"or": [custom, OWN]}


def test_no_groups_means_the_default_and_no_membership_means_nothing() -> None:
    a = resolve(FORM, APP, [], HENRY)
    assert a.can_submit and a.read_filter == OWN and a.edit_filter == OWN and a.delete_filter == OWN
    a = resolve(FORM, APP, [group("Others", GroupMembers(member_ids=[uuid.uuid4()]))], HENRY)
    assert not a.can_submit and not a.can_read and not a.can_edit and not a.can_delete
    assert a.groups == ()


def test_per_form_rules_and_field_unions() -> None:
    everyone = group("Everyone", GroupMembers(everyone=True), forms={str(FORM): FormRights(
        hidden_fields=["f_secret01", "f_notes001"], readonly_fields=["f_status01", "f_amount01"])})
    sales = group("Sales", GroupMembers(department_ids=[SALES]),
                  Rights(can_submit=False, read=scope("department_and_below"), edit=scope("none"),
                         delete=scope("none")),
                  forms={str(FORM): FormRights(hidden_fields=["f_secret01"], edit=scope("department"),
                                               readonly_fields=["f_status01"])})
    other_form = group("Elsewhere", GroupMembers(everyone=True), Rights(read=scope("all")),
                       forms={str(uuid.uuid4()): FormRights(hidden_fields=["f_title001"])})
    a = resolve(FORM, APP, [everyone, sales], HENRY)
    assert a.groups == ("Everyone", "Sales") and a.can_submit
    assert a.read_filter == {"or": [OWN, MY_DEPARTMENTS_AND_BELOW]}
    assert a.edit_filter == {"or": [OWN, MY_DEPARTMENTS]} and a.delete_filter == OWN
    assert a.hidden_fields == {"f_secret01"}
    assert a.readonly_fields == {"f_secret01", "f_status01"}
    assert a.visible({"f_secret01": 1, "f_title001": 2}) == {"f_title001": 2}
    b = resolve(FORM, APP, [everyone, other_form], HENRY)
    assert b.read_filter is None and b.hidden_fields == frozenset(), "Elsewhere hides nothing on this form"


def test_app_admins_get_everything() -> None:
    admins = group("Admins", GroupMembers(role_ids=[ROLE]), Rights(can_submit=False, read=scope("none")),
                   forms={str(FORM): FormRights(hidden_fields=["f_secret01"])}, app_admin=True)
    a = resolve(FORM, APP, [admins], HENRY)
    assert a.is_app_admin and a.can_submit and a.read_filter is None and not a.hidden_fields
