"""Finding records by the text in them.

Each record keeps one lowercased text of its text-like fields (select labels as people see
them, not option ids), written in the record's own transaction. A search is a substring match
of every word typed, so "王 invoice" finds a record holding both; substring rather than word
matching is what Chinese and Japanese text needs, and PostgreSQL indexes it with trigrams.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tack.core.ctx import Ctx
from tack.forms.definition import CompiledForm
from tack.records.query.tables import record_search
from tack.records.tables import records

SEARCHED_TYPES = frozenset({"text", "textarea", "email", "phone", "url", "serial", "select", "multiselect"})
MAX_BODY = 100_000
MAX_WORDS = 8


def search_body(form: CompiledForm, data: dict[str, Any]) -> str:
    parts: list[str] = []
    for c in form.fields:
        value = data.get(c.fd.id)
        if value is None:
            continue
        if c.fd.type in SEARCHED_TYPES or (c.fd.type == "formula" and isinstance(value, str)):
            parts.append(c.ftype.to_text(value, c.settings))
        elif c.fd.type == "subtable" and isinstance(value, list):
            for row in value:
                for col in c.columns:
                    cell = row.get(col.fd.id) if isinstance(row, dict) else None
                    if cell is not None and col.fd.type in SEARCHED_TYPES:
                        parts.append(col.ftype.to_text(cell, col.settings))
    return "\n".join(parts).lower()[:MAX_BODY]


async def index_record(ctx: Ctx, record_id: uuid.UUID, form_id: uuid.UUID, form: CompiledForm,
                       data: dict[str, Any], *, new: bool = False) -> None:
    if not new:  # a record just created has no row yet: one statement saved per submission
        await ctx.conn.execute(record_search.delete().where(
            record_search.c.org_id == ctx.org_id, record_search.c.record_id == record_id))
    await ctx.conn.execute(record_search.insert().values(
        org_id=ctx.org_id, record_id=record_id, form_id=form_id, body=search_body(form, data)))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_sql(text: str) -> ColumnElement[Any] | None:
    """Records holding every word of `text` (None when there is nothing to search for)."""
    words = list(dict.fromkeys(w for w in text.lower().split() if w))[:MAX_WORDS]
    if not words:
        return None
    rs = record_search
    return sa.exists(sa.select(sa.literal(1)).where(
        rs.c.org_id == records.c.org_id, rs.c.record_id == records.c.id,
        *(rs.c.body.like(f"%{_escape(w)}%", escape="\\") for w in words)))
