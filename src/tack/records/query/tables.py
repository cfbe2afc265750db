"""Tables of the query layer: the text people search in, and the indexes promoted for views."""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import JSON, Id, UTCDateTime

# One row per record: the text of its text-like fields (select labels included), lowercased,
# searched by substring — which also serves Chinese, Japanese and Korean, where words are not
# separated by spaces. On PostgreSQL a trigram index (pg_trgm) makes it fast; see migration 0004.
record_search = sa.Table(
    "record_search",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("record_id", Id(), primary_key=True),
    sa.Column("form_id", Id(), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.ForeignKeyConstraint(["org_id", "record_id"], ["records.org_id", "records.id"]),
)

# Expression indexes made for the fields views filter and sort on (ADR 0003): one row per index,
# `state` pending → ready (or failed, with the error); the index itself is named `name`.
promoted_indexes = sa.Table(
    "promoted_indexes",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("form_id", Id(), primary_key=True),
    sa.Column("name", sa.String(63), primary_key=True),
    sa.Column("spec", JSON, nullable=False),  # [[field_id, "text" | "number"], ...]
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("error", sa.String(2000), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("ready_at", UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["org_id", "form_id"], ["forms.org_id", "forms.id"]),
)
