"""Flow definitions, and approval instances: the event log and its projections.

`flow_events` is the truth: an instance is its append-only log, one row per event with a
per-instance sequence number (the primary key makes two writers of the same step collide, so
exactly one wins). `flow_instances`, `flow_tasks` and `flow_cc` are projections of it, written
by `tack.flows.projection` in the same transaction as the event, and rebuilt identically by
replaying the log. `flow_reads` (what a person has opened) and `flow_delegations` are ordinary
state outside the log.
"""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import JSON, Id, UTCDateTime

# One flow per form: its draft, its published version and whether submissions start it.
flows = sa.Table(
    "flows",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("app_id", Id(), nullable=False),
    sa.Column("form_id", Id(), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # the published version; 0: never published
    sa.Column("draft", JSON, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["org_id", "form_id"], ["forms.org_id", "forms.id"]),
    sa.UniqueConstraint("org_id", "form_id", name="uq_flows_form"),
)

flow_versions = sa.Table(
    "flow_versions",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("flow_id", Id(), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("definition", JSON, nullable=False),
    sa.Column("form_version", sa.Integer, nullable=False),
    sa.Column("published_at", UTCDateTime(), nullable=False),
    sa.Column("published_by", Id(), nullable=True),
    sa.ForeignKeyConstraint(["org_id", "flow_id"], ["flows.org_id", "flows.id"]),
)

# The log. `actor_id` acted, `on_behalf_of` is whom they stood in for (a delegation).
flow_events = sa.Table(
    "flow_events",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("instance_id", Id(), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("actor_id", Id(), nullable=True),
    sa.Column("actor_name", sa.String(200), nullable=False),
    sa.Column("on_behalf_of", Id(), nullable=True),
    sa.Column("data", JSON, nullable=False),
)

flow_instances = sa.Table(
    "flow_instances",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("flow_id", Id(), nullable=False),
    sa.Column("flow_version", sa.Integer, nullable=False),
    sa.Column("app_id", Id(), nullable=False),
    sa.Column("form_id", Id(), nullable=False),
    sa.Column("record_id", Id(), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("initiator_id", Id(), nullable=True),
    sa.Column("department_id", Id(), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),  # running | approved | rejected | withdrawn
    sa.Column("seq", sa.Integer, nullable=False),  # the last event's sequence number
    sa.Column("state", JSON, nullable=False),  # the engine's fold of the log (tack.flows.state)
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    # "Initiated by me", newest first.
    sa.Index("ix_flow_instances_initiator", "org_id", "initiator_id", "started_at"),
    sa.Index("ix_flow_instances_form", "org_id", "form_id", "status", "started_at"),
    sa.Index("ix_flow_instances_record", "org_id", "record_id"),
)

flow_tasks = sa.Table(
    "flow_tasks",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("instance_id", Id(), nullable=False),
    sa.Column("node_id", sa.String(60), nullable=False),
    sa.Column("node_name", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # approve | handle | resubmit
    sa.Column("assignee_id", Id(), nullable=False),
    sa.Column("on_behalf_of", Id(), nullable=True),
    # pending | waiting (behind an add-sign before it, or a sequential turn) | approved | rejected |
    # handled | returned | transferred | cancelled | passed (auto)
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("app_id", Id(), nullable=False),
    sa.Column("form_id", Id(), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("initiator_id", Id(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("due_at", UTCDateTime(), nullable=True),
    sa.Column("comment", sa.String(4000), nullable=True),
    # To do / done: a person's tasks by state, newest first.
    sa.Index("ix_flow_tasks_assignee", "org_id", "assignee_id", "state", "created_at"),
    sa.Index("ix_flow_tasks_instance", "org_id", "instance_id"),
)

flow_cc = sa.Table(
    "flow_cc",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("instance_id", Id(), primary_key=True),
    sa.Column("member_id", Id(), primary_key=True),
    sa.Column("node_id", sa.String(60), nullable=True),  # None: copied by a participant
    sa.Column("by_id", Id(), nullable=True),
    sa.Column("app_id", Id(), nullable=False),
    sa.Column("form_id", Id(), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("initiator_id", Id(), nullable=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Index("ix_flow_cc_member", "org_id", "member_id", "at"),
)

# When a person last opened an instance: what is unread in their inbox.
flow_reads = sa.Table(
    "flow_reads",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("member_id", Id(), primary_key=True),
    sa.Column("instance_id", Id(), primary_key=True),
    sa.Column("read_at", UTCDateTime(), nullable=False),
)

# Out of office: `delegate_id` gets the tasks meant for `member_id` from `starts_at` to `ends_at`,
# for every flow or only those in `flow_ids`.
flow_delegations = sa.Table(
    "flow_delegations",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("member_id", Id(), nullable=False),
    sa.Column("delegate_id", Id(), nullable=False),
    sa.Column("starts_at", UTCDateTime(), nullable=False),
    sa.Column("ends_at", UTCDateTime(), nullable=False),
    sa.Column("flow_ids", JSON, nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.Index("ix_flow_delegations_member", "org_id", "member_id", "ends_at"),
)
