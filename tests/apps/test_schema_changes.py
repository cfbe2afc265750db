"""Schema changes that keep data: preview, type conversion, delete / restore / purge, renames."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tack.apps import schema_changes, schema_scan
from tack.core.clock import Clock, FrozenClock
from tack.core.ctx import Actor, Ctx
from tack.core.jobs import JobRunner, enqueue
from tack.directory.tables import audit_log
from tack.runtime import Runtime
from tests.conftest import Api, frozen_now, sign_in

GOOD = ["12.5", "1,200", "7", "-3", "0.25", "¥ 88"]
BAD = ["abc", "12x", "n/a", "1.2.3", "--5"]
OPTIONS = [{"id": "a", "label": "Apple"}, {"id": "b", "label": "Banana"}, {"id": "c", "label": "Cherry"}]

ORDERS: dict[str, Any] = {"name": "Orders", "fields": [
    {"id": "f_amount01", "name": "Amount", "type": "text"},
    {"id": "f_kind0001", "name": "Kind", "type": "select", "settings": {"options": OPTIONS}},
    {"id": "f_score001", "name": "Score", "type": "number", "settings": {"max": 100, "decimals": 0}},
    {"id": "f_note0001", "name": "Note", "type": "text"},
    {"id": "f_double01", "name": "Double", "type": "formula", "settings": {"expression": "Score * 2"}},
    {"id": "f_lines001", "name": "lines", "type": "subtable", "columns": [
        {"id": "f_qty00001", "name": "qty", "type": "text"},
        {"id": "f_what0001", "name": "what", "type": "text"}]},
]}


@pytest.fixture
def clock() -> Clock:
    return frozen_now()


def changed(definition: dict[str, Any], **fields: dict[str, Any] | None) -> dict[str, Any]:
    """`definition` with fields (by id) replaced, or left out when given None."""
    out = []
    for f in definition["fields"]:
        if f["id"] in fields:
            if fields[f["id"]] is not None:
                out.append(fields[f["id"]])
        else:
            out.append(f)
    return {**definition, "fields": out}


async def make_form(api: Api, org: str, definition: dict[str, Any]) -> str:
    app = (await api.post(f"/api/v1/orgs/{org}/apps", {"name": "Shop"})).json()
    r = await api.post(f"/api/v1/orgs/{org}/apps/{app['id']}/forms", definition)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def submit(api: Api, org: str, form: str, items: list[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for i in range(0, len(items), 500):
        r = await api.post(f"/api/v1/orgs/{org}/forms/{form}/records/bulk",
                           {"items": [{"data": d} for d in items[i:i + 500]]})
        assert r.status_code == 200, r.text
        ids += [x["record"]["id"] for x in r.json()["results"]]
    return ids


async def publish(api: Api, org: str, form: str, definition: dict[str, Any], **extra: Any) -> Any:
    return await api.post(f"/api/v1/orgs/{org}/forms/{form}/versions", {"definition": definition, **extra})


async def preview(api: Api, org: str, form: str, definition: dict[str, Any]) -> Any:
    return await api.post(f"/api/v1/orgs/{org}/forms/{form}/publish/preview", {"definition": definition})


async def record(api: Api, org: str, record_id: str) -> dict[str, Any]:
    r = await api.get(f"/api/v1/orgs/{org}/records/{record_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


async def drain(rt: Runtime) -> int:
    return await JobRunner(rt.db, rt.clock).drain()


def random_orders(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        d: dict[str, Any] = {}
        roll = rng.random()
        if roll < 0.5:
            d["Amount"] = rng.choice(GOOD)
        elif roll < 0.8:
            d["Amount"] = rng.choice(BAD)
        if rng.random() < 0.8:
            d["Kind"] = rng.choice("abc")
        if rng.random() < 0.9:
            d["Score"] = rng.randint(0, 100)
        if rng.random() < 0.5:
            d["Note"] = "n"
        if rng.random() < 0.3:
            d["lines"] = [{"qty": rng.choice(GOOD + BAD), "what": "x"} for _ in range(rng.randint(1, 3))]
        out.append(d)
    return out


NEW_ORDERS = changed(
    ORDERS,
    f_amount01={"id": "f_amount01", "name": "Amount", "type": "number"},
    f_kind0001={"id": "f_kind0001", "name": "Kind", "type": "select", "settings": {"options": OPTIONS[:2]}},
    f_score001={"id": "f_score001", "name": "Score", "type": "number", "settings": {"max": 50, "decimals": 0}},
    f_note0001={"id": "f_note0001", "name": "Note", "type": "text", "required": True},
)


async def test_preview_counts_match_a_python_count(alice: Api, demo: dict[str, Any]) -> None:
    org, rng = demo["org_id"], random.Random(7)
    form = await make_form(alice, org, ORDERS)
    items = random_orders(rng, 90)
    ids = await submit(alice, org, form, items)
    deleted = set(rng.sample(range(len(ids)), 15))
    for i in deleted:
        assert (await alice.delete(f"/api/v1/orgs/{org}/records/{ids[i]}")).status_code == 200
    live = [d for i, d in enumerate(items) if i not in deleted]

    r = await preview(alice, org, form, NEW_ORDERS)
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["from_version"] == 1 and p["records_total"] == 90 and p["records_scanned"] == 90
    assert not p["estimated"] and p["added"] == [] and p["deleted"] == [] and p["renamed"] == []
    # type change: every record (deleted ones too) keeps its data, so every one is counted
    good = [ids[i] for i, d in enumerate(items) if d.get("Amount") in GOOD]
    bad = {ids[i] for i, d in enumerate(items) if d.get("Amount") in BAD}
    (tc,) = p["type_changes"]
    assert (tc["id"], tc["from_type"], tc["to_type"]) == ("f_amount01", "text", "number")
    assert (tc["values"], tc["convert"], tc["lost"]) == (len(good) + len(bad), len(good), len(bad))
    assert len(tc["examples"]) == min(10, len(bad))
    assert all(e["record_id"] in bad and e["value"] in BAD and e["reason"] for e in tc["examples"])
    assert p["loses_values"] and p["confirm_loss_required"]
    # warnings, over the records people still use
    warnings = {(w["field_id"], w["rule"], w.get("option_id")): w["count"] for w in p["warnings"]}
    assert warnings[("f_kind0001", "option-removed", "c")] == sum(1 for d in live if d.get("Kind") == "c")
    assert warnings[("f_score001", "maximum", None)] == sum(1 for d in live if d.get("Score", 0) > 50)
    assert warnings[("f_note0001", "required-added", None)] == sum(1 for d in live if "Note" not in d)
    assert len(warnings) == 3
    # a preview changes nothing
    assert (await alice.get(f"/api/v1/orgs/{org}/forms/{form}")).json()["version"] == 1


async def test_text_to_number_converts_in_a_job_and_moves_the_rest_aside(
        alice: Api, demo: dict[str, Any], rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema_changes, "CONVERT_BATCH", 4)  # several batches, each its own job run
    org = demo["org_id"]
    definition = {"name": "Amounts", "fields": [{"id": "f_amount01", "name": "Amount", "type": "text"},
                                                {"id": "f_note0001", "name": "Note", "type": "text"}]}
    form = await make_form(alice, org, definition)
    values = ["12.5", "abc", "1,200", "", "7", "n/a", "¥ 88", "3", "12x", "0.5", "9"]
    ids = await submit(alice, org, form, [{"Amount": v} if v else {"Note": "blank"} for v in values])
    to_number = changed(definition, f_amount01={"id": "f_amount01", "name": "Amount", "type": "number"})

    r = await publish(alice, org, form, to_number)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["type"].endswith("/confirm-loss") and body["preview"]["type_changes"][0]["lost"] == 3
    assert (await alice.get(f"/api/v1/orgs/{org}/forms/{form}")).json()["version"] == 1, "nothing published"

    r = await publish(alice, org, form, to_number, confirm_loss=True)
    assert r.status_code == 201, r.text
    conv = (await alice.get(f"/api/v1/orgs/{org}/forms/{form}/conversions")).json()["items"]
    assert conv[0]["state"] == "running" and conv[0]["expected"] == 10 and conv[0]["fields"] == ["f_amount01"]
    # records keep working meanwhile: reads show the record under the version it was written in
    before = await record(alice, org, ids[0])
    assert before["form_version"] == 1 and before["data"]["f_amount01"] == "12.5"
    # ... and a write converts the record first, in its own transaction
    r = await alice.patch(f"/api/v1/orgs/{org}/records/{ids[1]}", {"data": {"Note": "edited"},
                                                                     "expected_version": 1})
    assert r.status_code == 200, r.text
    assert r.json()["form_version"] == 2 and "f_amount01" not in r.json()["data"]
    r = await alice.patch(f"/api/v1/orgs/{org}/records/{ids[2]}", {"data": {"Note": "edited"},
                                                                     "expected_version": 1})
    assert r.status_code == 200 and r.json()["data"]["f_amount01"] == 1200

    assert await drain(rt) >= 3
    got = [(await record(alice, org, i))["data"].get("f_amount01") for i in ids]
    assert got == [12.5, None, 1200, None, 7, None, 88, 3, None, 0.5, 9]
    assert [(await record(alice, org, i))["form_version"] for i in ids] == [2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 2]
    conv = (await alice.get(f"/api/v1/orgs/{org}/forms/{form}/conversions")).json()["items"][0]
    assert conv["state"] == "done" and conv["converted"] == 7 and conv["moved_aside"] == 3
    assert conv["records"] == 8, "the job converted the records the two writes had not"
    # the values that did not convert are kept, with their record and the reason
    moved = (await alice.get(f"/api/v1/orgs/{org}/forms/{form}/moved-values")).json()["items"]
    assert sorted((m["record_id"], m["text"]) for m in moved) == sorted(
        [(ids[1], "abc"), (ids[5], "n/a"), (ids[8], "12x")])
    assert all(m["reason"] == "Expected a number." and m["value"] == m["text"] for m in moved)
    trash = (await alice.get(f"/api/v1/orgs/{org}/forms/{form}/trash")).json()
    assert [(s["field_id"], s["count"], s["from_type"], s["to_type"]) for s in trash["moved_values"]] == [
        ("f_amount01", 3, "text", "number")]
    # history says the system converted it
    hist = (await alice.get(f"/api/v1/orgs/{org}/records/{ids[0]}/history")).json()["items"]
    assert hist[-1]["kind"] == "converted" and hist[-1]["changes"] == {"f_amount01": ["12.5", 12.5]}
    async with rt.db.transaction(write=False) as conn:
        actions = set((await conn.execute(sa.select(audit_log.c.action))).scalars())
    assert {"form.field_type_changed", "form.conversion_finished"} <= actions
    # numbers now filter and add up as numbers
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form}/records", {"data": {"Amount": "x"}})
    assert r.status_code == 422


async def test_type_change_of_a_sub_table_column(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, ORDERS)
    (rid,) = await submit(alice, org, form, [{"lines": [{"qty": "3"}, {"qty": "lots", "what": "w"}, {"what": "z"}]}])
    table = next(f for f in ORDERS["fields"] if f["id"] == "f_lines001")
    new_table = {**table, "columns": [{"id": "f_qty00001", "name": "qty", "type": "number"}, table["columns"][1]]}
    p = (await preview(alice, org, form, changed(ORDERS, f_lines001=new_table))).json()
    assert [(t["id"], t["table_id"], t["values"], t["lost"]) for t in p["type_changes"]] == [
        ("f_qty00001", "f_lines001", 2, 1)]
    assert p["type_changes"][0]["examples"][0]["row"] == 1
    r = await publish(alice, org, form, changed(ORDERS, f_lines001=new_table), confirm_loss=True)
    assert r.status_code == 201, r.text
    await drain(rt)
    assert (await record(alice, org, rid))["data"]["f_lines001"] == [{"f_qty00001": 3}, {"f_what0001": "w"},
                                                                     {"f_what0001": "z"}]
    (moved,) = (await alice.get(f"/api/v1/orgs/{org}/forms/{form}/moved-values")).json()["items"]
    assert (moved["row"], moved["text"], moved["table_id"]) == (1, "lots", "f_lines001")


async def test_removed_option_warns_and_keeps_values(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, ORDERS)
    ids = await submit(alice, org, form, [{"Kind": "Cherry"}, {"Kind": "a"}, {"Kind": "c"}, {}])
    fewer = changed(ORDERS, f_kind0001={"id": "f_kind0001", "name": "Kind", "type": "select",
                                        "settings": {"options": OPTIONS[:2]}})
    p = (await preview(alice, org, form, fewer)).json()
    (w,) = p["warnings"]
    assert (w["rule"], w["option_id"], w["count"]) == ("option-removed", "c", 2)
    assert {e["record_id"] for e in w["examples"]} == {ids[0], ids[2]}
    assert not p["confirm_loss_required"], "a warning, not a loss"
    r = await publish(alice, org, form, fewer)
    assert r.status_code == 201, r.text
    assert (await record(alice, org, ids[0]))["data"]["f_kind0001"] == "c", "kept"


async def test_delete_then_restore_brings_the_values_back(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, ORDERS)
    ids = await submit(alice, org, form, [{"Note": "one", "Score": 5}, {"Note": "two"}, {"Score": 1}])
    without = changed(ORDERS, f_note0001=None)
    p = (await preview(alice, org, form, without)).json()
    (d,) = p["deleted"]
    assert (d["id"], d["name"], d["values"]) == ("f_note0001", "Note", 2)
    r = await publish(alice, org, form, without)
    assert r.status_code == 201, r.text
    trash = (await alice.get(f"/api/v1/orgs/{org}/forms/{form}/trash")).json()["fields"]
    assert [(t["field_id"], t["name"], t["state"], t["deleted_version"]) for t in trash] == [
        ("f_note0001", "Note", "trashed", 2)]
    assert dt.datetime.fromisoformat(trash[0]["purge_after"]) - dt.datetime.fromisoformat(
        trash[0]["deleted_at"]) == dt.timedelta(days=30)
    # the form no longer takes it, but the records keep its values, through edits too
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form}/records", {"data": {"Note": "x"}})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "unknown-field"
    r = await alice.patch(f"/api/v1/orgs/{org}/records/{ids[0]}", {"data": {"Score": 6}, "expected_version": 1})
    assert r.status_code == 200 and r.json()["data"]["f_note0001"] == "one"
    # a field of the same name blocks the restore until renamed
    clash = {**without, "fields": [*without["fields"], {"id": "f_other001", "name": "note", "type": "text"}]}
    assert (await publish(alice, org, form, clash)).status_code == 201
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form}/trash/f_note0001/restore")
    assert r.status_code == 409
    assert (await publish(alice, org, form, without)).status_code == 201
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form}/trash/f_note0001/restore")
    assert r.status_code == 200, r.text
    assert [f["id"] for f in r.json()["definition"]["fields"]] == [f["id"] for f in ORDERS["fields"]], \
        "back where it stood"
    assert r.json()["version"] == 5
    assert (await record(alice, org, ids[0]))["data"]["f_note0001"] == "one"
    assert (await record(alice, org, ids[1]))["data"]["f_note0001"] == "two"
    trash = (await alice.get(f"/api/v1/orgs/{org}/forms/{form}/trash")).json()["fields"]
    assert [t["field_id"] for t in trash] == ["f_other001"]
    assert await drain(rt) == 0, "the restored field's purge timer was cancelled (the other's is not due)"
    async with rt.db.transaction(write=False) as conn:
        actions = list((await conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.id))).scalars())
    assert actions.count("form.field_deleted") == 2 and actions.count("form.field_restored") == 1


async def test_publishing_a_trashed_id_again_restores_it_with_a_type_change(
        alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, ORDERS)
    (rid,) = await submit(alice, org, form, [{"Score": 42}])
    assert (await publish(alice, org, form, changed(ORDERS, f_score001=None, f_double01=None))).status_code == 201
    back = changed(ORDERS, f_double01=None, f_score001={"id": "f_score001", "name": "Score as text", "type": "text"})
    p = (await preview(alice, org, form, back)).json()
    assert [(x["id"], x["values"]) for x in p["restored"]] == [("f_score001", 1)]
    assert [(t["from_type"], t["to_type"], t["convert"]) for t in p["type_changes"]] == [("number", "text", 1)]
    assert (await publish(alice, org, form, back)).status_code == 201
    await drain(rt)
    assert (await record(alice, org, rid))["data"]["f_score001"] == "42", "as the number showed it"


async def test_purge_now_removes_the_values(alice: Api, demo: dict[str, Any], rt: Runtime,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from tack.apps import field_trash

    monkeypatch.setattr(field_trash, "PURGE_BATCH", 2)
    org = demo["org_id"]
    form = await make_form(alice, org, ORDERS)
    ids = await submit(alice, org, form, [{"Note": f"n{i}", "lines": [{"qty": "1", "what": "w"}]} for i in range(5)])
    table = next(f for f in ORDERS["fields"] if f["id"] == "f_lines001")
    r = await publish(alice, org, form, changed(ORDERS, f_note0001=None,
                                                f_lines001={**table, "columns": table["columns"][:1]}))
    assert r.status_code == 201, r.text
    for field in ("f_note0001", "f_what0001"):
        r = await alice.delete(f"/api/v1/orgs/{org}/forms/{form}/trash/{field}")
        assert r.status_code == 202 and r.json()["state"] == "purging"
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form}/trash/f_note0001/restore")
    assert r.status_code == 409, "no undo once a purge started"
    assert await drain(rt) >= 6, "batches of two"
    for i in ids:
        data = (await record(alice, org, i))["data"]
        assert "f_note0001" not in data and data["f_lines001"] == [{"f_qty00001": "1"}]
    assert (await alice.get(f"/api/v1/orgs/{org}/forms/{form}/trash")).json()["fields"] == []
    assert (await alice.post(f"/api/v1/orgs/{org}/forms/{form}/trash/f_note0001/restore")).status_code == 404
    assert (await alice.delete(f"/api/v1/orgs/{org}/forms/{form}/trash/f_note0001")).status_code == 404
    # the purge job may run again: nothing left to do
    async with rt.db.transaction() as conn:
        ctx = Ctx(org_id=uuid.UUID(org), actor=Actor.system(), conn=conn, clock=rt.clock)
        await enqueue(ctx, schema_changes.PURGE_FIELD_JOB, {"form_id": form, "field_id": "f_note0001"})
    assert await drain(rt) == 1
    async with rt.db.transaction(write=False) as conn:
        actions = list((await conn.execute(sa.select(audit_log.c.action))).scalars())
    assert actions.count("form.field_purged") == 2 and actions.count("form.field_purge_requested") == 2


async def test_expired_trash_is_purged_by_the_job_runner(client: Any, alice: Api, demo: dict[str, Any],
                                                         rt: Runtime) -> None:
    assert isinstance(rt.clock, FrozenClock)
    org = demo["org_id"]
    form = await make_form(alice, org, ORDERS)
    ids = await submit(alice, org, form, [{"Note": "keep me?"}, {"Note": "me too"}])
    assert (await publish(alice, org, form, changed(ORDERS, f_note0001=None))).status_code == 201
    assert await drain(rt) == 0, "not due yet"
    rt.clock.advance(days=29, hours=23)
    assert await drain(rt) == 0
    api = await sign_in(client, "alice@example.com")  # the session of a month ago has expired
    assert (await record(api, org, ids[0]))["data"]["f_note0001"] == "keep me?"
    rt.clock.advance(hours=2)
    assert await drain(rt) == 1
    assert ["f_note0001" in (await record(api, org, i))["data"] for i in ids] == [False, False]
    assert (await api.get(f"/api/v1/orgs/{org}/forms/{form}/trash")).json()["fields"] == []


async def test_rename_rewrites_the_formulas_that_named_it(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    definition = {"name": "Prices", "fields": [
        {"id": "f_price001", "name": "Price", "type": "number"},
        {"id": "f_qty00001", "name": "Qty", "type": "number", "default": "1"},
        {"id": "f_total001", "name": "Total", "type": "formula", "settings": {"expression": "Price * Qty"}},
        {"id": "f_why00001", "name": "Why", "type": "text", "visible_if": "Price > 100"},
        {"id": "f_lines001", "name": "lines", "type": "subtable", "columns": [
            {"id": "f_amount01", "name": "amount", "type": "number"},
            {"id": "f_twice001", "name": "twice", "type": "formula", "settings": {"expression": "amount * 2"}}]},
        {"id": "f_sum00001", "name": "Sum", "type": "formula", "settings": {"expression": "SUM(lines.amount)"}},
    ]}
    form = await make_form(alice, org, definition)
    (rid,) = await submit(alice, org, form, [{"Price": 150, "Qty": 2, "Why": "big", "lines": [{"amount": 4}]}])
    table = definition["fields"][4]
    renamed = changed(definition, f_price001={"id": "f_price001", "name": "Unit price", "type": "number"},
                      f_lines001={**table, "columns": [{**table["columns"][0], "name": "cost"}, table["columns"][1]]})
    p = (await preview(alice, org, form, renamed)).json()
    assert {(x["id"], x["old_name"], x["new_name"]) for x in p["renamed"]} == {
        ("f_price001", "Price", "Unit price"), ("f_amount01", "amount", "cost")}
    assert {(w["field_id"], w["attribute"], w["after"]) for w in p["formula_rewrites"]} == {
        ("f_total001", "expression", "[Unit price] * Qty"), ("f_why00001", "visible_if", "[Unit price] > 100"),
        ("f_twice001", "expression", "cost * 2"), ("f_sum00001", "expression", "SUM(lines.cost)")}
    assert p["type_changes"] == [] and not p["confirm_loss_required"] and p["records_scanned"] == 0
    r = await publish(alice, org, form, renamed)
    assert r.status_code == 201, r.text
    fields = {f["id"]: f for f in r.json()["definition"]["fields"]}
    assert fields["f_total001"]["settings"]["expression"] == "[Unit price] * Qty"
    assert fields["f_why00001"]["visible_if"] == "[Unit price] > 100"
    # the stored record is untouched; new submissions use the new names
    assert (await record(alice, org, rid))["data"]["f_price001"] == 150
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form}/records",
                         {"data": {"Unit price": 3, "Qty": 2, "lines": [{"cost": 5}]}})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["f_total001"] == 6 and r.json()["data"]["f_sum00001"] == 5
    # a formula the designer edited is theirs: written against the new names already
    edited = changed(renamed, f_total001={"id": "f_total001", "name": "Total", "type": "formula",
                                          "settings": {"expression": "Price * 3"}})
    r = await preview(alice, org, form, edited)
    assert r.status_code == 422 and "$.fields[2].settings.expression" in {e["path"] for e in r.json()["errors"]}


async def test_sampled_preview_of_a_large_form_is_labelled_an_estimate(
        alice: Api, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema_scan, "SCAN_LIMIT", 40)
    monkeypatch.setattr(schema_scan, "BATCH", 10)
    org = demo["org_id"]
    definition = {"name": "Big", "fields": [{"id": "f_amount01", "name": "Amount", "type": "text"}]}
    form = await make_form(alice, org, definition)
    await submit(alice, org, form, [{"Amount": str(i)} for i in range(150)])
    p = (await preview(alice, org, form, changed(definition, f_amount01={
        "id": "f_amount01", "name": "Amount", "type": "number"}))).json()
    assert p["estimated"] and p["records_total"] == 150 and p["records_scanned"] <= 40
    (tc,) = p["type_changes"]
    assert tc["values"] == 150 and tc["convert"] == 150 and tc["lost"] == 0
    assert p["confirm_loss_required"], "a sample cannot promise that nothing is lost"


async def test_bad_requests_change_nothing(client: Any, alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, ORDERS)
    base = f"/api/v1/orgs/{org}/forms/{form}"
    await submit(alice, org, form, [{"Amount": "1", "Score": 1}])
    # an unknown form, field or trash entry
    missing = f"/api/v1/orgs/{org}/forms/0190aaaa-0000-7000-8000-000000000000"
    assert (await alice.post(f"{missing}/publish/preview", {"definition": ORDERS})).status_code == 404
    assert (await alice.post(f"{base}/trash/f_nothere1/restore")).status_code == 404
    assert (await alice.delete(f"{base}/trash/f_nothere1")).status_code == 404
    assert (await alice.post(f"{base}/trash/x/restore")).status_code == 404
    # malformed bodies and definitions
    assert (await alice.post(f"{base}/publish/preview", {"definition": {"name": "x"}})).status_code == 400
    r = await preview(alice, org, form, changed(ORDERS, f_amount01={"id": "f_amount01", "name": "Amount",
                                                                    "type": "nope"}))
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.fields[0].type"
    # changes that cannot keep data
    r = await preview(alice, org, form, changed(ORDERS, f_amount01={"id": "f_amount01", "name": "Amount",
                                                                    "type": "formula",
                                                                    "settings": {"expression": "1"}}))
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "type-change"
    table = next(f for f in ORDERS["fields"] if f["id"] == "f_lines001")
    moved = changed(ORDERS, f_lines001={**table, "columns": [table["columns"][1]]})
    moved["fields"].append(table["columns"][0])
    r = await preview(alice, org, form, moved)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "move"
    # a stale editor
    r = await alice.post(f"{base}/publish/preview", {"definition": ORDERS, "expected_version": 9})
    assert r.status_code == 409
    # a second type change waits for the first conversion
    assert (await publish(alice, org, form, changed(ORDERS, f_amount01={
        "id": "f_amount01", "name": "Amount", "type": "number"}))).status_code == 201
    r = await publish(alice, org, form, changed(ORDERS, f_amount01={
        "id": "f_amount01", "name": "Amount", "type": "number"}, f_note0001={
        "id": "f_note0001", "name": "Note", "type": "textarea"}))
    assert r.status_code == 409 and "still converting" in r.json()["detail"]
    assert (await preview(alice, org, form, ORDERS)).json()["conversion_running"]
    await drain(rt)
    # a bad cursor
    r = await alice.get(f"{base}/moved-values", params={"cursor": "nope"})
    assert r.status_code == 422
    # members who do not administer the app
    carol = await sign_in(client, "carol@example.com")
    assert (await carol.post(f"{base}/publish/preview", {"definition": ORDERS})).status_code == 403
    assert (await carol.get(f"{base}/trash")).status_code == 403
    assert (await carol.post(f"{base}/trash/f_note0001/restore")).status_code == 403
    assert (await carol.delete(f"{base}/trash/f_note0001")).status_code == 403


async def test_preview_names_other_forms_lookups_a_change_breaks(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    products = {"name": "Products", "fields": [{"id": "f_title001", "name": "Title", "type": "text"},
                                               {"id": "f_price001", "name": "Price", "type": "number"},
                                               {"id": "f_stock001", "name": "Stock", "type": "number"}]}
    form = await make_form(alice, org, products)
    orders = {"name": "Orders", "fields": [
        {"id": "f_prod0001", "name": "Product", "type": "link", "settings": {"form_id": form}},
        {"id": "f_unit0001", "name": "Unit price", "type": "lookup", "settings": {"link": "Product", "field": "Price"}},
        {"id": "f_left0001", "name": "Left", "type": "lookup", "settings": {"link": "f_prod0001", "field": "f_stock001"}},
        {"id": "f_name0001", "name": "Name", "type": "lookup", "settings": {"link": "Product", "field": "f_title001"}}]}
    other = await make_form(alice, org, orders)
    change = changed(products, f_price001={"id": "f_price001", "name": "List price", "type": "number"},
                     f_stock001=None)
    p = (await preview(alice, org, form, change)).json()
    assert sorted((x["form_id"], x["field_id"], x["reads"], x["problem"]) for x in p["dependents"]) == [
        (other, "f_left0001", "f_stock001", "deleted"), (other, "f_unit0001", "f_price001", "renamed")]
    assert (await publish(alice, org, form, change)).status_code == 201, "reported, not refused"


async def test_a_deleted_columns_cells_survive_edits_that_leave_the_rows_alone(
        alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, ORDERS)
    rows = [{"qty": "1", "what": "bolts"}, {"qty": "2", "what": "nuts"}]
    a, b = await submit(alice, org, form, [{"lines": rows}, {"lines": rows}])
    table = next(f for f in ORDERS["fields"] if f["id"] == "f_lines001")
    r = await publish(alice, org, form, changed(ORDERS, f_lines001={**table, "columns": table["columns"][:1]}))
    assert r.status_code == 201, r.text
    r = await alice.patch(f"/api/v1/orgs/{org}/records/{a}", {"data": {"Score": 3}, "expected_version": 1})
    assert r.status_code == 200 and [x.get("f_what0001") for x in r.json()["data"]["f_lines001"]] == ["bolts", "nuts"]
    r = await alice.patch(f"/api/v1/orgs/{org}/records/{b}", {"data": {"lines": [{"qty": "9"}]}, "expected_version": 1})
    assert r.status_code == 200 and r.json()["data"]["f_lines001"] == [{"f_qty00001": "9"}], "rows sent replace rows"
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form}/trash/f_what0001/restore")
    assert r.status_code == 200, r.text
    assert [c["id"] for c in r.json()["definition"]["fields"][5]["columns"]] == ["f_qty00001", "f_what0001"]
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form}/records", {"data": {"lines": [{"what": "back"}]}})
    assert r.status_code == 201, r.text
    assert [x["f_what0001"] for x in (await record(alice, org, a))["data"]["f_lines001"]] == ["bolts", "nuts"]
