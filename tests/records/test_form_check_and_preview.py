"""What the web designer and fill-in page ask while people type: a form check that saves
nothing, and a submission preview (defaults, computed fields, live visibility and required-ness)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tack.apps.tables import forms
from tack.records.tables import records
from tests.conftest import Api, sign_in
from tests.records.test_records_api import EXPENSE, make_form


async def test_check_reports_problems_with_formula_positions_and_saves_nothing(alice: Api, demo: dict[str, Any],
                                                                               rt: Any) -> None:
    org = demo["org_id"]
    bad = {"name": "Draft", "fields": [
        {"id": "f_amount01", "name": "Amount", "type": "number", "settings": {"min": 10, "max": 1}},
        {"id": "f_tax00001", "name": "Tax", "type": "formula", "settings": {"expression": "Amont * 0.1"}},
        {"id": "f_kind0001", "name": "Kind", "type": "select",
         "settings": {"options": [{"id": "a", "label": "A"}, {"id": "b", "label": "a"}]}},
        {"id": "f_note0001", "name": "Note", "type": "text", "visible_if": "Amount >"},
    ]}
    r = await alice.post(f"/api/v1/orgs/{org}/forms/check", bad)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is False and body["types"] == {}
    paths = {e["path"] for e in body["errors"]}
    assert paths == {"$.fields[0].settings.max", "$.fields[1].settings.expression",
                     "$.fields[2].settings.options[1].label", "$.fields[3].visible_if"}, body
    spans = {f["path"]: f for f in body["formula_errors"]}
    assert spans["$.fields[1].settings.expression"]["offset"] == 0
    assert spans["$.fields[1].settings.expression"]["end"] == len("Amont")
    assert spans["$.fields[1].settings.expression"]["message"].startswith("Unknown field [Amont]")
    assert spans["$.fields[3].visible_if"]["kind"] == "syntax"

    good = {"name": "Draft", "fields": [
        {"id": "f_amount01", "name": "Amount", "type": "number"},
        {"id": "f_tax00001", "name": "Tax", "type": "formula", "settings": {"expression": "Amount * 0.1"}},
        {"id": "f_label001", "name": "Label", "type": "formula", "settings": {"expression": "\"n=\" & Amount"}},
    ]}
    r = await alice.post(f"/api/v1/orgs/{org}/forms/check", good)
    assert r.json() == {"ok": True, "errors": [], "formula_errors": [],
                        "types": {"f_amount01": "number", "f_tax00001": "number", "f_label001": "text"}}
    async with rt.db.transaction(write=False) as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(forms))).scalar() == 0


async def test_publish_names_formula_positions_too(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    r = await alice.post(f"/api/v1/orgs/{org}/apps", {"name": "Ops"})
    r = await alice.post(f"/api/v1/orgs/{org}/apps/{r.json()['id']}/forms", {"name": "F", "fields": [
        {"id": "f_x0000001", "name": "X", "type": "formula", "settings": {"expression": "1 +"}}]})
    assert r.status_code == 422
    assert r.json()["formula_errors"][0]["path"] == "$.fields[0].settings.expression"
    assert r.json()["formula_errors"][0]["offset"] == 3


async def test_check_is_for_app_managers(client: Any, demo: dict[str, Any]) -> None:
    carol = await sign_in(client, "carol@example.com")
    r = await carol.post(f"/api/v1/orgs/{demo['org_id']}/forms/check", {"name": "F", "fields": []})
    assert r.status_code == 403


async def test_preview_new_record_defaults_computed_visibility(alice: Api, demo: dict[str, Any], rt: Any) -> None:
    org = demo["org_id"]
    definition = {**EXPENSE, "fields": [*EXPENSE["fields"],
                                         {"id": "f_when0001", "name": "When", "type": "date", "default": "TODAY()"}]}
    form = await make_form(alice, org, definition)
    url = f"/api/v1/orgs/{org}/forms/{form['id']}/records/preview"

    r = await alice.post(url, {"data": {}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["data"]["f_when0001"]) == 10, "the default is filled in"
    assert body["data"]["f_total001"] == 0 and body["hidden"] == ["f_reason01"]
    assert "f_title001" in body["required"] and "f_reason01" not in body["required"]
    assert {e["path"] for e in body["errors"]} == {"$.data.Title"}, "named as sent, or by name"

    lines = [{"f_amount01": 800}, {"f_amount01": 700, "f_what0001": "hotel"}, {}]
    r = await alice.post(url, {"data": {"f_title001": "Trip", "f_lines001": lines}})
    body = r.json()
    assert body["data"]["f_total001"] == 1500
    assert body["hidden"] == [] and "f_reason01" in body["required"]
    assert [c for c in body["required_cells"] if c[0] == "f_lines001" and c[2] == "f_amount01"] == [
        ["f_lines001", 0, "f_amount01"], ["f_lines001", 1, "f_amount01"], ["f_lines001", 2, "f_amount01"]]
    assert {e["path"] for e in body["errors"]} == {"$.data.Reason", "$.data.f_lines001[2].amount"}

    r = await alice.post(url, {"data": {"f_title001": 5, "Nope": 1}})
    assert {e["path"] for e in r.json()["errors"]} >= {"$.data.f_title001", "$.data.Nope"}
    async with rt.db.transaction(write=False) as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(records))).scalar() == 0


async def test_preview_an_edit_keeps_stored_values(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org)
    rec = (await alice.post(f"/api/v1/orgs/{org}/forms/{form['id']}/records",
                            {"data": {"Title": "Trip", "lines": [{"amount": 10}]}})).json()
    url = f"/api/v1/orgs/{org}/forms/{form['id']}/records/preview"
    r = await alice.post(url, {"data": {"f_lines001": [{"f_amount01": 2000}]}, "record_id": rec["id"]})
    body = r.json()
    assert body["data"]["f_title001"] == "Trip" and body["data"]["f_total001"] == 2000
    assert {e["path"] for e in body["errors"]} == {"$.data.Reason"}
    other = await make_form(alice, org, {**EXPENSE, "name": "Other"})
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{other['id']}/records/preview",
                         {"data": {}, "record_id": rec["id"]})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.record_id"


async def test_preview_keeps_to_the_permission_groups(client: Any, demo: dict[str, Any]) -> None:
    from tests.access.helpers import Org

    org = Org(client, demo)
    app_id, form_id = await org.tasks_app()
    await org.set_everyone(app_id, rights={"can_submit": True, "read": {"scope": "own"}, "edit": {"scope": "own"}},
                           forms={form_id: {"hidden_fields": ["Secret"], "readonly_fields": ["Status"]}})
    url = f"{org.base}/forms/{form_id}/records/preview"
    rec = await org.submit("alice", form_id, {"Title": "mine", "Secret": "s3cret"})
    frank = await org.as_("frank")
    r = await frank.post(url, {"data": {"Title": "x", "Status": "done"}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "f_secret01" in body["hidden"] and "f_secret01" not in body["data"]
    assert [e["path"] for e in body["errors"]] == ["$.data.Status"], "read-only for frank"
    # someone else's record: outside frank's edit scope
    r = await frank.post(url, {"data": {}, "record_id": rec["id"]})
    assert r.status_code in (403, 404)
    await org.set_everyone(app_id, rights={"can_submit": False})
    assert (await frank.post(url, {"data": {}})).status_code == 403
