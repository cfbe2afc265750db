"""What lookups and roll-ups resolve to, and the resolving itself.

A lookup or roll-up names fields of another form. When a form is saved (or compiled for use),
the caller fetches the forms its links reach (`LinkTargets`, tack.apps.service.link_targets)
and `resolve_links` follows each lookup and roll-up to the field it reads, in as many forms as
the chain goes through (a lookup of a lookup, a lookup of a formula that reads a roll-up),
typing each field once; a field met again while it is being typed is a circle, refused. A
resolved field's settings become its plan (`LookupPlan`, `RollupPlan`), which the field type
computes from; its formula type becomes the type it reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from tack.forms.fields.base import FIELD_TYPES, FieldType
from tack.forms.model import FieldDef, FormDef
from tack.formula import (
    ANY,
    DATE,
    DATETIME,
    NUMBER,
    TEXT,
    FormulaError,
    Type,
    check,
    dependencies,
    list_of,
    parse,
    table_of,
)
from tack.formula.types import items_of

LIMIT = 1000  # records one link field may hold, whatever its settings
FieldKey = Annotated[str, Meta(min_length=1, max_length=100, description="A field's id (or name)")]
Aggregate = Literal["SUM", "AVERAGE", "MIN", "MAX", "COUNT", "COUNTA", "COUNTUNIQUE", "CONCAT"]


# ---- settings ------------------------------------------------------------------------------------

class LinkSettings(msgspec.Struct, forbid_unknown_fields=True):
    form_id: uuid.UUID  # the linked form, in the same organization
    multiple: bool = False
    max: Annotated[int, Meta(ge=1, le=LIMIT)] | None = None


class LookupSettings(msgspec.Struct, forbid_unknown_fields=True):
    link: FieldKey  # a link field of this form
    field: FieldKey  # a field of the linked form


class RollupSettings(msgspec.Struct, forbid_unknown_fields=True):
    source: FieldKey  # a link field or a sub-table of this form
    aggregate: Aggregate
    field: FieldKey | None = None  # the linked form's field or the sub-table's column; not needed for COUNT
    decimals: Annotated[int, Meta(ge=0, le=10)] | None = None


def link_form_ids(form: FormDef) -> set[uuid.UUID]:
    """The forms a definition's link fields (and link columns) point at."""
    out: set[uuid.UUID] = set()
    for fd in _all_fields(form.fields):
        if fd.type == "link" and isinstance(fd.settings.get("form_id"), str):
            try:
                out.add(uuid.UUID(fd.settings["form_id"]))
            except ValueError:
                continue
    return out


def _all_fields(fields: Iterable[FieldDef]) -> Iterable[FieldDef]:
    for fd in fields:
        yield fd
        yield from fd.columns or ()


# ---- what lookups and roll-ups resolve to --------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """A field a lookup or roll-up reads: its type and settings, to show and convert its values."""

    form_id: uuid.UUID
    field_id: str
    name: str
    ftype: FieldType | None  # None: the field could not be read (it reads as `any`)
    settings: Any
    type: Type


@dataclass(frozen=True)
class LookupPlan:
    """A lookup's settings once resolved (what `CompiledField.settings` holds for it)."""

    link: str  # the link field's id
    field: str  # the linked form's field id (what the settings said, when unresolved)
    many: bool  # a link to several records: the lookup holds a list
    target: Target | None  # None: the linked form was not available (compile_form without targets)
    type: Type

    def __getattr__(self, name: str) -> Any:
        """Any other setting is the linked field's (a select's `options`, a number's `decimals`):
        code that reads a field's settings to filter or show its values reads the lookup's
        values as the linked field's."""
        target = self.__dict__.get("target")
        if name.startswith("__") or target is None or target.settings is None:
            raise AttributeError(name)
        return getattr(target.settings, name)


@dataclass(frozen=True)
class RollupPlan:
    source: str  # the link or sub-table field's id
    via: Literal["link", "subtable"]
    field: str | None  # the linked form's field id, or the sub-table's column id; None for COUNT
    aggregate: str
    decimals: int | None
    target: Target | None
    type: Type


@dataclass(frozen=True)
class LinkTargets:
    """The current definitions of the forms a definition's links reach, fetched by the caller
    before `compile_form` (checking a lookup needs the linked form; compiling never queries).
    `versions` say which versions were read, so a cached compiled form can tell it is stale;
    `self_id` is the form's own id when it already has one (a link to its own form).

    `untyped`: compiling a form that is already published, when the forms it links to changed
    since in a way its formulas no longer type-check against (a looked-up field retyped or
    deleted): then nothing about other forms is refused, and lookups and roll-ups read as `any`,
    so that its records stay writable."""

    forms: Mapping[uuid.UUID, FormDef]
    versions: Mapping[uuid.UUID, int] = field(default_factory=dict)
    self_id: uuid.UUID | None = None
    untyped: bool = False


# ---- resolving lookups and roll-ups when a form is saved or compiled -----------------------------

class Problem(Exception):
    def __init__(self, at: str, message: str, rule: str) -> None:
        super().__init__(message)
        self.at, self.message, self.rule = at, message, rule


class Circular(Exception):
    def __init__(self, chain: list[str]) -> None:
        super().__init__(" → ".join(chain))
        self.chain = chain


_NEW_FORM = uuid.UUID(int=0)  # the key of a form that has no id yet (being created)


class _Resolver:
    """Types fields across forms, lazily and once each, following lookups, roll-ups and the
    formulas they read; a field met again while it is being typed is a circle."""

    def __init__(self, forms: Mapping[uuid.UUID, FormDef], *, untyped: bool = False) -> None:
        self.forms = forms
        self.untyped = untyped
        self.memo: dict[tuple[uuid.UUID, str], Target] = {}
        self.stack: list[tuple[uuid.UUID, str]] = []

    def field(self, form_id: uuid.UUID, key: str) -> FieldDef | None:
        """A top-level field of a form, by id, or else by name."""
        form = self.forms.get(form_id)
        if form is None:
            return None
        return next((f for f in form.fields if f.id == key), None) or next(
            (f for f in form.fields if f.name == key), None)

    def target(self, form_id: uuid.UUID, fd: FieldDef, table: FieldDef | None = None, *,
               strict: bool = False) -> Target:
        key = (form_id, fd.id)
        if key in self.memo:
            return self.memo[key]
        if key in self.stack:
            raise Circular([self._name(k) for k in [*self.stack[self.stack.index(key):], key]])
        self.stack.append(key)
        try:
            t = self._resolve(form_id, fd, table)
        except Problem:
            if strict:
                raise
            t = Target(form_id, fd.id, fd.name, None, None, ANY)  # another form's problem: read as any
        finally:
            self.stack.pop()
        self.memo[key] = t
        return t

    def _name(self, key: tuple[uuid.UUID, str]) -> str:
        form = self.forms.get(key[0])
        fd = next((f for f in _all_fields(form.fields) if f.id == key[1]), None) if form else None
        return f"{form.name if form else '?'}.[{fd.name if fd else key[1]}]"

    def _resolve(self, form_id: uuid.UUID, fd: FieldDef, table: FieldDef | None) -> Target:
        if fd.type not in FIELD_TYPES:
            return Target(form_id, fd.id, fd.name, None, None, ANY)
        ftype = FIELD_TYPES.get(fd.type)
        try:
            settings = ftype.settings_of(fd.settings)
        except msgspec.ValidationError:
            return Target(form_id, fd.id, fd.name, ftype, None, ANY)
        if fd.type == "lookup":
            plan: LookupPlan | RollupPlan = self._lookup(form_id, settings)
            return Target(form_id, fd.id, fd.name, ftype, plan, plan.type)
        if fd.type == "rollup":
            plan = self._rollup(form_id, settings)
            return Target(form_id, fd.id, fd.name, ftype, plan, plan.type)
        if fd.type == "formula":
            return Target(form_id, fd.id, fd.name, ftype, settings, self._formula(form_id, fd, table))
        if fd.type == "subtable":
            columns = {c.name: self.target(form_id, c, fd).type for c in fd.columns or []
                       if c.type in FIELD_TYPES and FIELD_TYPES.get(c.type).stores_value}
            return Target(form_id, fd.id, fd.name, ftype, settings, table_of(columns))
        return Target(form_id, fd.id, fd.name, ftype, settings, ftype.formula_type(settings))

    def _formula(self, form_id: uuid.UUID, fd: FieldDef, table: FieldDef | None) -> Type:
        """A formula's type, from the types of the fields it reads (its row's columns first)."""
        try:
            f = parse(str(fd.settings.get("expression", "")))
        except FormulaError:
            return ANY
        schema: dict[str, Type] = {}
        for name in dependencies(f):
            column = next((c for c in (table.columns or []) if c.name == name), None) if table else None
            dep = column or next((x for x in self.forms[form_id].fields if x.name == name), None)
            if dep is not None:
                schema[name] = self.target(form_id, dep, table if column is not None else None).type
        try:
            return check(f, schema)
        except FormulaError:
            return ANY

    def _link(self, form_id: uuid.UUID, key: str, at: str, what: str) -> tuple[FieldDef, LinkSettings]:
        fd = self.field(form_id, key)
        if fd is None or fd.type != "link":
            raise Problem(at, f"{key!r} is not a link field of this form; {what}", "link")
        try:
            return fd, msgspec.convert(fd.settings, LinkSettings)
        except msgspec.ValidationError:
            raise Problem(at, "The link field's settings are not valid.", "link") from None

    def _linked_field(self, form_id: uuid.UUID, key: str) -> FieldDef:
        fd = self.field(form_id, key)
        if fd is None:
            raise Problem(".field", f"The form {self.forms[form_id].name!r} has no field {key!r}.", "exists")
        ftype = FIELD_TYPES.get(fd.type) if fd.type in FIELD_TYPES else None
        if ftype is None or not ftype.stores_value:
            raise Problem(".field", f"[{fd.name}] holds no value to read.", "field")
        return fd

    def _lookup(self, form_id: uuid.UUID, s: LookupSettings) -> LookupPlan:
        link_fd, link = self._link(form_id, s.link, ".link", "a lookup reads the records a link field names.")
        if link.form_id not in self.forms:  # said at the link field, or lenient (no targets given)
            return LookupPlan(link_fd.id, s.field, link.multiple, None, list_of(ANY) if link.multiple else ANY)
        fd = self._linked_field(link.form_id, s.field)
        if fd.type == "subtable":
            raise Problem(".field", f"[{fd.name}] is a sub-table; roll up one of its columns instead.", "field")
        t = self.target(link.form_id, fd)
        kind = list_of(items_of(t.type)) if link.multiple else t.type
        return LookupPlan(link_fd.id, fd.id, link.multiple, t, kind)

    def _rollup(self, form_id: uuid.UUID, s: RollupSettings) -> RollupPlan:
        src = self.field(form_id, s.source)
        if src is None or src.type not in ("link", "subtable"):
            raise Problem(".source", f"{s.source!r} is not a link field or a sub-table of this form.", "source")
        if s.field is None and s.aggregate != "COUNT":
            raise Problem(".field", f"Choose the field {s.aggregate} rolls up.", "required")
        target: Target | None = None
        if src.type == "subtable":
            if s.field is not None:
                col = next((c for c in src.columns or [] if c.id == s.field), None) or next(
                    (c for c in src.columns or [] if c.name == s.field), None)
                if col is None:
                    raise Problem(".field", f"The sub-table [{src.name}] has no column {s.field!r}.", "exists")
                target = self.target(form_id, col, src)
        else:
            _, link = self._link(form_id, s.source, ".source", "")
            if link.form_id not in self.forms:
                return RollupPlan(src.id, "link", s.field, s.aggregate, s.decimals, None,
                                  _unresolved_rollup_type(s.aggregate))
            if s.field is not None:
                fd = self._linked_field(link.form_id, s.field)
                if fd.type == "subtable":
                    raise Problem(".field", f"[{fd.name}] is a sub-table; a roll-up reads one value per record.",
                                  "field")
                target = self.target(link.form_id, fd)
        try:
            kind = _rollup_type(s.aggregate, target)
        except Problem:
            if not self.untyped:
                raise
            kind = ANY
        via: Literal["link", "subtable"] = "subtable" if src.type == "subtable" else "link"
        return RollupPlan(src.id, via, target.field_id if target else None, s.aggregate, s.decimals, target, kind)


def _unresolved_rollup_type(aggregate: str) -> Type:
    return ANY if aggregate in ("MIN", "MAX") else TEXT if aggregate == "CONCAT" else NUMBER


def _rollup_type(aggregate: str, target: Target | None) -> Type:
    item = items_of(target.type) if target is not None else ANY
    if aggregate in ("SUM", "AVERAGE"):
        if item not in (NUMBER, ANY):
            raise Problem(".aggregate", f"{aggregate} works on numbers, but [{target.name if target else '?'}] "
                                        f"holds {item.described}.", "aggregate")
        return NUMBER
    if aggregate in ("MIN", "MAX"):
        if item not in (NUMBER, DATE, DATETIME, ANY):
            raise Problem(".aggregate", f"{aggregate} works on numbers and dates, but "
                                        f"[{target.name if target else '?'}] holds {item.described}.", "aggregate")
        return item
    return TEXT if aggregate == "CONCAT" else NUMBER


def resolve_links(form: FormDef, fields: Sequence[Any], targets: LinkTargets | None,
                  report: Callable[[str, str, str], None]) -> None:
    """Check the form's link fields against the forms `targets` holds, and resolve each lookup
    and roll-up: its settings become its plan, its type the type it reads. `fields` are the
    form's compiled fields (`CompiledField`: fd, settings, type, path, columns); problems are
    reported at `<field path>.settings.<setting>`. Without `targets` nothing about other forms
    is checked (the form links nowhere, or the caller could not say) and what cannot be
    resolved reads as `any`; with `targets.untyped`, nothing is refused at all."""
    self_id = (targets.self_id if targets else None) or _NEW_FORM
    untyped = targets is not None and targets.untyped
    forms: dict[uuid.UUID, FormDef] = dict(targets.forms) if targets else {}
    forms[self_id] = form
    resolver = _Resolver(forms, untyped=untyped)
    for c in [*fields, *(col for table in fields for col in getattr(table, "columns", []))]:
        if c.fd.type == "link" and targets is not None and not untyped and c.settings.form_id not in forms:
            report(f"{c.path}.settings.form_id", "There is no such form in this organization.", "exists")
    for c in fields:
        if not getattr(c.ftype, "derived", False):
            continue
        try:
            t = resolver.target(self_id, c.fd, strict=True)
        except (Problem, Circular) as problem:
            if untyped:
                c.settings, c.type = _unresolved(c.settings), ANY
            elif isinstance(problem, Problem):
                report(f"{c.path}.settings{problem.at}", problem.message, problem.rule)
            else:
                report(f"{c.path}.settings.field", "This field reads itself through its links: "
                       + " → ".join(problem.chain), "circular")
            continue
        c.settings, c.type = t.settings, t.type
        if untyped:
            c.type = list_of(ANY) if getattr(t.settings, "many", False) else ANY


def _unresolved(s: Any) -> LookupPlan | RollupPlan:
    """A plan for settings that no longer resolve: it computes from the keys they give."""
    if isinstance(s, RollupSettings):
        return RollupPlan(s.source, "link", s.field, s.aggregate, s.decimals, None, ANY)
    return LookupPlan(s.link, s.field, False, None, ANY)
