"""What a filter or a sort may name: the form's fields (by id or by name) and the system
fields every record has."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tack.forms.definition import CompiledField, CompiledForm
from tack.formula import BOOL, DATE, DATETIME, NUMBER, TEXT
from tack.records.query import operands as ops
from tack.records.query.kinds import KINDS, Kind
from tack.records.query.operands import Operand
from tack.records.tables import records

# name → (kind, column); `status` is the record's approval status.
SYSTEM: dict[str, tuple[str, Any]] = {
    "id": ("id", records.c.id),
    "created_at": ("datetime", records.c.created_at),
    "updated_at": ("datetime", records.c.updated_at),
    "created_by": ("member", records.c.created_by),
    "updated_by": ("member", records.c.updated_by),
    "owner_department": ("department", records.c.owner_department_id),
    "status": ("text", records.c.status),
}
_UUID_COLUMNS = {"id", "created_by", "updated_by", "owner_department"}
_FORMULA_KINDS = {NUMBER: "number", TEXT: "text", BOOL: "checkbox", DATE: "date", DATETIME: "datetime"}


def _to_uuid(value: Any) -> Any:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@dataclass(frozen=True)
class QField:
    key: str  # as the caller wrote it
    name: str  # as people see it
    kind: Kind | None  # None: the record id (sort only)
    field: CompiledField | None = None  # None for system fields
    system: str | None = None

    @property
    def settings(self) -> Any:
        return self.field.settings if self.field is not None else None

    @property
    def index_how(self) -> str | None:
        """How a promoted index stores this field ('text' or 'number'), or None when it
        cannot be promoted (system columns have their own indexes; lists are not scalars)."""
        if self.field is None or self.kind is None:
            return None
        return {"number": "number", "text": "text", "date": "text", "datetime": "text", "select": "text",
                "member": "text", "department": "text"}.get(self.kind.name)

    def operand(self, dialect: str) -> Operand:
        if self.system is not None:
            column = SYSTEM[self.system][1]
            if self.system in _UUID_COLUMNS:
                return Operand(column, _to_uuid, None, dialect)
            return ops.column_operand(column, dialect, text=self.system == "status")
        assert self.field is not None and self.kind is not None
        fid, how = self.field.fd.id, self.kind.name
        if how == "number":
            return ops.number_operand(fid, dialect)
        if how in ("date", "datetime"):
            return ops.iso_operand(fid, dialect)
        if how in ("text", "select", "member", "department", "checkbox"):
            return ops.text_operand(fid, dialect)
        return ops.json_operand(fid, dialect)


def kind_of(c: CompiledField) -> str | None:
    by_settings = getattr(c.ftype, "query_kind_for", None)  # lookups and roll-ups: their result's kind
    if by_settings is not None:
        kind: str | None = by_settings(c.settings)
        return kind
    if c.ftype.name == "formula":
        return _FORMULA_KINDS.get(c.type, "presence")
    return c.ftype.query_kind


def resolve(form: CompiledForm, key: Any) -> QField | None:
    if not isinstance(key, str):
        return None
    if key in SYSTEM and key not in form.by_key:
        kind_name = SYSTEM[key][0]
        return QField(key=key, name=key, kind=None if kind_name == "id" else KINDS.get(kind_name), system=key)
    c = form.by_key.get(key)
    if c is None or not c.ftype.stores_value:
        return None
    kind_name = kind_of(c)
    if kind_name is None or kind_name not in KINDS:
        return None
    return QField(key=key, name=c.fd.name, kind=KINDS.get(kind_name), field=c)
