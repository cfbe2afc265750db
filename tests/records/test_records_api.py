"""Apps, forms and records through the API: the expense app a finance clerk builds."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from tack.records.tables import record_revisions
from tests.conftest import Api, sign_in

EXPENSE = {
    "name": "Expense claim",
    "fields": [
        {"id": "f_no000001", "name": "No", "type": "serial",
         "settings": {"pattern": "EXP-{YYYY}-{####}", "reset": "yearly"}},
        {"id": "f_title001", "name": "Title", "type": "text", "required": True, "unique": True},
        {"id": "f_lines001", "name": "lines", "type": "subtable", "columns": [
            {"id": "f_amount01", "name": "amount", "type": "money", "required": True},
            {"id": "f_what0001", "name": "what", "type": "text"}]},
        {"id": "f_total001", "name": "Total", "type": "formula", "settings": {"expression": "SUM(lines.amount)"}},
        {"id": "f_reason01", "name": "Reason", "type": "textarea", "visible_if": "Total > 1000",
         "required_if": "Total > 1000"},
        {"id": "f_payee001", "name": "Payee", "type": "member"},
        {"id": "f_by000001", "name": "Submitted by", "type": "created_by"},
    ],
}


async def make_form(api: Api, org: str, definition: dict[str, Any] = EXPENSE) -> dict[str, Any]:
    r = await api.post(f"/api/v1/orgs/{org}/apps", {"name": "Finance"})
    assert r.status_code == 201, r.text
    r = await api.post(f"/api/v1/orgs/{org}/apps/{r.json()['id']}/forms", definition)
    assert r.status_code == 201, r.text
    return r.json()


async def test_submit_read_update_delete_restore(alice: Api, demo: dict[str, Any], rt: Any) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org)
    url = f"/api/v1/orgs/{org}/forms/{form['id']}/records"
    bob = demo["members"]["bob@example.com"]
    r = await alice.post(url, {"data": {"Title": "Trip to Shanghai", "Payee": bob, "Reason": "Client visit",
                                        "lines": [{"amount": "800.456", "what": "train"}, {"amount": 300}]}})
    assert r.status_code == 201, r.text
    rec = r.json()
    d = rec["data"]
    assert d["f_title001"] == "Trip to Shanghai" and d["f_total001"] == 1100.46
    assert d["f_no000001"].startswith("EXP-") and d["f_no000001"].endswith("-0001")
    assert d["f_by000001"] == demo["members"]["alice@example.com"]
    assert rec["version"] == 1
    # above 1000 the reason is required
    r = await alice.post(url, {"data": {"Title": "Big trip", "lines": [{"amount": 5000}]}})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.data.Reason"
    # update with the version read; a stale version is a 409
    r = await alice.patch(f"/api/v1/orgs/{org}/records/{rec['id']}",
                          {"data": {"lines": [{"amount": 10}]}, "expected_version": 1})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["data"]["f_total001"] == 10
    assert "f_reason01" not in r.json()["data"], "hidden again at 10, so not stored"
    assert r.json()["data"]["f_no000001"] == d["f_no000001"], "a serial number never changes"
    r = await alice.patch(f"/api/v1/orgs/{org}/records/{rec['id']}",
                          {"data": {"Title": "x"}, "expected_version": 1})
    assert r.status_code == 409
    # history names the fields that changed
    r = await alice.get(f"/api/v1/orgs/{org}/records/{rec['id']}/history")
    kinds = [(h["kind"], sorted(h["changes"])) for h in r.json()["items"]]
    assert kinds[0][0] == "created" and kinds[1] == ("updated", ["f_lines001", "f_reason01", "f_total001"])
    # soft delete and restore
    r = await alice.delete(f"/api/v1/orgs/{org}/records/{rec['id']}")
    assert r.status_code == 200 and r.json()["deleted"]
    assert (await alice.get(url)).json()["items"] == []
    assert len((await alice.get(url, params={"deleted": "true"})).json()["items"]) == 1
    r = await alice.post(f"/api/v1/orgs/{org}/records/{rec['id']}/restore")
    assert not r.json()["deleted"] and r.json()["version"] == 4
    async with rt.db.transaction(write=False) as conn:
        n = (await conn.execute(sa.select(sa.func.count()).select_from(record_revisions))).scalar()
    assert n == 4


async def test_bad_submissions_change_nothing(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org)
    url = f"/api/v1/orgs/{org}/forms/{form['id']}/records"
    r = await alice.post(url, {"data": {"Title": "", "lines": [{"amount": "lots"}], "Nope": 1, "Total": 5,
                                        "Payee": "00000000-0000-0000-0000-000000000000"}})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    got = {(e["path"], e["rule"]) for e in r.json()["errors"]}
    assert ("$.data.Nope", "unknown-field") in got and ("$.data.Total", "read-only") in got
    assert ("$.data.Payee", "exists") in got and ("$.data.Title", "required") in got
    assert any(p.startswith("$.data.lines[0]") and rule == "type" for p, rule in got)
    assert (await alice.get(url)).json()["items"] == []
    # unique: a second record with the same title is refused
    assert (await alice.post(url, {"data": {"Title": "Once", "lines": [{"amount": 1}]}})).status_code == 201
    r = await alice.post(url, {"data": {"Title": "Once", "lines": [{"amount": 2}]}})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "unique"


async def test_bad_form_definitions_are_refused_with_paths(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    app = (await alice.post(f"/api/v1/orgs/{org}/apps", {"name": "Broken"})).json()
    bad = {"name": "X", "fields": [
        {"id": "f_aaaa", "name": "A", "type": "formula", "settings": {"expression": "B + 1"}},
        {"id": "f_bbbb", "name": "B", "type": "formula", "settings": {"expression": "A + 1"}},
        {"id": "f_cccc", "name": "C", "type": "number", "settings": {"min": 5, "max": 1}},
        {"id": "f_dddd", "name": "D", "type": "text", "visible_if": "C +"}]}
    r = await alice.post(f"/api/v1/orgs/{org}/apps/{app['id']}/forms", bad)
    assert r.status_code == 422
    rules = {e["rule"] for e in r.json()["errors"]}
    assert "formula" in rules and "min-max" in rules
    assert (await alice.get(f"/api/v1/orgs/{org}/apps/{app['id']}/forms")).json()["items"] == []


async def test_new_form_version_keeps_old_records(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org)
    url = f"/api/v1/orgs/{org}/forms/{form['id']}/records"
    rec = (await alice.post(url, {"data": {"Title": "v1", "lines": [{"amount": 1}]}})).json()
    newer = dict(EXPENSE, fields=[*EXPENSE["fields"], {"id": "f_note0001", "name": "Note", "type": "text"}])
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form['id']}/versions", {"definition": newer,
                                                                             "expected_version": 1})
    assert r.status_code == 201 and r.json()["version"] == 2
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form['id']}/versions", {"definition": newer,
                                                                             "expected_version": 1})
    assert r.status_code == 409, "a stale editor cannot overwrite"
    assert (await alice.get(f"/api/v1/orgs/{org}/records/{rec['id']}")).json()["form_version"] == 1
    rec2 = (await alice.post(url, {"data": {"Title": "v2", "lines": [{"amount": 1}], "Note": "hi"}})).json()
    assert rec2["form_version"] == 2 and rec2["data"]["f_note0001"] == "hi"


async def test_serials_are_unique_and_gap_free_under_concurrency(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org)
    url = f"/api/v1/orgs/{org}/forms/{form['id']}/records"
    # one bad submission in the middle must not burn a number
    bodies = [{"data": {"Title": f"t{i}", "lines": [{"amount": 1}]}} for i in range(12)]
    bodies[5] = {"data": {"Title": "", "lines": []}}
    results = await asyncio.gather(*(alice.post(url, b) for b in bodies))
    assert sorted(r.status_code for r in results) == [201] * 11 + [422]
    numbers = sorted(r.json()["data"]["f_no000001"][-4:] for r in results if r.status_code == 201)
    assert numbers == [f"{i:04d}" for i in range(1, 12)]


async def test_bulk_all_or_nothing_and_per_item(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org)
    base = f"/api/v1/orgs/{org}/forms/{form['id']}/records"
    items = [{"data": {"Title": f"b{i}", "lines": [{"amount": i + 1}]}} for i in range(5)]
    items[3] = {"data": {"Title": "", "lines": [{"amount": 1}]}}
    r = await alice.post(f"{base}/bulk", {"items": items})
    assert r.status_code == 422 and r.json()["errors"][0]["path"].startswith("$.items[3].data")
    assert (await alice.get(base)).json()["items"] == []
    r = await alice.post(f"{base}/bulk", {"items": items, "mode": "per_item"})
    assert r.status_code == 200
    body = r.json()
    assert body["created"] == 4 and [x["status"] for x in body["results"]] == [201, 201, 201, 422, 201]
    assert len((await alice.get(base, params={"limit": 200})).json()["items"]) == 4


async def test_comments_and_permissions(client: Any, alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org)
    rec = (await alice.post(f"/api/v1/orgs/{org}/forms/{form['id']}/records",
                            {"data": {"Title": "c", "lines": [{"amount": 1}]}})).json()
    curl = f"/api/v1/orgs/{org}/records/{rec['id']}/comments"
    r = await alice.post(curl, {"body": "Please add the receipt", "mentions": [demo["members"]["bob@example.com"]]})
    assert r.status_code == 201
    carol = await sign_in(client, "carol@example.com")
    assert (await carol.get(curl)).status_code == 404, "by default members see their own records only"
    alice = await sign_in(client, "alice@example.com")
    groups = (await alice.get(f"/api/v1/orgs/{org}/apps/{form['app_id']}/permission-groups")).json()["items"]
    r2 = await alice.patch(f"/api/v1/orgs/{org}/permission-groups/{groups[0]['id']}",
                           {"rights": {"read": {"scope": "all"}}})
    assert r2.status_code == 200, r2.text
    carol = await sign_in(client, "carol@example.com")
    assert (await carol.get(curl)).json()["items"][0]["body"] == "Please add the receipt"
    assert (await carol.delete(f"{curl}/{r.json()['id']}")).status_code == 403
    # members use apps; only admins build them
    assert (await carol.post(f"/api/v1/orgs/{org}/apps", {"name": "Mine"})).status_code == 403



async def test_a_unique_value_waits_for_a_concurrent_submission_of_it(alice: Api, demo: dict[str, Any],
                                                                     rt: Any) -> None:
    """The second of two overlapping transactions submitting the same unique value waits for the
    first to commit, then sees it and is refused (PostgreSQL: an advisory lock per value)."""
    import uuid

    import pytest

    from tack.core.ctx import Actor, Ctx
    from tack.core.errors import ValidationFailed
    from tack.records.models import RecordCreate
    from tack.records.service import create_record

    org = demo["org_id"]
    form = await make_form(alice, org)
    body = RecordCreate(data={"Title": "Only once", "lines": [{"amount": 1}]})

    def ctx_for(conn: Any) -> Ctx:
        return Ctx(org_id=uuid.UUID(org), actor=Actor.system(), conn=conn, clock=rt.clock)

    async def second() -> None:
        async with rt.db.transaction() as conn:
            await create_record(ctx_for(conn), uuid.UUID(form["id"]), body)

    async with rt.db.transaction() as conn:
        await create_record(ctx_for(conn), uuid.UUID(form["id"]), body)
        task = asyncio.create_task(second())
        await asyncio.sleep(0.5)
        assert not task.done(), "the second submission waits while the first is open"
    with pytest.raises(ValidationFailed) as err:
        await task
    assert err.value.errors[0].rule == "unique"


async def test_a_unique_value_submitted_twice_at_once_is_stored_once(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org)
    url = f"/api/v1/orgs/{org}/forms/{form['id']}/records"
    body = {"data": {"Title": "Same title", "lines": [{"amount": 1}]}}
    results = await asyncio.gather(*(alice.post(url, body) for _ in range(6)))
    assert sorted(r.status_code for r in results) == [201] + [422] * 5
    assert len((await alice.get(url)).json()["items"]) == 1
