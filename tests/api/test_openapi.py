"""The API describes itself: OpenAPI 3.1 at /api/openapi.json, Swagger UI at /api/docs, and the
conventions every operation follows (summaries, org-scoped paths, cursor pagination)."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import AsyncTestClient

from tests.api.helpers import operations
from tests.conftest import Api, new_email

ORG_SCOPED = "/api/v1/orgs/{org_id}"


async def _doc(client: AsyncTestClient[Any]) -> dict[str, Any]:
    r = await client.get("/api/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(("application/json", "application/vnd.oai.openapi+json"))
    return dict(r.json())


async def test_document_is_openapi_3_1(client: AsyncTestClient[Any]) -> None:
    doc = await _doc(client)
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"]), doc["openapi"]
    assert doc["info"]["title"] == "Tack API" and doc["info"]["version"]
    assert {"token", "session"} <= set(doc["components"]["securitySchemes"])
    ops = list(operations(doc))
    assert len(ops) >= 40
    for method, path, op in ops:
        assert path.startswith("/api/v1/"), path
        assert op.get("summary", "").strip(), f"{method} {path} has no summary"
        assert op.get("operationId"), f"{method} {path} has no operationId"
        # every {param} of the path is declared as a required path parameter, and vice versa
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), (method, path, declared)
        assert all(p["required"] for p in op.get("parameters", []) if p["in"] == "path")
        # ids in paths are documented as UUIDs (they are parsed as UUIDs: a bad one is a 400)
        for p in op.get("parameters", []):
            if p["in"] == "path" and p["name"].endswith("_id"):
                assert p["schema"] == {"type": "string", "format": "uuid"}, (method, path, p)
        # errors are documented as what they are: problem+json with per-field errors
        errors = {code: r for code, r in op["responses"].items() if code == "default" or code[0] in "45"}
        assert list(errors) == ["default"], (method, path, list(errors))
        assert errors["default"]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}, (method, path)
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status"}
    assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert set(doc["components"]["schemas"]["FieldError"]["required"]) == {"path", "message", "rule"}
    ids = [op["operationId"] for _m, _p, op in ops]
    assert len(ids) == len(set(ids)), "operationIds are unique"


async def test_org_scoped_paths_live_under_the_org(client: AsyncTestClient[Any]) -> None:
    """Anything that belongs to an organization is addressed under /api/v1/orgs/{org_id}, so a
    gateway, a log line or a shard router can tell the tenant from the path alone."""
    doc = await _doc(client)
    scoped = [(m, p) for m, p, _op in operations(doc) if "{org_id}" in p]
    assert len(scoped) >= 30
    for method, path in scoped:
        assert path == ORG_SCOPED or path.startswith(ORG_SCOPED + "/"), (method, path)
    for method, path, _op in operations(doc):
        object_ids = [n for n in re.findall(r"{(\w+)}", path) if n != "org_id"]
        if object_ids and path.startswith("/api/v1/orgs"):
            assert path.startswith(ORG_SCOPED + "/"), f"{method} {path}: an org's objects sit under its id"


async def test_docs_page(client: AsyncTestClient[Any]) -> None:
    r = await client.get("/api/docs")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "SwaggerUIBundle" in html and "Tack API" in html
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets and all(a.startswith("/") for a in assets), f"nothing from other hosts: {assets}"
    web_dir = client.app.state["web_dir"]
    for asset in assets:
        if (web_dir / asset.lstrip("/")).is_file():  # built by `make web`; absent in a bare checkout
            assert (await client.get(asset)).status_code == 200, asset


async def _walk(api: Api, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(200):
        r = await api.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= params["limit"]
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert page["items"], "a page with a cursor to more is never empty"
    raise AssertionError("the cursor never ended")


async def test_cursor_pagination_walks_every_member_once(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    url = f"/api/v1/orgs/{org}/members"
    # names that sort together and tie, so the (name, id) key has to break ties
    for _ in range(4):
        r = await alice.post(url, {"name": "Same Name", "email": new_email()})
        assert r.status_code == 201, r.text
    everyone = (await alice.get(url, params={"limit": 200})).json()
    assert everyone["next_cursor"] is None and len(everyone["items"]) == len(demo["members"]) + 4

    walked = await _walk(alice, url, {"limit": 3})
    ids = [m["id"] for m in walked]
    assert len(ids) == len(set(ids)), "no member twice"
    assert ids == [m["id"] for m in everyone["items"]], "every member, in the same order as one big page"
    assert [(m["name"], m["id"]) for m in walked] == sorted((m["name"], m["id"]) for m in walked)

    # filters hold across pages
    sub = await _walk(alice, url, {"limit": 2, "department_id": demo["departments"]["Sales"],
                                   "include_descendants": "true"})
    assert {m["name"] for m in sub} == {"Grace Zhou", "Henry Wu", "Iris Xu"}


async def test_cursor_pagination_of_the_audit_log(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    url = f"/api/v1/orgs/{org}/audit"
    everyone = (await alice.get(url, params={"limit": 200})).json()["items"]
    assert len(everyone) > 10
    walked = await _walk(alice, url, {"limit": 3})
    assert [e["id"] for e in walked] == [e["id"] for e in everyone], "newest first, each entry once"
