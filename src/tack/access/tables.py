"""Permission groups of an app. Members, rights and per-form rules are small JSON documents:
an app has a handful of groups, always read together, and resolved in Python."""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import JSON, Id, UTCDateTime

permission_groups = sa.Table(
    "permission_groups",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("app_id", Id(), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("description", sa.String(2000), nullable=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("app_admin", sa.Boolean, nullable=False),  # members administer the app
    sa.Column("members", JSON, nullable=False),  # GroupMembers: people, departments, roles, everyone
    sa.Column("rights", JSON, nullable=False),  # Rights: submit, and read / edit / delete scopes
    sa.Column("forms", JSON, nullable=False),  # {form id: FormRights}: overrides, hidden and read-only fields
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["org_id", "app_id"], ["apps.org_id", "apps.id"]),
    sa.Index("ix_permission_groups_app", "org_id", "app_id", "position"),
)
