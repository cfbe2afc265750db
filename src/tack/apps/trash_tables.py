"""What schema changes keep: deleted fields (undo until purged), type conversions in progress,
and the values a conversion could not convert (moved aside, never dropped)."""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import JSON, Id, UTCDateTime

# A field (or a sub-table's column) that a published version left out. Its values stay in the
# records, keyed by its id, until the trash is purged; restoring publishes it back.
form_field_trash = sa.Table(
    "form_field_trash",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("form_id", Id(), primary_key=True),
    sa.Column("field_id", sa.String(40), primary_key=True),
    sa.Column("table_id", sa.String(40), nullable=True),  # the sub-table it was a column of
    sa.Column("position", sa.Integer, nullable=False),  # where it stood, so a restore puts it back there
    sa.Column("definition", JSON, nullable=False),  # the field as the last version had it
    sa.Column("deleted_version", sa.Integer, nullable=False),  # the version that left it out
    sa.Column("deleted_at", UTCDateTime(), nullable=False),
    sa.Column("deleted_by", Id(), nullable=True),
    sa.Column("deleted_by_name", sa.String(200), nullable=False),
    sa.Column("purge_after", UTCDateTime(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # trashed | purging
    sa.ForeignKeyConstraint(["org_id", "form_id"], ["forms.org_id", "forms.id"]),
)

# One row per published version that changed field types: the changes, and the progress of
# the job that converts the stored values.
form_conversions = sa.Table(
    "form_conversions",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("form_id", Id(), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("changes", JSON, nullable=False),  # [{field_id, table_id, before, after}] (field definitions)
    sa.Column("state", sa.String(16), nullable=False),  # running | done
    sa.Column("expected", sa.Integer, nullable=True),  # values to convert, as the preview counted them
    sa.Column("estimated", sa.Boolean, nullable=False),  # ... from a sample
    sa.Column("records", sa.Integer, nullable=False),  # records converted so far
    sa.Column("converted", sa.Integer, nullable=False),  # values converted so far
    sa.Column("moved_aside", sa.Integer, nullable=False),  # values that did not convert
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["org_id", "form_id"], ["forms.org_id", "forms.id"]),
)

# A value a type change could not convert, with the record it came from and why.
form_moved_values = sa.Table(
    "form_moved_values",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("form_id", Id(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # the conversion's version
    sa.Column("field_id", sa.String(40), nullable=False),
    sa.Column("table_id", sa.String(40), nullable=True),
    sa.Column("row", sa.Integer, nullable=True),  # the sub-table row, for a column's value
    sa.Column("record_id", Id(), nullable=False),
    sa.Column("value", JSON, nullable=False),  # as it was stored
    sa.Column("text", sa.Text, nullable=False),  # as the old type showed it
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("from_type", sa.String(40), nullable=False),
    sa.Column("to_type", sa.String(40), nullable=False),
    sa.Column("moved_at", UTCDateTime(), nullable=False),
    sa.Column("purge_after", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["org_id", "form_id"], ["forms.org_id", "forms.id"]),
    sa.Index("ix_form_moved_values_form", "org_id", "form_id", "field_id", "id"),
)
