"""Directory tables. Everything an organization owns carries `org_id` first in its keys.

`users` (people, global: one person may belong to many organizations) and `orgs` are the only
reference tables; the rest is tenant data and can be sharded by `org_id`.
"""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import JSON, Id, UTCDateTime

orgs = sa.Table(
    "orgs",
    metadata,
    sa.Column("id", Id(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("logo_url", sa.String(2000), nullable=True),
    sa.Column("locale", sa.String(16), nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("root_department_id", Id(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Id(), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),  # stored lower-cased
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("phone", sa.String(40), nullable=True),
    sa.Column("avatar_url", sa.String(2000), nullable=True),
    sa.Column("locale", sa.String(16), nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=True),
    sa.Column("last_org_id", Id(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

# A person's membership of one organization, with that organization's view of them.
members = sa.Table(
    "members",
    metadata,
    sa.Column("org_id", Id(), sa.ForeignKey("orgs.id"), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("user_id", Id(), sa.ForeignKey("users.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("phone", sa.String(40), nullable=True),
    sa.Column("job_title", sa.String(200), nullable=True),
    sa.Column("employee_no", sa.String(64), nullable=True),
    sa.Column("manager_id", Id(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # active | inactive
    sa.Column("admin_role", sa.String(16), nullable=False),  # owner | admin | sub_admin | member
    sa.Column("joined_at", UTCDateTime(), nullable=False),
    sa.Column("deactivated_at", UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["org_id", "manager_id"], ["members.org_id", "members.id"],
                            name="fk_members_manager"),
    sa.UniqueConstraint("org_id", "user_id"),
    sa.Index("ix_members_manager", "org_id", "manager_id"),
    sa.Index("ix_members_name", "org_id", "name"),
    sa.Index("ix_members_employee_no", "org_id", "employee_no", unique=True,
             sqlite_where=sa.text("employee_no IS NOT NULL"), postgresql_where=sa.text("employee_no IS NOT NULL")),
)

# The department tree. `path` is the materialized path of ids from the root ("/<id>/<id>/"),
# so a subtree is one indexed prefix range and ancestors are read off the path itself.
departments = sa.Table(
    "departments",
    metadata,
    sa.Column("org_id", Id(), sa.ForeignKey("orgs.id"), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("parent_id", Id(), nullable=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("path", sa.String(4000), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["org_id", "parent_id"], ["departments.org_id", "departments.id"],
                            name="fk_departments_parent"),
    sa.Index("ix_departments_parent", "org_id", "parent_id", "position"),
    sa.Index("ix_departments_path", "org_id", "path"),
)

department_members = sa.Table(
    "department_members",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("department_id", Id(), primary_key=True),
    sa.Column("member_id", Id(), primary_key=True),
    sa.Column("is_head", sa.Boolean, nullable=False, default=False),
    sa.ForeignKeyConstraint(["org_id", "department_id"], ["departments.org_id", "departments.id"]),
    sa.ForeignKeyConstraint(["org_id", "member_id"], ["members.org_id", "members.id"]),
    sa.Index("ix_department_members_member", "org_id", "member_id"),
)

roles = sa.Table(
    "roles",
    metadata,
    sa.Column("org_id", Id(), sa.ForeignKey("orgs.id"), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.String(2000), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("org_id", "name"),
)

role_members = sa.Table(
    "role_members",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("role_id", Id(), primary_key=True),
    sa.Column("member_id", Id(), primary_key=True),
    sa.ForeignKeyConstraint(["org_id", "role_id"], ["roles.org_id", "roles.id"]),
    sa.ForeignKeyConstraint(["org_id", "member_id"], ["members.org_id", "members.id"]),
    sa.Index("ix_role_members_member", "org_id", "member_id"),
)

# The departments a sub-admin manages (their rights cover these subtrees only).
admin_departments = sa.Table(
    "admin_departments",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("member_id", Id(), primary_key=True),
    sa.Column("department_id", Id(), primary_key=True),
    sa.ForeignKeyConstraint(["org_id", "member_id"], ["members.org_id", "members.id"]),
    sa.ForeignKeyConstraint(["org_id", "department_id"], ["departments.org_id", "departments.id"]),
)

invitations = sa.Table(
    "invitations",
    metadata,
    sa.Column("org_id", Id(), sa.ForeignKey("orgs.id"), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False),
    sa.Column("department_id", Id(), nullable=True),
    sa.Column("created_by", Id(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Column("max_uses", sa.Integer, nullable=True),
    sa.Column("uses", sa.Integer, nullable=False, default=0),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("org_id", "code"),
)

# The global lookup from an invitation code (all a link or a typed code carries) to its
# organization: a small reference table, like `users`, so `invitations` stays tenant-keyed.
invitation_codes = sa.Table(
    "invitation_codes",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("org_id", Id(), nullable=False),
    sa.Column("invitation_id", Id(), nullable=False),
)

# Administrative changes, readable by owners. Append-only.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("org_id", Id(), sa.ForeignKey("orgs.id"), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("actor_kind", sa.String(16), nullable=False),
    sa.Column("actor_user_id", Id(), nullable=True),
    sa.Column("actor_member_id", Id(), nullable=True),
    sa.Column("actor_name", sa.String(200), nullable=False),
    sa.Column("token_id", Id(), nullable=True),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("subject_type", sa.String(50), nullable=False),
    sa.Column("subject_id", sa.String(64), nullable=True),
    sa.Column("data", JSON, nullable=False),
)
