"""The organization's working calendar: one row of weekly rules, and its special days.

No `work_calendars` row means the default calendar (Monday to Friday, 09:00–18:00, lunch
12:00–13:00, no holidays): a new organization stores nothing until an admin changes it.
"""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import JSON, Id, UTCDateTime

work_calendars = sa.Table(
    "work_calendars",
    metadata,
    sa.Column("org_id", Id(), sa.ForeignKey("orgs.id"), primary_key=True),
    sa.Column("work_days", JSON, nullable=False),  # ISO weekdays worked: [1, 2, 3, 4, 5]
    # Wall-clock times "HH:MM" in the organization's time zone ("24:00" may end the day).
    sa.Column("day_start", sa.String(5), nullable=False),
    sa.Column("day_end", sa.String(5), nullable=False),
    sa.Column("break_start", sa.String(5), nullable=True),
    sa.Column("break_end", sa.String(5), nullable=True),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

# Dates that break the weekly rule: holidays, and make-up working days on days normally off.
work_calendar_days = sa.Table(
    "work_calendar_days",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # holiday | workday
    sa.Column("name", sa.String(100), nullable=False),
    sa.ForeignKeyConstraint(["org_id"], ["work_calendars.org_id"]),
)
