"""From spreadsheet cells to submissions: which column fills which field, each cell read by its
field type (`from_text`, then the form's own cleaning), and people named in cells (by name,
email or id) found in the directory with one query per kind for a whole chunk of rows."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tack.core.ctx import Ctx
from tack.core.errors import FieldError, ValidationFailed
from tack.directory.tables import departments, members, users
from tack.forms.definition import CompiledField, CompiledForm
from tack.forms.fields import Invalid, ValueContext
from tack.forms.fields.choice import label_key
from tack.records.spreadsheets import Row, undefuse

MEMBER_TYPES = {"member", "members"}
DEPARTMENT_TYPES = {"department", "departments"}
FILE_TYPES = {"attachment", "image", "signature"}
_UUIDISH = re.compile(r"^[0-9a-fA-F-]{32,36}$")
_NAMED_EMAIL = re.compile(r"<\s*([^<>\s]+@[^<>\s]+)\s*>\s*$")


@dataclass
class Column:
    number: int  # 1-based
    header: str
    field: CompiledField | None = None
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"number": self.number, "header": self.header}
        if self.field is not None:
            out |= {"field_id": self.field.fd.id, "field_name": self.field.fd.name}
        if self.note:
            out["note"] = self.note
        return out


def importable(c: CompiledField) -> bool:
    return c.ftype.stores_value and not c.ftype.computed


def resolve_columns(form: CompiledForm, header: list[str], mapping: Mapping[str, str | None], *,
                    readonly: frozenset[str] = frozenset()) -> list[Column]:
    """Each column and the field it fills: the caller's `mapping` first (by header or 1-based
    number), then fields matched by name (or id). Mistakes in `mapping` are the caller's: 422
    at `$.mapping.<key>`. `readonly`: fields the caller may not set (their permission groups)."""
    columns = [Column(i + 1, h or f"Column {i + 1}") for i, h in enumerate(header)]
    errors: list[FieldError] = []
    explicit: dict[int, tuple[str, str | None]] = {}
    for key, ref in mapping.items():
        path = f"$.mapping.{key}"
        number = _column_number(header, key, path, errors)
        if number is None:
            continue
        if number in explicit:
            errors.append(FieldError(path, "Another key of the mapping names this column too.", "duplicate"))
            continue
        explicit[number] = (key, ref)
    used: dict[str, int] = {}
    for number, (key, ref) in explicit.items():
        col = columns[number - 1]
        if ref is None:
            col.note = "skipped"
            continue
        c = form.by_key.get(ref)
        path = f"$.mapping.{key}"
        if c is None:
            errors.append(FieldError(path, f"The form has no field {ref[:100]!r}.", "unknown-field"))
        elif not importable(c):
            why = "is computed by Tack" if c.ftype.stores_value else "holds no value"
            errors.append(FieldError(path, f"The field {c.fd.name!r} {why}; it cannot be imported.", "read-only"))
        elif c.fd.id in readonly:
            errors.append(FieldError(path, f"The field {c.fd.name!r} is read-only for you.", "read-only"))
        elif c.fd.id in used:
            errors.append(FieldError(path, f"Column {used[c.fd.id]} already fills the field {c.fd.name!r}.",
                                     "duplicate"))
        else:
            col.field = c
            used[c.fd.id] = number
    if errors:
        raise ValidationFailed("The column mapping is not valid.", errors=errors)
    by_label = {label_key(c.fd.name): c for c in form.fields}
    for col in columns:
        if col.number in explicit or not header[col.number - 1]:
            if not header[col.number - 1] and col.number not in explicit:
                col.note = "no header"
            continue
        c = form.by_key.get(col.header) or by_label.get(label_key(col.header))
        if c is None:
            col.note = "no field of this name"
        elif not importable(c):
            col.note = "computed by Tack" if c.ftype.stores_value else "not a field that holds a value"
        elif c.fd.id in readonly:
            col.note = "read-only for you"
        elif c.fd.id in used:
            col.note = f"column {used[c.fd.id]} fills this field"
        else:
            col.field = c
            used[c.fd.id] = col.number
    return columns


def _column_number(header: list[str], key: str, path: str, errors: list[FieldError]) -> int | None:
    wanted = key.strip()
    hits = [i + 1 for i, h in enumerate(header) if h == wanted]
    if len(hits) > 1:
        errors.append(FieldError(path, f"{len(hits)} columns are called {wanted[:100]!r}; name the column by its "
                                       "number instead.", "ambiguous"))
        return None
    if hits:
        return hits[0]
    if wanted.isdigit() and 1 <= int(wanted) <= len(header):
        return int(wanted)
    errors.append(FieldError(path, f"The file has no column {wanted[:100]!r}.", "no-column"))
    return None


def unmapped_required(form: CompiledForm, columns: list[Column]) -> list[CompiledField]:
    """Required fields no column fills and nothing else can: every row would lack them."""
    filled = {col.field.fd.id for col in columns if col.field is not None}
    return [c for c in form.fields if importable(c) and c.fd.required and c.fd.id not in filled
            and c.default is None and c.visible_if is None and c.required_if is None]


# -- one row --------------------------------------------------------------------------------------

@dataclass
class Problem:
    """A cell that could not be read, before the form judges the row."""

    column: Column | None
    field_id: str | None
    rule: str
    message: str
    value: str | None = None


@dataclass
class Pending:
    """A row on its way to becoming a record: its data keyed by field id (people still named as
    in the file until the chunk's lookup), and the problems found so far."""

    line: int
    data: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)  # field id -> the cell as found


def read_row(columns: list[Column], row: Row, *, csv: bool) -> Pending:
    pending = Pending(row.line, {})
    if row.problem is not None:
        pending.problems.append(Problem(None, None, "encoding", row.problem))
        return pending
    extra = [i for i in range(len(columns), len(row.cells)) if row.cells[i]]
    if extra:
        pending.problems.append(Problem(None, None, "columns", f"This line has a value in column {extra[0] + 1}, "
                                        f"which has no header (the header has {len(columns)} columns).",
                                        row.cells[extra[0]][:200]))
    for col in columns:
        c = col.field
        if c is None or col.number > len(row.cells):
            continue
        text = row.cells[col.number - 1]
        if csv:
            text = undefuse(text)
        if not text:
            continue  # blank: not sent, so the field's default applies
        pending.cells[c.fd.id] = text
        try:
            pending.data[c.fd.id] = _sub_rows(c, text) if c.fd.type == "subtable" else c.ftype.from_text(
                text, c.settings)
        except Invalid as exc:
            pending.problems.append(Problem(col, c.fd.id, exc.rule, exc.message, text[:200]))
    return pending


def _sub_rows(table: CompiledField, text: str) -> list[dict[str, Any]]:
    """A sub-table's cell: its rows as JSON, `[{"column": "text", ...}, ...]` (how exports write
    them). Text cells are read by their column's type; computed columns are left to Tack."""
    try:
        rows = json.loads(text)
    except ValueError:
        raise Invalid("Write the rows as JSON, like [{\"amount\": \"12.50\"}] (as exports do).", "subtable") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise Invalid("Write the rows as a JSON list of objects, like [{\"amount\": \"12.50\"}].", "subtable")
    out: list[dict[str, Any]] = []
    for r in rows:
        cells: dict[str, Any] = {}
        for key, value in r.items():
            col = table.by_key.get(key)
            if col is not None and not importable(col):
                continue
            if col is not None and isinstance(value, str):
                if not value.strip():
                    continue
                value = col.ftype.from_text(value, col.settings)
            cells[key] = value
        out.append(cells)
    return out


# -- people and files, one lookup per chunk -------------------------------------------------------

def _kind(c: CompiledField) -> str | None:
    t = c.fd.type
    if t == "link":
        return "link"
    return "member" if t in MEMBER_TYPES else "department" if t in DEPARTMENT_TYPES else "file" if t in FILE_TYPES \
        else None


def _refs(form: CompiledForm, p: Pending) -> Iterator[tuple[str, CompiledField, CompiledField, Any, Any]]:
    """(kind, field, column, container, key) of every cell of `p` naming people or files; for a
    sub-table the field is the table and the column is the sub-table's column."""
    for fid, value in list(p.data.items()):
        c = form.by_key[fid]
        if c.fd.type == "subtable" and isinstance(value, list):
            for row in value:
                for key in list(row):
                    col = c.by_key.get(key)
                    if col is not None and _kind(col):
                        yield _kind(col), c, col, row, key  # type: ignore[misc]
        elif _kind(c):
            yield _kind(c), c, c, p.data, fid  # type: ignore[misc]


def _tokens(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(t).strip() for t in items[:1000] if isinstance(t, str) and t.strip()]


@dataclass
class _Found:
    ids: dict[str, set[uuid.UUID]] = field(default_factory=dict)  # token (as matched) -> ids


def _uuid(token: str) -> uuid.UUID | None:
    if _UUIDISH.match(token):
        try:
            return uuid.UUID(token)
        except ValueError:
            return None
    return None


def _email(token: str) -> str | None:
    m = _NAMED_EMAIL.search(token)
    if m:
        return m.group(1).lower()
    return token.lower() if "@" in token and " " not in token else None


async def resolve_chunk(ctx: Ctx, form: CompiledForm, rows: list[Pending], columns: list[Column],
                        vctx: ValueContext) -> None:
    """Replace the people and linked records named in `rows` by their ids (one query for
    members, one for departments, one for files and one or two per linked form, for the whole
    chunk), and tell `vctx` which ids exist. A name that matches no one, or several, becomes
    the row's problem."""
    wanted: dict[str, set[str]] = {"member": set(), "department": set(), "file": set()}
    linked: dict[uuid.UUID, set[str]] = {}
    for p in rows:
        for kind, _c, col, box, key in _refs(form, p):
            if kind == "link":
                linked.setdefault(col.settings.form_id, set()).update(_tokens(box[key]))
            else:
                wanted[kind].update(_tokens(box[key]))
    members_by = await _members(ctx, wanted["member"]) if wanted["member"] else {}
    depts_by = await _departments(ctx, wanted["department"]) if wanted["department"] else {}
    records_by: dict[uuid.UUID, dict[str, set[uuid.UUID]]] = {}
    if linked:
        from tack.records.links import match_link_texts

        for target, texts in linked.items():
            found = await match_link_texts(ctx, target, texts)
            records_by[target] = {t: {uuid.UUID(i)} for t, i in found.items()}
    for ids in members_by.values():
        vctx.known_members |= ids
    for ids in depts_by.values():
        vctx.known_departments |= ids
    if wanted["file"]:
        from tack.files.service import find_files

        file_ids = {u for u in (_uuid(t) for t in wanted["file"]) if u is not None}
        found = await find_files(ctx, file_ids) if file_ids else {}
        vctx.known_files |= set(found)
        vctx.file_types |= {i: f.content_type for i, f in found.items()}
    by_field = {col.field.fd.id: col for col in columns if col.field is not None}
    for p in rows:
        for kind, c, col, box, key in list(_refs(form, p)):
            if kind == "file":
                continue  # file ids are checked by the field type
            table = members_by if kind == "member" else depts_by if kind == "department" else \
                records_by.get(col.settings.form_id, {})
            value = box[key]
            out: list[str] = []
            for token in _tokens(value):
                hit = table.get(token) if kind == "link" else (
                    table.get(token) or table.get(token.lower()) or table.get(_email(token) or "\0"))
                if hit is not None and len(hit) == 1:
                    out.append(str(next(iter(hit))))
                    continue
                if kind == "link":
                    p.problems.append(Problem(by_field.get(c.fd.id), c.fd.id, "exists", (
                        f"{col.fd.name}: " if col is not c else "") + f"No single record of the linked form is "
                        f"titled {token[:60]!r} (write its title, or its id when two share a title).", token[:200]))
                    out = []
                    break
                what = "member" if kind == "member" else "department"
                if hit:
                    message = (f"{len(hit)} {what}s are called {token[:60]!r}; write the "
                               + ("email address." if kind == "member" else "department's id."))
                    rule = "ambiguous"
                else:
                    message = f"There is no {what} {token[:60]!r} in the organization (write the " + (
                        "name, email or id)." if kind == "member" else "name or id).")
                    rule = "exists"
                where = f"{col.fd.name}: " if col is not c else ""
                p.problems.append(Problem(by_field.get(c.fd.id), c.fd.id, rule, where + message, token[:200]))
                out = []
                break
            else:
                box[key] = out if isinstance(value, list) else (out[0] if out else value)
                continue
            del box[key]  # reported here; the form need not report it again
    if records_by:
        await _load_linked(ctx, form, rows, vctx)


async def _load_linked(ctx: Ctx, form: CompiledForm, rows: list[Pending], vctx: ValueContext) -> None:
    """What the link fields' records are (and hold, for lookups), for the whole chunk: its rows'
    data merged into a few submissions of at most 1,000 linked records and 1,000 sub-table rows
    each, the bounds one submission is read within."""
    from tack.records.links import load_linked_records

    merged: dict[str, list[Any]] = {}
    ids = sub_rows = 0
    for p in rows:
        n = sum(len(_tokens(box[key])) for kind, _c, _col, box, key in _refs(form, p) if kind == "link")
        tables = [fid for fid, v in p.data.items() if form.by_key[fid].fd.type == "subtable" and isinstance(v, list)]
        m = sum(len(p.data[fid]) for fid in tables)
        if merged and (ids + n > 1000 or sub_rows + m > 1000):
            await load_linked_records(ctx, form, vctx, merged)
            merged, ids, sub_rows = {}, 0, 0
        for kind, c, col, box, key in _refs(form, p):
            if kind == "link" and col is c:
                merged.setdefault(c.fd.id, []).extend(_tokens(box[key]))
        for fid in tables:
            merged.setdefault(fid, []).extend(p.data[fid])
        ids, sub_rows = ids + n, sub_rows + m
    if merged:
        await load_linked_records(ctx, form, vctx, merged)


async def _members(ctx: Ctx, tokens: set[str]) -> dict[str, set[uuid.UUID]]:
    ids = {u for u in (_uuid(t) for t in tokens) if u is not None}
    emails = {e for e in (_email(t) for t in tokens) if e}
    names = {t.lower() for t in tokens if _uuid(t) is None and _email(t) is None}
    conds = []
    if ids:
        conds.append(members.c.id.in_(ids))
    if emails:
        conds.append(users.c.email.in_(emails))
    if names:
        conds.append(sa.func.lower(members.c.name).in_(names))
    rows = (await ctx.conn.execute(sa.select(members.c.id, members.c.name, users.c.email).join(
        users, users.c.id == members.c.user_id).where(
        members.c.org_id == ctx.org_id, members.c.status == "active", sa.or_(*conds)))).all()
    out: dict[str, set[uuid.UUID]] = {}
    for member_id, name, email in rows:
        for key in (str(member_id), email.lower(), name.lower()):
            out.setdefault(key, set()).add(member_id)
    for t in tokens:  # ids as written (upper case, without dashes) find theirs too
        u = _uuid(t)
        if u is not None and str(u) in out:
            out[t] = out[str(u)]
    return out


async def _departments(ctx: Ctx, tokens: set[str]) -> dict[str, set[uuid.UUID]]:
    ids = {u for u in (_uuid(t) for t in tokens) if u is not None}
    names = {t.lower() for t in tokens if _uuid(t) is None}
    conds = []
    if ids:
        conds.append(departments.c.id.in_(ids))
    if names:
        conds.append(sa.func.lower(departments.c.name).in_(names))
    rows = (await ctx.conn.execute(sa.select(departments.c.id, departments.c.name).where(
        departments.c.org_id == ctx.org_id, sa.or_(*conds)))).all()
    out: dict[str, set[uuid.UUID]] = {}
    for dept_id, name in rows:
        for key in (str(dept_id), name.lower()):
            out.setdefault(key, set()).add(dept_id)
    for t in tokens:
        u = _uuid(t)
        if u is not None and str(u) in out:
            out[t] = out[str(u)]
    return out
