"""Bulk update and delete: all or nothing, or item by item, through the same commands as one."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.records.test_records_api import make_form

FORM = {"name": "Stock", "fields": [
    {"id": "f_item0001", "name": "Item", "type": "text", "required": True},
    {"id": "f_qty00001", "name": "Qty", "type": "number", "settings": {"min": 0}},
]}


async def _records(alice: Api, url: str, n: int) -> list[dict[str, Any]]:
    r = await alice.post(f"{url}/records/bulk", {"items": [{"data": {"Item": f"I{i}", "Qty": i}} for i in range(n)]})
    assert r.status_code == 200, r.text
    return [x["record"] for x in r.json()["results"]]


async def test_bulk_update_all_or_nothing_and_per_item(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, FORM)
    url = f"/api/v1/orgs/{org}/forms/{form['id']}"
    recs = await _records(alice, url, 3)
    items = [{"id": r["id"], "data": {"Item": r["data"]["f_item0001"], "Qty": 10}, "expected_version": 1} for r in recs]
    bad = [*items[:2], {**items[2], "data": {"Item": "I2", "Qty": -1}}]
    r = await alice.post(f"{url}/records/bulk-update", {"items": bad})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.items[2].data.Qty"
    r = await alice.get(f"/api/v1/orgs/{org}/records/{recs[0]['id']}")
    assert r.json()["version"] == 1  # nothing changed
    r = await alice.post(f"{url}/records/bulk-update", {"items": bad, "mode": "per_item"})
    assert r.status_code == 200 and r.json()["changed"] == 2
    assert [x["status"] for x in r.json()["results"]] == [200, 200, 422]
    # A stale version fails the whole all-or-nothing request with 409, naming the item.
    r = await alice.post(f"{url}/records/bulk-update", {"items": [{**items[2], "expected_version": 1},
                                                                  {**items[0], "expected_version": 1}]})
    assert r.status_code == 409 and r.json()["item"] == 1
    r = await alice.get(f"/api/v1/orgs/{org}/records/{recs[2]['id']}")
    assert r.json()["version"] == 1


async def test_bulk_delete_and_restore(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, FORM)
    other = await make_form(alice, org, {**FORM, "name": "Other"})
    url = f"/api/v1/orgs/{org}/forms/{form['id']}"
    recs = await _records(alice, url, 3)
    strangers = await _records(alice, f"/api/v1/orgs/{org}/forms/{other['id']}", 1)
    r = await alice.post(f"{url}/records/bulk-delete", {"items": [{"id": recs[0]["id"]}, {"id": strangers[0]["id"]}]})
    assert r.status_code == 404  # a record of another form: nothing deleted
    r = await alice.post(f"{url}/records/query", {"count": True})
    assert r.json()["count"]["value"] == 3
    r = await alice.post(f"{url}/records/bulk-delete", {"items": [{"id": x["id"], "expected_version": 1} for x in recs]})
    assert r.status_code == 200 and r.json()["changed"] == 3
    r = await alice.post(f"{url}/records/query", {"count": True})
    assert r.json()["count"]["value"] == 0
    r = await alice.post(f"{url}/records/bulk-delete", {"items": [{"id": x["id"]} for x in recs], "restore": True})
    assert r.status_code == 200
    r = await alice.post(f"{url}/records/query", {"count": True})
    assert r.json()["count"]["value"] == 3
