"""Benchmark `records_write`: form submissions per second over HTTP to `tack serve` (one worker),
against a bare Litestar endpoint that inserts the same JSON body as one row (the limit of the stack).

Tack's side: a scratch database (SQLite file, or `tack_bench_<random>` on the local PostgreSQL),
migrated, with an organization, an app and a 10-field form (text, number, money, date, select,
checkbox, email, phone, textarea, and a formula multiplying the number by the money), and an
organization API token. Each request is `POST /api/v1/orgs/{org}/forms/{form}/records`: token
check, validation of every field, the formula, the record, its revision and its outbox event, in
one transaction, and the stored record as the answer.

The anchor (`bench/_bare_app.py`) runs under uvicorn with one worker on the same kind of
database (PostgreSQL: the same scratch database; SQLite: a file of its own beside Tack's, see
`anchor_database`), and is sent the same request bodies. Both servers run side by side in their
own processes; the load generator (in this process) drives them in alternating rounds, closed
loop, with N keep-alive connections. Before each Tack round the outbox relay is let catch up, so a
backlog of Tack's events is never published on the anchor's time. After the run, the rows stored
are counted and must equal the answers acknowledged (201); the exit status is 1 if they differ.

Besides throughput, each server's own CPU time per acknowledged request is printed (from
/proc): on a shared, busy machine it moves much less than throughput does. The database
server's CPU (PostgreSQL) is not in it.

    python -m bench.records_write [--db sqlite|postgresql] [--seconds 5] [--rounds 5]
                                  [--concurrency 16] [--client raw|httpx] [--quick]

RESULT: median submissions per second; ratio = tack / anchor (higher is better for Tack).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa

from bench._bare_app import rows as bare_rows
from bench._load import LoadResult, Request, closed_loop
from bench._server import Server, free_port, scratch_database, tack_serve, uvicorn_app
from bench.common import result
from tack.apps import service as apps_service
from tack.apps.models import AppCreate
from tack.auth import tokens
from tack.core.clock import SYSTEM_CLOCK
from tack.core.db import Database
from tack.core.tables import outbox
from tack.directory import orgs, users
from tack.directory.models import OrgCreate
from tack.forms.model import FormDef
from tack.records.tables import record_revisions, records

NAME = "records_write"
CATEGORIES = ["Office supplies", "Travel", "Software", "Hardware", "Training", "Catering"]
FORM: dict[str, Any] = {
    "name": "Purchase request",
    "fields": [
        {"id": "f_title001", "name": "Title", "type": "text", "required": True},
        {"id": "f_qty00001", "name": "Quantity", "type": "number", "required": True,
         "settings": {"min": 1, "max": 10000, "decimals": 0}},
        {"id": "f_price001", "name": "Price", "type": "money", "required": True,
         "settings": {"min": 0, "currency": "CNY"}},
        {"id": "f_needby01", "name": "Needed by", "type": "date"},
        {"id": "f_categ001", "name": "Category", "type": "select", "required": True,
         "settings": {"options": [{"id": f"o{i}", "label": c} for i, c in enumerate(CATEGORIES)]}},
        {"id": "f_urgent01", "name": "Urgent", "type": "checkbox"},
        {"id": "f_email001", "name": "Contact email", "type": "email"},
        {"id": "f_phone001", "name": "Contact phone", "type": "phone"},
        {"id": "f_notes001", "name": "Notes", "type": "textarea", "settings": {"max_length": 2000}},
        {"id": "f_total001", "name": "Total", "type": "formula",
         "settings": {"expression": "Quantity * Price", "decimals": 2}},
    ],
}
WORDS = ("paper toner chairs laptop cables monitor licence course lunch taxi train hotel desk lamp "
         "keyboard mouse adapter projector whiteboard markers").split()


@dataclass
class Facts:
    org_id: uuid.UUID
    form_id: uuid.UUID
    token: str


@dataclass
class Side:
    """One server under test and what was measured on it."""

    subject: str
    server: Server
    requests: list[Request]
    rounds: list[LoadResult] = field(default_factory=list)
    warmup: LoadResult | None = None
    sent: int = 0

    @property
    def acknowledged(self) -> int:
        return sum(r.ok for r in self.rounds) + (self.warmup.ok if self.warmup else 0)


async def prepare(url: str) -> Facts:
    """An organization with its owner, an app, the form, and an organization token that may write records."""
    db = Database(url)
    try:
        async with db.transaction() as conn:
            user = await users.create_user(conn, SYSTEM_CLOCK, email="owner@bench.example", name="Bench Owner")
            ctx = await orgs.create_org(conn, SYSTEM_CLOCK, user["id"],
                                        msgspec.convert({"name": "Bench Co", "time_zone": "Asia/Shanghai"}, OrgCreate))
            app = await apps_service.create_app(ctx, AppCreate(name="Purchasing"))
            form = await apps_service.create_form(ctx, app.id, msgspec.convert(FORM, FormDef))
            token = await tokens.create_token(ctx, tokens.TokenCreate(name="bench", scopes=["records:write"],
                                                                      kind="organization"))
        return Facts(org_id=ctx.org_id, form_id=form.id, token=token.token)
    finally:
        await db.dispose()


def anchor_database(url: str) -> str:
    """Where the anchor writes. SQLite: a file of its own beside Tack's, because SQLite locks the
    whole file for a writer and Tack's background loops (outbox relay, job runner) write even
    between its rounds: sharing the file would make the anchor wait for Tack. PostgreSQL locks
    rows, so the anchor's table sits in the same scratch database."""
    if url.startswith("sqlite"):
        return url.rsplit("/", 1)[0] + "/anchor.db"
    return url


def bodies(seed: int, n: int = 1000) -> list[bytes]:
    """`n` different, valid submissions keyed by field name, as a program or the web form sends them."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        words = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 5)))
        notes = "\n".join(" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 15)))
                          for _ in range(rnd.randint(1, 4)))
        data = {
            "Title": f"Request {i}: {words}",
            "Quantity": rnd.randint(1, 200),
            "Price": round(rnd.uniform(0.5, 5000), 2),
            "Needed by": f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            "Category": rnd.choice(CATEGORIES),
            "Urgent": rnd.random() < 0.2,
            "Contact email": f"buyer{i}@example.com",
            "Contact phone": f"+86 138-{rnd.randint(0, 9999):04d}-{rnd.randint(0, 9999):04d}",
            "Notes": notes,
        }
        out.append(msgspec.json.encode({"data": data}))
    return out


async def relay_backlog(db: Database, org_id: uuid.UUID) -> int:
    async with db.transaction(write=False) as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(outbox).where(
            outbox.c.org_id == org_id, outbox.c.published_at.is_(None)))).scalar_one())


async def settle(db: Database, org_id: uuid.UUID, limit: float = 60.0) -> tuple[int, float]:
    """Wait until Tack's relay has published every event (the backlog left, and seconds waited)."""
    t0 = time.perf_counter()
    left = first = await relay_backlog(db, org_id)
    while left and time.perf_counter() - t0 < limit:
        await asyncio.sleep(0.05)
        left = await relay_backlog(db, org_id)
    return first, time.perf_counter() - t0


async def drive(url: str, org_id: uuid.UUID, sides: list[Side], *, rounds: int, seconds: float, warmup: float,
                concurrency: int, client: str) -> list[dict[str, Any]]:
    db = Database(url)
    backlogs: list[dict[str, Any]] = []
    try:
        async def run(side: Side, secs: float) -> LoadResult:
            if side.subject == "tack":
                left, waited = await settle(db, org_id)
                if left:
                    backlogs.append({"backlog_events": left, "drained_in_s": round(waited, 3)})
            cpu0 = side.server.cpu_seconds()
            try:  # a server that stops answering fails the run with its log, instead of hanging it
                r = await asyncio.wait_for(closed_loop(
                    side.server.host, side.server.port, side.requests, concurrency=concurrency, seconds=secs,
                    client=client, start=side.sent), timeout=secs + 120)
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                raise RuntimeError(f"{side.subject} failed under load ({exc!r}); its log:\n"
                                   f"{side.server.log_tail()}") from exc
            cpu1 = side.server.cpu_seconds()
            if cpu0 is not None and cpu1 is not None and r.ok:
                r.server_cpu_ms = (cpu1 - cpu0) * 1000 / r.ok
            side.sent += sum(r.statuses.values())
            return r

        for side in sides:
            side.warmup = await run(side, warmup)
        for _ in range(rounds):  # alternate, so that the machine's noise hits both alike
            for side in sides:
                side.rounds.append(await run(side, seconds))
        left, waited = await settle(db, org_id)
        if left:
            backlogs.append({"backlog_events": left, "drained_in_s": round(waited, 3)})
    finally:
        await db.dispose()
    return backlogs


async def stored(url: str, facts: Facts) -> dict[str, int]:
    db, anchor_db = Database(url), Database(anchor_database(url))
    try:
        async with db.transaction(write=False) as conn:
            def count(q: Any) -> Any:
                return conn.execute(sa.select(sa.func.count()).select_from(q))

            n_records = (await count(records.select().where(records.c.org_id == facts.org_id,
                                                            records.c.form_id == facts.form_id).subquery())).scalar_one()
            n_revisions = (await count(record_revisions.select().where(
                record_revisions.c.org_id == facts.org_id).subquery())).scalar_one()
            n_events = (await count(outbox.select().where(outbox.c.org_id == facts.org_id,
                                                          outbox.c.type == "record.created").subquery())).scalar_one()
        async with anchor_db.transaction(write=False) as conn:
            n_bare = (await conn.execute(sa.select(sa.func.count()).select_from(bare_rows))).scalar_one()
        return {"records": n_records, "revisions": n_revisions, "events": n_events, "anchor_rows": n_bare}
    finally:
        await db.dispose()
        await anchor_db.dispose()


def median_cpu_ms(side: Side) -> float | None:
    cpu = [r.server_cpu_ms for r in side.rounds if r.server_cpu_ms is not None]
    return statistics.median(cpu) if cpu else None


def summarize(side: Side, dialect: str, concurrency: int, seconds: float, client: str) -> float:
    rates = [r.per_second for r in side.rounds]
    med = statistics.median(rates)
    latencies = sorted(t * 1000 for r in side.rounds for t in r.latencies) or [0.0]
    other = sum(n for r in side.rounds for s, n in r.statuses.items() if s != 201)
    line: dict[str, Any] = {
        "bench": NAME, "subject": side.subject, "unit": "req/s", "min": round(min(rates), 1),
        "median": round(med, 1), "max": round(max(rates), 1), "rounds": len(rates), "dialect": dialect,
        "concurrency": concurrency, "seconds": seconds, "client": client, "acknowledged": side.acknowledged,
        "not_201": other, "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2)}
    if (cpu := median_cpu_ms(side)) is not None:
        line["server_cpu_ms_per_req"] = round(cpu, 3)
    failures = [f for r in [side.warmup, *side.rounds] if r for f in r.failures][:3]
    if failures:
        line["failures"] = failures
    print(json.dumps(line), flush=True)
    return med


def run_event_loop(coro: Any) -> Any:
    """The load generator runs on uvloop when it is there: cheaper per request, so it takes less
    of the CPU the servers share with it."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--seconds", type=float, default=5.0, help="length of one measured round, per server")
    ap.add_argument("--rounds", type=int, default=5, help="measured rounds per server (alternated)")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per server")
    ap.add_argument("--concurrency", type=int, default=16, help="connections kept busy (closed loop)")
    ap.add_argument("--client", choices=["raw", "httpx"], default="raw", help="load generator's HTTP client")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="a short run (under a minute)")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.warmup = 2.0, 3, 1.0

    payloads = bodies(args.seed)
    with scratch_database(args.db) as url, tempfile.TemporaryDirectory(prefix="tack-bench-data-") as data_dir:
        facts = run_event_loop(prepare(url))
        headers = {"Content-Type": "application/json"}
        tack_requests = [Request("POST", f"/api/v1/orgs/{facts.org_id}/forms/{facts.form_id}/records",
                                 {**headers, "Authorization": f"Bearer {facts.token}"}, b) for b in payloads]
        anchor_requests = [Request("POST", "/rows", headers, b) for b in payloads]
        servers: list[Server] = []
        try:
            servers.append(tack_serve(port=free_port(), database_url=url, data_dir=Path(data_dir)))
            servers.append(uvicorn_app("anchor", "bench._bare_app:create_app", port=free_port(),
                                       env={"BENCH_DATABASE_URL": anchor_database(url)}))
            sides = [Side("tack", servers[0], tack_requests), Side("bare litestar", servers[1], anchor_requests)]
            backlogs = run_event_loop(drive(url, facts.org_id, sides, rounds=args.rounds, seconds=args.seconds,
                                            warmup=args.warmup, concurrency=args.concurrency, client=args.client))
        finally:
            for s in servers:
                s.stop()
        counts = run_event_loop(stored(url, facts))

    dialect = args.db
    tack_rate = summarize(sides[0], dialect, args.concurrency, args.seconds, args.client)
    anchor_rate = summarize(sides[1], dialect, args.concurrency, args.seconds, args.client)
    tack_cpu, anchor_cpu = median_cpu_ms(sides[0]), median_cpu_ms(sides[1])
    if tack_cpu and anchor_cpu:  # less disturbed by a busy machine than throughput; the database's own CPU not counted
        print(json.dumps({"bench": NAME, "measure": "server CPU per acknowledged request", "unit": "ms",
                          "tack": round(tack_cpu, 3), "anchor": round(anchor_cpu, 3),
                          "ratio": round(anchor_cpu / tack_cpu, 2)}), flush=True)
    tack_acked, anchor_acked = sides[0].acknowledged, sides[1].acknowledged
    ok = (counts["records"] == counts["revisions"] == counts["events"] == tack_acked
          and counts["anchor_rows"] == anchor_acked)
    print(json.dumps({"bench": NAME, "check": "stored equals acknowledged", "ok": ok, "dialect": dialect,
                      "tack_acknowledged": tack_acked, **counts, "anchor_acknowledged": anchor_acked,
                      "relay_backlogs": backlogs}), flush=True)
    result(NAME, tack_rate, "bare-litestar", anchor_rate, "req/s", higher_is_better=True)
    if not ok:
        sys.exit(1)  # a lost or phantom write is a bug, not a slow run


if __name__ == "__main__":
    main()
