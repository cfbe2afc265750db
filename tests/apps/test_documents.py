"""App documents and templates: export, import (JSON and YAML), install, the CLI."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from tack.apps.documents import TEMPLATES_DIR, load_template, template_names
from tack.forms.definition import compile_form
from tack.runtime import Runtime
from tests.api.helpers import count_rows
from tests.conftest import Api, sign_in
from tests.records.test_records_api import EXPENSE
from tests.test_cli import tack

OTHER = {"name": "Survey", "description": "Two forms in one app", "fields": [
    {"id": "f_q0000001", "name": "Question", "type": "text", "required": True},
    {"id": "f_score001", "name": "Score", "type": "rating", "settings": {"max": 10}},
    {"id": "f_choice01", "name": "Choice", "type": "select", "settings": {"options": [
        {"id": "a", "label": "Apples", "color": "red"}, {"id": "b", "label": "Pears"}]}},
]}


async def _app_with_forms(api: Api, org: str) -> str:
    r = await api.post(f"/api/v1/orgs/{org}/apps", {"name": "Finance", "description": "Money", "icon": "coin"})
    assert r.status_code == 201, r.text
    app_id: str = r.json()["id"]
    for definition in (EXPENSE, OTHER):
        r = await api.post(f"/api/v1/orgs/{org}/apps/{app_id}/forms", definition)
        assert r.status_code == 201, r.text
    return app_id


async def _definitions(api: Api, org: str, app_id: str) -> list[dict[str, Any]]:
    forms = (await api.get(f"/api/v1/orgs/{org}/apps/{app_id}/forms")).json()["items"]
    defs = [(await api.get(f"/api/v1/orgs/{org}/forms/{f['id']}")).json()["definition"] for f in forms]
    return sorted(defs, key=lambda d: d["name"])


async def test_round_trip_into_another_org(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    app_id = await _app_with_forms(alice, org)
    r = await alice.get(f"/api/v1/orgs/{org}/apps/{app_id}/document")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["format"] == "tack.app/v1" and doc["name"] == "Finance" and doc["icon"] == "coin"
    assert [f["name"] for f in doc["forms"]] == ["Expense claim", "Survey"], "in the order they were made"
    r = await alice.post("/api/v1/orgs", {"name": "Second Co."})
    assert r.status_code == 201, r.text
    org2 = r.json()["id"]
    r = await alice.post(f"/api/v1/orgs/{org2}/apps/import", doc)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["name"] == "Finance" and new["description"] == "Money" and new["id"] != app_id
    assert await _definitions(alice, org2, new["id"]) == await _definitions(alice, org, app_id)
    again = (await alice.get(f"/api/v1/orgs/{org2}/apps/{new['id']}/document")).json()
    assert again == doc


async def test_yaml_export_and_import(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    app_id = await _app_with_forms(alice, org)
    r = await alice.get(f"/api/v1/orgs/{org}/apps/{app_id}/document", params={"format": "yaml"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/yaml")
    text = r.text
    assert yaml.safe_load(text) == (await alice.get(f"/api/v1/orgs/{org}/apps/{app_id}/document")).json()
    r = await alice.client.post(f"/api/v1/orgs/{org}/apps/import", content=text.encode(),
                                headers={"X-CSRF-Token": alice.csrf, "Content-Type": "application/yaml"})
    assert r.status_code == 201, r.text
    assert await _definitions(alice, org, r.json()["id"]) == await _definitions(alice, org, app_id)


async def test_bad_input_is_refused(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    url = f"/api/v1/orgs/{org}/apps/import"
    before = await count_rows(rt)
    h = {"X-CSRF-Token": alice.csrf, "Content-Type": "application/yaml"}
    # not YAML at all, YAML aliases, not JSON: 400
    r = await alice.client.post(url, content=b"format: [unclosed", headers=h)
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json"), r.text
    r = await alice.client.post(url, content=b"a: &x [1]\nb: *x\n", headers=h)
    assert r.status_code == 400 and "aliases" in r.json()["detail"]
    r = await alice.client.post(url, content=b"{nope", headers={"X-CSRF-Token": alice.csrf,
                                                                "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    r = await alice.client.post(url, content=b"x" * (1024 * 1024 + 1), headers=h)
    assert r.status_code == 400, r.text
    # wrong shape: 422 at its path
    r = await alice.post(url, {"format": "tack.app/v2", "name": "X", "forms": []})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.format", r.text
    r = await alice.post(url, {"format": "tack.app/v1", "name": "X", "forms": [{"name": "F", "fields": [
        {"id": "f_a0000001", "name": "A", "type": "text", "nope": 1}]}]})
    assert r.status_code == 422 and r.json()["errors"][0]["path"].startswith("$.forms[0].fields[0]"), r.text
    # a bad field type in the second form, a bad formula and bad settings: every problem named
    good = {"name": "Fine", "fields": [{"id": "f_ok000001", "name": "Ok", "type": "text"}]}
    bad = {"name": "Broken", "fields": [
        {"id": "f_a0000001", "name": "A", "type": "number"},
        {"id": "f_b0000001", "name": "B", "type": "telepathy"},
        {"id": "f_c0000001", "name": "C", "type": "formula", "settings": {"expression": "SUM(A,"}},
        {"id": "f_d0000001", "name": "D", "type": "select", "settings": {"options": []}},
    ]}
    r = await alice.post(url, {"format": "tack.app/v1", "name": "Broken app", "forms": [good, bad]})
    assert r.status_code == 422, r.text
    paths = {e["path"] for e in r.json()["errors"]}
    assert "$.forms[1].fields[1].type" in paths
    assert "$.forms[1].fields[2].settings.expression" in paths or any(
        p.startswith("$.forms[1].fields[2]") for p in paths), paths
    assert any(p.startswith("$.forms[1].fields[3].settings") for p in paths), paths
    assert await count_rows(rt) == before, "nothing was created"


def test_every_template_compiles() -> None:
    assert set(template_names()) >= {"visitor", "expense", "okr"}
    for name in template_names():
        doc = load_template(name)
        assert doc.forms
        for form in doc.forms:
            compile_form(form)


async def _install(api: Api, org: str, name: str) -> str:
    r = await api.post(f"/api/v1/orgs/{org}/apps/install", {"template": name})
    assert r.status_code == 201, r.text
    forms = (await api.get(f"/api/v1/orgs/{org}/apps/{r.json()['id']}/forms")).json()["items"]
    assert len(forms) == 1
    return str(forms[0]["id"])


async def test_templates_install_and_take_records(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    r = await alice.get("/api/v1/templates")
    assert r.status_code == 200, r.text
    assert {t["name"] for t in r.json()["items"]} == {"visitor", "expense", "okr", "leave", "purchase", "government"}
    bob = demo["members"]["bob@example.com"]

    form = await _install(alice, org, "visitor")
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form}/records", {"data": {
        "Visitor name": "Zhang San", "Company": "Acme", "Host": bob, "Purpose": "meeting"}})
    assert r.status_code == 201, r.text
    d = r.json()["data"]
    assert d["f_vbadge01"].startswith("V-") and d["f_vbadge01"].endswith("-001") and len(d["f_vbadge01"]) == 14
    assert d["f_varrive1"], "arrival defaults to now"

    form = await _install(alice, org, "expense")
    url = f"/api/v1/orgs/{org}/forms/{form}/records"
    lines = [{"date": "2026-01-05", "category": "travel", "amount": 1200},
             {"date": "2026-01-06", "category": "lodging", "amount": "4000.50"}]
    r = await alice.post(url, {"data": {"Title": "Client visit", "lines": lines}})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.data.Reason", r.text
    r = await alice.post(url, {"data": {"Title": "Client visit", "lines": lines, "Reason": "Signed the deal"}})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["f_etotal01"] == 5200.5
    r = await alice.post(url, {"data": {"Title": "Lunch", "lines": lines[:1]}})
    assert r.status_code == 201 and r.json()["data"]["f_etotal01"] == 1200, r.text

    form = await _install(alice, org, "okr")
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{form}/records", {"data": {
        "Objective": "Delight customers", "Owner": bob, "Quarter": "q1", "key_results": [
            {"key_result": "NPS 50", "target": 50, "current": 25},
            {"key_result": "Ship v2", "target": 1, "current": 3}]}})
    assert r.status_code == 201, r.text
    d = r.json()["data"]
    assert [row["f_okprogrs"] for row in d["f_okrs0001"]] == [0.5, 1]
    assert d["f_oprogres"] == 0.75


@pytest.mark.parametrize("name,status", [("nope", 404), ("../x", 400), ("Visitor", 400), ("a/b", 400),
                                          ("..", 400), ("visitor.yaml", 400)])
async def test_install_refuses_unknown_and_malicious_names(alice: Api, demo: dict[str, Any], name: str,
                                                           status: int) -> None:
    r = await alice.post(f"/api/v1/orgs/{demo['org_id']}/apps/install", {"template": name})
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_members_cannot_import_or_install(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    app_id = await _app_with_forms(alice, org)
    doc = (await alice.get(f"/api/v1/orgs/{org}/apps/{app_id}/document")).json()
    carol = await sign_in(alice.client, "carol@example.com")
    assert (await carol.get("/api/v1/templates")).status_code == 200
    before = await count_rows(rt)
    assert (await carol.post(f"/api/v1/orgs/{org}/apps/import", doc)).status_code == 403
    assert (await carol.post(f"/api/v1/orgs/{org}/apps/install", {"template": "visitor"})).status_code == 403
    assert await count_rows(rt) == before
    carol.client.cookies.clear()
    assert (await carol.client.get("/api/v1/templates")).status_code == 401


def test_cli_export_and_import(tmp_path: Path) -> None:
    tack(tmp_path, "migrate")
    tack(tmp_path, "demo")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tack.db'}")
    with engine.connect() as c:
        org = c.execute(sa.text("SELECT id FROM orgs WHERE name = 'Demo Co.'")).scalar()
        app = c.execute(sa.text("SELECT id FROM apps WHERE name = 'Expense reimbursement'")).scalar()
    engine.dispose()
    org_id, app_id = str(as_uuid(org)), str(as_uuid(app))
    out = tack(tmp_path, "app", "export", "--org", org_id, "--app", app_id).stdout
    doc = json.loads(out)
    assert doc["name"] == "Expense reimbursement"
    assert doc["forms"][0]["fields"] == [f for f in yaml.safe_load((TEMPLATES_DIR / "expense.yaml").read_text())[
        "forms"][0]["fields"]]
    tack(tmp_path, "app", "export", "--org", org_id, "--app", app_id, "--yaml", "-o", "expense.yaml")
    new_id = tack(tmp_path, "app", "import", "--org", org_id, "expense.yaml").stdout.strip()
    assert len(new_id) == 36 and new_id != app_id
    out2 = tack(tmp_path, "app", "export", "--org", org_id, "--app", new_id).stdout
    assert json.loads(out2) == doc
    (tmp_path / "bad.json").write_text(json.dumps({**doc, "forms": [{"name": "F", "fields": [
        {"id": "f_x0000001", "name": "X", "type": "telepathy"}]}]}))
    bad = tack(tmp_path, "app", "import", "--org", org_id, "bad.json", check=False)
    assert bad.returncode == 1 and "$.forms[0].fields[0].type" in bad.stderr
    missing = tack(tmp_path, "app", "export", "--org", org_id, "--app", org_id, check=False)
    assert missing.returncode == 1 and "No such app" in missing.stderr


def as_uuid(value: Any) -> Any:
    """An id read with plain SQL (16 bytes or text, by backend) as a UUID."""
    return uuid.UUID(bytes=value) if isinstance(value, bytes) else uuid.UUID(str(value))


async def test_links_between_an_apps_forms_survive_export_and_import(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    r = await alice.post(f"/api/v1/orgs/{org}/apps", {"name": "Shop"})
    app_id = r.json()["id"]
    r = await alice.post(f"/api/v1/orgs/{org}/apps/{app_id}/forms", {"name": "Products", "fields": [
        {"id": "f_pname001", "name": "Name", "type": "text"}, {"id": "f_price001", "name": "Price", "type": "money"}]})
    products = r.json()["id"]
    r = await alice.post(f"/api/v1/orgs/{org}/apps/{app_id}/forms", {"name": "Orders", "fields": [
        {"id": "f_prod0001", "name": "Product", "type": "link", "settings": {"form_id": products}},
        {"id": "f_unit0001", "name": "Unit price", "type": "lookup", "settings": {"link": "Product", "field": "Price"}},
        {"id": "f_qty00001", "name": "Qty", "type": "number"},
        {"id": "f_total001", "name": "Total", "type": "formula", "settings": {"expression": "[Qty] * [Unit price]"}}]})
    assert r.status_code == 201, r.text
    doc = (await alice.get(f"/api/v1/orgs/{org}/apps/{app_id}/document")).json()
    link = doc["forms"][1]["fields"][0]
    assert link["settings"]["form_id"] == "form:Products", "named, not by this organization's id"
    r = await alice.post("/api/v1/orgs", {"name": "Shop Two"})
    org2 = r.json()["id"]
    r = await alice.post(f"/api/v1/orgs/{org2}/apps/import", doc)
    assert r.status_code == 201, r.text
    forms = (await alice.get(f"/api/v1/orgs/{org2}/apps/{r.json()['id']}/forms")).json()["items"]
    ids = {f["name"]: f["id"] for f in forms}
    r = await alice.post(f"/api/v1/orgs/{org2}/forms/{ids['Products']}/records", {"data": {"Name": "Tea", "Price": 4}})
    tea = r.json()["id"]
    r = await alice.post(f"/api/v1/orgs/{org2}/forms/{ids['Orders']}/records", {"data": {"Product": [tea], "Qty": 3}})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["f_total001"] == 12
    assert (await alice.get(f"/api/v1/orgs/{org2}/apps/{r.json()['form_id'] and forms[0]['app_id']}/document")
            ).json()["forms"] == doc["forms"]
    # A link to a form the document does not hold is named.
    bad = {**doc, "forms": [doc["forms"][1]]}
    r = await alice.post(f"/api/v1/orgs/{org2}/apps/import", bad)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "link"
