"""Computed and layout fields: formula (Tack sets the value), section and description (layout)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from tack.forms.fields.base import FieldType, Invalid, ValueContext, field_type
from tack.forms.fields.number import round_half_up
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

    def from_formula(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        if s.decimals is not None and isinstance(value, int | float) and not isinstance(value, bool):
            return round_half_up(value, s.decimals)
        return value

    def to_text(self, value: Any, s: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and s.decimals is not None:
            return f"{value:.{s.decimals}f}"
        if isinstance(value, list):
            return ", ".join(self.to_text(v, s) for v in value if v is not None)
        return super().to_text(value, s)


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
    query_kind = "presence"
    family = "subtable"

    def clean(self, value: Any, settings: Any, vctx: ValueContext) -> Any:
        # Rows are cleaned row by row, column by column, by tack.forms.values, which knows the
        # columns; on its own (a formula's result as a default) nothing stands for rows.
        raise Invalid("A sub-table's rows are sent with the form, row by row.", "type")
