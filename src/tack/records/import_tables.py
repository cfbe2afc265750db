"""Imports of records from a spreadsheet: one row per import (its state and progress, which the
web app polls for its progress bar) and the problems its last run found, line by line."""

from __future__ import annotations

import sqlalchemy as sa

from tack.core.db import metadata
from tack.core.types import JSON, Id, UTCDateTime

record_imports = sa.Table(
    "record_imports",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("id", Id(), primary_key=True),
    sa.Column("form_id", Id(), nullable=False),
    # The uploaded spreadsheet in the file store. No foreign key: deleting the file is allowed,
    # and an import whose file is gone says so when it runs.
    sa.Column("file_id", Id(), nullable=False),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("format", sa.String(8), nullable=False),  # csv | xlsx
    sa.Column("encoding", sa.String(20), nullable=True),  # a CSV's, as detected: utf-8, utf-8-sig, gb18030
    sa.Column("delimiter", sa.String(1), nullable=True),  # a CSV's, as detected
    sa.Column("sheet", sa.String(100), nullable=True),  # a workbook's sheet (null: the first)
    sa.Column("mapping", JSON, nullable=False),  # what the caller asked: {column: field id | null}
    sa.Column("columns", JSON, nullable=False),  # what it resolved to: [{number, header, field_id, ...}]
    # pending -> running -> dry_run_done | committed | failed; a checked dry run goes back to
    # pending when it is committed.
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("dry_run", sa.Boolean, nullable=False),  # whether the latest run stores nothing
    sa.Column("total_rows", sa.Integer, nullable=True),  # known once the file has been counted
    sa.Column("processed_rows", sa.Integer, nullable=False),
    sa.Column("created_rows", sa.Integer, nullable=False),
    sa.Column("error_count", sa.Integer, nullable=False),  # every problem found; at most 1,000 are kept
    sa.Column("summary", JSON, nullable=False),  # problems counted by rule and by column; a failure's reason
    sa.Column("actor", JSON, nullable=False),  # who imports: the job acts as them
    sa.Column("created_by", Id(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("started_at", UTCDateTime(), nullable=True),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["org_id", "form_id"], ["forms.org_id", "forms.id"]),
    sa.Index("ix_record_imports_form", "org_id", "form_id", "id"),
)

# The problems of an import's latest run, in file order: the line as the spreadsheet numbers it
# (the header is line 1), the column, the field and the rule it broke.
record_import_errors = sa.Table(
    "record_import_errors",
    metadata,
    sa.Column("org_id", Id(), primary_key=True),
    sa.Column("import_id", Id(), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("line", sa.Integer, nullable=True),  # null: the whole file
    sa.Column("column_number", sa.Integer, nullable=True),  # 1-based, as the spreadsheet counts
    sa.Column("column", sa.String(200), nullable=True),  # the column's header
    sa.Column("field_id", sa.String(40), nullable=True),
    sa.Column("field_name", sa.String(100), nullable=True),
    sa.Column("rule", sa.String(40), nullable=False),
    sa.Column("message", sa.String(1000), nullable=False),
    sa.Column("value", sa.String(200), nullable=True),  # the cell as found (shortened)
    sa.ForeignKeyConstraint(["org_id", "import_id"], ["record_imports.org_id", "record_imports.id"]),
)
