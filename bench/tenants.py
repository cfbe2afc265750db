"""Benchmark `tenants`: one organization's record writes and view queries when the database
holds 100,000 organizations with 10 forms each, against the same with that organization alone.

Two databases of the same kind are built side by side: "alone" holds the measured
organization (a form with `--records` records and its view's promoted index); "crowded" holds
the same organization plus `--orgs` others, each with a root department, an app, 10 forms (with
their published definitions) and one record per form. A round is one submission through the
records service (validation, revision, search text, outbox event) and one query of the view
(filter on two promoted fields, sort, first page of 50).

    python -m bench.tenants [--orgs 100000] [--records 100000] [--rounds 200] [--quick] [--db sqlite|postgresql]

RESULT: median milliseconds per round; ratio = alone / crowded (1.0 = the crowd costs nothing;
higher is better for Tack).
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from typing import Any

import msgspec

from bench.common import measure, report, result
from bench.records_query import (
    FIELDS,
    QUERY,
    drop_scratch,
    fill,
    make_org_and_form,
    promote_view_index,
    scratch_url,
)
from tack.apps.tables import apps, form_versions, forms
from tack.cli import run_migrations
from tack.core.clock import SYSTEM_CLOCK
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database
from tack.core.ids import new_id
from tack.directory.tables import departments, orgs
from tack.records.models import RecordCreate
from tack.records.query.service import query_records
from tack.records.service import create_record
from tack.records.tables import records

BATCH_ORGS = 1_000
DEFINITION = {"name": "Form", "fields": FIELDS}


async def crowd(db: Database, n_orgs: int) -> None:
    """`n_orgs` organizations written in bulk, shaped as the services would write them."""
    now = SYSTEM_CLOCK.now()
    done = 0
    while done < n_orgs:
        n = min(BATCH_ORGS, n_orgs - done)
        rows: dict[str, list[dict[str, Any]]] = {"orgs": [], "departments": [], "apps": [], "forms": [],
                                                 "form_versions": [], "records": []}
        for _ in range(n):
            org, root, app = new_id(), new_id(), new_id()
            rows["orgs"].append({"id": org, "name": "Org", "locale": "en", "time_zone": "UTC",
                                 "root_department_id": root, "created_at": now})
            rows["departments"].append({"org_id": org, "id": root, "parent_id": None, "name": "Org", "position": 0,
                                        "path": f"/{root.hex}/", "created_at": now})
            rows["apps"].append({"org_id": org, "id": app, "name": "App", "created_at": now, "updated_at": now})
            for k in range(10):
                form = new_id()
                rows["forms"].append({"org_id": org, "id": form, "app_id": app, "name": f"Form {k}", "version": 1,
                                      "created_at": now, "updated_at": now})
                rows["form_versions"].append({"org_id": org, "form_id": form, "version": 1, "definition": DEFINITION,
                                              "published_at": now})
                rows["records"].append({"org_id": org, "id": new_id(), "form_id": form, "form_version": 1,
                                        "version": 1, "status": "none", "created_at": now, "updated_at": now,
                                        "data": {"f_title001": "x", "f_status01": "o1", "f_amount01": 5}})
        async with db.transaction() as conn:
            for table in (orgs, departments, apps, forms, form_versions, records):
                await conn.execute(table.insert(), rows[table.name])
        done += n


async def prepare(url: str, n_records: int, n_orgs: int) -> tuple[Database, uuid.UUID, uuid.UUID]:
    run_migrations(url)
    db = Database(url)
    if n_orgs:
        await crowd(db, n_orgs // 2)  # the measured org in the middle of the crowd, not at an edge
    org_id, form_id = await make_org_and_form(db)
    if n_orgs:
        await crowd(db, n_orgs - n_orgs // 2)
    await fill(db, org_id, form_id, n_records, seed=11)
    await promote_view_index(db, org_id, form_id)
    async with db.autocommit() as conn:
        await conn.exec_driver_sql("ANALYZE")
    return db, org_id, form_id


def round_of(db: Database, org_id: uuid.UUID, form_id: uuid.UUID) -> Any:
    body = msgspec.convert({"data": {"Title": "New task", "Status": "Open", "Amount": 250, "Due": "2026-12-01",
                                     "Note": "from the benchmark"}}, RecordCreate)

    async def one() -> None:
        async with db.transaction() as conn:
            ctx = Ctx(org_id=org_id, actor=Actor.system(), conn=conn, clock=SYSTEM_CLOCK)
            await create_record(ctx, form_id, body)
        async with db.transaction(write=False) as conn:
            ctx = Ctx(org_id=org_id, actor=Actor.system(), conn=conn, clock=SYSTEM_CLOCK)
            assert len((await query_records(ctx, form_id, QUERY)).items) == 50

    return one


async def run(kind: str | None, n_records: int, n_orgs: int, rounds: int) -> None:
    url_alone, scratch_alone = scratch_url(kind)
    url_crowded, scratch_crowded = scratch_url(kind)
    try:
        alone = await prepare(url_alone, n_records, 0)
        crowded = await prepare(url_crowded, n_records, n_orgs)
        for _ in range(2):  # alternate so that noise hits both alike
            a = await measure(round_of(*alone), rounds=rounds, warmup=20)
            c = await measure(round_of(*crowded), rounds=rounds, warmup=20)
        dialect = alone[0].dialect
        alone_ms = report("tenants", "1 org", a, records=n_records, dialect=dialect)
        crowded_ms = report("tenants", f"{n_orgs} orgs x 10 forms", c, records=n_records, dialect=dialect)
        await alone[0].dispose()
        await crowded[0].dispose()
        result("tenants", crowded_ms, "one-org", alone_ms, "ms", higher_is_better=False)
    finally:
        drop_scratch(scratch_alone)
        drop_scratch(scratch_crowded)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orgs", type=int, default=100_000)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--db", default=None, help="sqlite (default) or postgresql (scratch databases)")
    args = ap.parse_args()
    if args.quick:
        args.orgs, args.records, args.rounds = 5_000, 20_000, 50
    asyncio.run(run(args.db, args.records, args.orgs, args.rounds))


if __name__ == "__main__":
    main()
