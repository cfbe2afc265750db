"""flows: definitions, versions, the instance log and its projections, delegations

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import tack.core.types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('flow_cc',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('instance_id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('node_id', sa.String(length=60), nullable=True),
    sa.Column('by_id', sa.Uuid(), nullable=True),
    sa.Column('app_id', sa.Uuid(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('initiator_id', sa.Uuid(), nullable=True),
    sa.Column('at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('org_id', 'instance_id', 'member_id', name=op.f('pk_flow_cc'))
    )
    with op.batch_alter_table('flow_cc', schema=None) as batch_op:
        batch_op.create_index('ix_flow_cc_member', ['org_id', 'member_id', 'at'], unique=False)

    op.create_table('flow_delegations',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('delegate_id', sa.Uuid(), nullable=False),
    sa.Column('starts_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('flow_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', tack.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_flow_delegations'))
    )
    with op.batch_alter_table('flow_delegations', schema=None) as batch_op:
        batch_op.create_index('ix_flow_delegations_member', ['org_id', 'member_id', 'ends_at'], unique=False)

    op.create_table('flow_events',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('instance_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('on_behalf_of', sa.Uuid(), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('org_id', 'instance_id', 'seq', name=op.f('pk_flow_events'))
    )
    op.create_table('flow_instances',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('flow_id', sa.Uuid(), nullable=False),
    sa.Column('flow_version', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.Uuid(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('initiator_id', sa.Uuid(), nullable=True),
    sa.Column('department_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('state', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('started_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', tack.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_flow_instances'))
    )
    with op.batch_alter_table('flow_instances', schema=None) as batch_op:
        batch_op.create_index('ix_flow_instances_form', ['org_id', 'form_id', 'status', 'started_at'], unique=False)
        batch_op.create_index('ix_flow_instances_initiator', ['org_id', 'initiator_id', 'started_at'], unique=False)
        batch_op.create_index('ix_flow_instances_record', ['org_id', 'record_id'], unique=False)

    op.create_table('flow_reads',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('instance_id', sa.Uuid(), nullable=False),
    sa.Column('read_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('org_id', 'member_id', 'instance_id', name=op.f('pk_flow_reads'))
    )
    op.create_table('flow_tasks',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('instance_id', sa.Uuid(), nullable=False),
    sa.Column('node_id', sa.String(length=60), nullable=False),
    sa.Column('node_name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('assignee_id', sa.Uuid(), nullable=False),
    sa.Column('on_behalf_of', sa.Uuid(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('app_id', sa.Uuid(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('initiator_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', tack.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_at', tack.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.String(length=4000), nullable=True),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_flow_tasks'))
    )
    with op.batch_alter_table('flow_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_flow_tasks_assignee', ['org_id', 'assignee_id', 'state', 'created_at'], unique=False)
        batch_op.create_index('ix_flow_tasks_instance', ['org_id', 'instance_id'], unique=False)

    op.create_table('flows',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('app_id', sa.Uuid(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('draft', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id', 'form_id'], ['forms.org_id', 'forms.id'], name=op.f('fk_flows_org_id_form_id_forms')),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_flows')),
    sa.UniqueConstraint('org_id', 'form_id', name='uq_flows_form')
    )
    op.create_table('flow_versions',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('flow_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('form_version', sa.Integer(), nullable=False),
    sa.Column('published_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['org_id', 'flow_id'], ['flows.org_id', 'flows.id'], name=op.f('fk_flow_versions_org_id_flow_id_flows')),
    sa.PrimaryKeyConstraint('org_id', 'flow_id', 'version', name=op.f('pk_flow_versions'))
    )


def downgrade() -> None:
    for name in ('flow_versions', 'flows', 'flow_tasks', 'flow_reads', 'flow_instances', 'flow_events',
                 'flow_delegations', 'flow_cc'):
        op.drop_table(name)
