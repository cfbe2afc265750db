"""Saved views: grid, kanban, calendar and gallery; personal and shared; checked with paths;
fields deleted from the form are dropped when a view is read."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from tack.runtime import Runtime
from tack.views.tables import views
from tests.access.helpers import TASKS, Org
from tests.api.helpers import make_token, new_org

GRID = {"name": "Open work", "kind": "grid", "config": {
    "filter": {"and": [{"field": "Status", "op": "eq", "value": "open"},
                       {"field": "created_at", "op": "in_period", "value": "this_month"}]},
    "sort": [{"field": "Due", "direction": "desc"}, {"field": "created_at"}],
    "columns": [{"field": "Title", "width": 240}, {"field": "f_amount01"}, {"field": "Due", "width": 120},
                {"field": "created_by"}]}}


async def test_personal_views(client: AsyncTestClient[Any], demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    _, form_id = await org.tasks_app()
    carol = await org.as_("carol")
    url = f"{org.base}/forms/{form_id}/views"
    r = await carol.post(url, GRID)
    assert r.status_code == 201, r.text
    v = r.json()
    assert not v["shared"] and v["owner_member_id"] == org.member("carol") and v["warnings"] == []
    # fields are stored by id: renaming a field never touches the view
    assert [c["field"] for c in v["config"]["columns"]] == ["f_title001", "f_amount01", "f_due00001", "created_by"]
    assert v["config"]["columns"][0]["width"] == 240 and "width" not in v["config"]["columns"][1]
    assert v["config"]["sort"] == [{"field": "f_due00001", "direction": "desc"},
                                   {"field": "created_at", "direction": "asc"}]
    assert v["config"]["filter"]["and"][0]["field"] == "f_status01"
    assert [x["id"] for x in (await carol.get(url)).json()["items"]] == [v["id"]]
    # nobody else sees a personal view, not even the owner of the organization
    for name in ("frank", "alice"):
        other = await org.as_(name)
        assert (await other.get(url)).json()["items"] == []
        assert (await other.get(f"{org.base}/views/{v['id']}")).status_code == 404
        assert (await other.patch(f"{org.base}/views/{v['id']}", {"name": "x"})).status_code == 404
        assert (await other.delete(f"{org.base}/views/{v['id']}")).status_code == 404
    carol = await org.as_("carol")
    r = await carol.patch(f"{org.base}/views/{v['id']}", {"name": "Mine", "expected_version": 1,
                                                          "config": {"columns": [{"field": "Notes"}]}})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Mine" and r.json()["version"] == 2
    assert r.json()["config"] == {"columns": [{"field": "f_notes001"}]}
    assert (await carol.patch(f"{org.base}/views/{v['id']}", {"name": "y", "expected_version": 1})).status_code == 409
    # only app admins share
    r = await carol.patch(f"{org.base}/views/{v['id']}", {"shared": True})
    assert r.status_code == 403
    assert (await carol.delete(f"{org.base}/views/{v['id']}")).status_code == 204
    assert (await carol.get(url)).json()["items"] == []


async def test_shared_views_are_for_everyone_who_reads_the_form(client: AsyncTestClient[Any],
                                                                demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    url = f"{org.base}/forms/{form_id}/views"
    carol = await org.as_("carol")
    board = {"name": "Board", "kind": "kanban", "shared": True, "config": {"group_by": "Status"}}
    assert (await carol.post(url, board)).status_code == 403, "members make personal views only"
    alice = await org.as_("alice")
    r = await alice.post(url, board)
    assert r.status_code == 201, r.text
    shared = r.json()
    assert shared["shared"] and shared["owner_member_id"] is None
    assert shared["config"]["group_by"] == "f_status01"
    r = await alice.post(url, {"name": "Calendar", "kind": "calendar", "shared": True,
                               "config": {"date_field": "Due", "end_date_field": "created_at"}})
    assert r.status_code == 201, r.text
    calendar = r.json()
    carol = await org.as_("carol")
    mine = (await carol.post(url, {"name": "Gallery", "kind": "gallery", "config": {"cover_field": "Photo"}})).json()
    assert [v["name"] for v in (await carol.get(url)).json()["items"]] == ["Board", "Calendar", "Gallery"]
    assert (await carol.patch(f"{org.base}/views/{shared['id']}", {"name": "x"})).status_code == 403
    assert (await carol.delete(f"{org.base}/views/{shared['id']}")).status_code == 403
    # a member who may not read the form's records sees no shared view
    await org.add_group(app_id, {"name": "Kiosk", "members": {"member_ids": [org.member("frank")]},
                                 "rights": {"read": {"scope": "none"}}})
    await org.set_everyone(app_id, members={"department_ids": [org.dept("Backend")]})
    frank = await org.as_("frank")
    assert (await frank.get(url)).json()["items"] == []
    assert (await frank.get(f"{org.base}/views/{shared['id']}")).status_code == 404
    assert (await frank.post(url, {"name": "Mine"})).status_code == 403
    # an app admin shares and un-shares
    await org.add_group(app_id, {"name": "Admins", "app_admin": True, "members": {"member_ids": [org.member("dan")]}})
    dan = await org.as_("dan")
    r = await dan.patch(f"{org.base}/views/{calendar['id']}", {"shared": False})
    assert r.status_code == 200 and r.json()["owner_member_id"] == org.member("dan")
    carol = await org.as_("carol")
    assert [v["name"] for v in (await carol.get(url)).json()["items"]] == ["Board", "Gallery"]
    # reorder: the named views swap their places
    r = await carol.post(f"{url}/order", {"view_ids": [mine["id"], shared["id"]]})
    assert r.status_code == 403, "moving a shared view is for app admins"
    alice = await org.as_("alice")
    r = await alice.post(f"{url}/order", {"view_ids": [shared["id"]]})
    assert r.status_code == 200
    mine2 = (await carol.post(url, {"name": "Second"})).json()
    carol = await org.as_("carol")
    r = await carol.post(f"{url}/order", {"view_ids": [mine2["id"], mine["id"]]})
    assert r.status_code == 200, r.text
    assert [v["name"] for v in r.json()["items"]] == ["Board", "Second", "Gallery"]
    r = await carol.post(f"{url}/order", {"view_ids": [mine2["id"], calendar["id"], mine2["id"]]})
    assert r.status_code == 422
    assert {e["path"] for e in r.json()["errors"]} == {"$.view_ids[1]", "$.view_ids"}


async def test_bad_views_are_refused_with_paths(client: AsyncTestClient[Any], demo: dict[str, Any],
                                                rt: Runtime) -> None:
    org = Org(client, demo)
    _, form_id = await org.tasks_app()
    url = f"{org.base}/forms/{form_id}/views"
    alice = await org.as_("alice")

    async def errors(body: dict[str, Any]) -> dict[str, str]:
        r = await alice.post(url, body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        return {e["path"]: e["rule"] for e in r.json()["errors"]}

    assert await errors({"name": "k", "kind": "kanban"}) == {"$.config.group_by": "required"}
    assert await errors({"name": "k", "kind": "kanban", "config": {"group_by": "Title"}}) == {
        "$.config.group_by": "type"}
    assert await errors({"name": "c", "kind": "calendar", "config": {"date_field": "Amount"}}) == {
        "$.config.date_field": "type"}
    assert await errors({"name": "c", "kind": "calendar"}) == {"$.config.date_field": "required"}
    assert await errors({"name": "g", "kind": "gallery", "config": {"cover_field": "Nope"}}) == {
        "$.config.cover_field": "unknown-field"}
    assert await errors({"name": "g", "kind": "grid", "config": {"group_by": "Status"}}) == {
        "$.config.group_by": "kind"}
    got = await errors({"name": "g", "config": {
        "columns": [{"field": "Title"}, {"field": "Nope"}, {"field": "More"}, {"field": "f_title001"}],
        "sort": [{"field": "Nope"}],
        "filter": {"or": [{"field": "Amount", "op": "contains", "value": 1}, {"field": "Ghost", "op": "eq"}]}}})
    assert got["$.config.columns[1].field"] == "unknown-field"
    assert got["$.config.columns[2].field"] == "type", "a section is not a column"
    assert got["$.config.columns[3].field"] == "duplicate"
    assert "$.config.sort[0].field" in got
    assert "$.config.filter.or[0].op" in got and "$.config.filter.or[1].field" in got
    for body in ({"name": "g", "kind": "table"}, {"name": ""}, {"name": "g", "config": {"columns": [{"field": "Title",
                                                                                              "width": 5}]}},
                 {"name": "g", "config": {"extra": 1}}, {"name": "g", "config": {"sort": [{"field": "Title"}] * 6}}):
        r = await alice.post(url, body)
        assert r.status_code in (400, 422), (body, r.text)
    async with rt.db.transaction(write=False) as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(views))).scalar() == 0
    # another organization's owner and a token of it reach nothing here
    mallory, other_org = await new_org(client, rt)
    assert (await mallory.post(url, {"name": "mine"})).status_code in (403, 404)
    assert (await mallory.get(url)).status_code in (403, 404)


async def test_deleted_fields_are_dropped_when_a_view_is_read(client: AsyncTestClient[Any],
                                                              demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    _, form_id = await org.tasks_app()
    url = f"{org.base}/forms/{form_id}/views"
    alice = await org.as_("alice")
    grid = (await alice.post(url, GRID)).json()
    board = (await alice.post(url, {"name": "Board", "kind": "kanban", "config": {
        "group_by": "Status", "columns": [{"field": "Title"}, {"field": "Photo"}]}})).json()
    cal = (await alice.post(url, {"name": "Cal", "kind": "calendar", "config": {"date_field": "Due"}})).json()
    # the designer deletes Status and Due and renames Title
    fields = [f for f in TASKS["fields"] if f["name"] not in ("Status", "Due")]
    fields = [{**f, "name": "Subject"} if f["name"] == "Title" else f for f in fields]
    r = await alice.post(f"{org.base}/forms/{form_id}/versions", {"definition": {**TASKS, "fields": fields}})
    assert r.status_code in (200, 201), r.text
    v = (await alice.get(f"{org.base}/views/{grid['id']}")).json()
    assert v["config"]["filter"] == {"and": [{"field": "created_at", "op": "in_period", "value": "this_month"}]}
    assert v["config"]["sort"] == [{"field": "created_at", "direction": "asc"}]
    assert [c["field"] for c in v["config"]["columns"]] == ["f_title001", "f_amount01", "created_by"]
    assert len(v["warnings"]) == 3 and all("no longer" in w for w in v["warnings"])
    b = (await alice.get(f"{org.base}/views/{board['id']}")).json()
    assert b["config"].get("group_by") is None and b["warnings"] == [
        "group_by: the field f_status01 no longer exists and was left out."]
    c = (await alice.get(f"{org.base}/views/{cal['id']}")).json()
    assert c["config"].get("date_field") is None and len(c["warnings"]) == 1
    assert len((await alice.get(url)).json()["items"]) == 3
    # saving the view again asks for what is missing
    r = await alice.patch(f"{org.base}/views/{board['id']}", {"config": {"group_by": None}})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.config.group_by"


async def test_organization_tokens_share_views(client: AsyncTestClient[Any], demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    _, form_id = await org.tasks_app()
    alice = await org.as_("alice")
    token = await make_token(alice, org.id, kind="organization", scopes=["apps:write", "records:read"])
    client.cookies.clear()
    h = {"Authorization": f"Bearer {token['token']}"}
    url = f"{org.base}/forms/{form_id}/views"
    r = await client.post(url, headers=h, json={"name": "Mine"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.shared"
    r = await client.post(url, headers=h, json={"name": "Ours", "shared": True})
    assert r.status_code == 201, r.text
    carol = await org.as_("carol")
    assert [v["name"] for v in (await carol.get(url)).json()["items"]] == ["Ours"]
    assert (await carol.get(f"{org.base}/views/{uuid.uuid4()}")).status_code == 404
