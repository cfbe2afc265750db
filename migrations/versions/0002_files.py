"""files: the file store (uploads of attachments, images, signatures and avatars)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 21:58:17.060493
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tack.core.types

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'files',
        sa.Column('org_id', sa.Uuid(), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('declared_type', sa.String(length=200), nullable=True),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('storage_key', sa.String(length=300), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=True),
        sa.Column('created_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id', 'created_by'], ['members.org_id', 'members.id'],
                                name='fk_files_created_by'),
        sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_files_org_id_orgs')),
        sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_files')),
    )
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.create_index('ix_files_sha256', ['org_id', 'sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_index('ix_files_sha256')
    op.drop_table('files')
