"""Checking a form definition when the designer saves it, and compiling it for use.

Saving checks everything once — field types, settings, unique names, every formula type-checked
against the form's own fields, computed fields free of cycles — and reports each problem at its
JSON path (`$.fields[3].settings.max`, `$.fields[5].visible_if`), so the designer can point at
it. `compile_form` turns a checked definition into what record writes use: compiled formulas in
dependency order, fields by id and by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from tack.core.errors import FieldError, ValidationFailed
from tack.forms.fields import FIELD_TYPES, FieldType, Invalid
from tack.forms.model import FieldDef, FormDef
from tack.formula import (
    BOOL,
    Compiled,
    DependencyGraph,
    FormulaError,
    Type,
    check,
    compile_py,
    parse,
    table_of,
)

MAX_ERRORS = 100


@dataclass
class CompiledField:
    fd: FieldDef
    ftype: FieldType
    settings: Any
    type: Type
    default: Compiled | None = None
    visible_if: Compiled | None = None
    required_if: Compiled | None = None
    expression: Compiled | None = None  # computed (formula) fields
    columns: list[CompiledField] = field(default_factory=list)  # sub-tables
    by_key: dict[str, CompiledField] = field(default_factory=dict)  # a sub-table's columns by id and name


@dataclass
class CompiledForm:
    definition: FormDef
    fields: list[CompiledField]  # in the designer's order
    by_key: dict[str, CompiledField]  # by id and by name
    computed_order: list[CompiledField]  # formula fields, each after what it reads
    schema: dict[str, Type]


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, path: str, message: str, rule: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(FieldError(path=path, message=message, rule=rule))

    def formula(self, path: str, err: FormulaError) -> None:
        self.add(path, str(err), "formula")

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed("The form has problems to fix before it can be saved.", errors=self.items)


def compile_form(form: FormDef) -> CompiledForm:
    """Check the whole definition (raise ValidationFailed with every problem) and compile it."""
    errors = _Errors()
    # Each phase goes on with what the previous one could type, so one save reports every
    # problem it can find, not only the first kind.
    fields = _typed_fields(form.fields, "$.fields", errors, top=True)
    schema = {c.fd.name: c.type for c in fields if c.ftype.stores_value}
    # Computed fields: order them by what they read, refuse cycles, then infer their types in
    # that order so a formula may use another formula field's result.
    computed = {c.fd.name: c for c in fields if c.ftype.name == "formula"}
    graph_input = {}
    for name, c in computed.items():
        source = getattr(c.settings, "expression", "")
        try:
            graph_input[name] = parse(source)
        except FormulaError as exc:
            errors.formula(_path_of(form, c) + ".settings.expression", exc)
    try:
        order = [computed[n] for n in DependencyGraph(graph_input).order() if n in computed]
    except FormulaError as exc:
        errors.formula("$.fields", exc)
        order = []
    for c in order:
        path = _path_of(form, c) + ".settings.expression"
        try:
            c.type = check(graph_input[c.fd.name], schema)
            schema[c.fd.name] = c.type
            c.expression = compile_py(graph_input[c.fd.name], schema)
        except FormulaError as exc:
            errors.formula(path, exc)
    # Defaults and conditions, against the complete schema.
    for i, c in enumerate(fields):
        _compile_rules(c, f"$.fields[{i}]", schema, errors)
        for j, col in enumerate(c.columns):
            row_schema = {**schema, **{k.fd.name: k.type for k in c.columns}}
            _compile_rules(col, f"$.fields[{i}].columns[{j}]", row_schema, errors)
    errors.raise_if_any()
    by_key: dict[str, CompiledField] = {}
    for c in fields:
        by_key[c.fd.id] = c
        by_key[c.fd.name] = c
    return CompiledForm(definition=form, fields=fields, by_key=by_key, computed_order=order, schema=schema)


def _typed_fields(defs: list[FieldDef], path: str, errors: _Errors, *, top: bool) -> list[CompiledField]:
    out: list[CompiledField] = []
    names: dict[str, int] = {}
    ids: dict[str, int] = {}
    for i, fd in enumerate(defs):
        p = f"{path}[{i}]"
        if fd.name.strip().casefold() in names:
            errors.add(f"{p}.name", f"Another field is already named {fd.name!r}.", "unique")
        names.setdefault(fd.name.strip().casefold(), i)
        if fd.id in ids:
            errors.add(f"{p}.id", f"Another field already has the id {fd.id!r}.", "unique")
        ids.setdefault(fd.id, i)
        if fd.type not in FIELD_TYPES:
            errors.add(f"{p}.type", f"Unknown field type {fd.type!r}.", "enum")
            continue
        ftype = FIELD_TYPES.get(fd.type)
        if not top and fd.type == "subtable":
            errors.add(f"{p}.type", "A sub-table cannot hold another sub-table.", "nesting")
            continue
        try:
            settings = ftype.settings_of(fd.settings)
            ftype.check_settings(settings)
        except msgspec.ValidationError as exc:
            errors.add(_settings_path(p, str(exc)), _strip_at(str(exc)), "settings")
            continue
        except Invalid as exc:
            errors.add(f"{p}.settings", exc.message, exc.rule)
            continue
        c = CompiledField(fd=fd, ftype=ftype, settings=settings, type=ftype.formula_type(settings))
        if fd.type == "subtable":
            c.columns = _typed_fields(fd.columns or [], f"{p}.columns", errors, top=False)
            for col in c.columns:
                c.by_key[col.fd.id] = col
                c.by_key[col.fd.name] = col
            c.type = table_of({col.fd.name: col.type for col in c.columns if col.ftype.stores_value})
        elif fd.columns:
            errors.add(f"{p}.columns", "Only a sub-table has columns.", "columns")
        if ftype.computed and (fd.required or fd.default or fd.required_if):
            errors.add(p, "A computed field cannot be required or have a default.", "computed")
        out.append(c)
    return out


def _compile_rules(c: CompiledField, path: str, schema: dict[str, Type], errors: _Errors) -> None:
    fd = c.fd
    for attr, expect in (("default", c.type), ("visible_if", BOOL), ("required_if", BOOL)):
        source = getattr(fd, attr)
        if source is None:
            continue
        try:
            f = parse(source)
            check(f, schema, expect=expect)
            setattr(c, attr, compile_py(f, schema))
        except FormulaError as exc:
            errors.formula(f"{path}.{attr}", exc)


def _path_of(form: FormDef, c: CompiledField) -> str:
    for i, fd in enumerate(form.fields):
        if fd is c.fd:
            return f"$.fields[{i}]"
    return "$.fields"


def _strip_at(message: str) -> str:
    return message.split(" - at `", 1)[0]


def _settings_path(field_path: str, message: str) -> str:
    if " - at `$" in message:
        return f"{field_path}.settings" + message.rsplit(" - at `$", 1)[1].rstrip("`")
    return f"{field_path}.settings"
