"""The `files` table: one row per upload. Bytes live in the storage backend, keyed by the
organization and their SHA-256, so two rows of one organization may share the same bytes."""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import Id, UTCDateTime

files = sa.Table(
    "files",
    metadata,
    sa.Column("org_id", Id(), sa.ForeignKey("orgs.id"), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),  # the uploader's file name, sanitized
    sa.Column("content_type", sa.String(100), nullable=False),  # sniffed from the bytes
    sa.Column("declared_type", sa.String(200), nullable=True),  # what the client said, kept for reference
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),  # lower-case hex
    sa.Column("storage_key", sa.String(300), nullable=False),  # where the backend keeps the bytes
    sa.Column("purpose", sa.String(20), nullable=False),  # attachment | image | signature | avatar
    sa.Column("created_by", Id(), nullable=True),  # the uploading member; null for organization tokens
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["org_id", "created_by"], ["members.org_id", "members.id"],
                            name="fk_files_created_by"),
    # "does any other row of this organization still use these bytes?" (purge, dedupe)
    sa.Index("ix_files_sha256", "org_id", "sha256"),
)
