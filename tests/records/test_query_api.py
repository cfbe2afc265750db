"""Record queries over HTTP: problem+json for bad trees, the caller's read scope applied,
other organizations' forms invisible."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, sign_in
from tests.records.test_records_api import make_form

FORM = {"name": "Visits", "fields": [
    {"id": "f_guest001", "name": "Guest", "type": "text", "required": True},
    {"id": "f_count001", "name": "Party size", "type": "number"},
    {"id": "f_host0001", "name": "Host", "type": "member"},
]}


async def test_query_over_http(client: Any, alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, FORM)
    url = f"/api/v1/orgs/{org}/forms/{form['id']}"
    for guest, n in [("Zhang Wei", 2), ("Ada", 5), ("Bo", 1)]:
        r = await alice.post(f"{url}/records", {"data": {"Guest": guest, "Party size": n}})
        assert r.status_code == 201, r.text
    carol = await sign_in(client, "carol@example.com")
    r = await carol.post(f"{url}/records", {"data": {"Guest": "Carol's guest", "Party size": 9}})
    assert r.status_code == 201, r.text
    # Everyone sees their own records by default (the app's default permission group).
    r = await carol.post(f"{url}/records/query", {"sort": [{"field": "Party size"}], "count": True})
    assert r.status_code == 200, r.text
    assert [x["data"]["f_guest001"] for x in r.json()["items"]] == ["Carol's guest"]
    alice = await sign_in(client, "alice@example.com")
    r = await alice.post(f"{url}/records/query", {
        "filter": {"field": "Party size", "op": "ge", "value": 2}, "sort": [{"field": "Party size", "direction": "desc"}],
        "count": True, "limit": 2})
    body = r.json()
    assert [x["data"]["f_guest001"] for x in body["items"]] == ["Carol's guest", "Ada"]
    assert body["count"] == {"value": 3, "exact": True}
    r = await alice.post(f"{url}/records/query", {"sort": [{"field": "Party size", "direction": "desc"}],
                                                  "filter": {"field": "Party size", "op": "ge", "value": 2},
                                                  "cursor": body["next_cursor"], "limit": 2})
    assert [x["data"]["f_guest001"] for x in r.json()["items"]] == ["Zhang Wei"] and r.json()["next_cursor"] is None
    r = await alice.post(f"{url}/records/query", {"search": "zhang"})
    assert [x["data"]["f_guest001"] for x in r.json()["items"]] == ["Zhang Wei"]
    # Bad input: problem+json naming the path and the rule; GET-free, nothing changes.
    r = await alice.post(f"{url}/records/query", {"filter": {"and": [{"field": "Party size", "op": "contains",
                                                                       "value": "x"}]}})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["path"] == "$.filter.and[0].op"
    assert r.json()["errors"][0]["rule"] == "operator"
    r = await alice.post(f"{url}/records/query", {"cursor": "garbage"})
    assert r.status_code == 422
    r = await alice.post(f"{url}/records/query", {"limit": 500})
    assert r.status_code == 400
