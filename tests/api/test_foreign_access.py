"""Tenant isolation: nobody from organization B can read or change anything of organization A.

Driven by the OpenAPI document, not by a list of routes: every operation whose path holds
`{org_id}` is called with org A's id and real ids of org A's objects, with a valid body, by
org B's organization token (all scopes), org B's personal token, and an org-B person's session.
Every answer must be 403 or 404, and org A's rows must be exactly as before. A new route that
leaks fails here without anyone adding it to a list; a new route whose body this file cannot
build gets a generated one (and fails with 400 until BODIES has a valid one, because a request
refused for its shape never reached the tenant check).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from tack.core.db import metadata
from tack.core.ids import new_id
from tack.directory.tables import orgs, roles
from tack.runtime import Runtime
from tests.api.helpers import Multipart, all_scopes, diff, make_token, new_org, operations, snapshot
from tests.conftest import Api, new_email
from tests.files.samples import png

ORG_PREFIX = "/api/v1/orgs/{org_id}"


class Ids:
    """Real ids of one organization's objects, by path parameter name."""

    def __init__(self, rt: Runtime, org_id: str, known: dict[str, str]) -> None:
        self.rt, self.org_id, self.known = rt, org_id, known

    async def get(self, param: str) -> str:
        if param == "org_id":
            return self.org_id
        if param in self.known:
            return self.known[param]
        # A parameter this file does not know (a new route): any row of that table in the org.
        table = metadata.tables.get(param.removesuffix("_id") + "s")
        if table is not None and "org_id" in table.c and "id" in table.c:
            async with self.rt.db.transaction(write=False) as conn:
                found = (await conn.execute(sa.select(table.c.id).where(
                    table.c.org_id == uuid.UUID(self.org_id)).limit(1))).scalar()
            if found is not None:
                return str(found)
        return str(new_id())


def bodies(ids: dict[str, str], scopes: list[str]) -> dict[tuple[str, str], Any]:
    """A valid body for each operation that takes one, aimed at the victim's objects."""
    p = ORG_PREFIX
    return {
        ("PATCH", p): {"name": "Hijacked", "locale": "zh-CN"},
        ("POST", f"{p}/departments"): {"name": "Hijack", "parent_id": ids["root_id"]},
        ("PATCH", f"{p}/departments/{{department_id}}"): {"name": "Hijacked", "position": 0},
        ("PUT", f"{p}/departments/{{department_id}}/heads"): {"member_ids": [ids["member_id"]]},
        ("POST", f"{p}/members"): {"name": "Mallory", "email": new_email(), "department_ids": [ids["department_id"]]},
        ("PATCH", f"{p}/members/{{member_id}}"): {"job_title": "Hijacked", "manager_id": None},
        ("PUT", f"{p}/members/{{member_id}}/admin"): {"admin_role": "admin"},
        ("POST", f"{p}/roles"): {"name": "Hijackers", "description": "x"},
        ("PATCH", f"{p}/roles/{{role_id}}"): {"name": "Hijacked"},
        ("POST", f"{p}/roles/{{role_id}}/members"): {"member_ids": [ids["member_id"]]},
        ("POST", f"{p}/invitations"): {"department_id": ids["department_id"], "max_uses": 5},
        ("POST", f"{p}/tokens"): {"name": "stolen", "kind": "organization", "scopes": scopes},
        ("POST", f"{p}/apps/install"): {"template": "visitor"},
        ("PUT", f"{p}/forms/{{form_id}}/flow"): {"definition": {"name": "Hijack", "nodes": [
            {"type": "start", "id": "n_start"},
            {"type": "approver", "id": "n_evil", "name": "Evil", "assignees": [{"rule": "initiator"}]}]}},
        ("POST", f"{p}/forms/{{form_id}}/approvals"): {"data": {"Title": "Hijack"}},
        ("POST", f"{p}/forms/{{form_id}}/approvals/preview"): {"data": {"Title": "Hijack"}},
        ("POST", f"{p}/files"): Multipart(files={"file": ("stolen.png", png(), "image/png")}, data={"purpose": "image"}),
    }


BPMN_SAMPLE = (b'<?xml version="1.0"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
               b'targetNamespace="x"><process id="p" isExecutable="true"><startEvent id="s"/>'
               b'<sequenceFlow id="f1" sourceRef="s" targetRef="e"/><endEvent id="e"/></process></definitions>')


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def sample(schema: dict[str, Any], doc: dict[str, Any], ids: dict[str, str], name: str = "") -> Any:
    """A plausible value for a JSON schema: required properties only, ids of the victim's objects."""
    schema = _resolve(schema, doc)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            alt = next((a for a in schema[key] if _resolve(a, doc).get("type") != "null"), schema[key][0])
            merged = {k: v for k, v in schema.items() if k != key}
            return sample({**merged, **_resolve(alt, doc)}, doc, ids, name)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: sample(props.get(k, {}), doc, ids, k) for k in schema.get("required", [])}
    if kind == "array":
        return [sample(schema.get("items", {}), doc, ids, name.removesuffix("s"))
                for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        if schema.get("format") == "uuid":
            return ids.get(name, ids.get(name + "_id", ids["member_id"]))
        if schema.get("format") == "date-time":
            return dt.datetime.now(dt.UTC).isoformat()
        if "email" in name:
            return new_email()
        return "Example"[: schema.get("maxLength", 7)].ljust(schema.get("minLength", 1), "x")
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    return None


async def walk(client: AsyncTestClient[Any], doc: dict[str, Any], path_ids: Ids, body_ids: dict[str, str],
               scopes: list[str], headers: dict[str, str], *, only_with_object: bool = False
               ) -> list[tuple[str, str, int, str]]:
    """Call every org-scoped operation; returns (method, url, status, body) of each call."""
    table = bodies(body_ids, scopes)
    seen = []
    for method, template, op in operations(doc):
        if "{org_id}" not in template:
            continue
        params = [p for p in op.get("parameters", []) if p["in"] == "path"]
        if only_with_object and not any(p["name"] not in ("org_id", "tab") for p in params):  # tab: an inbox's
            continue
        url = template
        for p in params:
            url = url.replace("{" + p["name"] + "}", await path_ids.get(p["name"]))
        query = {p["name"]: sample(p.get("schema", {}), doc, body_ids, p["name"])
                 for p in op.get("parameters", []) if p["in"] == "query" and p.get("required")}
        kw: dict[str, Any] = {"headers": headers, "params": query}
        if "requestBody" in op:
            body = table.get((method, template))
            if isinstance(body, Multipart):
                kw.update(files=body.files, data=body.data)
            elif "application/json" not in op["requestBody"]["content"]:
                # A document upload (a BPMN file): a valid one of its own type.
                kind = next(iter(op["requestBody"]["content"]))
                kw["content"] = body if body is not None else BPMN_SAMPLE
                kw["headers"] = {**headers, "Content-Type": kind}
            else:
                if body is None:
                    schema = op["requestBody"]["content"]["application/json"]["schema"]
                    body = sample(schema, doc, body_ids)
                kw["json"] = body
        r = await client.request(method, url, **kw)
        seen.append((method, url, r.status_code, r.text[:300]))
    assert len(seen) > 0
    return seen


async def _org_a_ids(rt: Runtime, alice: Api, demo: dict[str, Any], scopes: list[str]) -> dict[str, str]:
    org = demo["org_id"]
    r = await alice.post(f"/api/v1/orgs/{org}/invitations", {"department_id": demo["departments"]["Sales West"]})
    assert r.status_code == 201, r.text
    invitation_id = r.json()["id"]
    token_id = (await make_token(alice, org, kind="organization", scopes=scopes, name="A's robot"))["id"]
    r = await alice.client.post(f"/api/v1/orgs/{org}/files", files={"file": ("a.png", png(), "image/png")},
                                headers={"X-CSRF-Token": alice.csrf})
    assert r.status_code == 201, r.text
    file_id = r.json()["id"]
    # An app with a form, a record and a comment, so the app and record routes act on real ids.
    app_id = (await alice.post(f"/api/v1/orgs/{org}/apps", {"name": "A's app"})).json()["id"]
    r = await alice.post(f"/api/v1/orgs/{org}/apps/{app_id}/forms", {"name": "A's form", "fields": [
        {"id": "f_title001", "name": "Title", "type": "text"}, {"id": "f_old00001", "name": "Old", "type": "text"}]})
    assert r.status_code == 201, r.text
    form_id = r.json()["id"]
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form_id}/versions", {"definition": {  # "Old" goes to the trash
        "name": "A's form", "fields": [{"id": "f_title001", "name": "Title", "type": "text"}]}})
    assert r.status_code == 201, r.text
    record_id = (await alice.post(f"/api/v1/orgs/{org}/forms/{form_id}/records",
                                  {"data": {"Title": "secret"}})).json()["id"]
    comment_id = (await alice.post(f"/api/v1/orgs/{org}/records/{record_id}/comments",
                                   {"body": "secret too"})).json()["id"]
    view_id = (await alice.post(f"/api/v1/orgs/{org}/forms/{form_id}/views", {"name": "A's view"})).json()["id"]
    group_id = (await alice.get(f"/api/v1/orgs/{org}/apps/{app_id}/permission-groups")).json()["items"][0]["id"]
    async with rt.db.transaction(write=False) as conn:
        role_id = (await conn.execute(sa.select(roles.c.id).where(
            roles.c.org_id == uuid.UUID(org), roles.c.name == "Finance"))).scalar_one()
        root_id = (await conn.execute(sa.select(orgs.c.root_department_id).where(
            orgs.c.id == uuid.UUID(org)))).scalar_one()
    # An approval on A's form (its one step goes to alice), so the flow, instance and task routes
    # act on real ids; and a delegation.
    r = await alice.put(f"/api/v1/orgs/{org}/forms/{form_id}/flow", {"definition": {
        "name": "A's flow", "nodes": [{"type": "start", "id": "n_start"}, {
            "type": "approver", "id": "n_boss", "name": "Boss",
            "assignees": [{"rule": "members", "member_ids": [demo["members"]["alice@example.com"]]}]}]}})
    assert r.status_code == 200, r.text
    assert (await alice.post(f"/api/v1/orgs/{org}/flows/{r.json()['id']}/publish")).status_code == 200
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form_id}/approvals", {"data": {"Title": "secret approval"}})
    assert r.status_code == 201, r.text
    instance = r.json()
    task_id = next(t["id"] for t in instance["tasks"] if t["state"] == "pending")
    r = await alice.post(f"/api/v1/orgs/{org}/delegations", {
        "delegate_id": demo["members"]["bob@example.com"], "starts_at": "2026-12-01T00:00:00Z",
        "ends_at": "2026-12-05T00:00:00Z"})
    assert r.status_code == 201, r.text
    delegation_id = r.json()["id"]
    return {"department_id": demo["departments"]["Sales West"], "member_id": demo["members"]["iris@example.com"],
            "instance_id": instance["id"], "task_id": task_id, "delegation_id": delegation_id, "tab": "todo",
            "version": "1", "flow_id": instance["flow_id"],
            "role_id": str(role_id), "invitation_id": invitation_id, "token_id": token_id,
            "root_id": str(root_id), "parent_id": str(root_id), "manager_id": demo["members"]["grace@example.com"],
            "file_id": file_id, "app_id": app_id, "form_id": form_id, "record_id": record_id, "field": "f_old00001",
            "comment_id": comment_id, "view_id": view_id, "group_id": group_id}


def _bad(seen: list[tuple[str, str, int, str]], allowed: set[int]) -> list[str]:
    return [f"{m} {u} -> {s}: {b}" for m, u, s, b in seen if s not in allowed]


async def test_org_b_cannot_touch_org_a(client: AsyncTestClient[Any], rt: Runtime, alice: Api,
                                        demo: dict[str, Any]) -> None:
    org_a = demo["org_id"]
    doc = (await client.get("/api/openapi.json")).json()
    scopes = await all_scopes(client)
    a_ids = await _org_a_ids(rt, alice, demo, scopes)

    bob_b, org_b = await new_org(client, rt)  # signs out alice: the client now holds B's session
    b_org_token = (await make_token(bob_b, org_b, kind="organization", scopes=scopes))["token"]
    b_personal = (await make_token(bob_b, org_b, kind="personal", scopes=scopes))["token"]
    assert any("{org_id}" in t for _m, t, _o in operations(doc))

    before = await snapshot(rt, org_a)
    ids = Ids(rt, org_a, a_ids)
    # the session of an org-B person, with a correct CSRF token (so the org check is what refuses)
    seen = await walk(client, doc, ids, a_ids, scopes, {"X-CSRF-Token": bob_b.csrf})
    assert not _bad(seen, {403, 404}), "\n".join(_bad(seen, {403, 404}))
    client.cookies.clear()
    for token in (b_org_token, b_personal):
        seen = await walk(client, doc, ids, a_ids, scopes, {"Authorization": f"Bearer {token}"})
        assert not _bad(seen, {403, 404}), "\n".join(_bad(seen, {403, 404}))
        assert all(r[3].find("Demo Co.") < 0 and r[3].find("iris") < 0 for r in seen), "nothing of A is shown"
    assert diff(before, await snapshot(rt, org_a)) == []


async def test_org_a_objects_under_org_b_path(client: AsyncTestClient[Any], rt: Runtime, alice: Api,
                                              demo: dict[str, Any]) -> None:
    """Org B's own path with org A's object ids: every one is "not found" in B."""
    org_a = demo["org_id"]
    doc = (await client.get("/api/openapi.json")).json()
    scopes = await all_scopes(client)
    a_ids = await _org_a_ids(rt, alice, demo, scopes)
    bob_b, org_b = await new_org(client, rt)
    token = (await make_token(bob_b, org_b, kind="organization", scopes=scopes))["token"]
    before = await snapshot(rt, org_a)

    # B's owner (every permission in B): each of A's objects is simply not found in B
    seen = await walk(client, doc, Ids(rt, org_b, a_ids), a_ids, scopes, {"X-CSRF-Token": bob_b.csrf},
                      only_with_object=True)
    assert len(seen) >= 20
    assert not _bad(seen, {404}), "\n".join(_bad(seen, {404}))
    # B's organization token: the same, except where its kind may not act at all (naming admins)
    client.cookies.clear()
    auth = {"Authorization": f"Bearer {token}"}
    r = await client.get(f"/api/v1/orgs/{org_b}/members/{a_ids['member_id']}", headers=auth)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    seen = await walk(client, doc, Ids(rt, org_b, a_ids), a_ids, scopes, auth, only_with_object=True)
    assert not _bad(seen, {403, 404}), "\n".join(_bad(seen, {403, 404}))
    assert diff(before, await snapshot(rt, org_a)) == []


async def test_org_a_ids_in_org_b_bodies(client: AsyncTestClient[Any], rt: Runtime, alice: Api,
                                         demo: dict[str, Any]) -> None:
    """References to org A's objects inside org B's commands are "no such ... in this organization"."""
    org_a = demo["org_id"]
    a_dept, a_member = demo["departments"]["Sales"], demo["members"]["carol@example.com"]
    a_role = (await alice.get(f"/api/v1/orgs/{org_a}/roles")).json()["items"][0]["id"]
    bob_b, org_b = await new_org(client, rt)
    base = f"/api/v1/orgs/{org_b}"
    root_b = (await bob_b.get(base)).json()["root_department_id"]
    m = await bob_b.post(f"{base}/members", {"name": "Zed", "email": new_email()})
    assert m.status_code == 201, m.text
    zed = m.json()["id"]
    role = (await bob_b.post(f"{base}/roles", {"name": "Ops"})).json()["id"]
    before_a, before_b = await snapshot(rt, org_a), await snapshot(rt, org_b)

    cases = [
        ("POST", f"{base}/departments", {"name": "X", "parent_id": a_dept}, "$.parent_id"),
        ("PATCH", f"{base}/departments/{root_b}", {"parent_id": a_dept}, "$.parent_id"),
        ("POST", f"{base}/members", {"name": "Y", "email": new_email(), "department_ids": [a_dept]},
         "$.department_ids[0]"),
        ("POST", f"{base}/members", {"name": "Y", "email": new_email(), "manager_id": a_member}, "$.manager_id"),
        ("PATCH", f"{base}/members/{zed}", {"manager_id": a_member}, "$.manager_id"),
        ("PATCH", f"{base}/members/{zed}", {"department_ids": [root_b, a_dept]}, "$.department_ids[1]"),
        ("PUT", f"{base}/departments/{root_b}/heads", {"member_ids": [a_member]}, "$.member_ids[0]"),
        ("POST", f"{base}/roles/{role}/members", {"member_ids": [zed, a_member]}, "$.member_ids[1]"),
        ("PUT", f"{base}/members/{zed}/admin", {"admin_role": "sub_admin", "department_ids": [a_dept]},
         "$.department_ids[0]"),
        ("POST", f"{base}/invitations", {"department_id": a_dept}, "$.department_id"),
        ("PATCH", "/api/v1/me", {"last_org_id": org_a}, "$.last_org_id"),
    ]
    for method, url, body, path in cases:
        r = await bob_b.client.request(method, url, json=body, headers={"X-CSRF-Token": bob_b.csrf})
        assert r.status_code == 422, (method, url, r.status_code, r.text)
        assert [e["path"] for e in r.json()["errors"]] == [path], (method, url, r.text)
    r = await bob_b.get(f"{base}/members", params={"department_id": a_dept})
    assert r.status_code == 404, r.text
    r = await bob_b.get(f"{base}/members", params={"role_id": a_role})
    assert r.status_code == 200 and r.json()["items"] == [], "A's role holds no one in B"
    r = await bob_b.get(f"{base}/roles/{a_role}/members")
    assert r.status_code == 404, r.text
    assert diff(before_a, await snapshot(rt, org_a)) == []
    assert diff(before_b, await snapshot(rt, org_b)) == []
