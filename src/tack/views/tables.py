"""Saved views. `config` (filter, sorts, columns, and the kind's own settings) names fields by
their stable ids, so renaming a field never touches a view."""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import JSON, Id, UTCDateTime

views = sa.Table(
    "views",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("form_id", Id(), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # grid | kanban | calendar | gallery
    # The owner of a personal view; NULL for a shared one (everyone who may read the form sees it).
    sa.Column("owner_member_id", Id(), nullable=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("config", JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_by", Id(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["org_id", "form_id"], ["forms.org_id", "forms.id"]),
    sa.Index("ix_views_form", "org_id", "form_id", "position"),
)
