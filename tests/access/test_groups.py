"""Permission groups: hidden and read-only fields, the union of several groups, app
administrators, the default for apps without groups, and bad input."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from tack.access.tables import permission_groups
from tack.runtime import Runtime
from tests.access.helpers import TASKS, Org
from tests.api.helpers import make_token, new_org


async def test_hidden_and_read_only_fields(client: AsyncTestClient[Any], demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    await org.set_everyone(app_id, rights={"read": {"scope": "all"}},
                           forms={form_id: {"hidden_fields": ["Secret"], "readonly_fields": ["f_status01"]}})
    carol = await org.as_("carol")
    url = f"{org.base}/forms/{form_id}/records"
    r = await carol.post(url, {"data": {"Title": "t", "Secret": "psst", "Status": "Open"}})
    assert r.status_code == 422
    assert {(e["path"], e["rule"]) for e in r.json()["errors"]} == {("$.data.Secret", "read-only"),
                                                                    ("$.data.Status", "read-only")}
    r = await carol.post(url, {"data": {"Title": "t", "Status": None}})
    assert r.status_code == 201, r.text
    rec = r.json()
    # the owner fills in the hidden and the read-only field
    alice = await org.as_("alice")
    r = await alice.patch(f"{org.base}/records/{rec['id']}",
                          {"data": {"Secret": "psst", "Status": "Open"}, "expected_version": 1})
    assert r.status_code == 200 and r.json()["data"]["f_secret01"] == "psst"
    carol = await org.as_("carol")
    got = (await carol.get(f"{org.base}/records/{rec['id']}")).json()
    assert "f_secret01" not in got["data"] and got["data"]["f_status01"] == "open"
    assert all("f_secret01" not in i["data"] for i in (await carol.get(url)).json()["items"])
    history = (await carol.get(f"{org.base}/records/{rec['id']}/history")).json()["items"]
    assert history[1]["changes"] == {"f_status01": [None, "open"]}, "the hidden field's values stay hidden"
    # a read-only field may be sent back unchanged, not changed
    r = await carol.patch(f"{org.base}/records/{rec['id']}",
                          {"data": {"Title": "t2", "Status": "open"}, "expected_version": 2})
    assert r.status_code == 200, r.text
    assert "f_secret01" not in r.json()["data"]
    r = await carol.patch(f"{org.base}/records/{rec['id']}", {"data": {"Status": "Done"}, "expected_version": 3})
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "path": "$.data.Status", "message": "This field is read-only for you.", "rule": "read-only"}
    r = await carol.patch(f"{org.base}/records/{rec['id']}", {"data": {"Secret": "x"}, "expected_version": 3})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.data.Secret"
    # the hidden value survived carol's edit
    alice = await org.as_("alice")
    assert (await alice.get(f"{org.base}/records/{rec['id']}")).json()["data"]["f_secret01"] == "psst"
    carol = await org.as_("carol")
    access = (await carol.get(f"{org.base}/forms/{form_id}/access")).json()
    assert access["hidden_fields"] == ["f_secret01"]
    assert access["readonly_fields"] == ["f_secret01", "f_status01"]


async def test_rights_of_several_groups_add_up(client: AsyncTestClient[Any], demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    await org.set_everyone(app_id, forms={form_id: {"hidden_fields": ["Secret", "Notes"],
                                                    "readonly_fields": ["Amount", "Status"]}})
    # Backend also reads all, and sees Notes; it keeps Status read-only but lets Amount be edited.
    await org.add_group(app_id, {"name": "Backend", "members": {"department_ids": [org.dept("Backend")]},
                                 "rights": {"read": {"scope": "all"}, "edit": {"scope": "own"}},
                                 "forms": {form_id: {"hidden_fields": ["Secret"], "readonly_fields": ["Status"]}}})
    carol = await org.as_("carol")
    a = (await carol.get(f"{org.base}/forms/{form_id}/access")).json()
    assert a["groups"] == ["Everyone", "Backend"] and a["read_filter"] is None
    assert a["hidden_fields"] == ["f_secret01"], "hidden only where every reading group hides it"
    assert a["readonly_fields"] == ["f_secret01", "f_status01"]
    frank = await org.as_("frank")
    a = (await frank.get(f"{org.base}/forms/{form_id}/access")).json()
    assert a["hidden_fields"] == ["f_notes001", "f_secret01"]
    assert a["readonly_fields"] == ["f_amount01", "f_notes001", "f_secret01", "f_status01"]
    # a group that lets nobody read does not keep a field from those who read through another
    await org.add_group(app_id, {"name": "Writers", "members": {"member_ids": [org.member("frank")]},
                                 "rights": {"read": {"scope": "none"}, "edit": {"scope": "all"}}})
    a = (await frank.get(f"{org.base}/forms/{form_id}/access")).json()
    assert a["hidden_fields"] == ["f_notes001", "f_secret01"]
    assert a["readonly_fields"] == ["f_notes001", "f_secret01"], "Writers may edit Amount and Status"
    assert a["edit_filter"] is None


async def test_app_administrators(client: AsyncTestClient[Any], demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    await org.submit("frank", form_id, {"Title": "by frank"})
    carol = await org.as_("carol")
    assert (await carol.get(f"{org.base}/apps/{app_id}/permission-groups")).status_code == 403
    assert (await carol.post(f"{org.base}/apps/{app_id}/forms", TASKS)).status_code == 403
    await org.add_group(app_id, {"name": "Admins", "app_admin": True, "members": {"member_ids": [org.member("carol")]},
                                 "forms": {form_id: {"hidden_fields": ["Secret"]}}})
    carol = await org.as_("carol")
    assert (await carol.get(f"{org.base}/apps/{app_id}/permission-groups")).status_code == 200
    a = (await carol.get(f"{org.base}/forms/{form_id}/access")).json()
    assert a["is_app_admin"] and a["hidden_fields"] == [] and a["read_filter"] is None
    assert await org.titles("carol", form_id) == {"by frank"}
    # an app admin manages the app's forms and groups...
    r = await carol.post(f"{org.base}/forms/{form_id}/versions", {"definition": {**TASKS, "name": "Tasks 2"}})
    assert r.status_code in (200, 201), r.text
    r = await carol.post(f"{org.base}/apps/{app_id}/permission-groups",
                         {"name": "Viewers", "members": {"everyone": True}, "rights": {"read": {"scope": "all"}}})
    assert r.status_code == 201, r.text
    # ...but not other apps, nor the app itself
    other_app, other_form = await org.tasks_app()
    carol = await org.as_("carol")
    assert (await carol.get(f"{org.base}/apps/{other_app}/permission-groups")).status_code == 403
    assert not (await carol.get(f"{org.base}/forms/{other_form}/access")).json()["is_app_admin"]
    assert (await carol.delete(f"{org.base}/apps/{app_id}")).status_code == 403


async def test_apps_without_groups_run_on_the_default(client: AsyncTestClient[Any], demo: dict[str, Any],
                                                      rt: Runtime) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    async with rt.db.transaction() as conn:  # an app made before permission groups existed
        await conn.execute(permission_groups.delete().where(permission_groups.c.app_id == uuid.UUID(app_id)))
    alice = await org.as_("alice")
    r = await alice.get(f"{org.base}/apps/{app_id}/permission-groups")
    assert r.json()["items"] == [] and r.json()["implicit_default"]
    await org.submit("carol", form_id, {"Title": "by carol"})
    await org.submit("frank", form_id, {"Title": "by frank"})
    assert await org.titles("carol", form_id) == {"by carol"}
    # the first group added keeps everyone's default rights as an explicit "Everyone" group
    await org.add_group(app_id, {"name": "Finance", "members": {"role_ids": [await org.role("Finance")]},
                                 "rights": {"read": {"scope": "all"}}})
    assert [g["name"] for g in await org.groups(app_id)] == ["Everyone", "Finance"]
    assert await org.titles("carol", form_id) == {"by carol"}
    assert await org.titles("kate", form_id) == {"by carol", "by frank"}
    # an app keeps at least one group
    groups = await org.groups(app_id)
    alice = await org.as_("alice")
    assert (await alice.delete(f"{org.base}/permission-groups/{groups[0]['id']}")).status_code == 204
    r = await alice.delete(f"{org.base}/permission-groups/{groups[1]['id']}")
    assert r.status_code == 409
    assert await org.titles("carol", form_id) == set(), "only Finance is left"
    r = await (await org.as_("carol")).post(f"{org.base}/forms/{form_id}/records", {"data": {"Title": "x"}})
    assert r.status_code == 403, "only Finance may submit now"


async def test_bad_groups_are_refused_with_paths(client: AsyncTestClient[Any], demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    _, other_form = await org.tasks_app()
    alice = await org.as_("alice")
    url = f"{org.base}/apps/{app_id}/permission-groups"
    nobody = str(uuid.uuid4())
    r = await alice.post(url, {
        "name": "Bad", "members": {"member_ids": [org.member("bob"), nobody], "department_ids": [nobody],
                                   "role_ids": [nobody]},
        "rights": {"read": {"scope": "custom"}, "edit": {"scope": "own", "filter": {"field": "id", "op": "eq"}},
                   "delete": {"scope": "custom", "filter": {"field": "Amount", "op": "gt", "value": 1}}},
        "forms": {other_form: {}, "nope": {},
                  form_id: {"hidden_fields": ["Nope"], "readonly_fields": ["Title", 7],
                            "read": {"scope": "custom", "filter": {"field": "Amount", "op": "contains", "value": 1}}}}})
    assert r.status_code in (400, 422), r.text
    r = await alice.post(url, {
        "name": "Bad", "members": {"member_ids": [org.member("bob"), nobody], "department_ids": [nobody],
                                   "role_ids": [nobody]},
        "rights": {"read": {"scope": "custom"}, "edit": {"scope": "own", "filter": {"field": "id", "op": "eq"}},
                   "delete": {"scope": "custom", "filter": {"field": "Amount", "op": "gt", "value": 1}}},
        "forms": {other_form: {}, "nope": {},
                  form_id: {"hidden_fields": ["Nope"],
                            "read": {"scope": "custom", "filter": {"field": "Amount", "op": "contains", "value": 1}}}}})
    assert r.status_code == 422, r.text
    paths = {e["path"]: e["rule"] for e in r.json()["errors"]}
    assert paths["$.members.member_ids[1]"] == "exists"
    assert paths["$.members.department_ids[0]"] == "exists" and paths["$.members.role_ids[0]"] == "exists"
    assert paths["$.rights.read.filter"] == "required"
    assert paths["$.rights.edit.filter"] == "custom-only"
    assert "$.rights.delete.filter.field" in paths, "an app-wide rule names system fields only"
    assert paths[f"$.forms.{other_form}"] == "exists" and paths["$.forms.nope"] == "exists"
    assert paths[f"$.forms.{form_id}.hidden_fields[0]"] == "unknown-field"
    assert f"$.forms.{form_id}.read.filter.op" in paths
    assert [g["name"] for g in await org.groups(app_id)] == ["Everyone"], "nothing stored"
    r = await alice.post(url, {"name": "  ", "members": {}})
    assert r.status_code in (400, 422)
    r = await alice.post(url, {"name": "x", "members": {}, "rights": {"read": {"scope": "mine"}}})
    assert r.status_code in (400, 422)


async def test_organization_tokens_and_other_orgs(client: AsyncTestClient[Any], demo: dict[str, Any],
                                                  rt: Runtime) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    await org.set_everyone(app_id, forms={form_id: {"hidden_fields": ["Secret"]}})
    rec = await org.submit("carol", form_id, {"Title": "by carol"})
    alice = await org.as_("alice")
    token = await make_token(alice, org.id, kind="organization", scopes=["apps:read", "records:read"])
    client.cookies.clear()
    h = {"Authorization": f"Bearer {token['token']}"}
    r = await client.get(f"{org.base}/forms/{form_id}/records", headers=h)
    assert r.status_code == 200 and r.json()["items"][0]["id"] == rec["id"]
    r = await client.get(f"{org.base}/forms/{form_id}/access", headers=h)
    assert r.json()["is_app_admin"]
    r = await client.get(f"{org.base}/apps/{app_id}/permission-groups", headers=h)
    assert r.status_code == 200
    r = await client.post(f"{org.base}/apps/{app_id}/permission-groups", headers=h,
                          json={"name": "x", "members": {}})
    assert r.status_code == 403, "the token lacks apps:write"
    # another organization's owner sees none of it
    mallory, _ = await new_org(client, rt)
    assert (await mallory.get(f"{org.base}/apps/{app_id}/permission-groups")).status_code in (403, 404)
    groups_url = f"{org.base}/permission-groups/{(await _first_group(rt, app_id))}"
    mallory, _ = await new_org(client, rt, "Org C")
    assert (await mallory.get(groups_url)).status_code in (403, 404)
    assert (await mallory.get(f"{org.base}/forms/{form_id}/access")).status_code in (403, 404)


async def _first_group(rt: Runtime, app_id: str) -> str:
    async with rt.db.transaction(write=False) as conn:
        return str((await conn.execute(sa.select(permission_groups.c.id).where(
            permission_groups.c.app_id == uuid.UUID(app_id)))).scalar())
