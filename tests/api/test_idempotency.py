"""`Idempotency-Key` on POST: a retried request gets the first answer instead of doing the work
twice, a reused key with another request is refused, and keys never cross callers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from tack.directory.tables import members, users
from tack.runtime import Runtime
from tests.api.helpers import PROBLEM, all_scopes, count_rows, make_token
from tests.conftest import Api, new_email, sign_in


async def _members_with_email(rt: Runtime, email: str) -> int:
    async with rt.db.transaction(write=False) as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(
            members.join(users, users.c.id == members.c.user_id)).where(users.c.email == email))).scalar_one())


async def test_same_key_same_body_replays_and_creates_one_member(alice: Api, demo: dict[str, Any],
                                                                 rt: Runtime) -> None:
    url = f"/api/v1/orgs/{demo['org_id']}/members"
    email = new_email()
    body = {"name": "Nina Park", "email": email, "department_ids": [demo["departments"]["Sales"]]}
    first = await alice.post(url, body, headers={"Idempotency-Key": "add-nina-1"})
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    counts = await count_rows(rt)

    again = await alice.post(url, body, headers={"Idempotency-Key": "add-nina-1"})
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"].startswith("application/json")
    assert again.content == first.content, "the very same body, byte for byte"
    assert await _members_with_email(rt, email) == 1
    assert await count_rows(rt) == counts, "the replay wrote nothing (no audit entry, no event)"

    # without the key the retry is a new request, and a clear 422 (already a member)
    r = await alice.post(url, body)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "unique", r.text


async def test_same_key_other_body_is_refused(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    url = f"/api/v1/orgs/{demo['org_id']}/members"
    first = await alice.post(url, {"name": "Omar", "email": new_email()}, headers={"Idempotency-Key": "k-2"})
    assert first.status_code == 201, first.text
    counts = await count_rows(rt)
    other = new_email()
    r = await alice.post(url, {"name": "Omar", "email": other}, headers={"Idempotency-Key": "k-2"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["type"].endswith("/idempotency-key-reused") and r.json()["status"] == 422
    assert "idempotent-replayed" not in r.headers
    assert await _members_with_email(rt, other) == 0
    assert await count_rows(rt) == counts
    # the same body on another path is another request too
    r = await alice.post(f"/api/v1/orgs/{demo['org_id']}/roles", {"name": "Omar", "email": other},
                         headers={"Idempotency-Key": "k-2"})
    assert r.status_code == 422 and r.json()["type"].endswith("/idempotency-key-reused"), r.text


async def test_keys_are_per_caller(client: AsyncTestClient[Any], alice: Api, demo: dict[str, Any],
                                   rt: Runtime) -> None:
    org = demo["org_id"]
    url = f"/api/v1/orgs/{org}/members"
    token = (await make_token(alice, org, kind="organization", scopes=await all_scopes(client)))["token"]
    emails = [new_email() for _ in range(3)]

    r = await alice.post(url, {"name": "By Alice", "email": emails[0]}, headers={"Idempotency-Key": "shared"})
    assert r.status_code == 201, r.text
    client.cookies.clear()
    r = await client.post(url, json={"name": "By robot", "email": emails[1]},
                          headers={"Idempotency-Key": "shared", "Authorization": f"Bearer {token}"})
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers, r.text
    leo = await sign_in(client, "leo@example.com")
    r = await leo.post(url, {"name": "By Leo", "email": emails[2]}, headers={"Idempotency-Key": "shared"})
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers, r.text
    for e in emails:
        assert await _members_with_email(rt, e) == 1

    # the same body and key from another caller is that caller's own request, not a replay
    alice = await sign_in(client, "alice@example.com")
    r = await alice.post(url, {"name": "By Leo", "email": emails[2]}, headers={"Idempotency-Key": "shared"})
    assert r.status_code == 422 and "idempotent-replayed" not in r.headers, r.text


async def test_anonymous_requests_share_no_keys(client: AsyncTestClient[Any], demo: dict[str, Any]) -> None:
    """Without a credential there is no one to scope a key to: two strangers who happen to send
    the same key must not get each other's answers (or a "reused key" error)."""
    client.cookies.clear()
    for email in ("alice@example.com", "bob@example.com"):
        r = await client.post("/api/v1/auth/sign-in", json={"email": email, "password": "demo-password"},
                              headers={"Idempotency-Key": "same-for-everyone"})
        assert r.status_code == 200, r.text
        assert "idempotent-replayed" not in r.headers
        assert r.json()["user"]["email"] == email
        client.cookies.clear()


async def test_key_length(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    url = f"/api/v1/orgs/{demo['org_id']}/roles"
    counts = await count_rows(rt)
    for key in ("k" * 201, "k" * 5000, "   "):
        r = await alice.post(url, {"name": "Ops"}, headers={"Idempotency-Key": key})
        assert r.status_code == 400, r.text
        assert r.headers["content-type"].startswith(PROBLEM)
        problem = r.json()
        assert problem["status"] == 400 and problem["errors"][0]["path"] == "Idempotency-Key", problem
        assert problem["errors"][0]["rule"] in ("max-length", "min-length")
    assert await count_rows(rt) == counts
    r = await alice.post(url, {"name": "Ops"}, headers={"Idempotency-Key": "k" * 200})
    assert r.status_code == 201, r.text
    r = await alice.post(url, {"name": "Ops"}, headers={"Idempotency-Key": "k" * 200})
    assert r.status_code == 201 and r.headers["idempotent-replayed"] == "true"


async def test_refused_requests_keep_no_key(alice: Api, demo: dict[str, Any]) -> None:
    """Only a request that did its work is remembered: one refused (malformed, invalid, in
    conflict) changed nothing, so the client may fix it and retry with the same key."""
    url = f"/api/v1/orgs/{demo['org_id']}/members"
    key = {"Idempotency-Key": "add-ray"}
    email = new_email()
    r = await alice.post(url, {"name": "Ray", "email": "ray-at-example"}, headers=key)
    assert r.status_code == 400, r.text
    r = await alice.post(url, {"name": "Ray", "email": email, "manager_id": demo["members"]["iris@example.com"],
                               "department_ids": ["01890000-0000-7000-8000-000000000000"]}, headers=key)
    assert r.status_code == 422, r.text
    body = {"name": "Ray", "email": email}
    r = await alice.post(url, body, headers=key)
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers, r.text
    r = await alice.post(url, body, headers=key)
    assert r.status_code == 201 and r.headers["idempotent-replayed"] == "true"


async def test_a_replay_does_not_run_the_command_again(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    carol = demo["members"]["carol@example.com"]
    key = {"Idempotency-Key": "deactivate-carol"}
    r = await alice.post(f"/api/v1/orgs/{org}/members/{carol}/deactivate", headers=key)
    assert r.status_code == 200 and r.json()["status"] == "inactive"
    r = await alice.post(f"/api/v1/orgs/{org}/members/{carol}/reactivate")
    assert r.status_code == 200
    r = await alice.post(f"/api/v1/orgs/{org}/members/{carol}/deactivate", headers=key)
    assert r.status_code == 200 and r.headers["idempotent-replayed"] == "true"
    assert r.json()["status"] == "inactive", "the first answer, as it was"
    r = await alice.get(f"/api/v1/orgs/{org}/members/{carol}")
    assert r.json()["status"] == "active", "but the member was not deactivated again"


async def test_a_large_answer_replays_intact(alice: Api, demo: dict[str, Any]) -> None:
    """An answer big enough to be gzipped is kept and replayed readable (no stray encoding)."""
    url = f"/api/v1/orgs/{demo['org_id']}/members"
    body = {"name": "N" * 200, "email": "e" * 250 + new_email(), "job_title": "T" * 200,
            "department_ids": [demo["departments"]["Sales"], demo["departments"]["Finance"]]}
    headers = {"Idempotency-Key": "big", "Accept-Encoding": "gzip"}
    first = await alice.post(url, body, headers=headers)
    assert first.status_code == 201 and len(first.content) > 1024, first.text
    again = await alice.post(url, body, headers={"Idempotency-Key": "big", "Accept-Encoding": "identity"})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
