"""The migrations build exactly the schema the code declares, on both dialects."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]


def test_migrations_match_the_tables(db_url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = db_url
    command.check(cfg)  # raises if autogenerate would find any difference
