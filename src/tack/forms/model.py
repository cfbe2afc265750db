"""A form definition: its fields, in order, as the designer saves them.

Fields have stable ids (`f_` + 8 characters) that records key their data by, so renaming a
field never touches stored records; formulas refer to fields by *name*, the way people write
them, and the designer rewrites formulas on a rename (`tack.formula.rename_field`).
"""

from __future__ import annotations

import secrets
import string
from typing import Annotated, Any

import msgspec
from msgspec import Meta

FieldId = Annotated[str, Meta(pattern=r"^f_[a-z0-9]{4,32}$", description="A field's stable id")]
FieldName = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^[^\[\]]*\S[^\[\]]*$",
                                description="Unique within the form (or sub-table); no square brackets")]
FormulaSource = Annotated[str, Meta(max_length=4000)]

_ALPHABET = string.ascii_lowercase + string.digits


def new_field_id() -> str:
    return "f_" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


class FieldDef(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    id: FieldId
    name: FieldName
    type: Annotated[str, Meta(min_length=1, max_length=40)]
    required: bool = False
    unique: bool = False
    help: Annotated[str, Meta(max_length=2000)] | None = None
    placeholder: Annotated[str, Meta(max_length=200)] | None = None
    # Formulas (Tack's formula language), checked when the form is saved:
    default: FormulaSource | None = None  # the value a new record starts with
    visible_if: FormulaSource | None = None  # hidden (and not stored) when this is FALSE
    required_if: FormulaSource | None = None  # required when this is TRUE
    # Type-specific settings, validated by the field type's own `Settings` struct.
    settings: dict[str, Any] = msgspec.field(default_factory=dict)
    # A sub-table's columns (its detail rows' fields).
    columns: Annotated[list[FieldDef], Meta(max_length=100)] | None = None


class FormDef(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]
    fields: Annotated[list[FieldDef], Meta(max_length=500)]
    description: Annotated[str, Meta(max_length=4000)] | None = None
