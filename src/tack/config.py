"""Settings, read from environment variables (documented in docs/operations.md)."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
          "g": 1024**3, "gb": 1024**3, "gib": 1024**3}
DEFAULT_UPLOAD_TYPES = ("images", "pdf", "office", "text", "csv", "zip")


def _size(value: str | None, default: int) -> int:
    """`26214400`, `25MiB`, `25M`, `512k` -> bytes (binary units: an operator's "25 MB" of disk)."""
    if value is None or not value.strip():
        return default
    m = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", value)
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"not a size in bytes: {value!r} (e.g. 26214400, 25MiB, 512k)")
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


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
    file_storage: str = "local"  # the storage backend of uploaded files (tack.files.storage)
    upload_max_bytes: int = 25 * 1024 * 1024
    upload_types: tuple[str, ...] = DEFAULT_UPLOAD_TYPES  # content types, `type/*`, or families
    field_trash_days: int = 30  # how long a form's deleted fields keep their values before they are purged

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
            file_storage=e.get("TACK_FILE_STORAGE", "local").strip() or "local",
            upload_max_bytes=_size(e.get("TACK_UPLOAD_MAX_BYTES"), 25 * 1024 * 1024),
            field_trash_days=int(e.get("TACK_FIELD_TRASH_DAYS", "30")),
            upload_types=tuple(t.strip() for t in e.get("TACK_UPLOAD_TYPES", "").split(",") if t.strip())
            or DEFAULT_UPLOAD_TYPES,
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
