"""Departments: create, rename, move, reorder, delete and heads, with the tree kept sound and
every change written together with its event and audit row."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tack.core.tables import outbox
from tack.directory import departments
from tack.directory.models import DepartmentCreate
from tack.directory.tables import audit_log
from tack.directory.tables import departments as departments_t
from tack.runtime import Runtime
from tests.conftest import Api, new_email
from tests.directory.conftest import assert_tree_sound, child_names, sign_in, system_ctx


def url(demo: dict[str, Any], *parts: str) -> str:
    return "/".join([f"/api/v1/orgs/{demo['org_id']}/departments", *parts])


async def create(alice: Api, demo: dict[str, Any], name: str, parent: str, position: int | None = None) -> Any:
    body: dict[str, Any] = {"name": name, "parent_id": parent}
    if position is not None:
        body["position"] = position
    r = await alice.post(url(demo), body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_positions_stay_contiguous(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org, did = demo["org_id"], demo["departments"]
    eng = did["Engineering"]
    assert await child_names(rt, org, eng) == ["Backend", "Frontend"]
    await create(alice, demo, "Mobile", eng, position=0)
    await create(alice, demo, "Data", eng, position=2)
    qa = await create(alice, demo, "QA", eng, position=999)  # clamped to the end
    assert qa["position"] == 4
    await create(alice, demo, "Infra", eng)  # no position: last
    assert await child_names(rt, org, eng) == ["Mobile", "Backend", "Data", "Frontend", "QA", "Infra"]
    await assert_tree_sound(rt, org)

    # reorder among siblings, both directions
    r = await alice.patch(url(demo, qa["id"]), {"position": 1})
    assert r.status_code == 200 and r.json()["position"] == 1
    assert await child_names(rt, org, eng) == ["Mobile", "QA", "Backend", "Data", "Frontend", "Infra"]
    r = await alice.patch(url(demo, qa["id"]), {"position": 100})
    assert r.json()["position"] == 5
    assert await child_names(rt, org, eng) == ["Mobile", "Backend", "Data", "Frontend", "Infra", "QA"]
    await assert_tree_sound(rt, org)

    # move to another parent at a position: both sibling sets stay contiguous
    r = await alice.patch(url(demo, did["Backend"]), {"parent_id": did["Sales"], "position": 1})
    assert r.status_code == 200, r.text
    assert r.json()["parent_id"] == did["Sales"] and r.json()["position"] == 1
    assert await child_names(rt, org, eng) == ["Mobile", "Data", "Frontend", "Infra", "QA"]
    assert await child_names(rt, org, did["Sales"]) == ["Sales East", "Backend", "Sales West"]
    await assert_tree_sound(rt, org)
    # move without a position: goes last
    r = await alice.patch(url(demo, did["Sales East"]), {"parent_id": eng})
    assert r.json()["position"] == 5
    assert await child_names(rt, org, did["Sales"]) == ["Backend", "Sales West"]
    await assert_tree_sound(rt, org)

    # delete in the middle: the rest close up
    data = next(d for d in (await alice.get(url(demo))).json()["items"] if d["name"] == "Data")
    r = await alice.delete(url(demo, data["id"]))
    assert r.status_code == 204
    assert await child_names(rt, org, eng) == ["Mobile", "Frontend", "Infra", "QA", "Sales East"]
    await assert_tree_sound(rt, org)

    # the flat list comes in display order within each parent
    items = (await alice.get(url(demo))).json()["items"]
    under_eng = [d["name"] for d in items if d["parent_id"] == eng]
    assert under_eng == ["Mobile", "Frontend", "Infra", "QA", "Sales East"]


async def test_move_reroots_subtree(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org, did, mid = demo["org_id"], demo["departments"], demo["members"]
    members_url = f"/api/v1/orgs/{org}/members"
    inner = await create(alice, demo, "Key Accounts", did["Sales East"])
    r = await alice.patch(f"{members_url}/{mid['henry@example.com']}", {"department_ids": [inner["id"]]})
    assert r.status_code == 200

    # Sales (with East > Key Accounts and West) moves under Engineering
    r = await alice.patch(url(demo, did["Sales"]), {"parent_id": did["Engineering"]})
    assert r.status_code == 200, r.text
    await assert_tree_sound(rt, org)
    r = await alice.get(members_url, params={"department_id": did["Engineering"], "include_descendants": "true",
                                             "limit": 200})
    names = {m["name"] for m in r.json()["items"]}
    assert {"Grace Zhou", "Henry Wu", "Iris Xu", "Bob Li", "Carol Wang"} <= names
    r = await alice.get(f"{url(demo, inner['id'])}/heads", params={"include_ancestors": "true"})
    assert [m["name"] for m in r.json()["items"]] == ["Grace Zhou", "Bob Li"], \
        "Key Accounts > Sales East (no head) > Sales > Engineering"

    # and back to the root, deeper parts untouched
    r = await alice.patch(url(demo, did["Sales"]), {"parent_id": did["Demo Co."], "position": 0})
    assert r.status_code == 200 and r.json()["position"] == 0
    await assert_tree_sound(rt, org)
    r = await alice.get(members_url, params={"department_id": did["Engineering"], "include_descendants": "true"})
    assert "Henry Wu" not in {m["name"] for m in r.json()["items"]}
    r = await alice.get(members_url, params={"department_id": did["Sales"], "include_descendants": "true"})
    assert {m["name"] for m in r.json()["items"]} == {"Grace Zhou", "Henry Wu", "Iris Xu"}

    # a sub-admin's rights follow their department when it moves
    r = await alice.patch(url(demo, did["Sales East"]), {"parent_id": did["Finance"]})
    assert r.status_code == 200
    grace = await sign_in(alice.client, "grace@example.com")
    r = await grace.post(url(demo), {"name": "Outpost", "parent_id": did["Sales East"]})
    assert r.status_code == 403, "Sales East is now under Finance, outside Grace's Sales"
    r = await grace.post(url(demo), {"name": "Outpost", "parent_id": did["Sales West"]})
    assert r.status_code == 201, r.text


async def test_move_and_rename_rules(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org, did = demo["org_id"], demo["departments"]
    cases: list[tuple[str, dict[str, Any], int, str, str]] = [
        (did["Demo Co."], {"parent_id": did["HR"]}, 422, "$.parent_id", "root"),
        (did["Engineering"], {"parent_id": did["Engineering"]}, 422, "$.parent_id", "no-cycle"),
        (did["Engineering"], {"parent_id": did["Backend"]}, 422, "$.parent_id", "no-cycle"),
        (did["HR"], {"parent_id": str(uuid.uuid4())}, 422, "$.parent_id", "exists"),
        (did["HR"], {"name": "finance"}, 422, "$.name", "unique"),  # case-insensitive among siblings
        (did["Sales East"], {"parent_id": did["Engineering"], "name": "Backend"}, 422, "$.name", "unique"),
        (did["Backend"], {"parent_id": did["Sales"], "name": "sales east"}, 422, "$.name", "unique"),
        (did["Demo Co."], {"name": "Other Co."}, 422, "$.name", "root"),
    ]
    before = await department_rows_snapshot(rt, org)
    for dept, body, status, path, rule in cases:
        r = await alice.patch(url(demo, dept), body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        err = r.json()["errors"][0]
        assert (err["path"], err["rule"]) == (path, rule), body
    assert await department_rows_snapshot(rt, org) == before, "refused changes change nothing"

    # same name under another parent is fine; renaming to its own name in other case is fine
    await create(alice, demo, "Backend", did["Sales"])
    r = await alice.patch(url(demo, did["HR"]), {"name": "hr"})
    assert r.status_code == 200 and r.json()["name"] == "hr"
    r = await alice.patch(url(demo, did["HR"]), {"name": "  People  "})
    assert r.json()["name"] == "People", "names are trimmed"
    r = await alice.post(url(demo), {"name": "people", "parent_id": did["Demo Co."]})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.name"
    for bad in ({"name": ""}, {"name": "   "}, {"name": "x" * 201}, {"position": -1}, {"colour": "red"}):
        r = await alice.patch(url(demo, did["HR"]), bad)
        assert r.status_code == 400, bad
    r = await alice.post(url(demo), {"name": "Orphan", "parent_id": str(uuid.uuid4())})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.parent_id"
    r = await alice.patch(url(demo, str(uuid.uuid4())), {"name": "Ghost"})
    assert r.status_code == 404
    await assert_tree_sound(rt, org)


async def department_rows_snapshot(rt: Runtime, org: str) -> list[tuple[Any, ...]]:
    async with rt.db.transaction(write=False) as conn:
        rows = (await conn.execute(sa.select(departments_t.c.id, departments_t.c.parent_id, departments_t.c.name,
                                             departments_t.c.position, departments_t.c.path)
                                   .where(departments_t.c.org_id == uuid.UUID(org))
                                   .order_by(departments_t.c.id))).all()
    return [tuple(r) for r in rows]


async def test_delete_rules(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org, did = demo["org_id"], demo["departments"]
    for dept, why in ((did["Demo Co."], "root"), (did["Engineering"], "children"), (did["Finance"], "members")):
        r = await alice.delete(url(demo, dept))
        assert r.status_code == 409, why
        assert r.json()["type"].endswith("/conflict")
    # empty it, then it goes
    r = await alice.patch(f"/api/v1/orgs/{org}/members/{demo['members']['jack@example.com']}",
                          {"department_ids": [did["Management"]]})
    r = await alice.patch(f"/api/v1/orgs/{org}/members/{demo['members']['kate@example.com']}",
                          {"department_ids": [did["Management"]]})
    r = await alice.delete(url(demo, did["Finance"]))
    assert r.status_code == 204
    r = await alice.get(url(demo, did["Finance"]))
    assert r.status_code == 404
    r = await alice.delete(url(demo, did["Finance"]))
    assert r.status_code == 404
    await assert_tree_sound(rt, org)


async def test_deleting_a_managed_department_keeps_sub_admin_consistent(alice: Api, demo: dict[str, Any]) -> None:
    org, did, mid = demo["org_id"], demo["departments"], demo["members"]
    spare = await create(alice, demo, "Spare", did["Demo Co."])
    r = await alice.put(f"/api/v1/orgs/{org}/members/{mid['mia@example.com']}/admin",
                        {"admin_role": "sub_admin", "department_ids": [spare["id"], did["HR"]]})
    assert r.status_code == 200
    r = await alice.delete(url(demo, spare["id"]))
    assert r.status_code == 204
    r = await alice.get(f"/api/v1/orgs/{org}/members/{mid['mia@example.com']}")
    assert r.json()["admin_department_ids"] == [did["HR"]]


async def test_heads(alice: Api, demo: dict[str, Any]) -> None:
    org, did, mid = demo["org_id"], demo["departments"], demo["members"]
    heads = url(demo, did["Backend"], "heads")
    carol, dan, bob = mid["carol@example.com"], mid["dan@example.com"], mid["bob@example.com"]
    r = await alice.put(heads, {"member_ids": [carol, bob, dan, str(uuid.uuid4())]})
    assert r.status_code == 422
    errs = r.json()["errors"]
    assert [e["path"] for e in errs] == ["$.member_ids[1]", "$.member_ids[3]"]
    assert all(e["rule"] == "member-of-department" for e in errs)
    r = await alice.get(url(demo, did["Backend"]))
    assert r.json()["head_ids"] == [dan], "a refused change leaves the heads as they were"
    r = await alice.put(heads, {"member_ids": [carol, dan, carol]})
    assert r.status_code == 200
    assert sorted(r.json()["head_ids"]) == sorted([carol, dan])
    assert r.json()["member_count"] == 2
    r = await alice.put(heads, {"member_ids": []})
    assert r.status_code == 200 and r.json()["head_ids"] == []
    # a head who leaves the department stops being its head
    await alice.put(heads, {"member_ids": [carol]})
    r = await alice.patch(f"/api/v1/orgs/{org}/members/{carol}", {"department_ids": [did["Frontend"]]})
    assert r.status_code == 200
    r = await alice.get(url(demo, did["Backend"]))
    assert r.json()["head_ids"] == []
    r = await alice.put(url(demo, str(uuid.uuid4()), "heads"), {"member_ids": []})
    assert r.status_code == 404


async def test_events_and_audit_in_the_same_transaction(rt: Runtime, demo: dict[str, Any]) -> None:
    org = uuid.UUID(demo["org_id"])
    did = demo["departments"]

    async def counts() -> tuple[int, int, int]:
        async with rt.db.transaction(write=False) as conn:
            n_out = (await conn.execute(sa.select(sa.func.count()).select_from(outbox).where(
                outbox.c.org_id == org))).scalar_one()
            n_audit = (await conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(
                audit_log.c.org_id == org))).scalar_one()
            n_dept = (await conn.execute(sa.select(sa.func.count()).select_from(departments_t).where(
                departments_t.c.org_id == org))).scalar_one()
        return n_out, n_audit, n_dept

    start = await counts()
    async with system_ctx(rt, org) as ctx:
        d = await departments.create_department(ctx, DepartmentCreate(name="Legal", parent_id=uuid.UUID(did["HR"])))
    async with rt.db.transaction(write=False) as conn:
        ev = (await conn.execute(sa.select(outbox).where(outbox.c.org_id == org, outbox.c.subject == str(d.id))
                                 )).mappings().one()
        au = (await conn.execute(sa.select(audit_log).where(audit_log.c.org_id == org,
                                                            audit_log.c.subject_id == str(d.id)))).mappings().one()
    assert ev["type"] == "department.created" and ev["data"]["parent_id"] == did["HR"]
    assert au["action"] == "department.created" and au["data"]["name"] == "Legal"
    assert au["actor_kind"] == "system"
    assert await counts() == (start[0] + 1, start[1] + 1, start[2] + 1)

    # the command succeeds but its transaction is rolled back: no row, no event, no audit
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with system_ctx(rt, org) as ctx:
            await departments.create_department(ctx, DepartmentCreate(name="Ghost", parent_id=uuid.UUID(did["HR"])))
            raise Boom
    assert await counts() == (start[0] + 1, start[1] + 1, start[2] + 1)

    # a refused command writes nothing either
    from tack.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        async with system_ctx(rt, org) as ctx:
            await departments.create_department(ctx, DepartmentCreate(name="legal", parent_id=uuid.UUID(did["HR"])))
    assert await counts() == (start[0] + 1, start[1] + 1, start[2] + 1)


async def test_each_change_is_audited(alice: Api, demo: dict[str, Any]) -> None:
    org, did, mid = demo["org_id"], demo["departments"], demo["members"]
    d = await create(alice, demo, "Ops", did["Demo Co."])
    await alice.patch(url(demo, d["id"]), {"name": "Operations"})
    await alice.patch(url(demo, d["id"]), {"parent_id": did["Engineering"]})
    await alice.patch(url(demo, d["id"]), {"position": 0})
    await alice.patch(url(demo, d["id"]), {"name": "Operations"})  # no change: no entry
    await alice.patch(f"/api/v1/orgs/{org}/members/{mid['mia@example.com']}", {"department_ids": [d["id"]]})
    await alice.put(url(demo, d["id"], "heads"), {"member_ids": [mid["mia@example.com"]]})
    await alice.patch(f"/api/v1/orgs/{org}/members/{mid['mia@example.com']}", {"department_ids": [did["HR"]]})
    await alice.delete(url(demo, d["id"]))
    r = await alice.get(f"/api/v1/orgs/{org}/audit", params={"limit": 200})
    mine = [e for e in r.json()["items"] if e["subject_id"] == d["id"]][::-1]
    assert [e["action"] for e in mine] == ["department.created", "department.updated", "department.moved",
                                           "department.updated", "department.heads_set", "department.deleted"]
    assert mine[1]["data"] == {"name": {"from": "Ops", "to": "Operations"}}
    assert mine[2]["data"]["parent_id"]["to"] == did["Engineering"]
    assert mine[3]["data"] == {"position": {"from": 2, "to": 0}}
    assert all(e["actor_name"] == "Alice Chen" and e["actor_kind"] == "user" for e in mine)


async def test_root_is_the_organization(alice: Api, demo: dict[str, Any]) -> None:
    org, did = demo["org_id"], demo["departments"]
    r = await alice.patch(url(demo, did["Demo Co."]), {"name": "Renamed"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.name"
    assert r.json()["errors"][0]["rule"] == "root"
    r = await alice.patch(f"/api/v1/orgs/{org}", {"name": "Demo Group"})
    assert r.status_code == 200 and r.json()["name"] == "Demo Group"
    r = await alice.get(url(demo, did["Demo Co."]))
    assert r.json()["name"] == "Demo Group", "renaming the organization renames its root"


async def test_deleting_a_department_revokes_its_invitations(alice: Api, demo: dict[str, Any]) -> None:
    org, did = demo["org_id"], demo["departments"]
    temp = await create(alice, demo, "Temp", did["HR"])
    r = await alice.post(f"/api/v1/orgs/{org}/invitations", {"department_id": temp["id"]})
    inv = r.json()
    other = (await alice.post(f"/api/v1/orgs/{org}/invitations", {"department_id": did["HR"]})).json()
    assert (await alice.delete(url(demo, temp["id"]))).status_code == 204
    listed = {i["id"]: i["revoked"] for i in (await alice.get(f"/api/v1/orgs/{org}/invitations")).json()["items"]}
    assert listed == {inv["id"]: True, other["id"]: False}
    alice.client.cookies.clear()
    r = await alice.client.post(f"/api/v1/invitations/{inv['code']}/accept",
                                json={"name": "Late", "email": new_email(), "password": "a-good-password"})
    assert r.status_code == 410, r.text
