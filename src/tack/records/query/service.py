"""Querying a form's records: filter tree, multi-key sort, search, keyset pages and counts,
compiled to SQL for SQLite and PostgreSQL, within what the caller may read.

Keyset pagination: a page ends with the sort key of its last record (and its id, which breaks
ties), and the next page starts strictly after it, so pages never skip or repeat a record
however many are added meanwhile, and page 1,000 costs what page 1 does. Blank values sort
first in ascending order on both databases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tack.apps.service import compiled_form, form_row
from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.db import dialect_of
from tack.core.errors import ValidationFailed
from tack.core.pagination import decode_cursor, encode_cursor
from tack.forms.definition import CompiledForm
from tack.records.models import Record
from tack.records.query.counts import count_matching
from tack.records.query.env import query_env
from tack.records.query.filters import (
    Group,
    Node,
    Sort,
    filter_sql,
    needs_me,
    needs_time_zone,
    parse_filter,
    parse_sort,
)
from tack.records.query.model import RecordQuery, RecordQueryPage
from tack.records.query.operands import id_literal
from tack.records.query.promote import index_name, index_spec, ready_indexes
from tack.records.query.search import search_sql
from tack.records.service import record_of
from tack.records.tables import records


class Compiled:
    """One query made ready to run: its WHERE clause and its sort keys."""

    def __init__(self, where: list[ColumnElement[Any]], keys: list[tuple[ColumnElement[Any], bool]],
                 parsers: list[Callable[[Any], Any]], fingerprint: str) -> None:
        self.where = where
        self.keys = keys  # (expression, descending), the record id last
        self.parsers = parsers
        self.fingerprint = fingerprint
        self.reusable = False
        self.index_name: str | None = None  # the promoted index this query's shape asks for


async def query_records(ctx: Ctx, form_id: uuid.UUID, q: RecordQuery) -> RecordQueryPage:
    from tack.access.service import form_access

    require(ctx.actor, "record.read")
    row = await form_row(ctx, form_id)
    form = await compiled_form(ctx, form_id, row["version"])
    access = await form_access(ctx, form_id, app_id=row["app_id"])
    key = _cache_key(ctx, form_id, row["version"], q) if access.read_filter is None else None
    cached = _compiled.get(key) if key is not None else None
    if cached is None:
        compiled = await compile_query(ctx, form_id, form, q, access.read_filter)
        base = _select(compiled, cursor=None)
        if key is not None and compiled.reusable:
            _remember(key, (compiled, base))
    else:
        compiled, base = cached
    stmt = _select(compiled, cursor=q.cursor) if q.cursor else base
    if compiled.index_name and not q.deleted and dialect_of(ctx.conn) == "sqlite" \
            and compiled.index_name in await ready_indexes(ctx, form_id):
        # SQLite's planner judges indexes by average rows per key: with many small forms beside
        # one big one, (org, form, id) looks selective and it would scan the big form with it.
        # The view's own index is the right one (PostgreSQL's statistics know the skew).
        stmt = stmt.with_hint(records, f"INDEXED BY {compiled.index_name}", dialect_name="sqlite")
    rows = (await ctx.conn.execute(stmt.limit(q.limit + 1))).mappings().all()
    items = [_visible(record_of(r), access.hidden_fields) for r in rows[:q.limit]]
    next_cursor = None
    if len(rows) > q.limit:
        last = rows[q.limit - 1]
        next_cursor = encode_cursor([compiled.fingerprint, *(last[f"k{i}"] for i in range(len(compiled.keys)))])
    count = await count_matching(ctx, compiled.where) if q.count else None
    return RecordQueryPage(items=items, next_cursor=next_cursor, count=count)


async def iter_records(ctx: Ctx, form_id: uuid.UUID, q: RecordQuery, *, batch: int = 500) -> AsyncIterator[list[Record]]:
    """Every matching record, a batch at a time, in the query's order (exports)."""
    cursor = q.cursor
    while True:
        page = await query_records(ctx, form_id, msgspec.structs.replace(q, cursor=cursor, limit=min(batch, 200),
                                                                          count=False))
        if page.items:
            yield page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


async def compile_query(ctx: Ctx, form_id: uuid.UUID, form: CompiledForm, q: RecordQuery,
                        scope: dict[str, Any] | None = None) -> Compiled:
    """The query's SQL parts. `scope` is a filter tree the caller's rights add (ANDed)."""
    dialect = dialect_of(ctx.conn)
    raw_filter, raw_sort = q.filter, [msgspec.structs.asdict(s) for s in q.sort]
    node = parse_filter(form, raw_filter)
    sorts = parse_sort(form, raw_sort)
    if q.view_id is not None:
        view_node, view_sorts = await _view(ctx, form_id, form, q.view_id)
        node = _and(view_node, node)
        sorts = sorts or view_sorts
    env = await query_env(ctx, personal=needs_me(node), zoned=needs_time_zone(node))
    where: list[ColumnElement[Any]] = [
        records.c.org_id == id_literal(ctx.org_id, dialect),
        records.c.form_id == id_literal(form_id, dialect),
        records.c.deleted_at.is_not(None) if q.deleted else records.c.deleted_at.is_(None),
    ]
    if node is not None:
        where.append(filter_sql(node, env, form))
    if scope is not None:
        # The caller's rights, read the way every other records path reads them (a rule that no
        # longer compiles reaches nothing rather than failing the query).
        from tack.access.scopes import scope_condition

        where.append(await scope_condition(ctx, form, scope))
    if q.search:
        found = search_sql(q.search)
        if found is not None:
            where.append(found)
    keys: list[tuple[ColumnElement[Any], bool]] = []
    parsers: list[Callable[[Any], Any]] = []
    for s in sorts:
        if s.field.system == "id":
            continue  # the id is always the last key
        operand = s.field.operand(dialect)
        assert s.field.kind is not None
        keys.append((s.field.kind.sort_key(operand, s.field.settings), s.descending))
        parsers.append(_parser_for(s))
    id_descending = keys[0][1] if keys else not sorts or sorts[0].descending
    keys.append((records.c.id, id_descending))
    parsers.append(_parse_uuid)
    spec = repr([(s.field.key, s.descending) for s in sorts]) + repr(id_descending)
    fingerprint = hashlib.sha256(spec.encode()).hexdigest()[:12]
    compiled = Compiled(where, keys, parsers, fingerprint)
    # The same SQL serves the next identical query unless it depends on who asks or when.
    compiled.reusable = scope is None and q.view_id is None and not needs_me(node) and not needs_time_zone(node)
    spec = index_spec(node, sorts)
    compiled.index_name = index_name(ctx.org_id, form_id, spec) if spec else None
    return compiled


# Compiled queries by (org, form, form version, dialect, query): a view opened again skips
# parsing and SQL building (a third of a query's time on a warm index). Versions never
# change, so entries never go stale; queries that depend on the asker or the clock are not kept.
_CACHE_SIZE = 2048
_compiled: OrderedDict[tuple[Any, ...], tuple[Compiled, sa.Select[Any]]] = OrderedDict()


def _cache_key(ctx: Ctx, form_id: uuid.UUID, version: int, q: RecordQuery) -> tuple[Any, ...] | None:
    if q.view_id is not None:
        return None
    return (ctx.org_id, form_id, version, dialect_of(ctx.conn), msgspec.json.encode(q.filter),
            tuple((k.field, k.direction) for k in q.sort), q.search, q.deleted)


def _remember(key: tuple[Any, ...], value: tuple[Compiled, sa.Select[Any]]) -> None:
    _compiled[key] = value
    if len(_compiled) > _CACHE_SIZE:
        _compiled.popitem(last=False)


def _select(compiled: Compiled, *, cursor: str | None) -> sa.Select[Any]:
    labelled = [expr.label(f"k{i}") for i, (expr, _) in enumerate(compiled.keys)]
    stmt = sa.select(records, *labelled).where(*compiled.where)
    if cursor:
        key = decode_cursor(cursor, _fingerprint(compiled.fingerprint), *compiled.parsers)
        assert key is not None
        stmt = stmt.where(_after(compiled.keys, key[1:]))
    order = []
    for expr, desc in compiled.keys:
        o = expr.desc() if desc else expr.asc()
        # Blanks first going up, last going down: SQLite's natural order, asked of PostgreSQL.
        order.append(o.nulls_last() if desc else o.nulls_first())
    return stmt.order_by(*order)


def _after(keys: list[tuple[ColumnElement[Any], bool]], values: list[Any]) -> ColumnElement[Any]:
    """Rows strictly after `values` in the order of `keys` (blanks first when ascending)."""
    (expr, desc), value = keys[0], values[0]
    if value is None:
        strictly = sa.false() if desc else expr.is_not(None)
        same = expr.is_(None)
    else:
        strictly = sa.or_(expr < value, expr.is_(None)) if desc else expr > value
        same = expr == value
    if len(keys) == 1:
        return strictly
    return sa.or_(strictly, sa.and_(same, _after(keys[1:], values[1:])))


def _fingerprint(expected: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value != expected:
            raise ValueError("the cursor belongs to another sort")
        return value
    return check


def _parse_uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(value)


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    raise ValueError("not a text sort value")


def _number(value: Any) -> Any:
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise ValueError("not a number")


def _parser_for(s: Sort) -> Callable[[Any], Any]:
    """Each part of a cursor read back as its sort key's type: a forged cursor is a 422, never
    a value the database refuses."""
    if s.field.kind is not None and s.field.kind.name in ("number", "select", "checkbox"):
        return _number  # selects and checkboxes sort by a position / 0-1
    if s.field.system in ("created_at", "updated_at"):
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if s.field.system in ("created_by", "updated_by", "owner_department"):
        return lambda v: None if v is None else uuid.UUID(v)
    return _scalar


def _and(a: Node | None, b: Node | None) -> Node | None:
    if a is None or b is None:
        return a or b
    return Group("and", (a, b))


async def _view(ctx: Ctx, form_id: uuid.UUID, form: CompiledForm, view_id: uuid.UUID) -> tuple[Node | None, list[Sort]]:
    from tack.views.service import get_view

    view = await get_view(ctx, view_id)
    if view.form_id != form_id:
        raise ValidationFailed.field("$.view_id", "The view belongs to another form.", "view")
    try:
        return (parse_filter(form, view.config.filter, "$.view.filter"),
                parse_sort(form, view.config.sort, "$.view.sort"))
    except ValidationFailed:
        # A view saved before its fields changed: its conditions on fields that are gone are
        # dropped when it is read (tack.views), and anything still unreadable is ignored, so
        # a view never stops opening.
        return None, []


def _visible(record: Record, hidden: Any) -> Record:
    if hidden:
        record.data = {k: v for k, v in record.data.items() if k not in hidden}
    return record
