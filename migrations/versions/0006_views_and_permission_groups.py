"""views and permission groups

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import tack.core.types

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def upgrade() -> None:
    # Apps made before this revision have no group: they run on the default rights ("Everyone"
    # may submit and see, edit and delete their own records) until an administrator adds one.
    op.create_table('permission_groups',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('app_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('app_admin', sa.Boolean(), nullable=False),
    sa.Column('members', _json(), nullable=False),
    sa.Column('rights', _json(), nullable=False),
    sa.Column('forms', _json(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id', 'app_id'], ['apps.org_id', 'apps.id'],
                            name=op.f('fk_permission_groups_org_id_app_id_apps')),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_permission_groups'))
    )
    with op.batch_alter_table('permission_groups', schema=None) as batch_op:
        batch_op.create_index('ix_permission_groups_app', ['org_id', 'app_id', 'position'], unique=False)

    op.create_table('views',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('owner_member_id', sa.Uuid(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('config', _json(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id', 'form_id'], ['forms.org_id', 'forms.id'],
                            name=op.f('fk_views_org_id_form_id_forms')),
    sa.PrimaryKeyConstraint('org_id', 'id', name=op.f('pk_views'))
    )
    with op.batch_alter_table('views', schema=None) as batch_op:
        batch_op.create_index('ix_views_form', ['org_id', 'form_id', 'position'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('views', schema=None) as batch_op:
        batch_op.drop_index('ix_views_form')
    op.drop_table('views')
    with op.batch_alter_table('permission_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_permission_groups_app')
    op.drop_table('permission_groups')
