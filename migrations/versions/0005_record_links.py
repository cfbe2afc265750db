"""record links

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import tack.core.types  # noqa: F401

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('record_links',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('field_id', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['org_id', 'record_id'], ['records.org_id', 'records.id'],
                            name=op.f('fk_record_links_org_id_record_id_records')),
    sa.PrimaryKeyConstraint('org_id', 'record_id', 'field_id', 'target_id', name=op.f('pk_record_links'))
    )
    with op.batch_alter_table('record_links', schema=None) as batch_op:
        batch_op.create_index('ix_record_links_target', ['org_id', 'target_id', 'record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('record_links', schema=None) as batch_op:
        batch_op.drop_index('ix_record_links_target')
    op.drop_table('record_links')
