"""Settings, read from environment variables (documented in docs/operations.md)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///var/tack.db"
    data_dir: Path = Path("var")
    bus_url: str = "memory://"
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    web_dir: Path | None = None
    background: bool = True  # run the relay consumers and job runner inside `serve`
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_from: str = "Tack <no-reply@localhost>"
    session_days: int = 14
    secure_cookies: bool = False
    login_attempts_per_15min: int = 10
    plugins: tuple[str, ...] = field(default_factory=tuple)
    log_level: str = "INFO"

    @staticmethod
    def from_env(env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        data_dir = Path(e.get("TACK_DATA_DIR", "var"))
        secret = e.get("TACK_SECRET_KEY") or _dev_secret(data_dir)
        web_dir = e.get("TACK_WEB_DIR")
        return Settings(
            database_url=e.get("TACK_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'tack.db'}"),
            data_dir=data_dir,
            bus_url=e.get("TACK_BUS_URL", "memory://"),
            secret_key=secret,
            base_url=e.get("TACK_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            web_dir=Path(web_dir) if web_dir else None,
            background=_bool(e.get("TACK_BACKGROUND"), True),
            smtp_host=e.get("TACK_SMTP_HOST", "127.0.0.1"),
            smtp_port=int(e.get("TACK_SMTP_PORT", "25")),
            smtp_username=e.get("TACK_SMTP_USERNAME") or None,
            smtp_password=e.get("TACK_SMTP_PASSWORD") or None,
            smtp_starttls=_bool(e.get("TACK_SMTP_STARTTLS"), False),
            smtp_from=e.get("TACK_SMTP_FROM", "Tack <no-reply@localhost>"),
            session_days=int(e.get("TACK_SESSION_DAYS", "14")),
            secure_cookies=_bool(e.get("TACK_SECURE_COOKIES"), e.get("TACK_BASE_URL", "").startswith("https")),
            login_attempts_per_15min=int(e.get("TACK_LOGIN_ATTEMPTS", "10")),
            plugins=tuple(p.strip() for p in e.get("TACK_PLUGINS", "").split(",") if p.strip()),
            log_level=e.get("TACK_LOG_LEVEL", "INFO"),
        )


def _dev_secret(data_dir: Path) -> str:
    """Without TACK_SECRET_KEY, keep a random key in the data directory (fine for a laptop;
    production sets the variable so every worker shares it)."""
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
