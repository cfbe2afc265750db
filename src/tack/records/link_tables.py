"""The links between records, one row per (record, link field, linked record): the reverse
direction of link fields ("which records link to this one?"), which refreshes of lookups and
roll-ups and the backlinks API read. Kept in step with the records' data in each record's own
transaction; the data stays the source of truth."""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import Id

record_links = sa.Table(
    "record_links",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("record_id", Id(), primary_key=True),  # the record whose link field names...
    sa.Column("field_id", sa.String(40), primary_key=True),  # (a link field, or a sub-table's link column)
    sa.Column("target_id", Id(), primary_key=True),  # ...this record
    # No foreign key to the target: a link may outlive a purged record, and then reads as gone.
    sa.ForeignKeyConstraint(["org_id", "record_id"], ["records.org_id", "records.id"]),
    # Backlinks: the records that link to one record.
    sa.Index("ix_record_links_target", "org_id", "target_id", "record_id"),
)
