"""Comparing a form's definitions field by field, and converting a value to another field type.

Fields keep their ids for life, so two definitions compare by id: a field in both with another
name is a rename, with another type a type change; one only in the new definition is added (or
restored, when the trash holds its id); one only in the old is deleted. Nothing here touches the
database; `schema_changes` does, with what this module finds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from tack.core.errors import FieldError, ValidationFailed
from tack.forms.fields import FIELD_TYPES, FieldType, Invalid, ValueContext
from tack.forms.model import FieldDef, FormDef
from tack.formula import FormulaError, rename_column, rename_field

FORMULA_ATTRS = ("default", "visible_if", "required_if")


@dataclass(frozen=True)
class Placed:
    """A field where a definition has it: top level, or a column of sub-table `table_id`."""

    fd: FieldDef
    table_id: str | None
    position: int
    path: str


def placed_fields(form: FormDef) -> dict[str, Placed]:
    out: dict[str, Placed] = {}
    for i, fd in enumerate(form.fields):
        out[fd.id] = Placed(fd, None, i, f"$.fields[{i}]")
        for j, col in enumerate(fd.columns or []):
            out[col.id] = Placed(col, fd.id, j, f"$.fields[{i}].columns[{j}]")
    return out


@dataclass(frozen=True)
class Trashed:
    fd: FieldDef
    table_id: str | None
    state: str


@dataclass(frozen=True)
class Slot:
    """One field (or column) as the old and the new definition have it."""

    id: str
    table_id: str | None
    old: FieldDef
    new: FieldDef

    @property
    def name(self) -> str:
        return self.new.name


@dataclass
class Diff:
    added: list[Placed] = field(default_factory=list)
    restored: list[Placed] = field(default_factory=list)  # back from the trash
    renamed: list[tuple[Placed, str]] = field(default_factory=list)  # (new placement, old name)
    deleted: list[Placed] = field(default_factory=list)  # old placements
    type_changes: list[Slot] = field(default_factory=list)  # with stored values to convert
    settings_checks: list[Slot] = field(default_factory=list)  # same type, other settings
    required_added: list[Slot] = field(default_factory=list)
    unique_added: list[Slot] = field(default_factory=list)

    @property
    def needs_scan(self) -> bool:
        return bool(self.restored or self.deleted or self.type_changes or self.settings_checks
                    or self.required_added or self.unique_added)


def diff(current: FormDef, new: FormDef, trash: Mapping[str, Trashed]) -> Diff:
    """What changes from `current` to `new`. Fields the trash holds count as the old side of
    the same ids coming back. Raises ValidationFailed for changes that cannot keep data."""
    old = placed_fields(current)
    from_trash: dict[str, Placed] = {}
    for fid, t in trash.items():
        if fid in old:
            continue
        from_trash[fid] = Placed(t.fd, t.table_id, 0, "")
        for j, col in enumerate(t.fd.columns or []):  # a trashed sub-table's columns come back with it
            from_trash.setdefault(col.id, Placed(col, fid, j, ""))
    now = placed_fields(new)
    d = Diff()
    errors: list[FieldError] = []
    for fid, p in now.items():
        before = old.get(fid) or from_trash.get(fid)
        if before is None:
            d.added.append(p)
            continue
        if before.table_id != p.table_id:
            errors.append(FieldError(path=f"{p.path}.id", rule="move", message=(
                "A field cannot move into, out of or between sub-tables: its values are stored differently "
                "there. Add a new field instead.")))
            continue
        if fid in from_trash:
            if trash.get(fid) is not None and trash[fid].state == "purging":
                errors.append(FieldError(path=f"{p.path}.id", rule="purging", message=(
                    f"The field {fid!r} is being purged from the trash; give the new field another id.")))
                continue
            if fid in trash:
                d.restored.append(p)
        elif before.fd.name != p.fd.name:
            d.renamed.append((p, before.fd.name))
        _compare(before.fd, p, d, errors)
    for fid, p in old.items():
        if fid not in now and (p.table_id is None or p.table_id in now):
            d.deleted.append(p)
    for fid, p in from_trash.items():
        # a column the trash held inside its sub-table, left out when the sub-table comes back
        if fid not in now and fid not in trash and p.table_id in now:
            d.deleted.append(p)
    if errors:
        raise ValidationFailed("These changes would not keep the data the form holds.", errors=errors)
    return d


def _compare(before: FieldDef, p: Placed, d: Diff, errors: list[FieldError]) -> None:
    after = p.fd
    if before.type not in FIELD_TYPES or after.type not in FIELD_TYPES:
        return  # compile_form names unknown types
    old_t, new_t = FIELD_TYPES.get(before.type), FIELD_TYPES.get(after.type)
    slot = Slot(after.id, p.table_id, before, after)
    if before.type != after.type:
        if not old_t.stores_value:
            pass  # a layout field had no values: nothing to convert
        elif before.type == "subtable" or not holds_entered_values(new_t):
            errors.append(FieldError(path=f"{p.path}.type", rule="type-change", message=(
                f"A {before.type} field cannot become a {after.type} field: its values would not fit. Add a new "
                "field instead (deleting this one keeps its values in the trash).")))
            return
        else:
            d.type_changes.append(slot)
    elif holds_entered_values(new_t) and before.settings != after.settings:
        d.settings_checks.append(slot)
    if new_t.stores_value and not new_t.computed and after.type != "subtable":
        if after.required and not before.required:
            d.required_added.append(slot)
        if after.unique and not before.unique and p.table_id is None:
            d.unique_added.append(slot)


def holds_entered_values(t: FieldType) -> bool:
    """Values people enter, one per record (or row): what a converted value can become."""
    return t.stores_value and not t.computed and t.name != "subtable"


# ---- formulas that name renamed fields -----------------------------------------------------

@dataclass(frozen=True)
class Rewrite:
    field_id: str
    field_name: str
    attribute: str
    before: str
    after: str


def rewrite_formulas(current: FormDef, new: FormDef) -> tuple[FormDef, list[Rewrite]]:
    """`new` with the formulas it kept unchanged from `current` rewritten to the new names of
    the fields (and sub-table columns) renamed in between. A formula the designer edited was
    written against the new names already and is left alone, as are new fields' formulas."""
    old = placed_fields(current)
    now = placed_fields(new)
    fields: dict[str, str] = {}  # old name -> new name, top level
    columns: dict[str, dict[str, str]] = {}  # old table name -> {old column name -> new}
    old_columns: dict[str, set[str]] = {}  # table id -> its old column names
    for fid, p in old.items():
        q = now.get(fid)
        if p.table_id is not None:
            old_columns.setdefault(p.table_id, set()).add(p.fd.name)
        if q is None or q.table_id != p.table_id or q.fd.name == p.fd.name:
            continue
        if p.table_id is None:
            fields[p.fd.name] = q.fd.name
        else:
            columns.setdefault(old[p.table_id].fd.name, {})[p.fd.name] = q.fd.name
    if not fields and not columns:
        return new, []
    rewrites: list[Rewrite] = []

    def rename(source: str, table_id: str | None) -> str:
        out = source
        for table, renames in columns.items():
            out = rename_column(out, table, renames)
        mapping = dict(fields)
        if table_id is not None:  # in a row, a bare name is a column of that row first
            for name in old_columns.get(table_id, set()):
                mapping.pop(name, None)
            table_name = old[table_id].fd.name if table_id in old else ""
            mapping.update(columns.get(table_name, {}))
        return rename_field(out, mapping) if mapping else out

    def fix(fd: FieldDef, table_id: str | None) -> FieldDef:
        before = old.get(fd.id)
        if before is None or before.table_id != table_id:
            return fd
        changes: dict[str, Any] = {}
        for attr in FORMULA_ATTRS:
            source = getattr(fd, attr)
            if source is not None and source == getattr(before.fd, attr):
                changes[attr] = _rewritten(fd, attr, source, rename(source, table_id) if _parses(source) else source,
                                           rewrites)
        settings = dict(fd.settings)
        expression = fd.settings.get("expression") if fd.type == "formula" else None
        if isinstance(expression, str) and expression == before.fd.settings.get("expression") and _parses(expression):
            settings["expression"] = _rewritten(fd, "expression", expression, rename(expression, table_id), rewrites)
        if fd.type in ("lookup", "rollup") and before.fd.type == fd.type:
            _rename_references(fd, before.fd, settings, rewrites)
        if settings != fd.settings:
            changes["settings"] = settings
        return msgspec.structs.replace(fd, **changes) if changes else fd

    def _rename_references(fd: FieldDef, before: FieldDef, settings: dict[str, Any], rewrites: list[Rewrite]) -> None:
        """A lookup's `link` and a roll-up's `source` name a field of this form (by id or name), a
        roll-up over a sub-table its column (`field`): names the designer left as they were."""
        for key in ("link", "source"):
            value = settings.get(key)
            if isinstance(value, str) and value == before.settings.get(key) and value in fields:
                settings[key] = _rewritten(fd, f"settings.{key}", value, fields[value], rewrites)
        source, column = before.settings.get("source"), settings.get("field")
        if fd.type == "rollup" and isinstance(column, str) and column == before.settings.get("field"):
            table = old.get(source) if isinstance(source, str) else None
            table = table or next((p for p in old.values() if p.table_id is None and p.fd.name == source), None)
            renamed = columns.get(table.fd.name, {}) if table is not None else {}
            if column in renamed:
                settings["field"] = _rewritten(fd, "settings.field", column, renamed[column], rewrites)

    out_fields: list[FieldDef] = []
    for fd in new.fields:
        top = fix(fd, None)
        if top.columns:
            top = msgspec.structs.replace(top, columns=[fix(c, fd.id) for c in top.columns])
        out_fields.append(top)
    return msgspec.structs.replace(new, fields=out_fields), rewrites


def _rewritten(fd: FieldDef, attr: str, before: str, after: str, rewrites: list[Rewrite]) -> str:
    if after != before:
        rewrites.append(Rewrite(fd.id, fd.name, attr, before, after))
    return after


def _parses(source: str) -> bool:
    from tack.formula import parse

    try:
        parse(source)
        return True
    except FormulaError:
        return False  # compile_form reports it


# ---- converting values -------------------------------------------------------------------

LOOKUP_KINDS = {"member": "member", "members": "member", "department": "department",
                "departments": "department", "attachment": "file", "image": "file", "signature": "file",
                "link": "record"}


class Converter:
    """A value of one field type as another: shown as text by the old type, read back from that
    text by the new one (as an imported cell is), then cleaned by the new type's rules."""

    def __init__(self, before: FieldDef, after: FieldDef) -> None:
        self.before, self.after = before, after
        self.old_t, self.new_t = FIELD_TYPES.get(before.type), FIELD_TYPES.get(after.type)
        self.old_s = _settings(self.old_t, before)
        self.new_s = _settings(self.new_t, after)

    def text(self, value: Any) -> str:
        try:
            return self.old_t.to_text(value, self.old_s)
        except Exception:  # a value the old type cannot show (stored by a bug, or a plug-in gone)
            return value if isinstance(value, str) else msgspec.json.encode(value).decode()

    def stage(self, text: str) -> Any:
        """The new type's reading of the text (None: blank), before cleaning."""
        if not text.strip():
            return None
        try:
            return self.new_t.from_text(text, self.new_s)
        except Exception:
            return text

    def finish(self, staged: Any, vctx: ValueContext) -> Any:
        """The stored value under the new type (None: blank), or Invalid saying why not."""
        if staged is None or self.new_t.is_blank(staged):
            return None
        if self.new_s is None:
            raise Invalid("The field's new settings cannot be read.", "settings")
        try:
            return self.new_t.clean(staged, self.new_s, vctx)
        except Invalid:
            raise
        except Exception:
            raise Invalid(f"The value cannot be read as a {self.after.type} value.", "conversion") from None


def _settings(t: FieldType, fd: FieldDef) -> Any:
    try:
        return t.settings_of(fd.settings)
    except msgspec.ValidationError:
        return None


def cells(data: Mapping[str, Any], field_id: str, table_id: str | None) -> Iterator[tuple[int | None, Any]]:
    """The non-blank values a record holds for a field: (None, value) at the top level,
    (row, value) for each row of a sub-table's column."""
    if table_id is None:
        value = data.get(field_id)
        if value is not None and value != "" and value != []:
            yield None, value
        return
    rows = data.get(table_id)
    if isinstance(rows, list):
        for i, row in enumerate(rows):
            if isinstance(row, dict):
                value = row.get(field_id)
                if value is not None and value != "" and value != []:
                    yield i, value


def lookup_ids(type_name: str, value: Any) -> tuple[str | None, list[str]]:
    """Which directory or file-store lookup a value of this type needs, and the ids it names."""
    kind = LOOKUP_KINDS.get(type_name)
    if kind is None:
        return None, []
    items = value if isinstance(value, list) else [value]
    return kind, [v for v in items[:1000] if isinstance(v, str)]
