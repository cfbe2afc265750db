"""Alembic environment: one migration history for SQLite and PostgreSQL.

The URL comes from `tack migrate` (config attribute) or TACK_DATABASE_URL; migrations run on
the synchronous driver of the same database. SQLite uses batch mode (it cannot ALTER much).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from tack.config import Settings
from tack.core.db import metadata, sync_url
from tack.models import load_all_tables

load_all_tables()
config = context.config
url = config.attributes.get("url") or Settings.from_env().database_url


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Indexes Tack makes at run time (promoted `rx_*` indexes for views) or outside the
    metadata (the `tx_*` text-search index on PostgreSQL) are not the migrations' business."""
    return not (type_ == "index" and name is not None and name.startswith(("rx_", "tx_")))


def run_migrations_offline() -> None:
    context.configure(url=sync_url(url), target_metadata=metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"), include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite", include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
