"""notifications

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tack.core.types

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, tack.core.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('notifications',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.String(length=1000), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('source_event_id', sa.Uuid(), nullable=True),
    _when('created_at', False),
    _when('read_at', True),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('org_id', 'member_id', 'source_event_id', 'kind',
                        name=op.f('uq_notifications_org_id_member_id_source_event_id_kind'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_member', ['org_id', 'member_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_member')
    op.drop_table('notifications')
