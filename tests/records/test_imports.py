"""Importing records from CSV and XLSX files: a clerk moves last year's expense sheet into Tack.

Dry runs list every bad line and column and store nothing; commits store every row or none;
Chinese Excel's GBK files and workbooks read right; 100,000 rows stay in bounded memory."""

from __future__ import annotations

import asyncio
import codecs
import gc
import io
import os
import time
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from tack.core.jobs import JobRunner
from tack.core.tables import outbox
from tack.records import imports as imports_mod
from tack.records.import_tables import record_imports
from tack.records.spreadsheets import detect_delimiter, detect_encoding
from tack.records.tables import record_revisions, records
from tack.runtime import Runtime
from tests.conftest import Api
from tests.records.test_records_api import make_form

OPTIONS = [{"id": "travel", "label": "Travel"}, {"id": "meals", "label": "Meals"},
           {"id": "local", "label": "Travel, local"}]
FORM = {
    "name": "Expenses 2025",
    "fields": [
        {"id": "f_no000001", "name": "No", "type": "serial", "settings": {"pattern": "IMP-{####}"}},
        {"id": "f_title001", "name": "Title", "type": "text", "required": True, "unique": True},
        {"id": "f_amount01", "name": "Amount", "type": "money"},
        {"id": "f_day00001", "name": "Day", "type": "date"},
        {"id": "f_kind0001", "name": "Kind", "type": "select", "settings": {"options": OPTIONS}},
        {"id": "f_paid0001", "name": "Paid", "type": "checkbox"},
        {"id": "f_payee001", "name": "Payee", "type": "member"},
        {"id": "f_double01", "name": "Double", "type": "formula", "settings": {"expression": "Amount * 2"}},
    ],
}


def url(org: str, *parts: str) -> str:
    return "/".join([f"/api/v1/orgs/{org}", *parts])


def csv_bytes(text: str, encoding: str = "utf-8-sig") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


async def upload(api: Api, org: str, content: bytes, name: str = "sheet.csv", ctype: str = "text/csv") -> str:
    r = await api.client.post(url(org, "files"), files={"file": (name, content, ctype)},
                              headers={"X-CSRF-Token": api.csrf})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def start(api: Api, org: str, form_id: str, content: bytes, *, name: str = "sheet.csv",
                ctype: str = "text/csv", **body: Any) -> Any:
    file_id = await upload(api, org, content, name, ctype)
    return await api.post(url(org, "forms", form_id, "imports"), {"file_id": file_id, **body})


async def run_jobs(rt: Runtime) -> None:
    await JobRunner(rt.db, rt.clock).drain()


async def finished(api: Api, rt: Runtime, org: str, import_id: str) -> dict[str, Any]:
    await run_jobs(rt)
    r = await api.get(url(org, "imports", import_id))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def problems(api: Api, org: str, import_id: str) -> list[dict[str, Any]]:
    r = await api.get(url(org, "imports", import_id, "errors"), params={"limit": 1000})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def count(rt: Runtime, table: sa.Table, *where: Any) -> int:
    async with rt.db.transaction(write=False) as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table).where(*where))).scalar_one())


async def test_dry_run_then_commit(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, FORM)
    sheet = ("Title,Amount,Day,Kind,Paid,Payee,Double,Notes\n"
             "Taxi,\"1,234.50\",2025/3/1,travel,yes,Bob Li,,ignored\n"
             "Lunch,¥88,2025-03-02,Meals,no,carol@example.com,999,\n"
             "Train,12,2025年3月3日,\"Travel, local\",,Alice Chen <alice@example.com>,,\n"
             ",,,,,,,\n"
             "Hotel,300,,,x,,,\n")
    r = await start(alice, org, form["id"], csv_bytes(sheet))
    assert r.status_code == 201, r.text
    imp = r.json()
    assert imp["state"] == "pending" and imp["dry_run"] and imp["encoding"] == "utf-8-sig"
    cols = {c["header"]: c for c in imp["columns"]}
    assert cols["Title"]["field_id"] == "f_title001" and cols["Payee"]["field_id"] == "f_payee001"
    assert cols["Double"]["note"] == "computed by Tack" and cols["Notes"]["note"] == "no field of this name"
    done = await finished(alice, rt, org, imp["id"])
    assert done["state"] == "dry_run_done", done
    assert (done["error_count"], done["total_rows"], done["processed_rows"]) == (0, 4, 4)
    assert await count(rt, records) == 0, "a dry run stores nothing"
    r = await alice.post(url(org, "imports", imp["id"], "commit"))
    assert r.status_code == 202, r.text
    assert r.json()["state"] == "pending" and not r.json()["dry_run"]
    done = await finished(alice, rt, org, imp["id"])
    assert done["state"] == "committed" and done["created_rows"] == 4, done
    page = (await alice.get(url(org, "forms", form["id"], "records"))).json()["items"]
    by_title = {rec["data"]["f_title001"]: rec["data"] for rec in page}
    taxi = by_title["Taxi"]
    assert taxi["f_amount01"] == 1234.5 and taxi["f_day00001"] == "2025-03-01" and taxi["f_kind0001"] == "travel"
    assert taxi["f_paid0001"] is True and taxi["f_payee001"] == demo["members"]["bob@example.com"]
    assert taxi["f_double01"] == 2469
    assert by_title["Lunch"]["f_payee001"] == demo["members"]["carol@example.com"]
    assert by_title["Train"]["f_kind0001"] == "local" and by_title["Train"]["f_day00001"] == "2025-03-03"
    assert by_title["Train"]["f_payee001"] == demo["members"]["alice@example.com"]
    assert sorted(d["f_no000001"] for d in by_title.values()) == [f"IMP-000{i}" for i in range(1, 5)]
    assert "f_paid0001" not in by_title["Lunch"]
    # each record like a submission: a revision and a record.created event
    assert await count(rt, record_revisions, record_revisions.c.kind == "created") == 4
    assert await count(rt, outbox, outbox.c.type == "record.created") == 4
    assert await count(rt, outbox, outbox.c.type == "records.imported") == 1
    # a committed import cannot be committed twice
    r = await alice.post(url(org, "imports", imp["id"], "commit"))
    assert r.status_code == 409
    # the form's imports, newest first
    r = await alice.get(url(org, "forms", form["id"], "imports"))
    assert [i["id"] for i in r.json()["items"]] == [imp["id"]]


async def test_dry_run_lists_every_problem(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, FORM)
    assert (await alice.post(url(org, "forms", form["id"], "records"),
                             {"data": {"Title": "Taken"}})).status_code == 201
    sheet = ("Title,Amount,Day,Kind,Paid,Payee\n"
             "Ok,1,2025-01-01,Meals,yes,Bob Li\n"        # line 2: fine
             "Bad number,lots,,,,\n"                      # 3: Amount
             "Bad day,1,2025-02-30,,,\n"                  # 4: Day (no such date)
             "Bad kind,1,,Shopping,,\n"                   # 5: Kind
             "Bad payee,1,,,,Nobody Here\n"               # 6: Payee
             ",5,,,,\n"                                   # 7: Title required
             "Ok,2,,,,\n"                                 # 8: Title twice in the file
             "Taken,3,,,,\n"                              # 9: Title already stored
             "Extra,1,,,,,surplus\n"                      # 10: a cell with no header
             "Bad paid,1,,,maybe,\n")                     # 11: Paid
    r = await start(alice, org, form["id"], csv_bytes(sheet))
    assert r.status_code == 201, r.text
    done = await finished(alice, rt, org, r.json()["id"])
    assert done["state"] == "dry_run_done" and done["error_count"] == 9, done
    found = {(p["line"], p["column"], p["field_name"], p["rule"]) for p in await problems(alice, org, done["id"])}
    assert found == {
        (3, "Amount", "Amount", "type"), (4, "Day", "Day", "date"), (5, "Kind", "Kind", "option"),
        (6, "Payee", "Payee", "exists"), (7, "Title", "Title", "required"), (8, "Title", "Title", "unique"),
        (9, "Title", "Title", "unique"), (10, None, None, "columns"), (11, "Paid", "Paid", "type")}
    by_line = {p["line"]: p for p in await problems(alice, org, done["id"])}
    assert by_line[8]["message"].startswith("Line 2 of the file has this value too")
    assert by_line[6]["value"] == "Nobody Here" and "no member" in by_line[6]["message"]
    assert by_line[3]["value"] == "lots"
    assert done["summary"]["by_column"]["Title"] == 3 and done["summary"]["by_rule"]["unique"] == 2
    # committing a dry run with problems: 422, naming the lines and columns; nothing stored
    r = await alice.post(url(org, "imports", done["id"], "commit"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    paths = {e["path"] for e in r.json()["errors"]}
    assert "$.rows[3].Amount" in paths and "$.rows[10]" in paths
    assert await count(rt, records) == 1


async def test_commit_is_all_or_nothing(alice: Api, demo: dict[str, Any], rt: Runtime,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    org = demo["org_id"]
    monkeypatch.setattr(imports_mod, "CHUNK", 50)  # several chunks are written before the bad row
    form = await make_form(alice, org, FORM)
    lines = [f"Row {i},{i}" for i in range(1, 181)] + ["Broken,not a number"] + [f"Row {i},{i}" for i in range(181, 200)]
    r = await start(alice, org, form["id"], csv_bytes("Title,Amount\n" + "\n".join(lines) + "\n"), dry_run=False)
    assert r.status_code == 201, r.text
    done = await finished(alice, rt, org, r.json()["id"])
    assert done["state"] == "failed" and done["created_rows"] == 0 and done["error_count"] == 1, done
    assert [(p["line"], p["column"]) for p in await problems(alice, org, done["id"])] == [(182, "Amount")]
    assert await count(rt, records) == 0 and await count(rt, record_revisions) == 0
    assert await count(rt, outbox, outbox.c.type == "record.created") == 0
    # serial numbers taken by the rolled-back rows are given back: no gap
    r = await alice.post(url(org, "forms", form["id"], "records"), {"data": {"Title": "First"}})
    assert r.json()["data"]["f_no000001"] == "IMP-0001"
    # the fixed file goes in whole, in one step
    fixed = "Title,Amount\n" + "\n".join(f"Row {i},{i}" for i in range(1, 201)) + "\n"
    r = await start(alice, org, form["id"], csv_bytes(fixed), dry_run=False)
    done = await finished(alice, rt, org, r.json()["id"])
    assert done["state"] == "committed" and done["created_rows"] == 200
    assert await count(rt, records) == 201


async def test_gbk_csv_from_chinese_excel(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    form = await make_form(alice, org, {"name": "访客登记", "fields": [
        {"id": "f_name0001", "name": "姓名", "type": "text", "required": True},
        {"id": "f_host0001", "name": "被访人", "type": "member"},
        {"id": "f_dept0001", "name": "部门", "type": "department"},
        {"id": "f_when0001", "name": "来访时间", "type": "datetime"},
        {"id": "f_note0001", "name": "备注", "type": "textarea"}]})
    sheet = ("姓名;被访人;部门;来访时间;备注\n"
             "张伟;王芳;Finance;2025年3月1日 09:30;\"送货；两箱\"\n"
             "李娜;wang.fang@example.com;HR;2025/3/2 14:00;\n")
    raw = csv_bytes(sheet, "gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    r = await start(alice, org, form["id"], raw, name="访客.csv", dry_run=False)
    assert r.status_code == 201, r.text
    assert (r.json()["encoding"], r.json()["delimiter"]) == ("gb18030", ";")
    done = await finished(alice, rt, org, r.json()["id"])
    assert done["state"] == "committed" and done["created_rows"] == 2, done
    items = (await alice.get(url(org, "forms", form["id"], "records"))).json()["items"]
    by_name = {i["data"]["f_name0001"]: i["data"] for i in items}
    assert by_name["张伟"]["f_host0001"] == demo["members"]["wang.fang@example.com"]
    assert by_name["张伟"]["f_dept0001"] == demo["departments"]["Finance"]
    assert by_name["张伟"]["f_note0001"] == "送货；两箱"
    assert by_name["张伟"]["f_when0001"].endswith("Z")


def test_encoding_and_delimiter_detection() -> None:
    assert detect_encoding(codecs.BOM_UTF8 + b"a,b") == "utf-8-sig"
    assert detect_encoding("名称".encode("utf-16")) == "utf-16"
    assert detect_encoding("名称,金额".encode()) == "utf-8"
    assert detect_encoding("名称,金额".encode("gbk")) == "gb18030"
    # a head cut inside a character is still UTF-8
    assert detect_encoding("名称".encode()[:-1]) == "utf-8"
    assert detect_delimiter("a;b;\"c,d\"") == ";"
    assert detect_delimiter("a\tb\tc") == "\t"
    assert detect_delimiter("only") == ","


def _workbook(rows: list[list[Any]], *, title: str = "Sheet", extra: str | None = None,
              percent_cells: tuple[str, ...] = ()) -> bytes:
    wb = openpyxl.Workbook()
    if extra:
        wb.active.title = extra
        wb.active.append(["Cover"])
        wb.active.append(["nothing here"])
        ws = wb.create_sheet(title)
    else:
        ws = wb.active
        ws.title = title
    for row in rows:
        ws.append(row)
    for ref in percent_cells:
        ws[ref].number_format = "0.0%"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_xlsx_import(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    import datetime as dt

    org = demo["org_id"]
    form = await make_form(alice, org, {"name": "Sales", "fields": [
        {"id": "f_client01", "name": "Client", "type": "text", "required": True},
        {"id": "f_amount01", "name": "Amount", "type": "number", "settings": {"decimals": 2}},
        {"id": "f_share001", "name": "Share", "type": "percent", "settings": {"decimals": 1}},
        {"id": "f_day00001", "name": "Signed", "type": "date"},
        {"id": "f_when0001", "name": "Call", "type": "datetime"},
        {"id": "f_won00001", "name": "Won", "type": "checkbox"},
        {"id": "f_stars001", "name": "Stars", "type": "rating"}]})
    content = _workbook([
        ["Client", "Amount", "Share", "Signed", "Call", "Won", "Stars"],
        ["Acme", 1200.5, 0.125, dt.date(2025, 4, 1), dt.datetime(2025, 4, 1, 9, 30), True, 4],
        [None, None, None, None, None, None, None],
        ["Globex", 7, 0.5, "2025-04-02", None, False, "★★★☆☆"],
    ], title="Deals", extra="Cover", percent_cells=("C2", "C4"))
    r = await start(alice, org, form["id"], content, name="deals.xlsx", ctype=XLSX, sheet="Deals", dry_run=False)
    assert r.status_code == 201, r.text
    assert r.json()["format"] == "xlsx" and r.json()["sheet"] == "Deals"
    done = await finished(alice, rt, org, r.json()["id"])
    assert done["state"] == "committed" and done["created_rows"] == 2, done
    items = (await alice.get(url(org, "forms", form["id"], "records"))).json()["items"]
    by = {i["data"]["f_client01"]: i["data"] for i in items}
    assert by["Acme"]["f_amount01"] == 1200.5 and by["Acme"]["f_share001"] == 0.125
    assert by["Acme"]["f_day00001"] == "2025-04-01" and by["Acme"]["f_won00001"] is True
    assert by["Acme"]["f_stars001"] == 4 and by["Globex"]["f_stars001"] == 3 and by["Globex"]["f_share001"] == 0.5
    assert by["Acme"]["f_when0001"].startswith("2025-04-01T")
    # the first sheet by default: it has no column the form knows
    r = await start(alice, org, form["id"], content, name="deals.xlsx", ctype=XLSX)
    assert r.status_code == 201
    assert all(c.get("field_id") is None for c in r.json()["columns"])
    r = await start(alice, org, form["id"], content, name="deals.xlsx", ctype=XLSX, sheet="Nope")
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.sheet"


async def test_bad_files_and_mappings(alice: Api, demo: dict[str, Any], rt: Runtime,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.files.samples import png, zip_of

    org = demo["org_id"]
    form = await make_form(alice, org, FORM)
    fid = form["id"]

    async def refused(content: bytes, rule: str, path: str = "$.file_id", **kw: Any) -> dict[str, Any]:
        r = await start(alice, org, fid, content, **kw)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        errors = r.json()["errors"]
        assert (errors[0]["path"], errors[0]["rule"]) == (path, rule), errors
        return dict(r.json())

    await refused(png(), "file-type", name="photo.png", ctype="image/png")
    await refused(_workbook([]), "empty", name="empty.xlsx", ctype=XLSX)
    await refused(csv_bytes("Title,Amount\n"), "empty")
    await refused(zip_of({"a.txt": b"hello"}), "file-type", name="archive.zip", ctype="application/zip")
    sheet = csv_bytes("Title,Amount,Amount\nA,1,2\n")
    await refused(sheet, "unknown-field", "$.mapping.Title", mapping={"Title": "Nope"})
    await refused(sheet, "no-column", "$.mapping.Missing", mapping={"Missing": "Title"})
    await refused(sheet, "ambiguous", "$.mapping.Amount", mapping={"Amount": "Amount"})
    await refused(sheet, "read-only", "$.mapping.Title", mapping={"Title": "Double"})
    await refused(sheet, "duplicate", "$.mapping.3", mapping={"2": "Amount", "3": "Amount"})
    r = await alice.post(url(org, "forms", fid, "imports"), {"file_id": "00000000-0000-0000-0000-000000000000"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.file_id"
    # by number and skipped columns
    r = await start(alice, org, fid, sheet, mapping={"2": None, "3": "Amount"})
    assert r.status_code == 201, r.text
    assert [c.get("field_id") for c in r.json()["columns"]] == ["f_title001", None, "f_amount01"]
    # a required field no column fills: one problem for the file, not one per row
    r = await start(alice, org, fid, csv_bytes("Amount\n1\n2\n3\n"))
    done = await finished(alice, rt, org, r.json()["id"])
    assert done["error_count"] == 1
    [p] = await problems(alice, org, done["id"])
    assert (p["line"], p["field_name"], p["rule"]) == (None, "Title", "required")
    # a line that breaks the file: a quote that never closes
    r = await start(alice, org, fid, csv_bytes('Title,Amount\nA,1\n"B,2\nC,3\n'))
    done = await finished(alice, rt, org, r.json()["id"])
    assert done["state"] == "failed" and done["error_count"] == 1, "the file cannot be read past it"
    [p] = await problems(alice, org, done["id"])
    assert (p["line"], p["rule"]) == (3, "broken-line")
    # a line that is not in the file's encoding (past the part the encoding is told from)
    head = "Title,Amount\n" + "".join(f"Row {i},1\n" for i in range(8000))
    bad = csv_bytes(head, "utf-8") + "名称,1\r\n".encode("gbk") + csv_bytes("Last,1\n", "utf-8")
    r = await start(alice, org, fid, bad)
    done = await finished(alice, rt, org, r.json()["id"])
    assert done["state"] == "dry_run_done" and done["summary"]["by_rule"] == {"encoding": 1}, done
    [p] = await problems(alice, org, done["id"])
    assert p["line"] == 8002
    # too many rows for one import
    monkeypatch.setattr(imports_mod, "MAX_ROWS", 10)
    r = await start(alice, org, fid, csv_bytes("Title\n" + "".join(f"T{i}\n" for i in range(12))), dry_run=False)
    done = await finished(alice, rt, org, r.json()["id"])
    assert done["state"] == "failed" and done["summary"]["by_rule"] == {"max-rows": 1}
    [p] = await problems(alice, org, done["id"])
    assert p["line"] == 12
    assert await count(rt, records) == 0


async def test_progress_while_running(alice: Api, demo: dict[str, Any], rt: Runtime,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    org = demo["org_id"]
    monkeypatch.setattr(imports_mod, "CHUNK", 100)
    form = await make_form(alice, org, FORM)
    sheet = "Title,Amount\n" + "".join(f"Row {i},{i}\n" for i in range(3000))
    r = await start(alice, org, form["id"], csv_bytes(sheet), dry_run=False)
    iid = r.json()["id"]
    task = asyncio.create_task(run_jobs(rt))
    seen: list[tuple[str, int, int | None]] = []
    while not task.done():
        s = (await alice.get(url(org, "imports", iid))).json()
        seen.append((s["state"], s["processed_rows"], s["total_rows"]))
        await asyncio.sleep(0.01)
    await task
    assert any(st == "running" and 0 < n < 3000 and total == 3000 for st, n, total in seen), seen[:20]
    s = (await alice.get(url(org, "imports", iid))).json()
    assert (s["state"], s["processed_rows"], s["created_rows"]) == ("committed", 3000, 3000)


async def test_imports_are_the_orgs_own(alice: Api, demo: dict[str, Any], rt: Runtime, client: Any) -> None:
    """Another organization's people cannot see or commit an import, nor import its files; a
    token without records:write cannot import."""
    from tests.api.helpers import make_token, new_org

    org = demo["org_id"]
    form = await make_form(alice, org, FORM)
    r = await start(alice, org, form["id"], csv_bytes("Title\nA\n"))
    iid, file_id = r.json()["id"], r.json()["file_id"]
    reader = await make_token(alice, org, kind="organization", scopes=["records:read", "files:read"])
    bob, other = await new_org(client, rt)
    for path in (url(org, "imports", iid), url(org, "imports", iid, "errors"), url(org, "forms", form["id"], "imports")):
        assert (await bob.get(path)).status_code == 404
    assert (await bob.post(url(org, "imports", iid, "commit"))).status_code == 404
    their_form = await make_form(bob, other, FORM)
    r = await bob.post(url(other, "forms", their_form["id"], "imports"), {"file_id": file_id})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "exists"
    client.cookies.clear()
    r = await client.post(url(org, "forms", form["id"], "imports"), json={"file_id": file_id},
                          headers={"Authorization": f"Bearer {reader['token']}"})
    assert r.status_code == 403
    await run_jobs(rt)
    async with rt.db.transaction(write=False) as conn:
        states = (await conn.execute(sa.select(record_imports.c.state))).scalars().all()
    assert states == ["dry_run_done"]


def _rss() -> int:
    """This process's resident memory, in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def test_100k_rows_in_bounded_memory(alice: Api, demo: dict[str, Any], rt: Runtime, db_url: str) -> None:
    """100,000 rows (10,000 on PostgreSQL, to keep the run short) are checked and stored in one
    commit while the process's memory grows by a few megabytes: the rows stream through in
    chunks. (Resident memory is sampled while the job runs; tracemalloc would triple the time.)"""
    rows = 100_000 if db_url.startswith("sqlite") else 10_000
    org = demo["org_id"]
    form = await make_form(alice, org, {"name": "Readings", "fields": [
        {"id": "f_sensor01", "name": "Sensor", "type": "text", "required": True},
        {"id": "f_value001", "name": "Value", "type": "number"},
        {"id": "f_day00001", "name": "Day", "type": "date"},
        {"id": "f_note0001", "name": "Note", "type": "textarea"}]})
    body = "".join(f"S-{i % 977},{i * 0.5},2025-{1 + i % 12:02d}-{1 + i % 28:02d},reading number {i}\n"
                   for i in range(rows))
    content = csv_bytes("Sensor,Value,Day,Note\n" + body)
    del body
    r = await start(alice, org, form["id"], content, dry_run=False)
    assert r.status_code == 201, r.text
    del content
    gc.collect()
    baseline = peak = _rss()
    began = time.monotonic()
    job = asyncio.create_task(run_jobs(rt))
    while not job.done():
        peak = max(peak, _rss())
        await asyncio.sleep(0.05)
    await job
    elapsed = time.monotonic() - began
    s = (await alice.get(url(org, "imports", r.json()["id"]))).json()
    assert (s["state"], s["created_rows"], s["total_rows"]) == ("committed", rows, rows), s
    assert await count(rt, records) == rows
    growth = peak - baseline
    print(f"{rows} rows committed in {elapsed:.1f} s; resident memory grew by {growth / 2**20:.1f} MiB")
    # The rows as cleaned Python dicts alone would be ~150 MB at 100,000; a chunk is a few MB.
    assert growth < 60 * 2**20, f"grew by {growth / 2**20:.1f} MiB"
