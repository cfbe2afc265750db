"""Email: queued as a durable job in the caller's transaction, sent over SMTP by the job runner
(retried with backoff if the server is down)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Any

from tack.config import Settings
from tack.core.ctx import Ctx
from tack.core.jobs import enqueue, job

_settings: dict[str, Settings] = {}


def configure(settings: Settings) -> None:
    """Called once at start-up: the SMTP server the `send_email` job uses."""
    _settings["smtp"] = settings


async def send_email(ctx: Ctx, *, to: str, subject: str, body: str) -> None:
    await enqueue(ctx, "send_email", {"to": to, "subject": subject, "body": body})


@job("send_email")
async def _send_email_job(ctx: Ctx, payload: dict[str, Any]) -> None:
    s = _settings.get("smtp") or Settings.from_env()
    msg = EmailMessage()
    msg["From"] = s.smtp_from
    msg["To"] = payload["to"]
    msg["Subject"] = payload["subject"]
    msg.set_content(payload["body"])

    def deliver() -> None:
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=20) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            smtp.send_message(msg)

    await asyncio.to_thread(deliver)
