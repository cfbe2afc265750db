"""Turning a submission into a record's stored data, enforcing the form on the server.

The same rules the fill-in page applies live, applied again where they cannot be skipped:
unknown fields refused; each value cleaned by its field type; defaults for a new record;
computed fields evaluated in dependency order; fields hidden by `visible_if` dropped (a hidden
field is not stored, whatever was sent, and formulas see it as blank); required and
`required_if` checked on what is visible. Every problem is reported at once, at
`$.data.<field as sent>` (or `...[row].<column as sent>` in a sub-table), and nothing is stored
unless there are none.

Stored data is keyed by field id, sub-table rows by column id, so renaming a field or a column
never touches a record. Formulas see the record by *name*, each value as its type shows it to
people (a select's label, not its option id).
"""

from __future__ import annotations

import datetime as dt
from collections import ChainMap
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from tack.core.errors import FieldError, ValidationFailed
from tack.forms.definition import CompiledField, CompiledForm
from tack.forms.fields import Invalid, ValueContext
from tack.forms.fields.dates import iso_utc
from tack.formula import ErrorValue, EvalContext

MAX_ROWS = 1000
MAX_ERRORS = 1000  # a submission of garbage gets a long answer, not an unbounded one
_READ_ONLY = {True: "This field is computed; it cannot be set.", False: "This field holds no value."}
# Visibility may depend on computed fields that read fields visibility hides: evaluate, hide,
# evaluate again until nothing changes (two passes for any ordinary form), within this bound.
MAX_PASSES = 4


class _Row:
    """One sub-table row: stored cells by column id, and the row as formulas see it by name."""

    __slots__ = ("stored", "view")

    def __init__(self, table: CompiledField, cells: Any, hidden: set[str]) -> None:
        self.stored: dict[str, Any] = {}
        self.view: dict[str, Any] = {col.fd.name: None for col in table.columns if col.ftype.stores_value}
        if isinstance(cells, Mapping):
            for col in table.columns:
                if col.fd.id in cells and col.fd.id not in hidden and col.ftype.stores_value:
                    self.set(col, cells[col.fd.id])

    def set(self, col: CompiledField, value: Any) -> None:
        if value is None or col.ftype.is_blank(value):
            self.stored.pop(col.fd.id, None)
            self.view[col.fd.name] = None
        else:
            self.stored[col.fd.id] = value
            self.view[col.fd.name] = col.ftype.formula_value(value, col.settings)


class _Record:
    """One evaluation of a submission: values by field id, and the view formulas read by name."""

    def __init__(self, form: CompiledForm, inputs: Mapping[str, Any], hidden: frozenset[Hashable]) -> None:
        self.values: dict[str, Any] = {}
        self.view: dict[str, Any] = {}
        hidden_cells: dict[tuple[str, int], set[str]] = {}
        for key in hidden:
            if isinstance(key, tuple):
                hidden_cells.setdefault(key[:2], set()).add(key[2])
        for c in form.fields:
            if c.ftype.stores_value:
                value = None if c.fd.id in hidden else inputs.get(c.fd.id)
                if _is_table(c) and isinstance(value, list):
                    value = [_Row(c, cells, hidden_cells.get((c.fd.id, i), set())) for i, cells in enumerate(value)]
                self.set(c, value)

    def set(self, c: CompiledField, value: Any) -> None:
        if _is_table(c):
            rows = value if isinstance(value, list) and value else None
            self.values[c.fd.id] = rows
            self.view[c.fd.name] = [r.view for r in rows] if rows else None
        elif value is None or c.ftype.is_blank(value):
            self.values[c.fd.id] = None
            self.view[c.fd.name] = None
        else:
            self.values[c.fd.id] = value
            self.view[c.fd.name] = c.ftype.formula_value(value, c.settings)

    def rows(self, c: CompiledField) -> list[_Row]:
        rows = self.values.get(c.fd.id)
        return rows if isinstance(rows, list) else []

    def ctx(self, ectx: EvalContext, row: _Row | None = None) -> EvalContext:
        return ectx.with_values(self.view if row is None else ChainMap(row.view, self.view))


def clean_submission(form: CompiledForm, data: Mapping[str, Any], vctx: ValueContext, *,
                     previous: Mapping[str, Any] | None = None, path: str = "$.data") -> dict[str, Any]:
    """The stored data (keyed by field id) for `data` (keyed by field id or name).

    With `previous` (an update: the stored data), fields not sent keep their stored values;
    without it (a new record), fields not sent take their defaults. A sub-table that is sent
    replaces the stored rows; cells not sent in a row take their column's default."""
    result = evaluate_submission(form, data, vctx, previous=previous, path=path)
    if result.errors:
        raise ValidationFailed("Some fields are not valid.", errors=result.errors[:MAX_ERRORS])
    return result.data


@dataclass
class Evaluation:
    """A submission as the form sees it, problems and all: what the fill-in page shows live."""

    data: dict[str, Any]  # what would be stored (visible, non-blank values; computed ones included)
    hidden: frozenset[Hashable]  # field ids, and (table id, row, column id) cells, hidden by visible_if
    required: frozenset[Hashable]  # visible fields (and cells) required now: `required`, or `required_if` TRUE
    errors: list[FieldError]


def evaluate_submission(form: CompiledForm, data: Mapping[str, Any], vctx: ValueContext, *,
                        previous: Mapping[str, Any] | None = None, path: str = "$.data") -> Evaluation:
    """`clean_submission` without refusing: every problem is listed, nothing raised."""
    errors: list[FieldError] = []
    inputs: dict[str, Any] = {}  # field id -> cleaned value (a sub-table: rows of cells by column id)
    sent: dict[str, str] = {}  # field id -> the key it was sent under (for error paths)
    cells_sent: dict[tuple[str, int], dict[str, str]] = {}  # (table id, row) -> column id -> key
    if previous is not None:
        for kept in form.fields:
            if kept.fd.id in previous and kept.ftype.stores_value:
                inputs[kept.fd.id] = previous[kept.fd.id]
    for key, value in data.items():
        c = form.by_key.get(key)
        p = f"{path}.{key}"
        if c is None:
            errors.append(FieldError(path=p, message=f"The form has no field {key[:100]!r}.", rule="unknown-field"))
            continue
        if c.fd.id in sent:
            errors.append(FieldError(path=p, message="This field was sent twice (by id and by name).", rule="duplicate"))
            continue
        sent[c.fd.id] = key
        if c.ftype.computed or not c.ftype.stores_value:
            errors.append(FieldError(path=p, message=_READ_ONLY[c.ftype.stores_value], rule="read-only"))
            continue
        if _is_table(c):
            inputs[c.fd.id] = _clean_rows(c, value, vctx, p, errors, cells_sent)
        else:
            inputs[c.fd.id] = _clean(c, value, vctx, p, errors)
    ectx = EvalContext(None, now=vctx.now, tz=vctx.time_zone)
    _apply_defaults(form, inputs, sent, cells_sent, ectx, vctx, new=previous is None)
    hidden: frozenset[Hashable] = frozenset()
    for _ in range(MAX_PASSES):
        record = _Record(form, inputs, hidden)
        _compute(form, record, ectx, vctx, hidden)
        now_hidden = _hidden(form, record, ectx)
        if now_hidden == hidden:
            break
        hidden = now_hidden
    stored = _stored(form, record, hidden, ectx, path, sent, cells_sent, errors)
    required: set[Hashable] = set()
    for c in form.fields:
        if c.ftype.stores_value and c.fd.id not in hidden and _required(c, record.ctx(ectx)):
            required.add(c.fd.id)
        for i, row in enumerate(record.rows(c)):
            for col in c.columns:
                if (c.fd.id, i, col.fd.id) not in hidden and _required(col, record.ctx(ectx, row)):
                    required.add((c.fd.id, i, col.fd.id))
    return Evaluation(data=stored, hidden=hidden, required=frozenset(required), errors=errors[:MAX_ERRORS])


def _clean(c: CompiledField, value: Any, vctx: ValueContext, path: str, errors: list[FieldError]) -> Any:
    if c.ftype.is_blank(value):
        return None
    try:
        return c.ftype.clean(value, c.settings, vctx)
    except Invalid as exc:
        errors.append(FieldError(path=path + exc.at, message=exc.message, rule=exc.rule))
        return None


def _clean_rows(c: CompiledField, rows: Any, vctx: ValueContext, path: str, errors: list[FieldError],
                cells_sent: dict[tuple[str, int], dict[str, str]]) -> Any:
    if rows is None or rows == []:
        return []
    if not isinstance(rows, list):
        errors.append(FieldError(path=path, message="Expected a list of rows.", rule="type"))
        return None
    if len(rows) > MAX_ROWS:
        errors.append(FieldError(path=path, message=f"At most {MAX_ROWS} rows.", rule="max-rows"))
        return None
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        cells: dict[str, Any] = {}
        keys = cells_sent.setdefault((c.fd.id, i), {})
        out.append(cells)
        if not isinstance(row, Mapping):
            errors.append(FieldError(path=f"{path}[{i}]", message="Expected a row: an object of column values.",
                                     rule="type"))
            continue
        for key, value in row.items():
            col = c.by_key.get(key)
            p = f"{path}[{i}].{key}"
            if col is None:
                errors.append(FieldError(path=p, message=f"The sub-table has no column {str(key)[:100]!r}.",
                                         rule="unknown-field"))
            elif col.fd.id in keys:
                errors.append(FieldError(path=p, message="This column was sent twice (by id and by name).",
                                         rule="duplicate"))
            elif col.ftype.computed or not col.ftype.stores_value:
                keys[col.fd.id] = key
                errors.append(FieldError(path=p, message=_READ_ONLY[col.ftype.stores_value], rule="read-only"))
            else:
                keys[col.fd.id] = key
                cells[col.fd.id] = _clean(col, value, vctx, p, errors)
    return out


def _apply_defaults(form: CompiledForm, inputs: dict[str, Any], sent: Mapping[str, str],
                    cells_sent: Mapping[tuple[str, int], Mapping[str, str]], ectx: EvalContext,
                    vctx: ValueContext, *, new: bool) -> None:
    """Defaults, in the form's order (each sees those before it): for the fields of a new
    record that were not sent, and for the cells not sent in the rows that were."""
    record = _Record(form, inputs, frozenset())
    for c in form.fields:
        if new and c.default is not None and c.fd.id not in sent:
            value = _from_formula(c, c.default(record.ctx(ectx)), vctx)
            record.set(c, value)
            inputs[c.fd.id] = value
    for c in form.fields:
        if not _is_table(c) or c.fd.id not in sent or not isinstance(inputs.get(c.fd.id), list):
            continue
        for i, (cells, row) in enumerate(zip(inputs[c.fd.id], record.rows(c), strict=False)):
            for col in c.columns:
                if col.default is not None and col.fd.id not in cells_sent.get((c.fd.id, i), {}):
                    value = _from_formula(col, col.default(record.ctx(ectx, row)), vctx)
                    row.set(col, value)
                    cells[col.fd.id] = value


def _compute(form: CompiledForm, record: _Record, ectx: EvalContext, vctx: ValueContext,
             hidden: frozenset[Hashable]) -> None:
    """Formula columns row by row, then lookups and roll-ups, then the form's formula fields,
    each after what it reads."""
    for c in form.fields:
        if c.row_order:
            for i, row in enumerate(record.rows(c)):
                for col in c.row_order:
                    if (c.fd.id, i, col.fd.id) not in hidden:
                        assert col.expression is not None
                        row.set(col, _from_formula(col, col.expression(record.ctx(ectx, row)), vctx))
    derived = [c for c in form.fields if c.ftype.derived and c.fd.id not in hidden]
    if derived:  # lookups and roll-ups: from the links (and sub-tables), before the formulas reading them
        plain = {c.fd.id: [r.stored for r in record.rows(c)] if _is_table(c) else record.values.get(c.fd.id)
                 for c in form.fields if c.ftype.stores_value}
        for c in derived:
            record.set(c, c.ftype.derive(plain, c.settings, vctx))
    for c in form.computed_order:
        if c.fd.id not in hidden:
            assert c.expression is not None
            record.set(c, _from_formula(c, c.expression(record.ctx(ectx)), vctx))


def _hidden(form: CompiledForm, record: _Record, ectx: EvalContext) -> frozenset[Hashable]:
    """Field ids, and (table id, row, column id) cells, whose `visible_if` is not TRUE."""
    out: set[Hashable] = set()
    for c in form.fields:
        if not c.ftype.stores_value:
            continue
        if c.visible_if is not None and _truthy(c.visible_if(record.ctx(ectx))) is not True:
            out.add(c.fd.id)
            continue
        for i, row in enumerate(record.rows(c)):
            for col in c.columns:
                if col.visible_if is not None and _truthy(col.visible_if(record.ctx(ectx, row))) is not True:
                    out.add((c.fd.id, i, col.fd.id))
    return frozenset(out)


def _stored(form: CompiledForm, record: _Record, hidden: frozenset[Hashable], ectx: EvalContext, path: str,
            sent: Mapping[str, str], cells_sent: Mapping[tuple[str, int], Mapping[str, str]],
            errors: list[FieldError]) -> dict[str, Any]:
    """What is stored: the visible, non-blank values; required fields and cells checked."""
    stored: dict[str, Any] = {}
    for c in form.fields:
        if not c.ftype.stores_value or c.fd.id in hidden:
            continue  # hidden: not stored, not required
        value = record.values.get(c.fd.id)
        p = f"{path}.{sent.get(c.fd.id, c.fd.name)}"
        if _required(c, record.ctx(ectx)) and value is None and not _has_error(errors, p):
            errors.append(FieldError(path=p, message="This field is required.", rule="required"))
        if value is None:
            continue
        if not _is_table(c):
            stored[c.fd.id] = value
            continue
        rows: list[dict[str, Any]] = []
        for i, row in enumerate(value):
            keys = cells_sent.get((c.fd.id, i), {})
            cells: dict[str, Any] = {}
            broken = any(e.path == f"{p}[{i}]" for e in errors)  # not a row at all: said so already
            for col in c.columns:
                if broken or not col.ftype.stores_value or (c.fd.id, i, col.fd.id) in hidden:
                    continue
                cell = row.stored.get(col.fd.id)
                cp = f"{p}[{i}].{keys.get(col.fd.id, col.fd.name)}"
                if cell is None and _required(col, record.ctx(ectx, row)) and not _has_error(errors, cp):
                    errors.append(FieldError(path=cp, message="This field is required.", rule="required"))
                if cell is not None:
                    cells[col.fd.id] = cell
            rows.append(cells)
        stored[c.fd.id] = rows
    return stored


def _is_table(c: CompiledField) -> bool:
    return c.fd.type == "subtable"


def _required(c: CompiledField, ctx: EvalContext) -> bool:
    return c.fd.required or (c.required_if is not None and _truthy(c.required_if(ctx)) is True)


def _has_error(errors: list[FieldError], path: str) -> bool:
    return any(e.path == path or e.path.startswith((path + ".", path + "[")) for e in errors)


def _from_formula(c: CompiledField, result: Any, vctx: ValueContext) -> Any:
    """A formula's result as the field stores it; None when it is blank, an error, or does
    not fit (a default that does not fit is no default)."""
    if result is None or isinstance(result, ErrorValue):
        return None
    try:
        value = _jsonable(result)
        if value is None or c.ftype.is_blank(value):
            return None
        return c.ftype.from_formula(value, c.settings, vctx)
    except Invalid:
        return None


def _truthy(value: Any) -> bool | None:
    if isinstance(value, ErrorValue) or value is None:
        return None
    return bool(value)


def _jsonable(value: Any) -> Any:
    """A formula result as JSON holds it: dates as ISO text, date-times in UTC with a Z."""
    if isinstance(value, dt.datetime):
        return iso_utc(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, ErrorValue):
        return None
    return value


def formula_view(form: CompiledForm, data: Mapping[str, Any]) -> dict[str, Any]:
    """Stored data (keyed by field id) as formulas read it: by field name, in formula types
    (flow conditions and automations evaluate over a saved record this way)."""
    return dict(_Record(form, data, frozenset()).view)
