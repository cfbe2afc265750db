"""Which records members reach for reading, editing and deleting, per permission group: their
own, their department's, their department and below, all, or a custom filter."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.access.helpers import Org

# Who submits what in these tests (demo departments: carol and dan in Backend, frank in
# Frontend (both under Engineering), henry in Sales East (under Sales), kate in Finance).
SUBMITTERS = {"carol": 50, "dan": 500, "frank": 5000, "henry": 20, "kate": 200}


async def _submitted(org: Org, form_id: str) -> dict[str, dict[str, Any]]:
    return {n: await org.submit(n, form_id, {"Title": f"by {n}", "Amount": amount})
            for n, amount in SUBMITTERS.items()}


def _by(*names: str) -> set[str]:
    return {f"by {n}" for n in names}


async def test_a_new_app_lets_everyone_submit_and_reach_their_own_records(client: AsyncTestClient[Any],
                                                                         demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    groups = await org.groups(app_id)
    assert [(g["name"], g["members"]["everyone"], g["rights"]["read"]["scope"]) for g in groups] == [
        ("Everyone", True, "own")]
    recs = await _submitted(org, form_id)
    assert recs["carol"]["owner_department_id"] == org.dept("Backend"), "the submitter's department"
    assert await org.titles("carol", form_id) == _by("carol")
    assert await org.titles("frank", form_id) == _by("frank")
    # an org admin (leo) and the owner see everything
    assert await org.titles("leo", form_id) == _by(*SUBMITTERS)
    assert await org.titles("alice", form_id) == _by(*SUBMITTERS)
    frank = await org.as_("frank")
    url = f"{org.base}/records/{recs['carol']['id']}"
    assert (await frank.get(url)).status_code == 404, "outside the read scope a record does not exist"
    assert (await frank.patch(url, {"data": {"Title": "x"}, "expected_version": 1})).status_code == 404
    assert (await frank.delete(url)).status_code == 404
    assert (await frank.get(f"{url}/history")).status_code == 404
    assert (await frank.get(f"{url}/comments")).status_code == 404
    assert (await frank.post(f"{url}/comments", {"body": "hi"})).status_code == 404
    carol = await org.as_("carol")
    r = await carol.patch(url, {"data": {"Title": "by carol, edited"}, "expected_version": 1})
    assert r.status_code == 200, r.text
    assert (await carol.delete(url)).status_code == 200
    assert (await carol.post(f"{url}/restore")).status_code == 200
    r = await carol.get(f"{org.base}/forms/{form_id}/access")
    assert r.json()["can_submit"] and r.json()["read_filter"] == {"field": "created_by", "op": "is_me"}
    assert r.json()["groups"] == ["Everyone"] and not r.json()["is_app_admin"]


async def test_department_and_department_and_below_scopes(client: AsyncTestClient[Any],
                                                          demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    await _submitted(org, form_id)
    # Engineering and its sub-departments read their own department's records...
    await org.add_group(app_id, {"name": "Engineers", "members": {"department_ids": [org.dept("Engineering")]},
                                 "rights": {"read": {"scope": "department"}}})
    # ...directors read their department and everything below it.
    await org.add_group(app_id, {"name": "Directors", "members": {"role_ids": [await org.role("Director")]},
                                 "rights": {"read": {"scope": "department_and_below"}}})
    assert await org.titles("dan", form_id) == _by("carol", "dan"), "Backend's records"
    assert await org.titles("emma", form_id) == _by("frank"), "Frontend's records"
    assert await org.titles("bob", form_id) == _by("carol", "dan", "frank"), "Engineering and below"
    assert await org.titles("grace", form_id) == _by("henry"), "Sales and below"
    assert await org.titles("henry", form_id) == _by("henry"), "not an engineer: own records only"
    # without sub-departments the Engineering group no longer reaches Backend's people
    engineers = next(g for g in await org.groups(app_id) if g["name"] == "Engineers")
    alice = await org.as_("alice")
    r = await alice.patch(f"{org.base}/permission-groups/{engineers['id']}",
                          {"members": {"department_ids": [org.dept("Engineering")], "include_sub_departments": False},
                           "expected_version": engineers["version"]})
    assert r.status_code == 200, r.text
    assert await org.titles("dan", form_id) == _by("dan")
    r = await alice.patch(f"{org.base}/permission-groups/{engineers['id']}", {"name": "stale", "expected_version": 1})
    assert r.status_code == 409


async def test_all_and_custom_scopes(client: AsyncTestClient[Any], demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    await _submitted(org, form_id)
    await org.add_group(app_id, {"name": "Finance", "members": {"role_ids": [await org.role("Finance")]},
                                 "rights": {"read": {"scope": "all"}}})
    # a custom scope on the form's own field lives in the form's rules (by name; stored by id)
    g = await org.add_group(app_id, {"name": "Big tickets", "members": {"member_ids": [org.member("mia")]},
                                     "rights": {"read": {"scope": "none"}},
                                     "forms": {form_id: {"read": {"scope": "custom", "filter": {
                                         "field": "Amount", "op": "ge", "value": 500}}}}})
    assert g["forms"][form_id]["read"]["filter"]["field"] == "f_amount01"
    # an app-wide custom scope may name system fields: records of the submitter's departments
    await org.add_group(app_id, {"name": "Sales", "members": {"department_ids": [org.dept("Sales")]},
                                 "rights": {"read": {"scope": "custom", "filter": {"or": [
                                     {"field": "owner_department", "op": "in_my_departments_and_below"},
                                     {"field": "created_by", "op": "is_me"}]}}}})
    assert await org.titles("kate", form_id) == _by(*SUBMITTERS)
    assert await org.titles("jack", form_id) == _by(*SUBMITTERS), "Finance by role"
    assert await org.titles("mia", form_id) == _by("dan", "frank")
    assert await org.titles("grace", form_id) == _by("henry")
    mia = await org.as_("mia")
    r = await mia.get(f"{org.base}/forms/{form_id}/access")
    assert r.json()["read_filter"]["or"][1] == {"field": "f_amount01", "op": "ge", "value": 500}


async def test_edit_and_delete_scopes(client: AsyncTestClient[Any], demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    recs = await _submitted(org, form_id)
    await org.set_everyone(app_id, rights={"read": {"scope": "all"}, "edit": {"scope": "own"},
                                           "delete": {"scope": "none"}})
    await org.add_group(app_id, {"name": "Leads", "members": {"member_ids": [org.member("dan")]},
                                 "rights": {"can_submit": False, "read": {"scope": "none"},
                                            "edit": {"scope": "department"},
                                            "delete": {"scope": "department_and_below"}}})
    frank = await org.as_("frank")
    carol_url = f"{org.base}/records/{recs['carol']['id']}"
    assert (await frank.get(carol_url)).status_code == 200, "everyone reads all"
    r = await frank.patch(carol_url, {"data": {"Title": "mine now"}, "expected_version": 1})
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert (await frank.delete(carol_url)).status_code == 403
    carol = await org.as_("carol")
    assert (await carol.patch(carol_url, {"data": {"Amount": 51}, "expected_version": 1})).status_code == 200
    assert (await carol.delete(carol_url)).status_code == 403, "nobody in Everyone may delete"
    dan = await org.as_("dan")
    assert (await dan.patch(carol_url, {"data": {"Amount": 52}, "expected_version": 2})).status_code == 200
    assert (await dan.delete(carol_url)).status_code == 200, "dan deletes in his department"
    frank_url = f"{org.base}/records/{recs['frank']['id']}"
    assert (await dan.patch(frank_url, {"data": {"Amount": 1}, "expected_version": 1})).status_code == 403
    assert (await dan.delete(frank_url)).status_code == 403
    # restoring needs the delete scope too
    assert (await carol.post(f"{carol_url}/restore")).status_code == 403
    assert (await dan.post(f"{carol_url}/restore")).status_code == 200
    assert (await org.titles("carol", form_id)) == _by(*SUBMITTERS)


async def test_who_may_submit(client: AsyncTestClient[Any], demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    await org.set_everyone(app_id, rights={"can_submit": False, "read": {"scope": "all"}})
    await org.add_group(app_id, {"name": "Sales", "members": {"department_ids": [org.dept("Sales")]}})
    frank = await org.as_("frank")
    r = await frank.post(f"{org.base}/forms/{form_id}/records", {"data": {"Title": "no"}})
    assert r.status_code == 403
    r = await frank.post(f"{org.base}/forms/{form_id}/records/bulk", {"items": [{"data": {"Title": "no"}}],
                                                                       "mode": "per_item"})
    assert r.json()["results"][0]["status"] == 403
    assert not (await frank.get(f"{org.base}/forms/{form_id}/access")).json()["can_submit"]
    await org.submit("henry", form_id, {"Title": "yes"})
    assert await org.titles("frank", form_id) == {"yes"}


async def test_submit_only_members_get_their_submission_back(client: AsyncTestClient[Any],
                                                             demo: dict[str, Any]) -> None:
    """A visitor kiosk: may submit, may read nothing back afterwards."""
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    await org.set_everyone(app_id, rights={"can_submit": True, "read": {"scope": "none"},
                                           "edit": {"scope": "none"}, "delete": {"scope": "none"}})
    rec = await org.submit("henry", form_id, {"Title": "visitor"})
    assert rec["data"]["f_title001"] == "visitor"
    henry = await org.as_("henry")
    assert (await henry.get(f"{org.base}/records/{rec['id']}")).status_code == 404
    assert await org.titles("henry", form_id) == set()
    access = (await henry.get(f"{org.base}/forms/{form_id}/access")).json()
    assert access["can_submit"] and not access["can_read"] and not access["can_edit"]


async def test_queries_and_views_stay_within_the_read_scope(client: AsyncTestClient[Any],
                                                            demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    await _submitted(org, form_id)
    await org.set_everyone(app_id, rights={"read": {"scope": "department_and_below"}},
                           forms={form_id: {"hidden_fields": ["Amount"]}})
    alice = await org.as_("alice")
    r = await alice.post(f"{org.base}/forms/{form_id}/views", {"name": "Big", "shared": True, "config": {
        "filter": {"field": "Amount", "op": "ge", "value": 100}, "sort": [{"field": "Amount", "direction": "desc"}]}})
    assert r.status_code == 201, r.text
    view_id = r.json()["id"]
    bob = await org.as_("bob")
    url = f"{org.base}/forms/{form_id}/records/query"
    r = await bob.post(url, {"view_id": view_id, "count": True})
    assert r.status_code == 200, r.text
    assert [i["data"]["f_title001"] for i in r.json()["items"]] == ["by frank", "by dan"]
    assert all("f_amount01" not in i["data"] for i in r.json()["items"])
    assert r.json()["count"]["value"] == 2
    r = await bob.post(url, {"filter": {"field": "Title", "op": "starts_with", "value": "by"}})
    assert {i["data"]["f_title001"] for i in r.json()["items"]} == _by("carol", "dan", "frank")


async def test_a_custom_rule_whose_field_is_deleted_reaches_nothing(client: AsyncTestClient[Any],
                                                                    demo: dict[str, Any]) -> None:
    from tests.access.helpers import TASKS

    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    await _submitted(org, form_id)
    await org.add_group(app_id, {"name": "Big tickets", "members": {"member_ids": [org.member("mia")]},
                                 "forms": {form_id: {"read": {"scope": "custom", "filter": {
                                     "or": [{"field": "Amount", "op": "ge", "value": 500},
                                            {"field": "Title", "op": "eq", "value": "by kate"}]}}}}})
    assert await org.titles("mia", form_id) == _by("dan", "frank", "kate")
    alice = await org.as_("alice")
    fields = [f for f in TASKS["fields"] if f["name"] != "Amount"]
    r = await alice.post(f"{org.base}/forms/{form_id}/versions", {"definition": {**TASKS, "fields": fields}})
    assert r.status_code in (200, 201), r.text
    assert await org.titles("mia", form_id) == _by("kate"), "the rule's other part still holds"
    mia = await org.as_("mia")
    r = await mia.post(f"{org.base}/forms/{form_id}/records/query", {})
    assert r.status_code == 200 and {i["data"]["f_title001"] for i in r.json()["items"]} == _by("kate")
