"""Signing in and out, the session cookie, CSRF, rate limits and password changes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tack.core.clock import FrozenClock
from tack.directory.tables import users
from tack.runtime import Runtime
from tests.conftest import Api, sign_in

PW = "demo-password"


async def stored_hash(rt: Runtime, email: str) -> str:
    async with rt.db.transaction(write=False) as conn:
        return (await conn.execute(sa.select(users.c.password_hash).where(users.c.email == email))).scalar_one()


def problem(r: Any, status: int, slug: str) -> bool:
    return (r.status_code == status and r.headers["content-type"].startswith("application/problem+json")
            and r.json()["type"] == f"https://tack.dev/problems/{slug}" and r.json()["status"] == status)


async def test_sign_in_and_out(client: Any, demo: dict[str, Any], rt: Runtime) -> None:
    assert problem(await client.get("/api/v1/me"), 401, "unauthorized")
    r = await client.post("/api/v1/auth/sign-in", json={"email": "Alice@Example.COM", "password": PW})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"]["email"] == "alice@example.com" and body["csrf_token"]
    assert [m["org_name"] for m in body["memberships"]] == ["Demo Co."]
    assert "password_hash" not in r.text
    cookie = r.headers["set-cookie"]
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
    assert cookie.startswith("tack_session=")
    assert {"httponly", "path", "max-age"} <= attrs and "secure" not in attrs
    assert "samesite=lax" in cookie.lower()
    assert "max-age=1209600" in cookie.lower(), "14 days"
    value = client.cookies["tack_session"]
    me = await client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["csrf_token"] == body["csrf_token"]
    # sign out: needs the CSRF header like any unsafe request
    assert problem(await client.post("/api/v1/auth/sign-out"), 403, "forbidden")
    assert (await client.get("/api/v1/me")).status_code == 200
    r = await client.post("/api/v1/auth/sign-out", headers={"X-CSRF-Token": body["csrf_token"]})
    assert r.status_code == 204
    assert 'tack_session=""' in r.headers["set-cookie"] or "tack_session=;" in r.headers["set-cookie"]
    assert (await client.get("/api/v1/me")).status_code == 401
    # the old cookie value is dead on the server too, not just dropped by the browser
    client.cookies.set("tack_session", value)
    assert (await client.get("/api/v1/me")).status_code == 401
    # signing out with a stale cookie still clears it
    r = await client.post("/api/v1/auth/sign-out")
    assert r.status_code == 204
    # the stored password hash is argon2id
    assert (await stored_hash(rt, "alice@example.com")).startswith("$argon2id$")


async def test_wrong_password(client: Any, demo: dict[str, Any]) -> None:
    r = await client.post("/api/v1/auth/sign-in", json={"email": "alice@example.com", "password": "wrong-password"})
    assert problem(r, 401, "unauthorized")
    assert "tack_session" not in r.headers.get("set-cookie", "")
    r2 = await client.post("/api/v1/auth/sign-in", json={"email": "nobody@example.com", "password": "wrong-password"})
    assert problem(r2, 401, "unauthorized")
    assert r2.json()["detail"] == r.json()["detail"], "no hint whether the account exists"
    for bad in ({"email": "alice@example.com"}, {"email": "alice", "password": "x"},
                {"email": "alice@example.com", "password": ""}, {"email": "alice@example.com", "password": PW, "x": 1}):
        r = await client.post("/api/v1/auth/sign-in", json=bad)
        assert problem(r, 400, "bad-request"), bad


async def test_rate_limit(client: Any, demo: dict[str, Any], clock: FrozenClock) -> None:
    for _ in range(5):
        r = await client.post("/api/v1/auth/sign-in", json={"email": "bob@example.com", "password": "wrong-password"})
        assert r.status_code == 401
    r = await client.post("/api/v1/auth/sign-in", json={"email": "BOB@example.com", "password": PW})
    assert problem(r, 429, "rate-limited"), "the 6th attempt is refused, right password or not"
    retry = int(r.headers["retry-after"])
    assert 15 * 60 - 5 < retry <= 15 * 60 + 1
    # other accounts are not locked out by it
    assert (await client.post("/api/v1/auth/sign-in", json={"email": "carol@example.com", "password": PW})
            ).status_code == 200
    clock.advance(seconds=retry - 2)
    r = await client.post("/api/v1/auth/sign-in", json={"email": "bob@example.com", "password": PW})
    assert r.status_code == 429
    clock.advance(seconds=3)
    r = await client.post("/api/v1/auth/sign-in", json={"email": "bob@example.com", "password": PW})
    assert r.status_code == 200, "the window has passed"
    # a success starts the count again
    for _ in range(4):
        await client.post("/api/v1/auth/sign-in", json={"email": "bob@example.com", "password": "wrong-password"})
    assert (await client.post("/api/v1/auth/sign-in", json={"email": "bob@example.com", "password": PW})
            ).status_code == 200
    for _ in range(5):
        r = await client.post("/api/v1/auth/sign-in", json={"email": "bob@example.com", "password": "wrong-password"})
        assert r.status_code == 401


async def test_csrf(client: Any, demo: dict[str, Any]) -> None:
    org, did = demo["org_id"], demo["departments"]
    alice = await sign_in(client, "alice@example.com")
    url = f"/api/v1/orgs/{org}/departments"
    before = len((await client.get(url)).json()["items"])
    body = {"name": "Sneaky", "parent_id": did["HR"]}
    for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": alice.csrf + "x"},
                    {"X-CSRF-Token": "é".encode() * 10}):
        r = await client.post(url, json=body, headers=headers)
        assert problem(r, 403, "forbidden"), (headers, r.status_code, r.text)
        r = await client.patch("/api/v1/me", json={"name": "Mallory"}, headers=headers)
        assert problem(r, 403, "forbidden"), headers
        r = await client.delete(f"{url}/{did['HR']}", headers=headers)
        assert r.status_code == 403, headers
    assert len((await client.get(url)).json()["items"]) == before, "no change"
    assert (await client.get("/api/v1/me")).json()["user"]["name"] == "Alice Chen"
    # another session's CSRF token does not work with this session's cookie
    other = (await client.post("/api/v1/auth/sign-in", json={"email": "leo@example.com", "password": PW})).json()
    alice = await sign_in(client, "alice@example.com")
    r = await client.post(url, json=body, headers={"X-CSRF-Token": other["csrf_token"]})
    assert r.status_code == 403
    r = await alice.post(url, body)
    assert r.status_code == 201, "with the right header it goes through"


async def test_password_change_ends_other_sessions(client: Any, client2: Any, demo: dict[str, Any],
                                                   rt: Runtime) -> None:
    here = await sign_in(client, "dan@example.com")
    there = await sign_in(client2, "dan@example.com")
    old_hash = await stored_hash(rt, "dan@example.com")
    r = await here.post("/api/v1/me/password", {"current_password": "wrong-password", "new_password": "n3w-password"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.current_password"
    r = await here.post("/api/v1/me/password", {"current_password": PW, "new_password": "short"})
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "path": "$.new_password", "message": "Use at least 8 characters.", "rule": "min-length"}
    assert (await there.get("/api/v1/me")).status_code == 200, "refused changes end nothing"
    assert await stored_hash(rt, "dan@example.com") == old_hash
    r = await here.post("/api/v1/me/password", {"current_password": PW, "new_password": "n3w-password"})
    assert r.status_code == 204
    assert (await here.get("/api/v1/me")).status_code == 200, "this session goes on"
    assert (await there.get("/api/v1/me")).status_code == 401, "the other one is over"
    new_hash = await stored_hash(rt, "dan@example.com")
    assert new_hash.startswith("$argon2id$") and new_hash != old_hash
    r = await client2.post("/api/v1/auth/sign-in", json={"email": "dan@example.com", "password": PW})
    assert r.status_code == 401
    r = await client2.post("/api/v1/auth/sign-in", json={"email": "dan@example.com", "password": "n3w-password"})
    assert r.status_code == 200


async def test_session_expires(client: Any, demo: dict[str, Any], clock: FrozenClock) -> None:
    alice = await sign_in(client, "alice@example.com")
    clock.advance(days=13, hours=23)
    assert (await alice.get("/api/v1/me")).status_code == 200
    clock.advance(hours=2)
    assert (await alice.get("/api/v1/me")).status_code == 401
    r = await alice.post(f"/api/v1/orgs/{demo['org_id']}/roles", {"name": "Late"})
    assert r.status_code == 401


async def test_profile(client: Any, demo: dict[str, Any]) -> None:
    alice: Api = await sign_in(client, "alice@example.com")
    r = await alice.patch("/api/v1/me", {"name": " Alice C. ", "locale": "zh-CN", "time_zone": "Asia/Shanghai"})
    assert r.status_code == 200, r.text
    assert (r.json()["user"]["name"], r.json()["user"]["locale"]) == ("Alice C.", "zh-CN")
    r = await alice.get(f"/api/v1/orgs/{demo['org_id']}/members/{demo['members']['alice@example.com']}")
    assert r.json()["name"] == "Alice C.", "the name follows into memberships"
    r = await alice.patch("/api/v1/me", {"time_zone": "Mars/Olympus"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.time_zone"
    r = await alice.patch("/api/v1/me", {"locale": "fr"})
    assert r.status_code == 400
    r = await alice.patch("/api/v1/me", {"email": "new@example.com"})
    assert r.status_code == 400, "the email is not changed through the profile"
