"""API tokens: personal (act as the member, within scopes) and organization tokens (act as the
organization, within scopes). Secrets are shown once and stored only as SHA-256."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import sqlalchemy as sa

from tack.auth.tables import api_tokens
from tack.auth.tokens import decode_token
from tack.core.clock import FrozenClock
from tack.runtime import Runtime
from tests.auth.conftest import bearer
from tests.conftest import Api
from tests.directory.conftest import sign_in


def turl(demo: dict[str, Any], *parts: str) -> str:
    return "/".join([f"/api/v1/orgs/{demo['org_id']}/tokens", *parts])


async def make_token(api: Api, demo: dict[str, Any], scopes: list[str], **extra: Any) -> dict[str, Any]:
    r = await api.post(turl(demo), {"name": extra.pop("name", "script"), "scopes": scopes, **extra})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_secret_shown_once_and_stored_hashed(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    t = await make_token(alice, demo, ["directory:read", "org:read", "directory:read"], name=" CI ")
    raw = t["token"]
    assert raw.startswith("tack_") and len(raw) > 60
    assert t["scopes"] == ["directory:read", "org:read"] and t["name"] == "CI" and t["kind"] == "personal"
    assert t["member_id"] == demo["members"]["alice@example.com"]
    listed = (await alice.get(turl(demo))).json()["items"]
    assert [x["id"] for x in listed] == [t["id"]]
    assert "token" not in listed[0], "the secret is never shown again"
    assert raw not in (await alice.get(turl(demo))).text
    decoded = decode_token(raw)
    assert decoded is not None
    org_id, token_id, secret = decoded
    assert (str(org_id), str(token_id)) == (demo["org_id"], t["id"])
    async with rt.db.transaction(write=False) as conn:
        row = (await conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id))).mappings().one()
    assert row["secret_hash"] == hashlib.sha256(secret).hexdigest()
    stored = " ".join(str(v) for v in row.values())
    assert raw not in stored and raw[len("tack_"):][:40] not in stored
    assert secret.hex() not in stored
    # the audit log names the token, never its secret
    r = await alice.get(f"/api/v1/orgs/{demo['org_id']}/audit", params={"action": "token.created"})
    assert r.json()["items"][0]["subject_id"] == t["id"] and raw not in r.text


async def test_scopes_enforced_and_not_escalated(alice: Api, demo: dict[str, Any], rt: Runtime,
                                                 clock: FrozenClock) -> None:
    client, org = alice.client, demo["org_id"]
    reader = await make_token(alice, demo, ["directory:read", "tokens:read", "tokens:write"])
    h = bearer(reader["token"])
    r = await client.get(f"/api/v1/orgs/{org}/members", headers=h)
    assert r.status_code == 200 and len(r.json()["items"]) == 14
    r = await client.post(f"/api/v1/orgs/{org}/roles", json={"name": "Bots"}, headers=h)
    assert r.status_code == 403 and r.json()["required_scope"] == "directory:write"
    # no CSRF header needed with a token: no cookie, no CSRF risk
    r = await client.post(turl(demo), json={"name": "more", "scopes": ["directory:write"]}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "subset", "cannot grant what it lacks"
    r = await client.post(turl(demo), json={"name": "less", "scopes": ["directory:read"]}, headers=h)
    assert r.status_code == 201, "may grant a subset of its own scopes"
    r = await client.post(turl(demo), json={"name": "bad", "scopes": ["directory:read", "root"]}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.scopes[1]"
    for bad in ({"name": "x", "scopes": []}, {"name": "", "scopes": ["org:read"]},
                {"name": "x", "scopes": ["org:read"], "expires_in_days": 0}, {"name": "x", "scopes": ["org:read"],
                                                                              "kind": "robot"}):
        assert (await alice.post(turl(demo), bad)).status_code == 400, bad
    # a write scope carries its read scope (a writer sees what it writes), and may pass it on
    writer = await make_token(alice, demo, ["directory:write", "tokens:write"])
    hw = bearer(writer["token"])
    assert (await client.get(f"/api/v1/orgs/{org}/members", headers=hw)).status_code == 200
    assert (await client.get(turl(demo), headers=hw)).status_code == 200
    r = await client.post(turl(demo), json={"name": "r", "scopes": ["directory:read", "tokens:read"]}, headers=hw)
    assert r.status_code == 201, r.text
    r = await client.post(turl(demo), json={"name": "o", "scopes": ["org:read"]}, headers=hw)
    assert r.status_code == 422, "but nothing it does not hold"
    assert (await client.get(f"/api/v1/orgs/{org}", headers=hw)).json()["required_scope"] == "org:read"
    # last use is kept, to the minute
    async with rt.db.transaction(write=False) as conn:
        used = (await conn.execute(sa.select(api_tokens.c.last_used_at).where(
            api_tokens.c.id == uuid.UUID(reader["id"])))).scalar_one()
    assert used == clock.now()
    r = await client.get("/api/v1/scopes")
    assert {"directory:read", "directory:write", "audit:read"} <= {s["name"] for s in r.json()["items"]}


async def test_revoke_and_expiry(alice: Api, demo: dict[str, Any], clock: FrozenClock) -> None:
    client, org = alice.client, demo["org_id"]
    forever = await make_token(alice, demo, ["directory:read"])
    short = await make_token(alice, demo, ["directory:read"], expires_in_days=1)
    assert short["expires_at"] is not None and forever["expires_at"] is None
    members = f"/api/v1/orgs/{org}/members"
    assert (await client.get(members, headers=bearer(short["token"]))).status_code == 200
    clock.advance(days=1, seconds=1)
    r = await client.get(members, headers=bearer(short["token"]))
    assert r.status_code == 401 and r.json()["type"].endswith("/unauthorized")
    assert (await client.get(members, headers=bearer(forever["token"]))).status_code == 200
    r = await alice.delete(turl(demo, forever["id"]))
    assert r.status_code == 204
    r = await client.get(members, headers=bearer(forever["token"]))
    assert r.status_code == 401
    assert (await alice.delete(turl(demo, forever["id"]))).status_code == 404
    assert forever["id"] not in [t["id"] for t in (await alice.get(turl(demo))).json()["items"]]
    # a token that was tampered with, or is no token at all
    raw = short["token"]
    for bad in (raw[:-2] + ("AA" if raw[-2:] != "AA" else "BB"), "tack_", "tack_!!!", "nonsense", "tack_" + "A" * 70):
        r = await client.get(members, headers=bearer(bad))
        assert r.status_code == 401, bad
    r = await client.get(members, headers={"Authorization": "Basic YWxpY2U6cHc="})
    assert r.status_code == 200, "not a bearer token: the session cookie still counts"


async def test_organization_token_acts_as_the_org(alice: Api, demo: dict[str, Any]) -> None:
    client, org, did = alice.client, demo["org_id"], demo["departments"]
    t = await make_token(alice, demo, ["directory:read", "directory:write", "audit:read", "tokens:read"],
                         kind="organization", name="HR sync")
    h = bearer(t["token"])
    r = await client.post(f"/api/v1/orgs/{org}/departments", json={"name": "Synced", "parent_id": did["HR"]},
                          headers=h)
    assert r.status_code == 201, r.text
    dept = r.json()["id"]
    r = await client.get(f"/api/v1/orgs/{org}/audit", headers=h)
    assert r.status_code == 200
    entry = next(e for e in r.json()["items"] if e["subject_id"] == dept)
    assert entry["actor_kind"] == "token" and entry["token_id"] == t["id"]
    assert entry["actor_member_id"] is None and "HR sync" in entry["actor_name"]
    # it acts for the organization, not as a person
    assert (await client.get("/api/v1/me", headers=h)).status_code == 403
    r = await client.put(f"/api/v1/orgs/{org}/members/{demo['members']['bob@example.com']}/admin",
                         json={"admin_role": "admin"}, headers=h)
    assert r.status_code == 403, "naming admins is for the owner"
    r = await client.post(turl(demo), json={"name": "p", "scopes": ["directory:read"]}, headers=h)
    assert r.status_code == 403, "tokens:write is not among its scopes"
    maker = await make_token(alice, demo, ["tokens:write", "directory:read"], kind="organization")
    r = await client.post(turl(demo), json={"name": "p", "scopes": ["directory:read"]}, headers=bearer(maker["token"]))
    assert r.status_code == 403, "only a person holds a personal token"
    r = await client.post(turl(demo), json={"name": "o", "scopes": ["directory:read"], "kind": "organization"},
                          headers=bearer(maker["token"]))
    assert r.status_code == 201 and r.json()["member_id"] is None
    listed = [x["id"] for x in (await client.get(turl(demo), headers=h)).json()["items"]]
    assert t["id"] in listed and len(listed) == 3, "the organization's tokens"
    # a plain member cannot make one, and does not see it
    bob = await sign_in(client, "bob@example.com")
    r = await bob.post(turl(demo), {"name": "mine", "scopes": ["directory:read"], "kind": "organization"})
    assert r.status_code == 403
    assert (await bob.get(turl(demo))).json()["items"] == []
    assert (await bob.delete(turl(demo, t["id"]))).status_code == 403
    # it outlives the admin who made it leaving? it belongs to the org: deactivating Leo keeps it
    leo = await sign_in(client, "leo@example.com")
    lt = await make_token(leo, demo, ["directory:read"], kind="organization")
    alice = await sign_in(client, "alice@example.com")
    await alice.post(f"/api/v1/orgs/{org}/members/{demo['members']['leo@example.com']}/deactivate")
    assert (await client.get(f"/api/v1/orgs/{org}/members", headers=bearer(lt["token"]))).status_code == 200


async def test_personal_token_is_role_and_scopes(client: Any, demo: dict[str, Any]) -> None:
    org, did = demo["org_id"], demo["departments"]
    body = {"name": "Tokened", "parent_id": did["HR"]}
    bob = await sign_in(client, "bob@example.com")
    bt = await make_token(bob, demo, ["directory:read", "directory:write"])
    r = await client.post(f"/api/v1/orgs/{org}/departments", json=body, headers=bearer(bt["token"]))
    assert r.status_code == 403 and "required_scope" not in r.json(), "Bob is a plain member: scope is not enough"
    r = await client.get("/api/v1/me", headers=bearer(bt["token"]))
    assert r.status_code == 200 and r.json()["user"]["email"] == "bob@example.com" and r.json()["csrf_token"] is None
    leo = await sign_in(client, "leo@example.com")
    write = await make_token(leo, demo, ["directory:write"])
    read = await make_token(leo, demo, ["directory:read"])
    r = await client.post(f"/api/v1/orgs/{org}/departments", json=body, headers=bearer(read["token"]))
    assert r.status_code == 403 and r.json()["required_scope"] == "directory:write"
    r = await client.post(f"/api/v1/orgs/{org}/departments", json=body, headers=bearer(write["token"]))
    assert r.status_code == 201, "Leo is an admin and the token carries the scope"
    alice = await sign_in(client, "alice@example.com")
    r = await alice.get(f"/api/v1/orgs/{org}/audit", params={"action": "department.created"})
    entry = r.json()["items"][0]
    assert (entry["actor_kind"], entry["actor_name"], entry["token_id"]) == ("token", "Leo Guo", write["id"])
    assert entry["actor_member_id"] == demo["members"]["leo@example.com"]
    # a token never creates organizations (that is a person's act, from a session)
    r = await client.post("/api/v1/orgs", json={"name": "Shadow"}, headers=bearer(write["token"]))
    assert r.status_code == 401
    # who sees and revokes whose personal tokens
    bob = await sign_in(client, "bob@example.com")
    assert [t["id"] for t in (await bob.get(turl(demo))).json()["items"]] == [bt["id"]]
    assert (await bob.delete(turl(demo, write["id"]))).status_code == 404, "Leo's token is invisible to Bob"
    leo = await sign_in(client, "leo@example.com")
    assert (await leo.delete(turl(demo, bt["id"]))).status_code == 204, "an admin may revoke anyone's token"


async def test_token_of_one_org_is_nothing_in_another(alice: Api, demo: dict[str, Any]) -> None:
    client = alice.client
    t = await make_token(alice, demo, ["directory:read", "org:read"])
    r = await alice.post("/api/v1/orgs", {"name": "Other Org"})
    other = r.json()["id"]
    for path in ("", "/members", "/departments"):
        r = await client.get(f"/api/v1/orgs/{other}{path}", headers=bearer(t["token"]))
        assert r.status_code == 404 and r.json()["type"].endswith("/not-found"), path
    # and an id of a token of this org used on the other org's path is not found either
    r = await alice.delete(f"/api/v1/orgs/{other}/tokens/{t['id']}")
    assert r.status_code == 404
    assert (await client.get(f"/api/v1/orgs/{demo['org_id']}/members", headers=bearer(t["token"]))).status_code == 200
