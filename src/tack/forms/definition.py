"""Checking a form definition when the designer saves it, and compiling it for use.

Saving checks everything once — field types, settings, unique names, every formula type-checked
against the form's own fields, computed fields free of cycles — and reports each problem at its
JSON path (`$.fields[3].settings.max`, `$.fields[5].visible_if`), so the designer can point at
it. `compile_form` turns a checked definition into what record writes use: compiled formulas in
dependency order, fields by id and by name.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec

from tack.core.errors import FieldError, ValidationFailed
from tack.forms.fields import FIELD_TYPES, FieldType, Invalid
from tack.forms.fields.link_plans import LinkTargets, resolve_links
from tack.forms.model import FieldDef, FormDef
from tack.formula import (
    BOOL,
    Compiled,
    DependencyGraph,
    Formula,
    FormulaError,
    Type,
    check,
    compile_py,
    dependencies,
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
    path: str = ""  # where the designer's document has it: "$.fields[3]", "$.fields[3].columns[1]"
    default: Compiled | None = None
    visible_if: Compiled | None = None
    required_if: Compiled | None = None
    expression: Compiled | None = None  # computed (formula) fields
    columns: list[CompiledField] = field(default_factory=list)  # sub-tables
    by_key: dict[str, CompiledField] = field(default_factory=dict)  # a sub-table's columns by id and name
    row_order: list[CompiledField] = field(default_factory=list)  # a sub-table's formula columns, in order


@dataclass
class CompiledForm:
    definition: FormDef
    fields: list[CompiledField]  # in the designer's order
    by_key: dict[str, CompiledField]  # by id and by name
    computed_order: list[CompiledField]  # formula fields, each after what it reads
    schema: dict[str, Type]
    # The versions of the linked forms its lookups and roll-ups were resolved against
    # (LinkTargets.versions): a cached compiled form is stale when one of them moves on.
    linked_versions: dict[uuid.UUID, int] = field(default_factory=dict)


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []
        # Where in its source each bad formula goes wrong, for the designer to underline
        # (problem+json `formula_errors`, as `tack.formula.as_validation_error` gives them).
        self.formula_spans: list[dict[str, object]] = []

    def add(self, path: str, message: str, rule: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(FieldError(path=path, message=message, rule=rule))

    def formula(self, path: str, err: FormulaError) -> None:
        if len(self.items) < MAX_ERRORS:
            self.formula_spans.append({"path": path, **err.to_dict()})
        self.add(path, str(err), "formula")

    def raise_if_any(self) -> None:
        if self.items:
            extra = {"formula_errors": self.formula_spans} if self.formula_spans else None
            raise ValidationFailed("The form has problems to fix before it can be saved.", errors=self.items,
                                   extra=extra)


def compile_form(form: FormDef, links: LinkTargets | None = None) -> CompiledForm:
    """Check the whole definition (raise ValidationFailed with every problem) and compile it.

    `links`: the forms its link fields reach, fetched by the caller (tack.apps.service), to
    check the links and type lookups and roll-ups; without it those read as `any`."""
    errors = _Errors()
    # Each phase goes on with what the previous one could type, so one save reports every
    # problem it can find, not only the first kind.
    fields = _typed_fields(form.fields, "$.fields", errors, ids={})
    _check_names_against_ids(fields, errors)
    for c in fields:
        _check_names_against_ids(c.columns, errors)
    entered = {c.fd.name: c.type for c in fields if c.ftype.stores_value and not c.ftype.computed}
    computed_names = {c.fd.name for c in fields if c.ftype.computed}
    # A sub-table's formula columns first: they read their row and the fields people enter (not
    # the form's computed fields, which may read them back), and their types make the table's.
    for c in fields:
        if c.columns:
            row_schema = {**entered, **{col.fd.name: col.type for col in c.columns if col.ftype.stores_value}}
            c.row_order = _formulas(c.columns, row_schema, errors, forbidden=computed_names - row_schema.keys())
            c.type = table_of({col.fd.name: col.type for col in c.columns if col.ftype.stores_value})
    # Lookups and roll-ups take the types of what they read, through their links.
    resolve_links(form, fields, links, errors.add)
    schema = {c.fd.name: c.type for c in fields if c.ftype.stores_value}
    # Computed fields: order them by what they read, refuse cycles, then infer their types in
    # that order so a formula may use another formula field's result.
    order = _formulas(fields, schema, errors)
    # Defaults and conditions, against the complete schema.
    for c in fields:
        _compile_rules(c, schema, errors)
        for col in c.columns:
            row_schema = {**schema, **{k.fd.name: k.type for k in c.columns if k.ftype.stores_value}}
            _compile_rules(col, row_schema, errors)
    errors.raise_if_any()
    by_key: dict[str, CompiledField] = {}
    for c in fields:
        by_key[c.fd.id] = c
        by_key[c.fd.name] = c
    return CompiledForm(definition=form, fields=fields, by_key=by_key, computed_order=order, schema=schema,
                        linked_versions=dict(links.versions) if links is not None else {})


def _typed_fields(defs: list[FieldDef], path: str, errors: _Errors, *, ids: dict[str, str],
                  table: FieldDef | None = None) -> list[CompiledField]:
    out: list[CompiledField] = []
    names: dict[str, int] = {}
    for i, fd in enumerate(defs):
        p = f"{path}[{i}]"
        if fd.name.strip().casefold() in names:
            errors.add(f"{p}.name", f"Another field is already named {fd.name!r}.", "unique")
        names.setdefault(fd.name.strip().casefold(), i)
        if fd.id in ids:  # ids are unique across the whole form, sub-table columns included
            errors.add(f"{p}.id", f"Another field already has the id {fd.id!r} ({ids[fd.id]}).", "unique")
        ids.setdefault(fd.id, p)
        if fd.type not in FIELD_TYPES:
            errors.add(f"{p}.type", f"Unknown field type {fd.type!r}.", "enum")
            continue
        ftype = FIELD_TYPES.get(fd.type)
        if table is not None and fd.type == "subtable":
            errors.add(f"{p}.type", "A sub-table cannot hold another sub-table.", "nesting")
            continue
        if table is not None and ftype.computed and fd.type != "formula":
            errors.add(f"{p}.type", f"A sub-table's column cannot be a {fd.type} field.", "nesting")
            continue
        try:
            settings = ftype.settings_of(fd.settings)
            ftype.check_settings(settings)
        except msgspec.ValidationError as exc:
            errors.add(_settings_path(p, str(exc)), _strip_at(str(exc)), "settings")
            continue
        except Invalid as exc:
            errors.add(f"{p}.settings{exc.at}", exc.message, exc.rule)
            continue
        c = CompiledField(fd=fd, ftype=ftype, settings=settings, type=ftype.formula_type(settings), path=p)
        if fd.type == "subtable":
            c.columns = _typed_fields(fd.columns or [], f"{p}.columns", errors, ids=ids, table=fd)
            for col in c.columns:
                c.by_key[col.fd.id] = col
                c.by_key[col.fd.name] = col
            c.type = table_of({col.fd.name: col.type for col in c.columns if col.ftype.stores_value})
        elif fd.columns:
            errors.add(f"{p}.columns", "Only a sub-table has columns.", "columns")
        if ftype.computed and (fd.required or fd.default or fd.required_if):
            attr = "required" if fd.required else "default" if fd.default else "required_if"
            errors.add(f"{p}.{attr}", "A computed field cannot be required or have a default.", "computed")
        out.append(c)
    return out


def _check_names_against_ids(fields: list[CompiledField], errors: _Errors) -> None:
    """Submissions key values (and rows their cells) by id or by name: a name that is another
    field's id would be ambiguous."""
    ids = {c.fd.id for c in fields}
    for c in fields:
        if c.fd.name in ids and c.fd.name != c.fd.id:
            errors.add(f"{c.path}.name", f"{c.fd.name!r} is another field's id.", "unique")


def _formulas(fields: list[CompiledField], schema: dict[str, Type], errors: _Errors, *,
              forbidden: set[str] | frozenset[str] = frozenset()) -> list[CompiledField]:
    """Type and compile the formula fields among `fields`, each after the formula fields it
    reads (their inferred types go into `schema`); returns them in that order."""
    computed = {c.fd.name: c for c in fields if c.ftype.name == "formula"}
    parsed: dict[str, Formula] = {}
    for name, c in computed.items():
        try:
            parsed[name] = parse(getattr(c.settings, "expression", ""))
        except FormulaError as exc:
            errors.formula(c.path + ".settings.expression", exc)
            continue
        for ref in sorted(dependencies(parsed[name]) & forbidden):
            errors.add(c.path + ".settings.expression",
                       f"A sub-table's formula column cannot read the computed field [{ref}].", "formula")
            del parsed[name]
            break
    try:
        order = [computed[n] for n in DependencyGraph(parsed).order() if n in computed]
    except FormulaError as exc:  # a circle: reported at the first field in it, naming all of them
        culprit = computed.get(exc.field or "")
        errors.formula((culprit.path if culprit else "$.fields") + ".settings.expression", exc)
        return []
    for c in order:
        try:
            c.type = check(parsed[c.fd.name], schema)
            schema[c.fd.name] = c.type
            c.expression = compile_py(parsed[c.fd.name], schema)
        except FormulaError as exc:
            errors.formula(c.path + ".settings.expression", exc)
    return [c for c in order if c.expression is not None]


def _compile_rules(c: CompiledField, schema: dict[str, Type], errors: _Errors) -> None:
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
            errors.formula(f"{c.path}.{attr}", exc)


_UNKNOWN = re.compile(r"^Object (?:contains unknown|missing required) field `([^`]+)`")


def _strip_at(message: str) -> str:
    return message.split(" - at `", 1)[0]


def _settings_path(field_path: str, message: str) -> str:
    """Where msgspec's message points, under the field's settings: `... - at `$.max`` is
    `.settings.max`; an unknown or missing key is named by the message alone."""
    inner = ""
    if " - at `$" in message:
        inner = message.rsplit(" - at `$", 1)[1].rstrip("`")
    m = _UNKNOWN.match(message)
    if m is not None:
        inner += f".{m.group(1)}"
    return f"{field_path}.settings{inner}"
