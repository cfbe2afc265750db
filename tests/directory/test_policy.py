"""Who may do what: plain members read, admins write, sub-admins write inside their
departments only, owners alone name admins and read the audit log, tokens stay within scopes."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tack.directory.tables import departments, members, roles
from tack.runtime import Runtime
from tests.directory.conftest import sign_in


async def directory_snapshot(rt: Runtime, org: str) -> list[Any]:
    """Everything a refused write could have touched."""
    org_id = uuid.UUID(org)
    async with rt.db.transaction(write=False) as conn:
        out = []
        for t in (departments, members, roles):
            out.append(sorted(tuple(r) for r in (await conn.execute(sa.select(t).where(t.c.org_id == org_id))).all()))
    return out


def is_forbidden(r: Any) -> bool:
    return (r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
            and r.json()["type"].endswith("/forbidden"))


async def test_plain_member_reads_but_cannot_write(client: Any, demo: dict[str, Any], rt: Runtime) -> None:
    org, did, mid = demo["org_id"], demo["departments"], demo["members"]
    base = f"/api/v1/orgs/{org}"
    carol = await sign_in(client, "carol@example.com")
    for path in ("", "/departments", f"/departments/{did['HR']}", "/members", f"/members/{mid['bob@example.com']}",
                 "/roles", f"/members/{mid['carol@example.com']}/manager"):
        r = await carol.get(base + path)
        assert r.status_code == 200, (path, r.text)
    before = await directory_snapshot(rt, org)
    writes = [
        ("patch", "", {"name": "Carol Co."}),
        ("post", "/departments", {"name": "Mine", "parent_id": did["Backend"]}),
        ("patch", f"/departments/{did['Backend']}", {"name": "Carol's"}),
        ("delete", f"/departments/{did['HR']}", None),
        ("put", f"/departments/{did['Backend']}/heads", {"member_ids": [mid["carol@example.com"]]}),
        ("post", "/members", {"name": "Friend", "email": "friend@example.com"}),
        ("patch", f"/members/{mid['carol@example.com']}", {"job_title": "CTO"}),  # not even herself
        ("post", f"/members/{mid['dan@example.com']}/deactivate", None),
        ("put", f"/members/{mid['carol@example.com']}/admin", {"admin_role": "admin"}),
        ("post", "/roles", {"name": "Mine"}),
        ("post", "/invitations", {}),
    ]
    for method, path, body in writes:
        fn = getattr(carol, method)
        r = await (fn(base + path, body) if body is not None else fn(base + path))
        assert is_forbidden(r), (method, path, r.status_code, r.text)
    for path in ("/audit", "/invitations"):
        assert is_forbidden(await carol.get(base + path)), path
    assert await directory_snapshot(rt, org) == before


async def test_sub_admin_inside_and_outside_her_departments(client: Any, demo: dict[str, Any], rt: Runtime) -> None:
    org, did, mid = demo["org_id"], demo["departments"], demo["members"]
    base = f"/api/v1/orgs/{org}"
    grace = await sign_in(client, "grace@example.com")
    # reading is open to her everywhere, like any member
    assert (await grace.get(f"{base}/members", params={"department_id": did["Engineering"]})).status_code == 200
    assert (await grace.get(f"{base}/departments/{did['Backend']}/heads")).status_code == 200
    # inside Sales
    r = await grace.post(f"{base}/departments", {"name": "Key Accounts", "parent_id": did["Sales East"]})
    assert r.status_code == 201, r.text
    key = r.json()["id"]
    assert (await grace.patch(f"{base}/departments/{key}", {"name": "Key Accts"})).status_code == 200
    assert (await grace.patch(f"{base}/departments/{key}", {"parent_id": did["Sales West"]})).status_code == 200
    r = await grace.post(f"{base}/members", {"name": "Sal Esman", "email": "sal@example.com",
                                             "department_ids": [did["Sales West"]]})
    assert r.status_code == 201, r.text
    r = await grace.patch(f"{base}/members/{mid['henry@example.com']}",
                          {"job_title": "Key Account Manager", "department_ids": [key]})
    assert r.status_code == 200, r.text
    assert (await grace.put(f"{base}/departments/{key}/heads", {"member_ids": [mid["henry@example.com"]]})
            ).status_code == 200
    assert (await grace.post(f"{base}/members/{mid['iris@example.com']}/deactivate")).status_code == 200
    assert (await grace.post(f"{base}/invitations", {"department_id": did["Sales"]})).status_code == 201
    # outside Sales: refused, and nothing changes
    before = await directory_snapshot(rt, org)
    refused = [
        ("post", "/departments", {"name": "Growth", "parent_id": did["Engineering"]}),
        ("post", "/departments", {"name": "Growth", "parent_id": did["Demo Co."]}),
        ("patch", f"/departments/{did['Sales East']}", {"parent_id": did["Engineering"]}),  # moving out
        ("patch", f"/departments/{did['Backend']}", {"parent_id": did["Sales"]}),  # pulling in
        ("patch", f"/departments/{did['Finance']}", {"name": "Money"}),
        ("delete", f"/departments/{did['HR']}", None),
        ("put", f"/departments/{did['Backend']}/heads", {"member_ids": []}),
        ("post", "/members", {"name": "Eng", "email": "eng@example.com", "department_ids": [did["Backend"]]}),
        ("post", "/members", {"name": "Both", "email": "both@example.com",
                              "department_ids": [did["Sales"], did["Backend"]]}),
        ("post", "/members", {"name": "Nowhere", "email": "nowhere@example.com"}),  # the root
        ("patch", f"/members/{mid['carol@example.com']}", {"job_title": "x"}),
        ("patch", f"/members/{mid['henry@example.com']}", {"department_ids": [did["Backend"]]}),  # moving out
        ("post", f"/members/{mid['bob@example.com']}/deactivate", None),
        ("put", f"/members/{mid['henry@example.com']}/admin", {"admin_role": "sub_admin",
                                                               "department_ids": [did["Sales East"]]}),
        ("post", "/roles", {"name": "Sales Ops"}),
        ("patch", "", {"name": "Grace Co."}),
    ]
    for method, path, body in refused:
        fn = getattr(grace, method)
        r = await (fn(base + path, body) if body is not None else fn(base + path))
        assert is_forbidden(r), (method, path, r.status_code, r.text)
    assert await directory_snapshot(rt, org) == before
    assert is_forbidden(await grace.get(f"{base}/audit"))


async def test_admin_writes_everywhere_but_cannot_name_admins_or_read_audit(client: Any, demo: dict[str, Any]) -> None:
    org, did, mid = demo["org_id"], demo["departments"], demo["members"]
    base = f"/api/v1/orgs/{org}"
    leo = await sign_in(client, "leo@example.com")
    assert (await leo.post(f"{base}/departments", {"name": "Growth", "parent_id": did["Engineering"]})).status_code == 201
    assert (await leo.post(f"{base}/roles", {"name": "Mentors"})).status_code == 201
    assert (await leo.patch(f"{base}", {"logo_url": "https://example.com/logo.png"})).status_code == 200
    assert (await leo.post(f"{base}/members/{mid['grace@example.com']}/deactivate")).status_code == 200
    for role in ("admin", "member"):
        r = await leo.put(f"{base}/members/{mid['bob@example.com']}/admin", {"admin_role": role})
        assert is_forbidden(r), role
    r = await leo.put(f"{base}/members/{mid['leo@example.com']}/admin", {"admin_role": "member"})
    assert is_forbidden(r), "not even to step down: the owner decides"
    assert is_forbidden(await leo.get(f"{base}/audit"))
    alice = await sign_in(client, "alice@example.com")
    r = await alice.get(f"{base}/audit")
    assert r.status_code == 200
    assert [e["action"] for e in r.json()["items"][:4]] == ["member.deactivated", "org.updated", "role.created",
                                                           "department.created"]
    assert {e["actor_name"] for e in r.json()["items"][:4]} == {"Leo Guo"}
    # newest first, in pages that neither skip nor repeat
    everything = [e["id"] for e in (await alice.get(f"{base}/audit", params={"limit": 200})).json()["items"]]
    paged, cursor = [], None
    while True:
        page = (await alice.get(f"{base}/audit", params={"limit": 7, **({"cursor": cursor} if cursor else {})})).json()
        paged += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert paged == everything and len(everything) > 7
    r = await alice.get(f"{base}/audit", params={"cursor": "garbage"})
    assert r.status_code == 422


async def test_tokens_are_limited_by_scope(client: Any, demo: dict[str, Any]) -> None:
    org, did = demo["org_id"], demo["departments"]
    base = f"/api/v1/orgs/{org}"
    alice = await sign_in(client, "alice@example.com")
    r = await alice.post(f"{base}/tokens", {"name": "reader", "scopes": ["directory:read"]})
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    assert (await client.get(f"{base}/members", headers=auth)).status_code == 200
    checks = [
        ("post", "/departments", {"name": "X", "parent_id": did["HR"]}, "directory:write"),
        ("get", "", None, "org:read"),
        ("patch", "", {"name": "Y"}, "org:write"),
        ("get", "/audit", None, "audit:read"),
        ("get", "/tokens", None, "tokens:read"),
        ("post", "/tokens", {"name": "t", "scopes": ["directory:read"]}, "tokens:write"),
    ]
    for method, path, body, scope in checks:
        kw: dict[str, Any] = {"headers": auth}
        if body is not None:
            kw["json"] = body
        r = await getattr(client, method)(base + path, **kw)
        assert is_forbidden(r), (path, r.text)
        assert r.json()["required_scope"] == scope
        assert scope in r.json()["detail"]
    # an owner's token with every scope acts as the owner: audit is readable
    alice = await sign_in(client, "alice@example.com")
    r = await alice.post(f"{base}/tokens", {"name": "all", "scopes": ["audit:read", "org:read"]})
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    assert (await client.get(f"{base}/audit", headers=auth)).status_code == 200


async def test_sub_admin_cannot_touch_an_administrator_in_her_departments(client: Any, demo: dict[str, Any]) -> None:
    org, did, mid = demo["org_id"], demo["departments"], demo["members"]
    base = f"/api/v1/orgs/{org}/members"
    alice = await sign_in(client, "alice@example.com")
    # Leo (an admin) and Alice (the owner) also sit in Sales West, Grace's territory
    for who in ("leo@example.com", "alice@example.com"):
        r = await alice.patch(f"{base}/{mid[who]}", {"department_ids": [did["Sales West"]]})
        assert r.status_code == 200
    grace = await sign_in(client, "grace@example.com")
    for who in ("leo@example.com", "alice@example.com"):
        assert is_forbidden(await grace.post(f"{base}/{mid[who]}/deactivate")), who
        assert is_forbidden(await grace.patch(f"{base}/{mid[who]}", {"name": "Demoted"})), who
        assert is_forbidden(await grace.patch(f"{base}/{mid[who]}", {"department_ids": [did["Sales East"]]})), who
    r = await grace.patch(f"{base}/{mid['iris@example.com']}", {"job_title": "Senior Account Manager"})
    assert r.status_code == 200, "plain members of Sales remain hers to manage"
    leo = await sign_in(client, "leo@example.com")
    assert (await leo.get(f"/api/v1/orgs/{org}")).status_code == 200, "Leo is still active"
    assert (await leo.get(f"{base}/{mid['leo@example.com']}")).json()["name"] == "Leo Guo"
