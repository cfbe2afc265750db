"""System fields: who created and last updated a record, and when.

Their values are the record's own facts, set by the record store on every write; a
submission can never set them (`computed`). A form shows them like any field and formulas
read them (`DATEDIF(created_at, NOW(), "d")`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tack.forms.fields.base import FieldType, Invalid, ValueContext, field_type
from tack.formula import DATETIME, MEMBER, Type


class _System(FieldType):
    family = "system"
    computed = True
    type_: ClassVar[Type]

    def formula_type(self, settings: Any) -> Type:
        return self.type_

    def clean(self, value: Any, settings: Any, vctx: ValueContext) -> Any:
        raise Invalid("This field is set by Tack; it cannot be set.", "read-only")


@field_type
class CreatedBy(_System):
    name = "created_by"
    query_kind = "member"
    type_ = MEMBER


@field_type
class CreatedAt(_System):
    name = "created_at"
    query_kind = "datetime"
    type_ = DATETIME


@field_type
class UpdatedBy(_System):
    name = "updated_by"
    query_kind = "member"
    type_ = MEMBER


@field_type
class UpdatedAt(_System):
    name = "updated_at"
    query_kind = "datetime"
    type_ = DATETIME
