"""Tables of the core machinery: outbox, processed events, durable jobs, idempotency, rate limits."""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import JSON, Id, UTCDateTime

# Domain events, written in the same transaction as the change they describe (CloudEvents shape).
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("type", sa.String(120), nullable=False),
    sa.Column("subject", sa.String(200), nullable=True),
    sa.Column("data", JSON, nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("published_at", UTCDateTime(), nullable=True),
    sa.Index("ix_outbox_unpublished", "id", sqlite_where=sa.text("published_at IS NULL"),
             postgresql_where=sa.text("published_at IS NULL")),
)

# What each consumer has already processed: the replay guard that makes consumers idempotent.
processed_events = sa.Table(
    "processed_events",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("consumer", sa.String(100), primary_key=True),
    sa.Column("event_id", Id(), primary_key=True),
    sa.Column("processed_at", UTCDateTime(), nullable=False),
)

# Durable jobs and timers: a timer is a job whose due time is in the future.
jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("payload", JSON, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending | running | done | dead
    sa.Column("due_at", UTCDateTime(), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("locked_until", UTCDateTime(), nullable=True),
    sa.Column("locked_by", sa.String(80), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("dedupe_key", sa.String(200), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Index("ix_jobs_due", "state", "due_at"),
    sa.Index("ix_jobs_dedupe", "org_id", "dedupe_key", unique=True,
             sqlite_where=sa.text("dedupe_key IS NOT NULL AND state IN ('pending', 'running')"),
             postgresql_where=sa.text("dedupe_key IS NOT NULL AND state IN ('pending', 'running')")),
)

# Idempotency-Key on POST: the first response is stored and replayed for a repeated key.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("principal", sa.String(80), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("content_type", sa.String(100), nullable=True),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

# Fixed-window counters shared by all workers (sign-in attempts, later urges and re-reminders).
rate_limits = sa.Table(
    "rate_limits",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("window_start", UTCDateTime(), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
)
