"""Exporting records to CSV and XLSX, and importing the export back: every field type family
survives the round trip; views and queries choose the rows and columns; rights apply."""

from __future__ import annotations

import codecs
import csv
import io
from typing import Any

import openpyxl

from tack.runtime import Runtime
from tests.conftest import Api
from tests.files.samples import pdf, png
from tests.records.test_imports import XLSX, finished, start, upload, url
from tests.records.test_records_api import make_form

CUSTOMERS = {"name": "Customers", "fields": [{"id": "f_cname001", "name": "Company", "type": "text"}]}
OPTIONS = [{"id": "a", "label": "Alpha"}, {"id": "b", "label": "Beta, with comma"}, {"id": "c", "label": "Gamma"}]


def every_family(customers_form: str) -> dict[str, Any]:
    """A form with a field of each type a person can fill, and computed ones beside them."""
    return {"name": "Everything / all [types]", "fields": [
        {"id": "f_serial01", "name": "No", "type": "serial", "settings": {"pattern": "E-{####}"}},
        {"id": "f_text0001", "name": "Text", "type": "text"},
        {"id": "f_area0001", "name": "Notes", "type": "textarea"},
        {"id": "f_email001", "name": "Email", "type": "email"},
        {"id": "f_phone001", "name": "Phone", "type": "phone"},
        {"id": "f_url00001", "name": "Site", "type": "url"},
        {"id": "f_num00001", "name": "Count", "type": "number", "settings": {"decimals": 0}},
        {"id": "f_money001", "name": "Price", "type": "money", "settings": {"currency": "CNY"}},
        {"id": "f_pct00001", "name": "Share", "type": "percent", "settings": {"decimals": 1}},
        {"id": "f_rate0001", "name": "Stars", "type": "rating"},
        {"id": "f_sel00001", "name": "Kind", "type": "select", "settings": {"options": OPTIONS}},
        {"id": "f_multi001", "name": "Tags", "type": "multiselect", "settings": {"options": OPTIONS}},
        {"id": "f_check001", "name": "Done", "type": "checkbox"},
        {"id": "f_date0001", "name": "Day", "type": "date"},
        {"id": "f_dtime001", "name": "Moment", "type": "datetime"},
        {"id": "f_memb0001", "name": "Owner", "type": "member"},
        {"id": "f_membs001", "name": "Team", "type": "members"},
        {"id": "f_dept0001", "name": "Dept", "type": "department"},
        {"id": "f_depts001", "name": "Depts", "type": "departments"},
        {"id": "f_file0001", "name": "Files", "type": "attachment"},
        {"id": "f_image001", "name": "Photos", "type": "image"},
        {"id": "f_sign0001", "name": "Signature", "type": "signature"},
        {"id": "f_where001", "name": "Where", "type": "location"},
        {"id": "f_link0001", "name": "Customer", "type": "link", "settings": {"form_id": customers_form}},
        {"id": "f_lines001", "name": "Lines", "type": "subtable", "columns": [
            {"id": "f_what0001", "name": "What", "type": "text"},
            {"id": "f_amt00001", "name": "Amount", "type": "money"},
            {"id": "f_who00001", "name": "Who", "type": "member"},
            {"id": "f_twice001", "name": "Twice", "type": "formula", "settings": {"expression": "Amount * 2"}}]},
        {"id": "f_total001", "name": "Total", "type": "formula", "settings": {"expression": "SUM(Lines.Amount)"}},
        {"id": "f_by000001", "name": "Submitted by", "type": "created_by"},
        {"id": "f_at000001", "name": "Submitted at", "type": "created_at"},
    ]}


COMPUTED = {"f_serial01", "f_total001", "f_by000001", "f_at000001"}


async def _setup(alice: Api, demo: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    org = demo["org_id"]
    m = demo["members"]
    customers = await make_form(alice, org, CUSTOMERS)
    acme = (await alice.post(url(org, "forms", customers["id"], "records"),
                             {"data": {"Company": "Acme, Inc."}})).json()
    definition = every_family(customers["id"])
    form = await make_form(alice, org, definition)
    doc = await upload(alice, org, pdf(), "report.pdf", "application/pdf")
    photo = await upload(alice, org, png(), "photo.png", "image/png")
    sign = await upload(alice, org, png(rgb=(1, 2, 3)), "sign.png", "image/png")
    data = {
        "Text": "=1+1 looks like a formula", "Notes": "line one\nline two, with comma", "Email": "wang@example.com",
        "Phone": "+86 138-0013-8000", "Site": "https://example.com/a?b=c", "Count": -42, "Price": "1234.5",
        "Share": 0.125, "Stars": 4, "Kind": "Beta, with comma", "Tags": ["Gamma", "Beta, with comma"], "Done": True,
        "Day": "2025-06-30", "Moment": "2025-06-30T08:15:00Z", "Owner": m["wang.fang@example.com"],
        "Team": [m["bob@example.com"], m["carol@example.com"]], "Dept": demo["departments"]["Finance"],
        "Depts": [demo["departments"]["Sales East"], demo["departments"]["HR"]], "Files": [doc],
        "Photos": [photo], "Signature": sign, "Where": {"lat": 39.9042, "lng": 116.4074, "address": "北京, 长安街"},
        "Customer": [acme["id"]],
        "Lines": [{"What": "taxi", "Amount": 12.5, "Who": m["dan@example.com"]}, {"What": "hotel \"Ritz\"",
                                                                                   "Amount": 300}],
    }
    r = await alice.post(url(org, "forms", form["id"], "records"), {"data": data})
    assert r.status_code == 201, r.text
    sparse = await alice.post(url(org, "forms", form["id"], "records"), {"data": {"Text": "only text"}})
    assert sparse.status_code == 201, sparse.text
    return org, form, definition


async def _round_trip(alice: Api, rt: Runtime, demo: dict[str, Any], fmt: str) -> None:
    org, form, definition = await _setup(alice, demo)
    r = await alice.get(url(org, "forms", form["id"], "export"), params={"format": fmt})
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    content = r.content
    if fmt == "csv":
        assert content.startswith(codecs.BOM_UTF8) and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["No", "Text", "Notes"]
        full = next(row for row in rows if row[1].startswith("'="))
        header = rows[0]
        assert full[header.index("Owner")] == "王芳 <wang.fang@example.com>"
        assert full[header.index("Dept")] == "Finance" and full[header.index("Customer")] == "Acme, Inc."
        assert full[header.index("Share")] == "12.5%" and full[header.index("Count")] == "-42"
    else:
        wb = openpyxl.load_workbook(io.BytesIO(content))
        ws = wb.active
        assert ws.title == "Everything all types"
        values = [[c.value for c in row] for row in ws.iter_rows()]
        header = values[0]
        line = next(i for i, row in enumerate(values, 1) if row[1] == "=1+1 looks like a formula")
        full = values[line - 1]
        assert full[header.index("Price")] == 1234.5 and full[header.index("Count")] == -42
        assert ws.cell(row=line, column=header.index("Share") + 1).number_format == "0.00%"
    # the export imports back into a copy of the form: every value a person set comes back
    copy = await make_form(alice, org, definition)
    mime = "text/csv" if fmt == "csv" else XLSX
    r = await start(alice, org, copy["id"], content, name=f"export.{fmt}", ctype=mime, dry_run=False)
    assert r.status_code == 201, r.text
    notes = {c["header"]: c.get("note") for c in r.json()["columns"]}
    assert notes["No"] == "computed by Tack" and notes["Total"] == "computed by Tack"
    done = await finished(alice, rt, org, r.json()["id"])
    assert done["state"] == "committed" and done["created_rows"] == 2, (done, (await alice.get(
        url(org, "imports", done["id"], "errors"))).json())

    async def data_of(form_id: str) -> dict[str, dict[str, Any]]:
        items = (await alice.get(url(org, "forms", form_id, "records"))).json()["items"]
        return {i["data"]["f_text0001"]: {k: v for k, v in i["data"].items() if k not in COMPUTED} for i in items}

    before, after = await data_of(form["id"]), await data_of(copy["id"])
    assert after == before
    assert after["=1+1 looks like a formula"]["f_lines001"][0]["f_twice001"] == 25


async def test_round_trip_every_family_csv(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    await _round_trip(alice, rt, demo, "csv")


async def test_round_trip_every_family_xlsx(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    await _round_trip(alice, rt, demo, "xlsx")


SIMPLE = {"name": "Visitors", "fields": [
    {"id": "f_name0001", "name": "Name", "type": "text"},
    {"id": "f_count001", "name": "Count", "type": "number", "settings": {"decimals": 0}},
    {"id": "f_host0001", "name": "Host", "type": "member"}]}


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


async def test_export_of_a_view_and_of_a_query(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, SIMPLE)
    base = url(org, "forms", form["id"])
    bulk = [{"data": {"Name": f"Visitor {i:04d}", "Count": i}} for i in range(450)]
    r = await alice.post(f"{base}/records/bulk", {"items": bulk})
    assert r.status_code == 200, r.text
    # every record, in batches (more than one page of the query layer)
    rows = _csv((await alice.get(f"{base}/export")).content)
    assert rows[0] == ["Name", "Count", "Host"] and len(rows) == 451
    # a query: filter, sort and chosen columns
    r = await alice.get(f"{base}/export", params={
        "filter": '{"field": "Count", "op": "lt", "value": 3}', "sort": '[{"field": "Count", "direction": "desc"}]',
        "fields": "Count,Name,created_at"})
    rows = _csv(r.content)
    assert [row[:2] for row in rows] == [["Count", "Name"], ["2", "Visitor 0002"], ["1", "Visitor 0001"],
                                         ["0", "Visitor 0000"]]
    assert rows[0][2] == "created_at" and rows[1][2].endswith("Z")
    r = await alice.get(f"{base}/export", params={"search": "visitor 0449"})
    assert [row[0] for row in _csv(r.content)] == ["Name", "Visitor 0449"]
    # a view: its filter, sort and visible columns
    r = await alice.post(f"{base}/views", {"name": "Big groups", "config": {
        "filter": {"field": "Count", "op": "ge", "value": 448}, "sort": [{"field": "Count", "direction": "asc"}],
        "columns": [{"field": "Count"}, {"field": "Name"}]}})
    assert r.status_code in (200, 201), r.text
    r = await alice.get(f"{base}/export", params={"view_id": r.json()["id"], "format": "xlsx"})
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert [[c.value for c in row] for row in ws.iter_rows()] == [["Count", "Name"], [448, "Visitor 0448"],
                                                                 [449, "Visitor 0449"]]
    # bad queries are refused before anything is sent
    for params, path in (({"filter": "{nope"}, "filter"), ({"fields": "Count,Nope"}, "$.fields[1]"),
                         ({"filter": '{"field": "Nope", "op": "eq", "value": 1}'}, None),
                         ({"format": "pdf"}, None)):
        r = await alice.get(f"{base}/export", params=params)
        assert r.status_code in (400, 422), (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        if path:
            assert r.json()["errors"][0]["path"] == path


async def test_export_follows_rights(alice: Api, demo: dict[str, Any], rt: Runtime, client: Any) -> None:
    from tests.api.helpers import make_token, new_org

    org = demo["org_id"]
    form = await make_form(alice, org, SIMPLE)
    base = url(org, "forms", form["id"])
    assert (await alice.post(f"{base}/records", {"data": {"Name": "Secret"}})).status_code == 201
    files_only = await make_token(alice, org, kind="organization", scopes=["files:read"])
    bob, _other = await new_org(client, rt)
    assert (await bob.get(f"{base}/export")).status_code == 404
    client.cookies.clear()
    r = await client.get(f"{base}/export", headers={"Authorization": f"Bearer {files_only['token']}"})
    assert r.status_code == 403


async def test_permission_groups_apply(alice: Api, demo: dict[str, Any], rt: Runtime, client: Any) -> None:
    """Carol may read every record but not submit, and Count is hidden from her: her export has
    no Count column, and she may not import."""
    from tests.conftest import sign_in

    org = demo["org_id"]
    form = await make_form(alice, org, SIMPLE)
    base = url(org, "forms", form["id"])
    for i in range(3):
        assert (await alice.post(f"{base}/records", {"data": {"Name": f"N{i}", "Count": i}})).status_code == 201
    app_id = (await alice.get(url(org, "forms", form["id"]))).json()["app_id"]
    rights = {"can_submit": False, "read": {"scope": "all"}, "edit": {"scope": "none"}, "delete": {"scope": "none"}}
    r = await alice.post(url(org, "apps", app_id, "permission-groups"), {
        "name": "Readers", "members": {"everyone": True}, "rights": rights,
        "forms": {form["id"]: {"hidden_fields": ["Count"]}}})
    assert r.status_code == 201, r.text
    groups = (await alice.get(url(org, "apps", app_id, "permission-groups"))).json()["items"]
    for g in groups:
        if g["name"] != "Readers":
            r = await alice.patch(url(org, "permission-groups", g["id"]), {
                "rights": rights, "forms": {form["id"]: {"hidden_fields": ["Count"]}}, "expected_version": g["version"]})
            assert r.status_code == 200, r.text
    file_id = await upload(alice, org, b"Name\r\nX\r\n", "x.csv", "text/csv")
    carol = await sign_in(client, "carol@example.com")
    rows = _csv((await carol.get(f"{base}/export")).content)
    assert rows[0] == ["Name", "Host"] and len(rows) == 4
    r = await carol.get(f"{base}/export", params={"fields": "Name,Count"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.fields[1]"
    r = await carol.post(f"{base}/imports", {"file_id": file_id})
    assert r.status_code == 403, r.text
