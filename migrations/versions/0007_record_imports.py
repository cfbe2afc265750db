"""record imports

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import tack.core.types

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('record_imports',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('file_id', sa.Uuid(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=True),
    sa.Column('delimiter', sa.String(length=1), nullable=True),
    sa.Column('sheet', sa.String(length=100), nullable=True),
    sa.Column('mapping', _json(), nullable=False),
    sa.Column('columns', _json(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=True),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('created_rows', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('summary', _json(), nullable=False),
    sa.Column('actor', _json(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', tack.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', tack.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id', 'form_id'], ['forms.org_id', 'forms.id'],
                            name=op.f('fk_record_imports_org_id_form_id_forms')),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_record_imports'))
    )
    with op.batch_alter_table('record_imports', schema=None) as batch_op:
        batch_op.create_index('ix_record_imports_form', ['org_id', 'form_id', 'id'], unique=False)

    op.create_table('record_import_errors',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('import_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('column_number', sa.Integer(), nullable=True),
    sa.Column('column', sa.String(length=200), nullable=True),
    sa.Column('field_id', sa.String(length=40), nullable=True),
    sa.Column('field_name', sa.String(length=100), nullable=True),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('message', sa.String(length=1000), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['org_id', 'import_id'], ['record_imports.org_id', 'record_imports.id'],
                            name=op.f('fk_record_import_errors_org_id_import_id_record_imports')),
    sa.PrimaryKeyConstraint('org_id', 'import_id', 'seq', name=op.f('pk_record_import_errors'))
    )


def downgrade() -> None:
    op.drop_table('record_import_errors')
    with op.batch_alter_table('record_imports', schema=None) as batch_op:
        batch_op.drop_index('ix_record_imports_form')
    op.drop_table('record_imports')
