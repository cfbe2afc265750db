"""The notification center: one row per (recipient, thing to be told)."""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import Id, UTCDateTime

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("member_id", Id(), nullable=False),  # the recipient
    sa.Column("kind", sa.String(60), nullable=False),  # flow.task_assigned, flow.approved, ...
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.String(1000), nullable=False),
    sa.Column("link", sa.String(500), nullable=False),  # a web path: /approvals/<id>
    sa.Column("subject", sa.String(200), nullable=True),  # what it is about, e.g. an instance id
    # The outbox event it came from. With the recipient and the kind it is unique, so an event
    # delivered twice (at least once, and replays after the consumers' receipts are purged)
    # notifies once. NULL (a direct call) never collides: NULLs are distinct in both dialects.
    sa.Column("source_event_id", Id(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("read_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("org_id", "member_id", "source_event_id", "kind"),
    sa.Index("ix_notifications_member", "org_id", "member_id", "created_at"),
)
