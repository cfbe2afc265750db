"""Members: adding people (new and existing users), profiles, departments, managers, employee
numbers, deactivation, listing with filters and keyset pages, and admin roles."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tack.directory.tables import users
from tack.runtime import Runtime
from tests.conftest import Api, new_email
from tests.directory.conftest import sign_in


def murl(demo: dict[str, Any], *parts: str) -> str:
    return "/".join([f"/api/v1/orgs/{demo['org_id']}/members", *parts])


async def user_count(rt: Runtime) -> int:
    async with rt.db.transaction(write=False) as conn:
        return (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one()


async def test_add_member_with_unknown_email_creates_user_without_password(
        alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    did = demo["departments"]
    email = new_email()
    before = await user_count(rt)
    r = await alice.post(murl(demo), {"name": "  Nina Park ", "email": email.upper(), "phone": "+86 138 0000 0000",
                                      "job_title": "Designer", "employee_no": "E-100",
                                      "department_ids": [did["Frontend"]],
                                      "manager_id": demo["members"]["emma@example.com"]})
    assert r.status_code == 201, r.text
    nina = r.json()
    assert nina["name"] == "Nina Park" and nina["email"] == email, "trimmed name, lower-cased email"
    assert nina["status"] == "active" and nina["admin_role"] == "member"
    assert nina["department_ids"] == [did["Frontend"]] and nina["manager_id"] == demo["members"]["emma@example.com"]
    assert await user_count(rt) == before + 1
    async with rt.db.transaction(write=False) as conn:
        row = (await conn.execute(sa.select(users).where(users.c.email == email))).mappings().one()
    assert row["password_hash"] is None
    r = await alice.client.post("/api/v1/auth/sign-in", json={"email": email, "password": "anything-at-all"})
    assert r.status_code == 401, "no password yet: she sets one through the reset link"
    # without departments she lands in the root
    alice = await sign_in(alice.client, "alice@example.com")
    r = await alice.post(murl(demo), {"name": "Otto", "email": new_email()})
    assert r.status_code == 201 and r.json()["department_ids"] == [did["Demo Co."]]
    # the same person twice is refused, in any letter case
    r = await alice.post(murl(demo), {"name": "Nina again", "email": email.title()})
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "path": "$.email", "message": "This person is already a member of the organization.", "rule": "unique"}
    for bad, path in (({"name": "X", "email": new_email(), "department_ids": [str(uuid.uuid4())]}, "$.department_ids[0]"),
                      ({"name": "X", "email": new_email(), "manager_id": str(uuid.uuid4())}, "$.manager_id")):
        before = await user_count(rt)
        r = await alice.post(murl(demo), bad)
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == path
        assert await user_count(rt) == before, "a refused add creates no user"
    for bad in ({"name": "X"}, {"name": "X", "email": "not-an-email"}, {"name": "", "email": new_email()},
                {"name": "X", "email": new_email(), "phone": "call me"}, {"name": "X", "email": new_email(), "age": 3}):
        r = await alice.post(murl(demo), bad)
        assert r.status_code == 400, bad
        assert r.json()["errors"], bad


async def test_person_in_two_orgs(client: Any, demo: dict[str, Any], rt: Runtime) -> None:
    bob = await sign_in(client, "bob@example.com")
    r = await bob.post("/api/v1/orgs", {"name": "Bob's Bakery", "time_zone": "Europe/Paris"})
    assert r.status_code == 201, r.text
    bakery = r.json()
    before = await user_count(rt)
    r = await bob.post(f"/api/v1/orgs/{bakery['id']}/members", {"name": "Alice (baker)", "email": "alice@example.com"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "Alice (baker)", "each org has its own view of the person"
    assert await user_count(rt) == before, "an existing user joins without a new user row"

    alice = await sign_in(client, "alice@example.com")
    me = (await alice.get("/api/v1/me")).json()
    assert {m["org_name"]: m["admin_role"] for m in me["memberships"]} == {"Demo Co.": "owner",
                                                                            "Bob's Bakery": "member"}
    r = await alice.patch("/api/v1/me", {"last_org_id": bakery["id"]})
    assert r.status_code == 200 and r.json()["user"]["last_org_id"] == bakery["id"]
    r = await alice.get(f"/api/v1/orgs/{bakery['id']}/members")
    assert {m["name"] for m in r.json()["items"]} == {"Bob Li", "Alice (baker)"}
    r = await alice.post(f"/api/v1/orgs/{bakery['id']}/departments",
                         {"name": "Ovens", "parent_id": bakery["root_department_id"]})
    assert r.status_code == 403, "a plain member there, whatever she is at home"
    # switching to an org she does not belong to is refused
    carol = await sign_in(client, "carol@example.com")
    r = await carol.patch("/api/v1/me", {"last_org_id": bakery["id"]})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.last_org_id"
    r = await carol.get(f"/api/v1/orgs/{bakery['id']}/members")
    assert r.status_code == 404


async def test_edit_profile_and_departments(alice: Api, demo: dict[str, Any]) -> None:
    did, carol = demo["departments"], demo["members"]["carol@example.com"]
    r = await alice.patch(murl(demo, carol), {"name": "Carol W.", "job_title": "Staff Engineer",
                                              "phone": "+1 555 0100"})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["job_title"], r.json()["phone"]) == ("Carol W.", "Staff Engineer", "+1 555 0100")
    r = await alice.patch(murl(demo, carol), {"job_title": None, "phone": None})
    assert r.json()["job_title"] is None and r.json()["phone"] is None and r.json()["name"] == "Carol W."
    r = await alice.patch(murl(demo, carol), {"department_ids": [did["Backend"], did["Frontend"], did["Backend"]]})
    assert sorted(r.json()["department_ids"]) == sorted([did["Backend"], did["Frontend"]])
    for dept in ("Backend", "Frontend"):
        r = await alice.get(murl(demo), params={"department_id": did[dept]})
        assert carol in [m["id"] for m in r.json()["items"]], dept
    r = await alice.get(f"/api/v1/orgs/{demo['org_id']}/departments/{did['Frontend']}")
    assert r.json()["member_count"] == 3
    r = await alice.patch(murl(demo, carol), {"department_ids": [did["Frontend"]]})
    assert r.json()["department_ids"] == [did["Frontend"]]
    r = await alice.patch(murl(demo, carol), {"department_ids": []})
    assert r.json()["department_ids"] == [did["Demo Co."]], "nobody is left outside the tree"
    r = await alice.patch(murl(demo, carol), {"department_ids": [str(uuid.uuid4())]})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.department_ids[0]"
    r = await alice.patch(murl(demo, str(uuid.uuid4())), {"name": "Nobody"})
    assert r.status_code == 404
    r = await alice.get(f"/api/v1/orgs/{demo['org_id']}/audit", params={"action": "member.updated"})
    first = [e for e in r.json()["items"] if e["subject_id"] == carol and "name" in e["data"]][-1]
    assert first["data"]["name"] == {"from": "Carol Wang", "to": "Carol W."}


async def test_manager_rules(alice: Api, demo: dict[str, Any]) -> None:
    mid = demo["members"]
    alice_id, carol, dan = mid["alice@example.com"], mid["carol@example.com"], mid["dan@example.com"]
    cases = [
        (alice_id, carol, "no-cycle"),  # carol > dan > bob > alice: a loop
        (dan, carol, "no-cycle"),
        (carol, carol, "no-cycle"),
        (carol, str(uuid.uuid4()), "exists"),
    ]
    for member, manager, rule in cases:
        r = await alice.patch(murl(demo, member), {"manager_id": manager})
        assert r.status_code == 422, (member, manager)
        assert r.json()["errors"][0]["path"] == "$.manager_id" and r.json()["errors"][0]["rule"] == rule
    r = await alice.get(murl(demo, alice_id))
    assert r.json()["manager_id"] is None
    # a deactivated person cannot become a manager
    await alice.post(murl(demo, mid["frank@example.com"], "deactivate"))
    r = await alice.patch(murl(demo, carol), {"manager_id": mid["frank@example.com"]})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "active"
    # a legal move, and clearing the manager
    r = await alice.patch(murl(demo, carol), {"manager_id": mid["emma@example.com"]})
    assert r.status_code == 200 and r.json()["manager_id"] == mid["emma@example.com"]
    r = await alice.patch(murl(demo, dan), {"manager_id": carol})
    assert r.status_code == 200, "dan is no longer above carol"
    r = await alice.patch(murl(demo, carol), {"manager_id": None})
    assert r.json()["manager_id"] is None


async def test_employee_no_unique(alice: Api, demo: dict[str, Any]) -> None:
    mid = demo["members"]
    r = await alice.patch(murl(demo, mid["bob@example.com"]), {"employee_no": "E-001"})
    assert r.status_code == 200 and r.json()["employee_no"] == "E-001"
    r = await alice.patch(murl(demo, mid["bob@example.com"]), {"employee_no": "E-001"})
    assert r.status_code == 200, "keeping your own number is fine"
    r = await alice.patch(murl(demo, mid["carol@example.com"]), {"employee_no": "E-001"})
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "path": "$.employee_no", "message": "Another member has this employee number.", "rule": "unique"}
    r = await alice.post(murl(demo), {"name": "New", "email": new_email(), "employee_no": "E-001"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.employee_no"
    # many members without a number; a freed number can be reused
    r = await alice.patch(murl(demo, mid["bob@example.com"]), {"employee_no": None})
    assert r.status_code == 200 and r.json()["employee_no"] is None
    r = await alice.patch(murl(demo, mid["carol@example.com"]), {"employee_no": "E-001"})
    assert r.status_code == 200
    r = await alice.get(murl(demo), params={"q": "e-001"})
    assert [m["id"] for m in r.json()["items"]] == [mid["carol@example.com"]]
    for bad in (" E-1", "E-1 ", "", "x" * 65):
        r = await alice.patch(murl(demo, mid["dan@example.com"]), {"employee_no": bad})
        assert r.status_code == 400, bad


async def test_deactivate_and_reactivate(client: Any, demo: dict[str, Any]) -> None:
    org, mid = demo["org_id"], demo["members"]
    carol_id = mid["carol@example.com"]
    carol = await sign_in(client, "carol@example.com")
    r = await carol.post(f"/api/v1/orgs/{org}/tokens", {"name": "script", "scopes": ["directory:read"]})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert (await client.get(f"/api/v1/orgs/{org}/members", headers=auth)).status_code == 200

    alice = await sign_in(client, "alice@example.com")
    r = await alice.post(murl(demo, carol_id, "deactivate"))
    assert r.status_code == 200 and r.json()["status"] == "inactive"
    r = await alice.post(murl(demo, carol_id, "deactivate"))
    assert r.status_code == 200, "deactivating twice changes nothing"
    assert (await client.get(f"/api/v1/orgs/{org}/members", headers=auth)).status_code == 401, \
        "her personal tokens stop working"
    carol = await sign_in(client, "carol@example.com")  # she can still sign in (she may belong to other orgs)
    r = await carol.get(f"/api/v1/orgs/{org}")
    assert r.status_code == 404 and r.json()["type"].endswith("/not-found")
    assert (await carol.get(f"/api/v1/orgs/{org}/members")).status_code == 404
    assert (await carol.get("/api/v1/me")).json()["memberships"] == []
    # history is kept: she is still readable, with her departments and manager, and in the audit
    alice = await sign_in(client, "alice@example.com")
    r = await alice.get(murl(demo, carol_id))
    assert r.json()["status"] == "inactive" and r.json()["department_ids"] == [demo["departments"]["Backend"]]
    assert r.json()["manager_id"] == mid["dan@example.com"]
    r = await alice.get(f"/api/v1/orgs/{org}/departments/{demo['departments']['Backend']}")
    assert r.json()["member_count"] == 1, "only active members count"
    # the owner cannot be deactivated; the admin cannot deactivate themselves out of the owner's way
    r = await alice.post(murl(demo, mid["alice@example.com"], "deactivate"))
    assert r.status_code == 409
    # back again: access returns, the revoked token stays revoked
    r = await alice.post(murl(demo, carol_id, "reactivate"))
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert (await client.get(f"/api/v1/orgs/{org}/members", headers=auth)).status_code == 401
    carol = await sign_in(client, "carol@example.com")
    assert (await carol.get(f"/api/v1/orgs/{org}/members")).status_code == 200
    r = await alice.client.get(f"/api/v1/orgs/{org}/audit")  # carol's session: not an owner
    assert r.status_code == 403
    alice = await sign_in(client, "alice@example.com")
    actions = [e["action"] for e in (await alice.get(f"/api/v1/orgs/{org}/audit")).json()["items"][:3]]
    assert actions[:2] == ["member.reactivated", "member.deactivated"]


async def test_list_filters(alice: Api, demo: dict[str, Any]) -> None:
    did, mid = demo["departments"], demo["members"]

    async def names(**params: Any) -> list[str]:
        r = await alice.get(murl(demo), params={"limit": 200, **params})
        assert r.status_code == 200, r.text
        return [m["name"] for m in r.json()["items"]]

    everyone = await names()
    assert len(everyone) == 14
    assert await names(q="CAROL") == ["Carol Wang"]
    assert await names(q="frank@example") == ["Frank Sun"]
    assert await names(q="account manager") == ["Henry Wu", "Iris Xu"]
    assert await names(q="王") == ["王芳"]
    assert await names(q="%") == [] and await names(q="_") == [], "LIKE wildcards are matched literally"
    assert await names(department_id=did["Engineering"]) == ["Bob Li"]
    assert await names(department_id=did["Engineering"], include_descendants="true") == [
        "Bob Li", "Carol Wang", "Dan Zhao", "Emma Liu", "Frank Sun"]
    assert len(await names(department_id=did["Demo Co."], include_descendants="true")) == 14
    role_ids = {r["name"]: r["id"] for r in (await alice.get(f"/api/v1/orgs/{demo['org_id']}/roles")).json()["items"]}
    assert await names(role_id=role_ids["Director"]) == ["Bob Li", "Grace Zhou", "Jack Ma"]
    assert await names(role_id=role_ids["Director"], department_id=did["Sales"]) == ["Grace Zhou"]
    assert await names(role_id=role_ids["Director"], q="jack") == ["Jack Ma"]
    await alice.post(murl(demo, mid["iris@example.com"], "deactivate"))
    assert await names(q="account manager") == ["Henry Wu"]
    assert await names(q="account manager", status="inactive") == ["Iris Xu"]
    assert await names(q="account manager", status="all") == ["Henry Wu", "Iris Xu"]
    r = await alice.get(murl(demo), params={"status": "gone"})
    assert r.status_code == 400
    r = await alice.get(murl(demo), params={"department_id": str(uuid.uuid4())})
    assert r.status_code == 404


async def test_keyset_pagination(alice: Api, demo: dict[str, Any]) -> None:
    # three people with the same name: the id breaks the tie, so no one is lost or repeated
    for _ in range(3):
        r = await alice.post(murl(demo), {"name": "Sam Same", "email": new_email()})
        assert r.status_code == 201
    full = (await alice.get(murl(demo), params={"limit": 200})).json()
    assert full["next_cursor"] is None
    want = [m["id"] for m in full["items"]]
    assert len(want) == 17
    for limit in (1, 2, 5, 16, 17):
        got, cursor, pages = [], None, 0
        while True:
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            page = (await alice.get(murl(demo), params=params)).json()
            pages += 1
            assert len(page["items"]) <= limit
            got += [m["id"] for m in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert got == want, limit
        assert pages == -(-17 // limit), limit
    # a member added between pages appears once, in its place
    page1 = (await alice.get(murl(demo), params={"limit": 5})).json()
    r = await alice.post(murl(demo), {"name": "Aaron First", "email": new_email()})
    rest, cursor = [], page1["next_cursor"]
    while cursor:
        page = (await alice.get(murl(demo), params={"limit": 5, "cursor": cursor})).json()
        rest += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
    seen = [m["id"] for m in page1["items"]] + rest
    assert len(seen) == len(set(seen)) == 17, "the new member sorts before the first page; nobody repeats"
    for bad in ("nonsense", "eyJ4IjoxfQ", "W10"):
        r = await alice.get(murl(demo), params={"cursor": bad})
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["path"] == "cursor"
    for bad_limit in (0, 201):
        assert (await alice.get(murl(demo), params={"limit": bad_limit})).status_code == 400


async def test_set_admin_role(client: Any, demo: dict[str, Any]) -> None:
    org, did, mid = demo["org_id"], demo["departments"], demo["members"]
    bob = mid["bob@example.com"]
    leo = await sign_in(client, "leo@example.com")
    r = await leo.put(murl(demo, bob, "admin"), {"admin_role": "admin"})
    assert r.status_code == 403, "admins cannot make admins"
    alice = await sign_in(client, "alice@example.com")
    r = await alice.put(murl(demo, bob, "admin"), {"admin_role": "sub_admin"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.department_ids"
    r = await alice.put(murl(demo, bob, "admin"), {"admin_role": "sub_admin", "department_ids": [str(uuid.uuid4())]})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.department_ids[0]"
    r = await alice.put(murl(demo, bob, "admin"), {"admin_role": "owner"})
    assert r.status_code == 400, "ownership is not handed out here"
    r = await alice.put(murl(demo, bob, "admin"), {"admin_role": "sub_admin", "department_ids": [did["Engineering"]]})
    assert r.status_code == 200
    assert (r.json()["admin_role"], r.json()["admin_department_ids"]) == ("sub_admin", [did["Engineering"]])
    bob_api = await sign_in(client, "bob@example.com")
    r = await bob_api.post(f"/api/v1/orgs/{org}/departments", {"name": "Platform", "parent_id": did["Engineering"]})
    assert r.status_code == 201
    r = await bob_api.post(f"/api/v1/orgs/{org}/departments", {"name": "Platform", "parent_id": did["HR"]})
    assert r.status_code == 403
    alice = await sign_in(client, "alice@example.com")
    r = await alice.put(murl(demo, bob, "admin"), {"admin_role": "admin"})
    assert (r.json()["admin_role"], r.json()["admin_department_ids"]) == ("admin", [])
    bob_api = await sign_in(client, "bob@example.com")
    r = await bob_api.post(f"/api/v1/orgs/{org}/departments", {"name": "Platform", "parent_id": did["HR"]})
    assert r.status_code == 201, "an admin acts anywhere"
    alice = await sign_in(client, "alice@example.com")
    r = await alice.put(murl(demo, bob, "admin"), {"admin_role": "member"})
    assert r.json()["admin_role"] == "member"
    r = await alice.put(murl(demo, mid["alice@example.com"], "admin"), {"admin_role": "member"})
    assert r.status_code == 409, "the owner's role is not changed here"
    await alice.post(murl(demo, mid["mia@example.com"], "deactivate"))
    r = await alice.put(murl(demo, mid["mia@example.com"], "admin"), {"admin_role": "admin"})
    assert r.status_code == 409
    r = await alice.get(f"/api/v1/orgs/{org}/audit", params={"action": "member.admin_set"})
    assert [e["data"]["to"] for e in r.json()["items"]][:3] == ["member", "admin", "sub_admin"]
