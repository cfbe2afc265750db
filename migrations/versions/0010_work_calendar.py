"""work calendar

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import tack.core.types

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('work_calendars',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('work_days', _json(), nullable=False),
    sa.Column('day_start', sa.String(length=5), nullable=False),
    sa.Column('day_end', sa.String(length=5), nullable=False),
    sa.Column('break_start', sa.String(length=5), nullable=True),
    sa.Column('break_end', sa.String(length=5), nullable=True),
    sa.Column('updated_at', tack.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_work_calendars_org_id_orgs')),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_work_calendars'))
    )
    op.create_table('work_calendar_days',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['work_calendars.org_id'],
                            name=op.f('fk_work_calendar_days_org_id_work_calendars')),
    sa.PrimaryKeyConstraint('org_id', 'day', name=op.f('pk_work_calendar_days'))
    )


def downgrade() -> None:
    op.drop_table('work_calendar_days')
    op.drop_table('work_calendars')
