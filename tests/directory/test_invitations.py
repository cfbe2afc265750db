"""Invitations: create, preview, accept (a new person signs up; a signed-in person joins),
expiry, revocation and use limits. Time is a FrozenClock so expiry can be reached."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from tack.core.clock import FrozenClock
from tack.core.errors import Gone
from tack.directory import invitations, users
from tack.directory.models import InvitationCreate
from tack.runtime import Runtime
from tests.conftest import Api, frozen_now, new_email
from tests.directory.conftest import sign_in, system_ctx


@pytest.fixture
def clock() -> FrozenClock:
    return frozen_now()


def iurl(demo: dict[str, Any], *parts: str) -> str:
    return "/".join([f"/api/v1/orgs/{demo['org_id']}/invitations", *parts])


async def invite(api: Api, demo: dict[str, Any], **body: Any) -> dict[str, Any]:
    r = await api.post(iurl(demo), body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def join_as_new(client: Any, code: str, email: str | None = None) -> Any:
    client.cookies.clear()
    return await client.post(f"/api/v1/invitations/{code}/accept",
                             json={"name": "Nora New", "email": email or new_email(), "password": "a-good-password"})


async def test_new_person_joins_by_invitation(alice: Api, demo: dict[str, Any], clock: FrozenClock) -> None:
    org, did = demo["org_id"], demo["departments"]
    inv = await invite(alice, demo, department_id=did["Backend"], max_uses=5, expires_in_days=3)
    assert len(inv["code"]) == 10 and inv["uses"] == 0 and not inv["revoked"]
    assert inv["expires_at"].startswith((clock.now() + dt.timedelta(days=3)).date().isoformat())
    client = alice.client
    client.cookies.clear()
    r = await client.get(f"/api/v1/invitations/{inv['code'].lower()}")
    assert r.status_code == 200, "no sign-in needed; codes are read aloud, so case does not matter"
    assert r.json() == {"org_id": org, "org_name": "Demo Co.", "department_name": "Backend",
                        "expires_at": inv["expires_at"]}
    # a new person gives name, email, password: signed up, signed in, in the department
    email = new_email()
    r = await join_as_new(client, inv["code"], email)
    assert r.status_code == 200, r.text
    assert "tack_session" in r.headers.get("set-cookie", "")
    me = r.json()
    assert me["user"]["email"] == email
    assert [(m["org_name"], m["admin_role"]) for m in me["memberships"]] == [("Demo Co.", "member")]
    nora = Api(client, me["csrf_token"], me)
    r = await nora.get(f"/api/v1/orgs/{org}/members/{me['memberships'][0]['member_id']}")
    assert r.json()["department_ids"] == [did["Backend"]] and r.json()["name"] == "Nora New"
    r = await client.post("/api/v1/auth/sign-in", json={"email": email, "password": "a-good-password"})
    assert r.status_code == 200, "the password works"
    # missing fields, a taken email, a weak password: refused, nothing created
    client.cookies.clear()
    r = await client.post(f"/api/v1/invitations/{inv['code']}/accept", json={"name": "Half"})
    assert r.status_code == 422
    assert sorted(e["path"] for e in r.json()["errors"]) == ["$.email", "$.password"]
    r = await join_as_new(client, inv["code"], "bob@example.com")
    assert r.status_code == 409 and r.json()["type"].endswith("/conflict")
    client.cookies.clear()
    r = await client.post(f"/api/v1/invitations/{inv['code']}/accept",
                          json={"name": "Weak", "email": new_email(), "password": "short"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.password"
    alice = await sign_in(client, "alice@example.com")
    r = await alice.get(iurl(demo))
    assert [i["uses"] for i in r.json()["items"] if i["id"] == inv["id"]] == [1], "only the real join counted"
    r = await alice.get(f"/api/v1/orgs/{org}/audit", params={"action": "member.joined"})
    assert r.json()["items"][0]["data"]["invitation_id"] == inv["id"]
    assert r.json()["items"][0]["actor_name"] == "Nora New"


async def test_signed_in_person_joins_another_org(client: Any, demo: dict[str, Any]) -> None:
    alice = await sign_in(client, "alice@example.com")
    r = await alice.post("/api/v1/orgs", {"name": "Side Project"})
    side = r.json()
    r = await alice.post(f"/api/v1/orgs/{side['id']}/invitations", {})
    code = r.json()["code"]
    bob = await sign_in(client, "bob@example.com")
    r = await bob.post(f"/api/v1/invitations/{code}/accept", {})
    assert r.status_code == 200, r.text
    assert {m["org_name"] for m in r.json()["memberships"]} == {"Demo Co.", "Side Project"}
    r = await bob.get(f"/api/v1/orgs/{side['id']}/members")
    bob_there = next(m for m in r.json()["items"] if m["email"] == "bob@example.com")
    assert bob_there["department_ids"] == [side["root_department_id"]], "no department: the root"
    r = await bob.post(f"/api/v1/invitations/{code}/accept", {})
    assert r.status_code == 200, "joining again changes nothing"
    # a signed-in accept needs the CSRF header like any other unsafe request
    r = await client.post(f"/api/v1/invitations/{code}/accept", json={})
    assert r.status_code == 403
    alice = await sign_in(client, "alice@example.com")
    r = await alice.get(f"/api/v1/orgs/{side['id']}/invitations")
    assert r.json()["items"][0]["uses"] == 1


async def test_expired_revoked_and_used_up(alice: Api, demo: dict[str, Any], clock: FrozenClock) -> None:
    client = alice.client
    soon = await invite(alice, demo, expires_in_days=1)
    revoked = await invite(alice, demo)
    once = await invite(alice, demo, max_uses=1)
    r = await alice.delete(iurl(demo, revoked["id"]))
    assert r.status_code == 204
    r = await alice.delete(iurl(demo, revoked["id"]))
    assert r.status_code == 204, "revoking twice is harmless"
    listed = {i["id"]: i for i in (await alice.get(iurl(demo))).json()["items"]}
    assert listed[revoked["id"]]["revoked"] is True and listed[soon["id"]]["revoked"] is False

    assert (await join_as_new(client, once["code"])).status_code == 200
    clock.advance(days=1, seconds=1)
    for inv in (soon, revoked, once):
        client.cookies.clear()
        r = await client.get(f"/api/v1/invitations/{inv['code']}")
        assert r.status_code == 410, inv
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith("/gone")
        r = await join_as_new(client, inv["code"])
        assert r.status_code == 410
    bob = await sign_in(client, "bob@example.com")
    assert (await bob.post(f"/api/v1/invitations/{soon['code']}/accept", {})).status_code == 410
    client.cookies.clear()
    assert (await client.get("/api/v1/invitations/NOSUCHCODE")).status_code == 404
    too_long = await client.get("/api/v1/invitations/" + "X" * 33)
    assert too_long.status_code == 400 and too_long.json()["errors"][0]["path"] == "code"
    alice = await sign_in(client, "alice@example.com")
    assert (await alice.delete(iurl(demo, soon["id"].replace(soon["id"][-4:], "0000")))).status_code == 404


async def test_deactivated_member_cannot_rejoin_by_invitation(alice: Api, demo: dict[str, Any]) -> None:
    inv = await invite(alice, demo)
    await alice.post(f"/api/v1/orgs/{demo['org_id']}/members/{demo['members']['carol@example.com']}/deactivate")
    carol = await sign_in(alice.client, "carol@example.com")
    r = await carol.post(f"/api/v1/invitations/{inv['code']}/accept", {})
    assert r.status_code == 409
    assert (await carol.get(f"/api/v1/orgs/{demo['org_id']}")).status_code == 404


async def test_who_may_invite(client: Any, demo: dict[str, Any]) -> None:
    did = demo["departments"]
    carol = await sign_in(client, "carol@example.com")
    assert (await carol.post(iurl(demo), {})).status_code == 403
    assert (await carol.get(iurl(demo))).status_code == 403
    alice = await sign_in(client, "alice@example.com")
    eng = await invite(alice, demo, department_id=did["Engineering"])
    grace = await sign_in(client, "grace@example.com")
    east = await invite(grace, demo, department_id=did["Sales East"])
    r = await grace.post(iurl(demo), {"department_id": did["Engineering"]})
    assert r.status_code == 403
    r = await grace.post(iurl(demo), {})
    assert r.status_code == 403, "no department means the root, outside her Sales"
    listed = [i["id"] for i in (await grace.get(iurl(demo))).json()["items"]]
    assert listed == [east["id"]], "a sub-admin sees the invitations of her departments only"
    assert (await grace.delete(iurl(demo, eng["id"]))).status_code == 403
    assert (await grace.delete(iurl(demo, east["id"]))).status_code == 204
    r = await grace.post(iurl(demo), {"department_id": "not-a-uuid"})
    assert r.status_code == 400
    leo = await sign_in(client, "leo@example.com")
    assert len((await leo.get(iurl(demo))).json()["items"]) == 2
    for bad in ({"expires_in_days": 0}, {"expires_in_days": 366}, {"max_uses": 0}):
        assert (await leo.post(iurl(demo), bad)).status_code == 400, bad


async def test_last_use_cannot_be_taken_twice(rt: Runtime, demo: dict[str, Any]) -> None:
    """Two people accept a one-use invitation at the same moment: the second one's transaction
    runs while the first is still open, and must not get in once the first commits."""
    async with rt.db.transaction() as conn:
        one = await users.create_user(conn, rt.clock, email=new_email(), name="One")
        two = await users.create_user(conn, rt.clock, email=new_email(), name="Two")
    async with system_ctx(rt, demo["org_id"]) as ctx:
        code = (await invitations.create_invitation(ctx, InvitationCreate(max_uses=1))).code
    first_done, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with rt.db.transaction() as conn:
            await invitations.accept(conn, rt.clock, code, one["id"])
            first_done.set()
            await release.wait()

    async def second() -> str:
        await first_done.wait()
        try:
            async with rt.db.transaction() as conn:
                await invitations.accept(conn, rt.clock, code, two["id"])
        except Gone:
            return "gone"
        return "joined"

    t1, t2 = asyncio.create_task(first()), asyncio.create_task(second())
    await first_done.wait()
    await asyncio.sleep(0.3)  # let the second run as far as it can while the first is open
    release.set()
    await t1
    assert await t2 == "gone"
    async with system_ctx(rt, demo["org_id"], write=False) as ctx:
        listed = (await invitations.list_invitations(ctx)).items
    assert [i.uses for i in listed] == [1]


async def test_stale_cookie_does_not_block_joining(alice: Api, demo: dict[str, Any], clock: FrozenClock) -> None:
    inv = await invite(alice, demo)
    clock.advance(days=3)
    alice.client.cookies.set("tack_session", "expired-or-made-up")
    r = await alice.client.post(f"/api/v1/invitations/{inv['code']}/accept",
                                json={"name": "Shared PC", "email": new_email(), "password": "a-good-password"})
    assert r.status_code == 200, r.text
