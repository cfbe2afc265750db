"""Scale-out proof: two `tack serve` processes on one PostgreSQL database with a Redis (then a
NATS) bus. An event committed through server A reaches the consumer in server B, once. And the
same with B a `tack worker` (consumers and jobs, no HTTP) beside an API-only server."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import PG_ADMIN_URL, pg_available, port_open

ROOT = Path(__file__).resolve().parents[2]



def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


pytestmark = [pytest.mark.slow, pytest.mark.skipif(not pg_available(), reason="needs PostgreSQL")]


@pytest.fixture
def pg_database() -> Iterator[str]:
    name = f"tack_scale_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _env(db_url: str, bus_url: str, tmp: Path, background: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACK_")}
    env.update(TACK_DATABASE_URL=db_url, TACK_BUS_URL=bus_url, TACK_DATA_DIR=str(tmp), TACK_SECRET_KEY="scale",
               TACK_PLUGINS="tests.scaleout.probe_plugin", TACK_BACKGROUND="true" if background else "false",
               PYTHONPATH=str(ROOT), TACK_LOG_LEVEL="WARNING")
    return env


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read().decode() if proc.stdout else ''}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not become ready")


def _wait_worker(proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """`tack worker` serves no HTTP: it says so on stdout once its consumers are subscribed."""
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    seen = b""
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise AssertionError(f"worker exited: {seen.decode()}")
        seen += proc.stdout.read() or b""
        if b"tack worker running" in seen:
            return
        time.sleep(0.2)
    raise AssertionError(f"worker did not start: {seen.decode()}")


REDIS = pytest.param("redis://127.0.0.1:6379/14", marks=pytest.mark.skipif(not port_open(6379), reason="no Redis"))
NATS = pytest.param("nats://127.0.0.1:4222", marks=pytest.mark.skipif(not port_open(4222), reason="no NATS"))


@pytest.mark.parametrize(("bus_url", "b_kind"), [
    pytest.param(*REDIS.values, "serve", marks=REDIS.marks, id="redis-serve"),
    pytest.param(*NATS.values, "serve", marks=NATS.marks, id="nats-serve"),
    pytest.param(*REDIS.values, "worker", marks=REDIS.marks, id="redis-worker"),
])
def test_event_committed_in_one_server_is_consumed_in_the_other_once(
        bus_url: str, b_kind: str, pg_database: str, tmp_path: Path) -> None:
    py = sys.executable
    env_a = _env(pg_database, bus_url, tmp_path, background=False)  # serves and relays only
    env_b = _env(pg_database, bus_url, tmp_path, background=True)   # also runs consumers and jobs
    subprocess.run([py, "-m", "tack", "migrate"], env=env_a, check=True, cwd=ROOT, capture_output=True)
    subprocess.run([py, "-m", "tack", "init", "--org-name", "Scale Co", "--email", "owner@scale.example",
                    "--name", "Owner", "--password", "scale-password"], env=env_a, check=True, cwd=ROOT,
                   capture_output=True)
    port_a, port_b = _free_port(), _free_port()
    b_cmd = ["serve", "--port", str(port_b), "--host", "127.0.0.1"] if b_kind == "serve" else ["worker"]
    procs = [subprocess.Popen([py, "-m", "tack", *cmd], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
             for cmd, env in ((["serve", "--port", str(port_a), "--host", "127.0.0.1"], env_a), (b_cmd, env_b))]
    a_url, b_url = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    try:
        _wait_ready(a_url, procs[0])
        if b_kind == "serve":
            _wait_ready(b_url, procs[1])
        else:
            _wait_worker(procs[1])
        time.sleep(0.5)  # B's consumer group exists before the event is published
        with httpx.Client(base_url=a_url) as a:
            me = a.post("/api/v1/auth/sign-in", json={"email": "owner@scale.example",
                                                      "password": "scale-password"}).json()
            org = me["memberships"][0]["org_id"]
            root = a.get(f"/api/v1/orgs/{org}").json()["root_department_id"]
            r = a.post(f"/api/v1/orgs/{org}/departments", json={"name": "Scaled", "parent_id": root},
                       headers={"X-CSRF-Token": me["csrf_token"]})
            assert r.status_code == 201, r.text
            dept_id = r.json()["id"]
        engine = sa.create_engine(pg_database)
        seen: list[tuple[str, dict]] = []
        end = time.time() + 20
        with engine.connect() as c:
            event_id = c.execute(sa.text("SELECT id FROM outbox WHERE type = 'department.created' AND subject = :s"),
                                 {"s": dept_id}).scalar_one()
            while time.time() < end:
                seen = [(r[0], r[1]) for r in c.execute(sa.text(
                    "SELECT subject_id, data FROM audit_log WHERE action = 'scaleout.seen'"))]
                c.rollback()
                if seen:
                    break
                time.sleep(0.2)
            time.sleep(1.5)  # give a duplicate delivery the chance to show up
            seen = [(r[0], r[1]) for r in c.execute(sa.text(
                "SELECT subject_id, data FROM audit_log WHERE action = 'scaleout.seen'"))]
        engine.dispose()
        assert len(seen) == 1, f"consumed exactly once, got {seen}"
        assert seen[0][0] == str(event_id)
        assert seen[0][1]["pid"] == procs[1].pid, "handled by process B, the one with consumers"
        assert seen[0][1]["pid"] != procs[0].pid
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
