"""The directory through the API, as the web app and programs use it."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, new_email


async def test_build_org_chart(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    root = (await alice.get(f"/api/v1/orgs/{org}")).json()["root_department_id"]
    r = await alice.post(f"/api/v1/orgs/{org}/departments", {"name": "Research", "parent_id": root})
    assert r.status_code == 201, r.text
    research = r.json()
    r = await alice.post(f"/api/v1/orgs/{org}/departments", {"name": "Labs", "parent_id": research["id"]})
    labs = r.json()
    # a member in two departments, with a manager
    r = await alice.post(f"/api/v1/orgs/{org}/members", {
        "name": "Nina Park", "email": new_email(), "job_title": "Scientist",
        "department_ids": [labs["id"], demo["departments"]["Engineering"]],
        "manager_id": demo["members"]["bob@example.com"]})
    assert r.status_code == 201, r.text
    nina = r.json()
    assert set(nina["department_ids"]) == {labs["id"], demo["departments"]["Engineering"]}
    # she is listed under Research when sub-departments are included, not without
    r = await alice.get(f"/api/v1/orgs/{org}/members", params={"department_id": research["id"],
                                                               "include_descendants": "true"})
    assert [m["id"] for m in r.json()["items"]] == [nina["id"]]
    r = await alice.get(f"/api/v1/orgs/{org}/members", params={"department_id": research["id"]})
    assert r.json()["items"] == []
    # move Labs under Engineering: the subtree follows
    r = await alice.patch(f"/api/v1/orgs/{org}/departments/{labs['id']}",
                          {"parent_id": demo["departments"]["Engineering"], "position": 0})
    assert r.status_code == 200, r.text
    assert r.json()["parent_id"] == demo["departments"]["Engineering"] and r.json()["position"] == 0
    r = await alice.get(f"/api/v1/orgs/{org}/members", params={
        "department_id": demo["departments"]["Engineering"], "include_descendants": "true", "limit": 200})
    assert nina["id"] in [m["id"] for m in r.json()["items"]]
    # a department cannot move under its own child
    r = await alice.patch(f"/api/v1/orgs/{org}/departments/{demo['departments']['Engineering']}",
                          {"parent_id": labs["id"]})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["path"] == "$.parent_id" and r.json()["errors"][0]["rule"] == "no-cycle"
    # heads, then the heads query with ancestors
    r = await alice.put(f"/api/v1/orgs/{org}/departments/{labs['id']}/heads", {"member_ids": [nina["id"]]})
    assert r.json()["head_ids"] == [nina["id"]]
    r = await alice.get(f"/api/v1/orgs/{org}/departments/{labs['id']}/heads", params={"include_ancestors": "true"})
    names = [m["name"] for m in r.json()["items"]]
    assert names == ["Nina Park", "Bob Li"], "nearest first: Labs, then Engineering (the root has no head)"
    # deleting a department with members is refused and changes nothing
    r = await alice.delete(f"/api/v1/orgs/{org}/departments/{labs['id']}")
    assert r.status_code == 409
    r = await alice.delete(f"/api/v1/orgs/{org}/departments/{research['id']}")
    assert r.status_code == 204


async def test_deactivate_keeps_history(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    carol = demo["members"]["carol@example.com"]
    r = await alice.post(f"/api/v1/orgs/{org}/members/{carol}/deactivate")
    assert r.status_code == 200 and r.json()["status"] == "inactive"
    assert r.json()["department_ids"], "departments are kept"
    r = await alice.get(f"/api/v1/orgs/{org}/members", params={"q": "carol"})
    assert r.json()["items"] == []
    r = await alice.get(f"/api/v1/orgs/{org}/members", params={"q": "carol", "status": "inactive"})
    assert [m["id"] for m in r.json()["items"]] == [carol]
    r = await alice.get(f"/api/v1/orgs/{org}/audit")
    assert r.json()["items"][0]["action"] == "member.deactivated"
    assert r.json()["items"][0]["actor_name"] == "Alice Chen"


async def test_search_ignores_case_beyond_ascii(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    r = await alice.post(f"/api/v1/orgs/{org}/members", {"name": "Élodie Ørsted", "email": new_email()})
    assert r.status_code == 201, r.text
    for q in ("élodie", "ÉLODIE", "ørsted"):
        r = await alice.get(f"/api/v1/orgs/{org}/members", params={"q": q})
        assert [m["name"] for m in r.json()["items"]] == ["Élodie Ørsted"], q
