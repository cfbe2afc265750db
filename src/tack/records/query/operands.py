"""Where a field's value lives in SQL.

A record's values sit in its JSON `data`, keyed by field id; a few system values are columns.
An `Operand` is one of them as SQL: a scalar expression to compare and sort, how a Python value
is written against it, and for list values (multi select, members, links) the JSON path to
look inside. Paths and ids are rendered as SQL *literals*, not parameters, on purpose: a
promoted index is an expression index, and both databases use it only when the query's
expression is the same expression (and a partial index only when the query names the same
organization and form). Field ids are `f_[a-z0-9]+` and org/form ids are UUIDs, so the literals
are safe by construction.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from tack.forms.fields.dates import iso_utc
from tack.records.tables import records

_FIELD_ID = re.compile(r"^f_[a-z0-9]{4,32}$")


def _identity(v: Any) -> Any:
    return v


def _as_text(v: Any) -> Any:
    return str(v)


def _iso(v: Any) -> Any:
    return iso_utc(v) if isinstance(v, dt.datetime) else v.isoformat() if isinstance(v, dt.date) else v


@dataclass(frozen=True)
class Operand:
    scalar: ColumnElement[Any]  # compare, sort; NULL when blank
    bind: Callable[[Any], Any]  # a normalized Python value as the SQL side stores it
    field_id: str | None = None  # a data field: its id (list operators look inside the JSON)
    dialect: str = "sqlite"


def id_literal(value: uuid.UUID, dialect: str) -> ColumnElement[Any]:
    """An id as a literal SQL value, spelled the way the column stores it."""
    if dialect == "postgresql":
        return sa.literal_column(f"'{value}'::uuid", sa.Uuid())
    return sa.literal_column(f"'{value.hex}'", sa.Uuid())


def json_path(field_id: str, dialect: str) -> ColumnElement[Any]:
    if not _FIELD_ID.match(field_id):
        raise ValueError(f"not a field id: {field_id!r}")
    return sa.literal_column(f"'$.{field_id}'" if dialect == "sqlite" else f"'{field_id}'")


def data_text(field_id: str, dialect: str) -> ColumnElement[Any]:
    """The value as SQL text (SQLite: the JSON value as its SQL type, which for text is text)."""
    if dialect == "sqlite":
        return sa.func.json_extract(records.c.data, json_path(field_id, dialect))
    return records.c.data.op("->>")(json_path(field_id, dialect)).collate("C")


def data_number(field_id: str, dialect: str) -> ColumnElement[Any]:
    # Only JSON numbers count: while a type change converts a form's records in the
    # background, a value not yet converted ("12 kg") reads as blank (it must not fail the
    # query on PostgreSQL, nor sort above every number on SQLite).
    path = json_path(field_id, dialect)
    if dialect == "sqlite":
        return sa.case((sa.func.json_type(records.c.data, path) != sa.literal_column("'text'"),
                        sa.func.json_extract(records.c.data, path)))
    return sa.case((sa.func.jsonb_typeof(records.c.data.op("->")(path)) == sa.literal_column("'number'"),
                    sa.cast(records.c.data.op("->>")(path), postgresql.DOUBLE_PRECISION)))


def data_json(field_id: str, dialect: str) -> ColumnElement[Any]:
    """The raw JSON value (for presence tests and list operators)."""
    if dialect == "sqlite":
        return sa.func.json_extract(records.c.data, json_path(field_id, dialect))
    return records.c.data.op("->")(json_path(field_id, dialect))


def index_sql(field_id: str, how: str, dialect: str) -> str:
    """The same expressions as text for CREATE INDEX (kept beside the builders above so the two
    can never drift apart; tests compare them through the planners)."""
    if not _FIELD_ID.match(field_id):
        raise ValueError(f"not a field id: {field_id!r}")
    if dialect == "sqlite":
        if how == "number":
            return f"(CASE WHEN json_type(data, '$.{field_id}') != 'text' THEN json_extract(data, '$.{field_id}') END)"
        return f"json_extract(data, '$.{field_id}')"
    if how == "number":
        return (f"(CASE WHEN jsonb_typeof(data -> '{field_id}') = 'number' "
                f"THEN CAST((data ->> '{field_id}') AS DOUBLE PRECISION) END)")
    return f"((data ->> '{field_id}') COLLATE \"C\")"


def text_operand(field_id: str, dialect: str) -> Operand:
    return Operand(data_text(field_id, dialect), _as_text, field_id, dialect)


def number_operand(field_id: str, dialect: str) -> Operand:
    return Operand(data_number(field_id, dialect), _identity, field_id, dialect)


def iso_operand(field_id: str, dialect: str) -> Operand:
    """Dates ('YYYY-MM-DD') and date-times ('YYYY-MM-DDTHH:MM:SSZ') are stored as ISO text,
    whose text order is time order."""
    return Operand(data_text(field_id, dialect), _iso, field_id, dialect)


def json_operand(field_id: str, dialect: str) -> Operand:
    return Operand(data_json(field_id, dialect), _identity, field_id, dialect)


def column_operand(column: ColumnElement[Any], dialect: str, *, text: bool = False) -> Operand:
    expr = column.collate("C") if text and dialect == "postgresql" else column
    return Operand(expr, _identity, None, dialect)
