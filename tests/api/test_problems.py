"""Bad input gets a clear answer and changes nothing.

Each case sends one malformed request (broken JSON, wrong types, out-of-range values, unknown
fields, blank names, bad ids in the path or query, a forged cursor) and expects
`application/problem+json` with the right status, an `errors[]` entry whose `path` names the
field and whose `rule` says what was broken, and not a single row changed anywhere.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tack.core.pagination import encode_cursor
from tack.runtime import Runtime
from tests.api.helpers import PROBLEM, count_rows, diff, snapshot
from tests.conftest import Api, new_email

NO_UUID = "not-a-uuid"
UNKNOWN = "01890000-0000-7000-8000-000000000000"  # a well-formed id of nothing

# (method, url, body, status, path, rule); url/body may use {org} {root} {carol} {bob} {finance}
# {dept}; a `bytes` body is sent as is. Groups: the endpoints the brief names, then ids and queries.
CASES: dict[str, list[tuple[str, str, Any, int, str, str]]] = {
    "create department": [
        ("POST", "/orgs/{org}/departments", b'{"name": "Labs",', 400, "$", "json"),
        ("POST", "/orgs/{org}/departments", b"", 400, "$", "required"),
        ("POST", "/orgs/{org}/departments", [], 400, "$", "type"),
        ("POST", "/orgs/{org}/departments", {"name": 5, "parent_id": "{root}"}, 400, "$.name", "type"),
        ("POST", "/orgs/{org}/departments", {"name": "   ", "parent_id": "{root}"}, 400, "$.name", "not-blank"),
        ("POST", "/orgs/{org}/departments", {"name": "", "parent_id": "{root}"}, 400, "$.name", "min-length"),
        ("POST", "/orgs/{org}/departments", {"name": "x" * 201, "parent_id": "{root}"}, 400, "$.name", "max-length"),
        ("POST", "/orgs/{org}/departments", {"parent_id": "{root}"}, 400, "$.name", "required"),
        ("POST", "/orgs/{org}/departments", {"name": "Labs", "parent_id": "{root}", "colour": "red"}, 400,
         "$.colour", "unknown-field"),
        ("POST", "/orgs/{org}/departments", {"name": "Labs", "parent_id": "{root}", "position": -1}, 400,
         "$.position", "minimum"),
        ("POST", "/orgs/{org}/departments", {"name": "Labs", "parent_id": "{root}", "position": 10**9}, 400,
         "$.position", "maximum"),
        ("POST", "/orgs/{org}/departments", {"name": "Labs", "parent_id": NO_UUID}, 400, "$.parent_id", "uuid"),
        ("POST", "/orgs/{org}/departments", {"name": "Labs", "parent_id": UNKNOWN}, 422, "$.parent_id", "exists"),
        ("POST", "/orgs/{org}/departments", {"name": "SALES", "parent_id": "{root}"}, 422, "$.name", "unique"),
        ("POST", "/orgs/{org}/departments", {"name": "La\u0000bs", "parent_id": "{root}"}, 400, "$.name", "no-nul"),
    ],
    "add member": [
        ("POST", "/orgs/{org}/members", {"name": "Nina", "email": "not-an-email"}, 400, "$.email", "pattern"),
        ("POST", "/orgs/{org}/members", {"email": "{email}"}, 400, "$.name", "required"),
        ("POST", "/orgs/{org}/members", {"name": "Nina", "email": "{email}", "department_ids": [NO_UUID]}, 400,
         "$.department_ids[0]", "uuid"),
        ("POST", "/orgs/{org}/members", {"name": "Nina", "email": "{email}", "department_ids": ["{dept}", UNKNOWN]},
         422, "$.department_ids[1]", "exists"),
        ("POST", "/orgs/{org}/members", {"name": "Nina", "email": "{email}", "department_ids": "{dept}"}, 400,
         "$.department_ids", "type"),
        ("POST", "/orgs/{org}/members", {"name": "Nina", "email": "{email}", "department_ids": [UNKNOWN] * 501},
         400, "$.department_ids", "max-length"),
        ("POST", "/orgs/{org}/members", {"name": "Nina", "email": "{email}", "manager_id": UNKNOWN}, 422,
         "$.manager_id", "exists"),
        ("POST", "/orgs/{org}/members", {"name": "Nina", "email": "{email}", "phone": "call me"}, 400,
         "$.phone", "pattern"),
        ("POST", "/orgs/{org}/members", {"name": "Bob again", "email": "BOB@example.com"}, 422, "$.email", "unique"),
    ],
    "update member": [
        ("PATCH", "/orgs/{org}/members/{carol}", {"manager_id": "{carol}"}, 422, "$.manager_id", "no-cycle"),
        ("PATCH", "/orgs/{org}/members/{bob}", {"manager_id": "{carol}"}, 422, "$.manager_id", "no-cycle"),
        ("PATCH", "/orgs/{org}/members/{carol}", {"employee_no": " E1"}, 400, "$.employee_no", "pattern"),
        ("PATCH", "/orgs/{org}/members/{carol}", {"status": "inactive"}, 400, "$.status", "unknown-field"),
        ("PATCH", "/orgs/{org}/members/{carol}", {"name": None}, 400, "$.name", "type"),
        ("PATCH", "/orgs/{org}/members/{carol}", {"department_ids": [UNKNOWN]}, 422, "$.department_ids[0]",
         "exists"),
        ("PATCH", "/orgs/{org}/members/" + NO_UUID, {"name": "X"}, 400, "member_id", "uuid"),
    ],
    "create role": [
        ("POST", "/orgs/{org}/roles", {"name": "FINANCE"}, 422, "$.name", "unique"),
        ("POST", "/orgs/{org}/roles", {"name": "\t "}, 400, "$.name", "not-blank"),
        ("POST", "/orgs/{org}/roles", {"name": "Ops", "description": "d" * 2001}, 400, "$.description", "max-length"),
        ("POST", "/orgs/{org}/roles", {"name": ["Ops"]}, 400, "$.name", "type"),
        ("PATCH", "/orgs/{org}/roles/{finance}", {"name": "director"}, 422, "$.name", "unique"),
        ("POST", "/orgs/{org}/roles/{finance}/members", {"member_ids": []}, 400, "$.member_ids", "min-length"),
        ("POST", "/orgs/{org}/roles/{finance}/members", {"member_ids": ["{carol}", UNKNOWN]}, 422,
         "$.member_ids[1]", "exists"),
    ],
    "create token": [
        ("POST", "/orgs/{org}/tokens", {"name": "ci", "scopes": []}, 400, "$.scopes", "min-length"),
        ("POST", "/orgs/{org}/tokens", {"name": "ci", "scopes": ["org:read", "root"]}, 422, "$.scopes[1]", "enum"),
        ("POST", "/orgs/{org}/tokens", {"name": "ci", "scopes": ["org:read"], "kind": "root"}, 400, "$.kind", "enum"),
        ("POST", "/orgs/{org}/tokens", {"name": "ci", "scopes": ["org:read"], "expires_in_days": 0}, 400,
         "$.expires_in_days", "minimum"),
        ("POST", "/orgs/{org}/tokens", {"name": " ", "scopes": ["org:read"]}, 400, "$.name", "not-blank"),
        ("DELETE", "/orgs/{org}/tokens/" + NO_UUID, None, 400, "token_id", "uuid"),
    ],
    "create invitation": [
        ("POST", "/orgs/{org}/invitations", {"expires_in_days": 366}, 400, "$.expires_in_days", "maximum"),
        ("POST", "/orgs/{org}/invitations", {"max_uses": 0}, 400, "$.max_uses", "minimum"),
        ("POST", "/orgs/{org}/invitations", {"max_uses": "ten"}, 400, "$.max_uses", "type"),
        ("POST", "/orgs/{org}/invitations", {"department_id": NO_UUID}, 400, "$.department_id", "uuid"),
        ("POST", "/orgs/{org}/invitations", {"department_id": UNKNOWN}, 422, "$.department_id", "exists"),
        ("DELETE", "/orgs/{org}/invitations/" + NO_UUID, None, 400, "invitation_id", "uuid"),
    ],
    "sign in": [
        ("POST", "/auth/sign-in", {"email": "alice", "password": "demo-password"}, 400, "$.email", "pattern"),
        ("POST", "/auth/sign-in", {"email": "alice@example.com"}, 400, "$.password", "required"),
        ("POST", "/auth/sign-in", {"email": "alice@example.com", "password": ""}, 400, "$.password", "min-length"),
        ("POST", "/auth/sign-in", "alice@example.com", 400, "$", "type"),
        ("POST", "/auth/sign-in", b"email=alice@example.com", 400, "$", "json"),
    ],
    "update me": [
        ("PATCH", "/me", {"locale": "fr"}, 400, "$.locale", "enum"),
        ("PATCH", "/me", {"time_zone": "Mars/Olympus"}, 422, "$.time_zone", "time-zone"),
        ("PATCH", "/me", {"name": "  "}, 400, "$.name", "not-blank"),
        ("PATCH", "/me", {"avatar_url": "javascript:alert(1)"}, 400, "$.avatar_url", "pattern"),
        ("PATCH", "/me", {"last_org_id": NO_UUID}, 400, "$.last_org_id", "uuid"),
        ("PATCH", "/me", {"last_org_id": UNKNOWN}, 422, "$.last_org_id", "member"),
        ("PATCH", "/me", {"email": "new@example.com"}, 400, "$.email", "unknown-field"),
    ],
    "ids and queries": [
        ("GET", "/orgs/" + NO_UUID, None, 400, "org_id", "uuid"),
        ("GET", "/orgs/{org}/members/" + NO_UUID, None, 400, "member_id", "uuid"),
        ("GET", "/orgs/{org}/departments/" + NO_UUID + "/heads", None, 400, "department_id", "uuid"),
        ("DELETE", "/orgs/{org}/roles/{finance}/members/" + NO_UUID, None, 400, "member_id", "uuid"),
        ("GET", "/orgs/{org}/members?department_id=" + NO_UUID, None, 400, "department_id", "uuid"),
        ("GET", "/orgs/{org}/members?role_id=42", None, 400, "role_id", "uuid"),
        ("GET", "/orgs/{org}/members?limit=0", None, 400, "limit", "minimum"),
        ("GET", "/orgs/{org}/members?limit=201", None, 400, "limit", "maximum"),
        ("GET", "/orgs/{org}/members?limit=ten", None, 400, "limit", "type"),
        ("GET", "/orgs/{org}/members?status=gone", None, 400, "status", "enum"),
        ("GET", "/orgs/{org}/members?q=" + "x" * 201, None, 400, "q", "max-length"),
        ("GET", "/orgs/{org}/members?q=a%00b", None, 400, "q", "no-nul"),
        ("GET", "/orgs/{org}/members?cursor=garbage", None, 422, "cursor", "cursor"),
        ("GET", "/orgs/{org}/members?cursor=" + encode_cursor(["only-one-part"]), None, 422, "cursor", "cursor"),
        ("GET", "/orgs/{org}/members?cursor=" + encode_cursor(["Bob", "not-a-uuid"]), None, 422, "cursor", "cursor"),
        ("GET", "/orgs/{org}/roles/{finance}/members?cursor=%21%21", None, 422, "cursor", "cursor"),
        ("GET", "/orgs/{org}/audit?cursor=" + encode_cursor([1, 2]), None, 422, "cursor", "cursor"),
        ("GET", "/orgs/{org}/departments/{dept}/heads?level=0", None, 400, "level", "minimum"),
        ("GET", "/orgs/{org}/members/{carol}/manager?level=21", None, 400, "level", "maximum"),
        ("GET", "/invitations/AB%00CD", None, 400, "code", "no-nul"),
    ],
}


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for k, v in names.items():
            value = value.replace("{" + k + "}", v)
        return value
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


async def _names(alice: Api, demo: dict[str, Any]) -> dict[str, str]:
    org = demo["org_id"]
    roles = {r["name"]: r["id"] for r in (await alice.get(f"/api/v1/orgs/{org}/roles")).json()["items"]}
    return {"org": org, "root": (await alice.get(f"/api/v1/orgs/{org}")).json()["root_department_id"],
            "carol": demo["members"]["carol@example.com"], "bob": demo["members"]["bob@example.com"],
            "dept": demo["departments"]["Sales"], "finance": roles["Finance"], "email": new_email()}


@pytest.mark.parametrize("group", list(CASES))
async def test_bad_input_is_a_clear_problem_and_changes_nothing(group: str, client: AsyncTestClient[Any], rt: Runtime,
                                                                alice: Api, demo: dict[str, Any]) -> None:
    names = await _names(alice, demo)
    counts, before = await count_rows(rt), await snapshot(rt, demo["org_id"])
    for method, url, body, status, path, rule in CASES[group]:
        url = "/api/v1" + _fill(url, names)
        headers = {"X-CSRF-Token": alice.csrf}
        if isinstance(body, bytes):
            r = await client.request(method, url, content=body, headers={**headers, "Content-Type": "application/json"})
        else:
            r = await client.request(method, url, json=_fill(body, names), headers=headers) if body is not None \
                else await client.request(method, url, headers=headers)
        where = f"{method} {url} {str(body)[:80]} -> {r.status_code} {r.text[:400]}"
        assert r.status_code == status, where
        assert r.headers["content-type"].startswith(PROBLEM), where
        problem = r.json()
        assert problem["status"] == status and problem["type"].startswith("https://tack.dev/problems/"), where
        assert problem["title"] and problem["instance"] == url.split("?")[0].replace("%00", "\x00"), where
        assert {"path": path, "rule": rule} in [{"path": e["path"], "rule": e["rule"]} for e in problem["errors"]], where
        assert all(e["message"] for e in problem["errors"]), where
        assert await count_rows(rt) == counts, f"{where}: a row was written"
    assert diff(before, await snapshot(rt, demo["org_id"])) == []


async def test_unknown_ids_in_the_path_are_not_found(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    """Well-formed ids of nothing are 404 problems (and still change nothing)."""
    org = demo["org_id"]
    counts = await count_rows(rt)
    for method, url in [("GET", f"/orgs/{org}/members/{UNKNOWN}"), ("PATCH", f"/orgs/{org}/departments/{UNKNOWN}"),
                        ("DELETE", f"/orgs/{org}/roles/{UNKNOWN}"), ("DELETE", f"/orgs/{org}/invitations/{UNKNOWN}"),
                        ("DELETE", f"/orgs/{org}/tokens/{UNKNOWN}"), ("GET", f"/orgs/{UNKNOWN}")]:
        r = await alice.client.request(method, "/api/v1" + url, headers={"X-CSRF-Token": alice.csrf},
                                       json={"name": "X"} if method == "PATCH" else None)
        assert r.status_code == 404, (method, url, r.text)
        assert r.headers["content-type"].startswith(PROBLEM) and r.json()["type"].endswith("/not-found")
    assert await count_rows(rt) == counts


async def test_names_are_unique_ignoring_case_beyond_ascii(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    """"Équipe" and "ÉQUIPE" are the same name on both databases (SQLite's lower() folds ASCII
    only; the roles table's unique constraint is case-sensitive: this was a 500)."""
    org = demo["org_id"]
    root = (await alice.get(f"/api/v1/orgs/{org}")).json()["root_department_id"]
    r = await alice.post(f"/api/v1/orgs/{org}/roles", {"name": "Équipe"})
    assert r.status_code == 201, r.text
    r = await alice.post(f"/api/v1/orgs/{org}/departments", {"name": "Équipe", "parent_id": root})
    assert r.status_code == 201, r.text
    counts = await count_rows(rt)
    for name in ("Équipe", "équipe", "ÉQUIPE", " équipe "):
        r = await alice.post(f"/api/v1/orgs/{org}/roles", {"name": name})
        assert r.status_code == 422 and r.json()["errors"][0] == {
            "path": "$.name", "message": "Another role has this name.", "rule": "unique"}, r.text
        r = await alice.post(f"/api/v1/orgs/{org}/departments", {"name": name, "parent_id": root})
        assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "unique", r.text
    assert await count_rows(rt) == counts


async def test_nul_characters_are_refused_whatever_the_content_type(alice: Api, demo: dict[str, Any],
                                                                   rt: Runtime) -> None:
    """PostgreSQL cannot store U+0000: it is refused at the edge for every body (the body is read
    as JSON whatever Content-Type claims), nested values and keys included (this was a 500)."""
    org = demo["org_id"]
    counts = await count_rows(rt)
    for ctype in ("application/json", "text/plain", "application/octet-stream", None):
        headers = {"X-CSRF-Token": alice.csrf, **({"Content-Type": ctype} if ctype else {})}
        r = await alice.client.post(f"/api/v1/orgs/{org}/roles", content=b'{"name": "a\\u0000b"}', headers=headers)
        assert r.status_code == 400 and r.headers["content-type"].startswith(PROBLEM), (ctype, r.text)
        assert r.json()["errors"] == [{"path": "$.name", "message": "must not contain the NUL character (U+0000)",
                                       "rule": "no-nul"}]
    r = await alice.post(f"/api/v1/orgs/{org}/members", {"name": "N", "email": new_email(),
                                                         "department_ids": ["x\u0000"], "a\u0000": 1})
    assert r.status_code == 400
    assert [e["path"] for e in r.json()["errors"]] == ["$.department_ids[0]", "$.a\ufffd"], r.text
    assert await count_rows(rt) == counts
