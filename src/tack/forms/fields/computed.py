"""Computed and layout fields: formula (Tack sets the value), section and description (layout)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from tack.forms.fields.base import FieldType, Invalid, ValueContext, field_type
from tack.formula import ANY, Type


class FormulaSettings(msgspec.Struct, forbid_unknown_fields=True):
    expression: Annotated[str, Meta(min_length=1, max_length=4000)]
    decimals: Annotated[int, Meta(ge=0, le=10)] | None = None


@field_type
class FormulaField(FieldType):
    """A value computed from other fields; its type is what the expression gives (the form
    checker infers it when the form is saved)."""

    name = "formula"
    family = "computed"
    Settings = FormulaSettings
    computed = True

    def formula_type(self, settings: Any) -> Type:
        return ANY  # replaced by the inferred type in compile_form

    def clean(self, value: Any, settings: Any, vctx: ValueContext) -> Any:
        raise Invalid("This field is computed; it cannot be set.", "read-only")


class LayoutSettings(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, Meta(max_length=10_000)] | None = None


@field_type
class Section(FieldType):
    name = "section"
    family = "layout"
    Settings = LayoutSettings
    stores_value = False


@field_type
class Description(FieldType):
    name = "description"
    family = "layout"
    Settings = LayoutSettings
    stores_value = False


@field_type
class SubTable(FieldType):
    """Detail rows with their own fields (`columns`); cleaned row by row by the form."""

    name = "subtable"
    family = "subtable"

    def clean(self, value: Any, settings: Any, vctx: ValueContext) -> Any:
        raise AssertionError("sub-tables are cleaned by tack.forms.values")
