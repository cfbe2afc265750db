"""Password reset by email, through a real SMTP server (aiosmtpd) on a free local port and the
durable job queue that delivers the mail."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tack.config import Settings
from tack.core.clock import FrozenClock
from tack.core.jobs import JobRunner
from tack.core.tables import jobs
from tack.runtime import Runtime
from tests.conftest import sign_in


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=email.policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: Settings, smtp_port: int) -> Settings:
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp_port,
                               smtp_from="Tack <tack@example.com>")


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    ctrl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctrl.start()
    return ctrl, inbox


@pytest.fixture
def smtp(smtp_port: int) -> Iterator[Inbox]:
    ctrl, inbox = start_smtp(smtp_port)
    yield inbox
    ctrl.stop()


def reset_token(msg: email.message.EmailMessage) -> str:
    body = msg.get_content()
    m = re.search(r"http://testserver\.local/reset-password\?token=([A-Za-z0-9_\-]+)", body)
    assert m, body
    return m.group(1)


async def request_reset(client: Any, address: str) -> None:
    r = await client.post("/api/v1/auth/password-reset", json={"email": address})
    assert r.status_code == 202, r.text
    assert "reset link" in r.json()["status"]


async def test_reset_by_email(client: Any, demo: dict[str, Any], rt: Runtime, smtp: Inbox) -> None:
    bob = await sign_in(client, "bob@example.com")  # a session that the reset must end
    client.cookies.clear()
    await request_reset(client, "Bob@Example.com")
    assert smtp.messages == [], "queued in the request's transaction, sent by the job runner"
    assert await JobRunner(rt.db, rt.clock).drain() == 1
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == "bob@example.com" and msg["Subject"] == "Reset your Tack password"
    assert msg["From"] == "Tack <tack@example.com>"
    assert smtp.envelopes[0][1] == ["bob@example.com"]
    token = reset_token(msg)
    assert "Bob Li" in msg.get_content()

    r = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "short"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.password"
    r = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "fresh-password"})
    assert r.status_code == 204, "a refused attempt did not use the token up"
    r = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "other-password"})
    assert r.status_code == 410 and r.json()["type"].endswith("/gone"), "a token works once"
    r = await client.post("/api/v1/auth/password-reset/confirm", json={"token": "made-up", "password": "x" * 12})
    assert r.status_code == 410
    assert (await bob.get("/api/v1/me")).status_code == 401, "the reset ended the old sessions"
    r = await client.post("/api/v1/auth/sign-in", json={"email": "bob@example.com", "password": "demo-password"})
    assert r.status_code == 401
    await sign_in(client, "bob@example.com", "fresh-password")
    # nothing in the database would let someone replay the link
    async with rt.db.transaction(write=False) as conn:
        rows = (await conn.execute(sa.text("SELECT id FROM password_resets"))).scalars().all()
    assert rows and token not in rows


async def test_reset_for_member_without_password(client: Any, demo: dict[str, Any], rt: Runtime,
                                                 smtp: Inbox) -> None:
    """Someone an admin added sets their first password through the reset link (in Chinese)."""
    alice = await sign_in(client, "alice@example.com")
    r = await alice.post(f"/api/v1/orgs/{demo['org_id']}/members", {"name": "新人", "email": "xin@example.com"})
    assert r.status_code == 201
    client.cookies.clear()
    await request_reset(client, "xin@example.com")
    await request_reset(client, "wang.fang@example.com")
    await JobRunner(rt.db, rt.clock).drain()
    by_to = {m["To"]: m for m in smtp.messages}
    assert by_to["wang.fang@example.com"]["Subject"] == "重置您的 Tack 密码", "in the person's language"
    assert "王芳" in by_to["wang.fang@example.com"].get_content()
    token = reset_token(by_to["xin@example.com"])
    r = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "first-password"})
    assert r.status_code == 204
    await sign_in(client, "xin@example.com", "first-password")


async def test_unknown_email_sends_nothing(client: Any, demo: dict[str, Any], rt: Runtime, smtp: Inbox) -> None:
    await request_reset(client, "nobody@example.com")
    assert await JobRunner(rt.db, rt.clock).drain() == 0
    assert smtp.messages == []


async def test_link_expires_after_an_hour(client: Any, demo: dict[str, Any], rt: Runtime, smtp: Inbox,
                                          clock: FrozenClock) -> None:
    await request_reset(client, "carol@example.com")
    await JobRunner(rt.db, rt.clock).drain()
    token = reset_token(smtp.messages[0])
    clock.advance(minutes=60, seconds=1)
    r = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "late-password"})
    assert r.status_code == 410
    r = await client.post("/api/v1/auth/sign-in", json={"email": "carol@example.com", "password": "demo-password"})
    assert r.status_code == 200, "the old password still works"


async def test_requests_are_rate_limited(client: Any, demo: dict[str, Any], rt: Runtime, smtp: Inbox) -> None:
    for _ in range(5):
        await request_reset(client, "dan@example.com")
    r = await client.post("/api/v1/auth/password-reset", json={"email": "dan@example.com"})
    assert r.status_code == 429 and "retry-after" in r.headers
    r = await client.post("/api/v1/auth/password-reset", json={"email": "ghost@example.com"})
    assert r.status_code == 202
    assert await JobRunner(rt.db, rt.clock).drain() == 5


async def test_mail_job_retries_while_smtp_is_down(client: Any, demo: dict[str, Any], rt: Runtime, smtp_port: int,
                                                   clock: FrozenClock) -> None:
    await request_reset(client, "emma@example.com")
    runner = JobRunner(rt.db, rt.clock)
    assert await runner.drain() == 1
    async with rt.db.transaction(write=False) as conn:
        job = (await conn.execute(sa.select(jobs).where(jobs.c.kind == "send_email"))).mappings().one()
    assert job["state"] == "pending" and job["attempts"] == 1
    assert "Connection refused" in job["last_error"] or "ConnectionRefused" in job["last_error"]
    assert job["due_at"] > clock.now(), "retried later, with backoff"
    assert await runner.drain() == 0, "not due yet"

    ctrl, inbox = start_smtp(smtp_port)
    try:
        clock.set(job["due_at"])
        assert await runner.drain() == 1
        assert [m["To"] for m in inbox.messages] == ["emma@example.com"]
    finally:
        ctrl.stop()
    async with rt.db.transaction(write=False) as conn:
        job = (await conn.execute(sa.select(jobs).where(jobs.c.kind == "send_email"))).mappings().one()
    assert job["state"] == "done" and job["attempts"] == 2
    token = reset_token(inbox.messages[0])
    r = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "after-outage"})
    assert r.status_code == 204
