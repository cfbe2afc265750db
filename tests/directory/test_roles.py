"""Roles: named groups across departments, and who holds them."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tack.core.tables import outbox
from tack.runtime import Runtime
from tests.conftest import Api
from tests.directory.conftest import sign_in


def rurl(demo: dict[str, Any], *parts: str) -> str:
    return "/".join([f"/api/v1/orgs/{demo['org_id']}/roles", *parts])


async def test_roles_crud(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    r = await alice.get(rurl(demo))
    # (the demo's own roles, and the empty ones the one-window service template named)
    assert [(x["name"], x["member_count"]) for x in r.json()["items"]] == [
        ("CFO", 1), ("Director", 3), ("Finance", 2), ("Fire safety", 0), ("HR", 2), ("Legal", 1),
        ("Market regulation", 0), ("Purchasing", 1), ("Tax", 0)]
    r = await alice.post(rurl(demo), {"name": " Compliance ", "description": "Signs contracts"})
    assert r.status_code == 201, r.text
    legal = r.json()
    assert (legal["name"], legal["description"], legal["member_count"]) == ("Compliance", "Signs contracts", 0)
    for name in ("compliance", "FINANCE"):
        r = await alice.post(rurl(demo), {"name": name})
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.name", name
        assert r.json()["errors"][0]["rule"] == "unique"
    for bad in ({}, {"name": ""}, {"name": " "}, {"name": "x", "description": "y" * 2001}, {"name": "x", "k": 1}):
        assert (await alice.post(rurl(demo), bad)).status_code == 400, bad

    r = await alice.patch(rurl(demo, legal["id"]), {"name": "Legal & Compliance", "description": None})
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["description"]) == ("Legal & Compliance", None)
    r = await alice.patch(rurl(demo, legal["id"]), {"name": "hr"})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "unique"
    r = await alice.patch(rurl(demo, legal["id"]), {"name": "legal & compliance"})
    assert r.status_code == 200, "a new letter case of its own name is fine"
    r = await alice.get(rurl(demo, legal["id"]))
    assert r.json()["name"] == "legal & compliance"
    assert (await alice.get(rurl(demo, str(uuid.uuid4())))).status_code == 404
    assert (await alice.patch(rurl(demo, str(uuid.uuid4())), {"name": "Nope"})).status_code == 404

    # delete takes the holders with it; events say so
    await alice.post(rurl(demo, legal["id"], "members"), {"member_ids": [demo["members"]["kate@example.com"]]})
    r = await alice.delete(rurl(demo, legal["id"]))
    assert r.status_code == 204
    assert (await alice.get(rurl(demo, legal["id"]))).status_code == 404
    assert (await alice.get(rurl(demo, legal["id"], "members"))).status_code == 404
    assert (await alice.delete(rurl(demo, legal["id"]))).status_code == 404
    r = await alice.post(rurl(demo), {"name": "Legal & Compliance"})
    assert r.status_code == 201, "the name is free again"
    async with rt.db.transaction(write=False) as conn:
        types = (await conn.execute(sa.select(outbox.c.type).where(outbox.c.subject == legal["id"])
                                    .order_by(outbox.c.id))).scalars().all()
    assert types == ["role.created", "role.updated", "role.updated", "role.members_changed", "role.deleted"]


async def test_role_membership(alice: Api, demo: dict[str, Any]) -> None:
    mid, did = demo["members"], demo["departments"]
    r = await alice.post(rurl(demo), {"name": "Safety"})
    safety = r.json()["id"]
    members_url = rurl(demo, safety, "members")
    henry, carol, emma = mid["henry@example.com"], mid["carol@example.com"], mid["emma@example.com"]
    r = await alice.post(members_url, {"member_ids": [henry, carol, henry]})
    assert r.status_code == 204
    r = await alice.post(members_url, {"member_ids": [carol, emma]})
    assert r.status_code == 204, "adding a holder again is a no-op"
    r = await alice.get(members_url)
    assert [m["name"] for m in r.json()["items"]] == ["Carol Wang", "Emma Liu", "Henry Wu"]
    r = await alice.get(rurl(demo, safety))
    assert r.json()["member_count"] == 3
    r = await alice.post(members_url, {"member_ids": [emma, str(uuid.uuid4())]})
    assert r.status_code == 422 and [e["path"] for e in r.json()["errors"]] == ["$.member_ids[1]"]
    assert (await alice.post(members_url, {"member_ids": []})).status_code == 400
    # within a department subtree, with or without sub-departments
    r = await alice.get(members_url, params={"department_id": did["Engineering"]})
    assert [m["name"] for m in r.json()["items"]] == ["Carol Wang", "Emma Liu"]
    r = await alice.get(members_url, params={"department_id": did["Engineering"], "include_descendants": "false"})
    assert r.json()["items"] == []
    r = await alice.get(members_url, params={"department_id": did["Sales East"], "include_descendants": "false"})
    assert [m["name"] for m in r.json()["items"]] == ["Henry Wu"]
    # paging through holders
    r = await alice.get(members_url, params={"limit": 2})
    page = r.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    r = await alice.get(members_url, params={"limit": 2, "cursor": page["next_cursor"]})
    assert [m["name"] for m in r.json()["items"]] == ["Henry Wu"] and r.json()["next_cursor"] is None
    # take it away
    r = await alice.delete(rurl(demo, safety, "members", henry))
    assert r.status_code == 204
    r = await alice.delete(rurl(demo, safety, "members", henry))
    assert r.status_code == 404 and r.json()["type"].endswith("/not-found")
    # a deactivated holder keeps the role but is not counted or listed
    await alice.post(f"/api/v1/orgs/{demo['org_id']}/members/{carol}/deactivate")
    assert (await alice.get(rurl(demo, safety))).json()["member_count"] == 1
    assert [m["name"] for m in (await alice.get(members_url)).json()["items"]] == ["Emma Liu"]
    await alice.post(f"/api/v1/orgs/{demo['org_id']}/members/{carol}/reactivate")
    assert (await alice.get(rurl(demo, safety))).json()["member_count"] == 2
    r = await alice.get(f"/api/v1/orgs/{demo['org_id']}/audit", params={"limit": 200})
    mine = [e["action"] for e in r.json()["items"] if e["subject_id"] == safety][::-1]
    assert mine == ["role.created", "role.members_added", "role.members_added", "role.member_removed"]


async def test_who_may_change_roles(client: Any, demo: dict[str, Any]) -> None:
    roles = (await (await sign_in(client, "carol@example.com")).get(rurl(demo))).json()["items"]
    finance = next(r["id"] for r in roles if r["name"] == "Finance")
    for email, allowed in (("carol@example.com", False), ("grace@example.com", False), ("leo@example.com", True)):
        api = await sign_in(client, email)
        assert (await api.get(rurl(demo, finance, "members"))).status_code == 200, "everyone reads roles"
        r = await api.post(rurl(demo), {"name": f"By {email}"})
        assert r.status_code == (201 if allowed else 403), email
        if not allowed:
            assert r.headers["content-type"].startswith("application/problem+json")
            r = await api.post(rurl(demo, finance, "members"), {"member_ids": [demo["members"]["henry@example.com"]]})
            assert r.status_code == 403
            assert (await api.delete(rurl(demo, finance))).status_code == 403
    alice = await sign_in(client, "alice@example.com")
    r = await alice.get(rurl(demo, finance, "members"))
    assert [m["name"] for m in r.json()["items"]] == ["Jack Ma", "Kate Huang"], "refused changes changed nothing"
