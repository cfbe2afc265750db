"""Turning a submission into a record's stored data, enforcing the form on the server.

The same rules the fill-in page applies live, applied again where they cannot be skipped:
unknown fields refused; each value cleaned by its field type; defaults for a new record;
computed fields evaluated in dependency order; fields hidden by `visible_if` dropped (a hidden
field is not stored, whatever was sent); required and `required_if` checked on what is visible.
Every problem is reported at once, at `$.data.<field as sent>` (or `...[row].<column>` in a
sub-table), and nothing is stored unless there are none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tack.core.errors import FieldError, ValidationFailed
from tack.forms.definition import CompiledField, CompiledForm
from tack.forms.fields import Invalid, ValueContext
from tack.formula import ErrorValue, EvalContext

MAX_ROWS = 1000


def clean_submission(form: CompiledForm, data: Mapping[str, Any], vctx: ValueContext, *,
                     previous: Mapping[str, Any] | None = None, path: str = "$.data") -> dict[str, Any]:
    """The stored data (keyed by field id) for `data` (keyed by field id or name).

    With `previous` (an update), fields not sent keep their stored values; without it (a new
    record), fields not sent take their defaults."""
    errors: list[FieldError] = []
    by_name: dict[str, Any] = {}  # the record as formulas see it: by field name
    sent: dict[str, str] = {}  # field id -> the key it was sent under (for error paths)
    if previous is not None:
        for kept in form.fields:
            if kept.fd.id in previous:
                by_name[kept.fd.name] = previous[kept.fd.id]
    for key, value in data.items():
        c = form.by_key.get(key)
        p = f"{path}.{key}"
        if c is None:
            errors.append(FieldError(path=p, message=f"The form has no field {key!r}.", rule="unknown-field"))
            continue
        if c.fd.id in sent:
            errors.append(FieldError(path=p, message="This field was sent twice (by id and by name).", rule="duplicate"))
            continue
        sent[c.fd.id] = key
        if c.ftype.computed or not c.ftype.stores_value:
            errors.append(FieldError(path=p, message="This field is computed; it cannot be set.", rule="read-only"))
            continue
        by_name[c.fd.name] = _clean(c, value, vctx, p, errors)
    ectx = EvalContext(by_name, now=vctx.now, tz=vctx.time_zone)
    if previous is None:
        for c in form.fields:
            if c.default is not None and c.fd.id not in sent:
                by_name[c.fd.name] = _from_formula(c, c.default(ectx.with_values(by_name)), vctx)
    _compute(form, by_name, ectx)
    stored: dict[str, Any] = {}
    for c in form.fields:
        if not c.ftype.stores_value:
            continue
        if c.visible_if is not None and _truthy(c.visible_if(ectx.with_values(by_name))) is not True:
            continue  # hidden: not stored, not required
        value = by_name.get(c.fd.name)
        p = f"{path}.{sent.get(c.fd.id, c.fd.name)}"
        required = c.fd.required or (c.required_if is not None and
                                     _truthy(c.required_if(ectx.with_values(by_name))) is True)
        if required and c.ftype.is_blank(value) and not any(e.path.startswith(p) for e in errors):
            errors.append(FieldError(path=p, message="This field is required.", rule="required"))
        if not c.ftype.is_blank(value):
            stored[c.fd.id] = value
    if errors:
        raise ValidationFailed("Some fields are not valid.", errors=errors)
    return stored


def _clean(c: CompiledField, value: Any, vctx: ValueContext, path: str, errors: list[FieldError]) -> Any:
    if c.ftype.is_blank(value):
        return None
    if c.fd.type == "subtable":
        return _clean_rows(c, value, vctx, path, errors)
    try:
        return c.ftype.clean(value, c.settings, vctx)
    except Invalid as exc:
        errors.append(FieldError(path=path, message=exc.message, rule=exc.rule))
        return None


def _clean_rows(c: CompiledField, rows: Any, vctx: ValueContext, path: str, errors: list[FieldError]) -> Any:
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        errors.append(FieldError(path=path, message="Expected a list of rows.", rule="type"))
        return None
    if len(rows) > MAX_ROWS:
        errors.append(FieldError(path=path, message=f"At most {MAX_ROWS} rows.", rule="max-rows"))
        return None
    out = []
    for i, row in enumerate(rows):
        by_name: dict[str, Any] = {}
        for key, value in row.items():
            col = c.by_key.get(key)
            p = f"{path}[{i}].{key}"
            if col is None:
                errors.append(FieldError(path=p, message=f"The sub-table has no column {key!r}.", rule="unknown-field"))
                continue
            by_name[col.fd.name] = _clean(col, value, vctx, p, errors)
        stored_row = {}
        for col in c.columns:
            v = by_name.get(col.fd.name)
            cell = f"{path}[{i}].{col.fd.name}"
            if col.fd.required and col.ftype.is_blank(v) and not any(e.path == cell for e in errors):
                errors.append(FieldError(path=cell, message="This field is required.", rule="required"))
            if not col.ftype.is_blank(v):
                stored_row[col.fd.name] = v  # rows are small and read by formulas by name
        out.append(stored_row)
    return out


def _compute(form: CompiledForm, by_name: dict[str, Any], ectx: EvalContext) -> None:
    for c in form.computed_order:
        assert c.expression is not None
        result = c.expression(ectx.with_values(by_name))
        by_name[c.fd.name] = None if isinstance(result, ErrorValue) else _jsonable(result)


def _from_formula(c: CompiledField, result: Any, vctx: ValueContext) -> Any:
    if result is None or isinstance(result, ErrorValue):
        return None
    try:
        return c.ftype.clean(_jsonable(result), c.settings, vctx)
    except Invalid:
        return None  # a default that does not fit is no default


def _truthy(value: Any) -> bool | None:
    if isinstance(value, ErrorValue) or value is None:
        return None
    return bool(value)


def _jsonable(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
