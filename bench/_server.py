"""Helpers for benchmarks that drive real servers: a scratch database of either kind, and a
server started as a subprocess on a free port (`tack serve`, or an anchor under uvicorn).

A server runs in its own process, as in production, so its event loop, its database driver's
threads and its CPU are its own, and the load generator in the benchmark's process does not
share a loop with it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from tack.cli import run_migrations

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("TACK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def scratch_database(kind: str) -> Iterator[str]:
    """A new, migrated database (its async URL), dropped afterwards. SQLite: a file in a
    temporary directory. PostgreSQL: `tack_bench_<random>` on the local server (trust auth by
    default; TACK_BENCH_PG_URL names another admin URL)."""
    if kind == "sqlite":
        tmp = Path(tempfile.mkdtemp(prefix="tack-bench-"))
        url = f"sqlite+aiosqlite:///{tmp / 'tack.db'}"
        try:
            run_migrations(url)
            yield url
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r} (sqlite or postgresql)")
    name = f"tack_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL.replace("+asyncpg", "+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        run_migrations(url)
        yield url
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the server process has used so far, all its threads (Linux
        only; None elsewhere). Per request, it is a measure the other load on a shared machine
        disturbs far less than throughput."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop this server (by its own process id): a graceful shutdown, then a kill."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        with contextlib.suppress(OSError):
            self.log_path.unlink()


def start_server(name: str, argv: list[str], *, port: int, env: dict[str, str] | None = None,
                 ready_path: str = "/healthz", timeout: float = 90.0) -> Server:
    """Start `argv` (which must listen on 127.0.0.1:`port`) and wait until `ready_path` answers 200.
    Its output goes to a log file, shown if it fails to start."""
    log = Path(tempfile.mkstemp(prefix=f"tack-bench-{name}-", suffix=".log")[1])
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                **(env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    server = Server(name=name, proc=proc, port=port, log_path=log)
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}{ready_path}"
    while True:
        if proc.poll() is not None:
            tail = server.log_tail()
            server.stop()
            raise RuntimeError(f"{name} exited with status {proc.returncode} while starting:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            tail = server.log_tail()
            server.stop()
            raise RuntimeError(f"{name} did not answer {ready_path} within {timeout:.0f} s:\n{tail}")
        time.sleep(0.2)


def tack_serve(*, port: int, database_url: str, data_dir: Path, extra_env: dict[str, str] | None = None) -> Server:
    """`tack serve --workers 1` against `database_url`, quiet (warnings only, so no access log)."""
    env = {"TACK_DATABASE_URL": database_url, "TACK_DATA_DIR": str(data_dir),
           "TACK_SECRET_KEY": secrets.token_urlsafe(32), "TACK_LOG_LEVEL": "WARNING",
           "TACK_BASE_URL": f"http://127.0.0.1:{port}", **(extra_env or {})}
    return start_server("tack", [sys.executable, "-m", "tack", "serve", "--workers", "1", "--host", "127.0.0.1",
                                 "--port", str(port)], port=port, env=env)


def uvicorn_app(name: str, factory: str, *, port: int, env: dict[str, str] | None = None) -> Server:
    """An ASGI app factory ("module:function") under uvicorn with one worker and the same
    options as `tack serve` (auto loop and HTTP parser, warnings only)."""
    return start_server(name, [sys.executable, "-m", "uvicorn", factory, "--factory", "--workers", "1",
                               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                               "--ws-ping-interval", "20"], port=port, env=env)
