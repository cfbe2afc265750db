"""Apps, their forms and every published version of each form."""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import JSON, Id, UTCDateTime

apps = sa.Table(
    "apps",
    metadata,
    sa.Column("org_id", Id(), sa.ForeignKey("orgs.id"), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.String(4000), nullable=True),
    sa.Column("icon", sa.String(100), nullable=True),
    sa.Column("created_by", Id(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("deleted_at", UTCDateTime(), nullable=True),
)

forms = sa.Table(
    "forms",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("app_id", Id(), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # the published version new records use
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("deleted_at", UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["org_id", "app_id"], ["apps.org_id", "apps.id"]),
    sa.Index("ix_forms_app", "org_id", "app_id"),
)

# Published definitions are immutable: a record points at the version it was written under.
form_versions = sa.Table(
    "form_versions",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("form_id", Id(), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("definition", JSON, nullable=False),
    sa.Column("published_at", UTCDateTime(), nullable=False),
    sa.Column("published_by", Id(), nullable=True),
    sa.ForeignKeyConstraint(["org_id", "form_id"], ["forms.org_id", "forms.id"]),
)
