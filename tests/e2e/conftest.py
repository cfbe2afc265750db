"""Fixtures for browser tests: a real `tack serve` on demo data, and Debian's Chromium.

The server runs in a subprocess on a free loopback port with its own SQLite database in a
temporary directory, so runs never collide. Set TACK_E2E_BASE_URL to drive a server that is
already running instead (e.g. while developing the UI).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WEB_DIST = REPO / "web" / "dist"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium; `make test` installs it)"
    if not os.environ.get("TACK_E2E_BASE_URL") and not (WEB_DIST / "index.html").exists():
        return "web/dist/index.html is missing (cd web && npm ci && npm run build; `make test` builds it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright for Python is not installed"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes] | None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"tack serve exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
                last = r.status
        except (urllib.error.URLError, OSError) as e:
            last = e
        time.sleep(0.2)
    raise RuntimeError(f"{url}/healthz did not answer 200 within {timeout}s (last: {last!r})")


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """Base URL of a `tack serve` loaded with the demo organization."""
    external = os.environ.get("TACK_E2E_BASE_URL")
    if external:
        _wait_healthy(external.rstrip("/"), None, timeout=10)
        yield external.rstrip("/")
        return

    with tempfile.TemporaryDirectory(prefix="tack-e2e-") as tmp:
        env = dict(os.environ)
        env.update(
            TACK_DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/tack.db",
            TACK_DATA_DIR=tmp,
            TACK_SECRET_KEY="test",
            TACK_WEB_DIR=str(WEB_DIST),
        )
        env.pop("TACK_E2E_BASE_URL", None)
        log_path = Path(tmp) / "server.log"
        for step in (["migrate"], ["demo"]):
            done = subprocess.run(
                [sys.executable, "-m", "tack", *step], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
            )
            if done.returncode != 0:
                raise RuntimeError(f"tack {step[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        port = _free_port()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tack", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                try:
                    _wait_healthy(base, proc)
                except RuntimeError as e:
                    raise RuntimeError(f"{e}\n--- server log ---\n{log_path.read_text(errors='replace')}") from None
                yield base
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Module scope, not session: Playwright's sync API keeps its own event loop running in this
    # thread while it is open, and the async tests collected after tests/e2e could not start.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
