"""Records and what hangs off them. `data` is keyed by stable field ids (renames touch nothing)."""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import JSON, Id, UTCDateTime

records = sa.Table(
    "records",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("form_id", Id(), nullable=False),
    sa.Column("form_version", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # bumped by every change: optimistic concurrency
    sa.Column("data", JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # approval status: none | in_progress | approved | ...
    sa.Column("created_by", Id(), nullable=True),
    sa.Column("owner_department_id", Id(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_by", Id(), nullable=True),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("deleted_at", UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["org_id", "form_id"], ["forms.org_id", "forms.id"]),
    # A form's records newest first, and keyset pages of them: the default listing.
    sa.Index("ix_records_form", "org_id", "form_id", "id"),
)

# One row per change of a record: who, when, and which fields went from what to what.
record_revisions = sa.Table(
    "record_revisions",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("record_id", Id(), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # created | updated | deleted | restored
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("actor_member_id", Id(), nullable=True),
    sa.Column("actor_name", sa.String(200), nullable=False),
    sa.Column("changes", JSON, nullable=False),  # {field_id: [before, after]}
    sa.ForeignKeyConstraint(["org_id", "record_id"], ["records.org_id", "records.id"]),
)

record_comments = sa.Table(
    "record_comments",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("record_id", Id(), nullable=False),
    sa.Column("member_id", Id(), nullable=True),
    sa.Column("author_name", sa.String(200), nullable=False),
    sa.Column("body", sa.String(10_000), nullable=False),
    sa.Column("mentions", JSON, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("deleted_at", UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["org_id", "record_id"], ["records.org_id", "records.id"]),
    sa.Index("ix_record_comments_record", "org_id", "record_id", "id"),
)

# Serial numbers: one counter per form, field and period, taken under the row's lock in the
# record's own transaction, so numbers are unique and gap-free (a rolled-back submission gives
# its number back).
serial_counters = sa.Table(
    "serial_counters",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("form_id", Id(), primary_key=True),
    sa.Column("field_id", sa.String(40), primary_key=True),
    sa.Column("period", sa.String(10), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
