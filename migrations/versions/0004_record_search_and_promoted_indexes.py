"""record search and promoted indexes

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import tack.core.types

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('record_search',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['org_id', 'record_id'], ['records.org_id', 'records.id'],
                            name=op.f('fk_record_search_org_id_record_id_records')),
    sa.PrimaryKeyConstraint('org_id', 'record_id', name=op.f('pk_record_search'))
    )
    op.create_table('promoted_indexes',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('spec', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('error', sa.String(length=2000), nullable=True),
    sa.Column('created_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ready_at', tack.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id', 'form_id'], ['forms.org_id', 'forms.id'],
                            name=op.f('fk_promoted_indexes_org_id_form_id_forms')),
    sa.PrimaryKeyConstraint('org_id', 'form_id', 'name', name=op.f('pk_promoted_indexes'))
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Substring search over records' text, indexed with trigrams. The extension needs rights
        # an operator may not grant: without it search still works, as a scan of the form.
        savepoint = bind.begin_nested()
        try:
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            savepoint.commit()
            ok = True
        except Exception:
            savepoint.rollback()
            ok = False
        if ok:
            op.execute("CREATE INDEX IF NOT EXISTS tx_record_search_body ON record_search "
                       "USING gin (body gin_trgm_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS tx_record_search_body")
    op.drop_table('promoted_indexes')
    op.drop_table('record_search')
