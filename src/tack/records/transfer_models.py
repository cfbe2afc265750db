"""Imports and exports of records on the wire."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

ImportState = Literal["pending", "running", "dry_run_done", "committed", "failed"]
ColumnKey = Annotated[str, Meta(min_length=1, max_length=200)]
FieldRef = Annotated[str, Meta(min_length=1, max_length=100, description="A field's id or name")]


class ImportCreate(msgspec.Struct, forbid_unknown_fields=True):
    file_id: Annotated[uuid.UUID, Meta(description="A CSV or XLSX file uploaded with POST /files")]
    mapping: Annotated[dict[ColumnKey, FieldRef | None], Meta(
        max_length=500,
        description="Columns (by header, or by 1-based number) to fields (by id or name), null to skip "
                    "one; columns not named here are matched to fields by name")] = msgspec.field(
        default_factory=dict)
    dry_run: Annotated[bool, Meta(description="Check every row and store nothing")] = True
    sheet: Annotated[str, Meta(min_length=1, max_length=100,
                               description="A workbook's sheet (default: the first)")] | None = None


class ImportColumn(msgspec.Struct, omit_defaults=True):
    number: int  # 1-based, as the spreadsheet counts
    header: str
    field_id: str | None = None
    field_name: str | None = None
    note: str | None = None  # why a column is not imported


class ImportStatus(msgspec.Struct):
    id: uuid.UUID
    form_id: uuid.UUID
    file_id: uuid.UUID
    file_name: str
    format: str
    state: ImportState
    dry_run: bool
    total_rows: int | None
    processed_rows: int
    created_rows: int
    error_count: int
    summary: dict[str, Any]
    columns: list[ImportColumn]
    mapping: dict[str, str | None]
    created_by: uuid.UUID | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


class ImportList(msgspec.Struct):
    items: list[ImportStatus]
    next_cursor: str | None = None


class ImportProblem(msgspec.Struct):
    """One problem of a run: where (the line as the spreadsheet numbers it, the column and its
    field), which rule, and what to do about it."""

    line: int | None
    column_number: int | None
    column: str | None
    field_id: str | None
    field_name: str | None
    rule: str
    message: str
    value: str | None = None


class ImportProblemList(msgspec.Struct):
    items: list[ImportProblem]
    total: int  # every problem found; at most 1,000 are kept
    next_cursor: str | None = None


ExportFormat = Literal["csv", "xlsx"]
