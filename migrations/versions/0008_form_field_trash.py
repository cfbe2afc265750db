"""form field trash

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import tack.core.types

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def _when(name: str, nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, tack.core.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('form_field_trash',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('field_id', sa.String(length=40), nullable=False),
    sa.Column('table_id', sa.String(length=40), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('definition', _json(), nullable=False),
    sa.Column('deleted_version', sa.Integer(), nullable=False),
    _when('deleted_at', False),
    sa.Column('deleted_by', sa.Uuid(), nullable=True),
    sa.Column('deleted_by_name', sa.String(length=200), nullable=False),
    _when('purge_after', False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['org_id', 'form_id'], ['forms.org_id', 'forms.id'],
                            name=op.f('fk_form_field_trash_org_id_form_id_forms')),
    sa.PrimaryKeyConstraint('org_id', 'form_id', 'field_id', name=op.f('pk_form_field_trash'))
    )
    op.create_table('form_conversions',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changes', _json(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=True),
    sa.Column('estimated', sa.Boolean(), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('converted', sa.Integer(), nullable=False),
    sa.Column('moved_aside', sa.Integer(), nullable=False),
    _when('started_at', False),
    _when('finished_at', True),
    sa.ForeignKeyConstraint(['org_id', 'form_id'], ['forms.org_id', 'forms.id'],
                            name=op.f('fk_form_conversions_org_id_form_id_forms')),
    sa.PrimaryKeyConstraint('org_id', 'form_id', 'version', name=op.f('pk_form_conversions'))
    )
    op.create_table('form_moved_values',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.String(length=40), nullable=False),
    sa.Column('table_id', sa.String(length=40), nullable=True),
    sa.Column('row', sa.Integer(), nullable=True),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('value', _json(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('from_type', sa.String(length=40), nullable=False),
    sa.Column('to_type', sa.String(length=40), nullable=False),
    _when('moved_at', False),
    _when('purge_after', False),
    sa.ForeignKeyConstraint(['org_id', 'form_id'], ['forms.org_id', 'forms.id'],
                            name=op.f('fk_form_moved_values_org_id_form_id_forms')),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_form_moved_values'))
    )
    with op.batch_alter_table('form_moved_values', schema=None) as batch_op:
        batch_op.create_index('ix_form_moved_values_form', ['org_id', 'form_id', 'field_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('form_moved_values', schema=None) as batch_op:
        batch_op.drop_index('ix_form_moved_values_form')
    op.drop_table('form_moved_values')
    op.drop_table('form_conversions')
    op.drop_table('form_field_trash')
