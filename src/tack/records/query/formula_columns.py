"""Where a formula in a filter finds a field's value in SQL: the stored JSON value, typed as
the formula language expects (numbers numeric, text text, TRUE/FALSE boolean, dates `date` on
PostgreSQL and ISO text on SQLite), and a select as its *label*, which is what formulas see."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tack.forms.definition import CompiledForm
from tack.formula import BOOL, DATE, NUMBER, TEXT, ColumnFor, NotSqlCompatible, Type
from tack.records.query.operands import data_number, data_text, json_path
from tack.records.tables import records


def column_for(form: CompiledForm, dialect: str) -> ColumnFor:
    def column(name: str, t: Type) -> ColumnElement[Any]:
        c = form.by_key.get(name)
        if c is None or not c.ftype.stores_value:
            raise NotSqlCompatible(f"[{name}] is not a stored field")
        fid = c.fd.id
        if c.ftype.name == "select":
            whens = [(data_text(fid, dialect) == o.id, o.label) for o in c.settings.options[:500]]
            return sa.case(*whens, else_=sa.null()) if whens else sa.null()
        if t == NUMBER:
            return sa.cast(data_number(fid, dialect), sa.Float())
        if t == BOOL:
            if dialect == "sqlite":
                return sa.func.json_extract(records.c.data, json_path(fid, dialect))
            return sa.cast(records.c.data.op("->>")(json_path(fid, dialect)), sa.Boolean())
        if t == DATE:
            text = data_text(fid, dialect)
            return sa.cast(text, sa.Date()) if dialect == "postgresql" else text
        if t == TEXT:
            return data_text(fid, dialect)
        raise NotSqlCompatible(f"[{name}] ({t}) has no SQL form")

    return column
