"""Schema changes on the wire: the preview of a publish, the field trash, conversions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import msgspec

from tack.forms.model import FieldDef


class AddedField(msgspec.Struct):
    id: str
    name: str
    type: str
    table_id: str | None = None


class RestoredField(msgspec.Struct):
    """A field that comes back from the trash (same id): its kept values come back with it."""

    id: str
    name: str
    type: str
    values: int  # records holding a value (rows, for a sub-table's column)
    table_id: str | None = None


class RenamedField(msgspec.Struct):
    id: str
    old_name: str
    new_name: str
    table_id: str | None = None


class DeletedField(msgspec.Struct):
    """Goes to the trash: its values stay in the records until `purge_after`."""

    id: str
    name: str
    type: str
    values: int
    purge_after: dt.datetime
    table_id: str | None = None


class ValueExample(msgspec.Struct):
    record_id: uuid.UUID
    value: str  # as the old type shows it
    reason: str
    row: int | None = None  # the sub-table row, for a column


class TypeChange(msgspec.Struct):
    """`values` non-blank values, of which `convert` convert and `lost` do not (those are moved
    aside, kept with their record id, when the change is published)."""

    id: str
    name: str
    from_type: str
    to_type: str
    values: int
    convert: int
    lost: int
    examples: list[ValueExample]
    table_id: str | None = None


class FormulaRewrite(msgspec.Struct):
    """A formula that named a renamed field (or column), rewritten to the new name; or a lookup's
    `settings.link`, a roll-up's `settings.source` / `settings.field` that named it."""

    field_id: str
    field_name: str
    attribute: str  # expression | default | visible_if | required_if | settings.link | settings.source | ...
    before: str
    after: str


class DataWarning(msgspec.Struct):
    """A settings change that existing values break: nothing is lost or changed, but those
    records no longer pass the form's rules when next edited. `rule`: `option-removed`
    (`option_id` names it), `required-added` (blank values), `unique-added` (values another
    record shares), or the rule the new settings refuse them by (`maximum`, `max-length`, ...)."""

    field_id: str
    field_name: str
    rule: str
    message: str
    count: int
    examples: list[ValueExample]
    option_id: str | None = None
    table_id: str | None = None


class DependentField(msgspec.Struct):
    """A lookup or roll-up of another form that reads a field this change renames (naming it by
    its old name) or deletes: it reads blank until its form is changed to match."""

    form_id: uuid.UUID
    form_name: str
    field_id: str
    field_name: str
    reads: str  # the id of the field of this form it reads
    problem: Literal["renamed", "deleted"]


class SchemaPreview(msgspec.Struct):
    """What publishing a definition would change, against the current version.

    Counts come from every record of the form (soft-deleted ones too: they keep their data) when
    it has at most `SCAN_LIMIT` records; above that from an evenly spread sample of about that
    many, scaled up per slice of the form's history, with `estimated: true`."""

    form_id: uuid.UUID
    from_version: int
    added: list[AddedField]
    restored: list[RestoredField]
    renamed: list[RenamedField]
    deleted: list[DeletedField]
    type_changes: list[TypeChange]
    formula_rewrites: list[FormulaRewrite]
    warnings: list[DataWarning]
    dependents: list[DependentField]  # other forms' lookups and roll-ups the change breaks
    records_total: int
    records_scanned: int
    estimated: bool
    loses_values: bool  # some values would not convert (they would be moved aside)
    confirm_loss_required: bool  # publishing needs `confirm_loss: true`
    conversion_running: bool  # an earlier type change is still converting records


class TrashedField(msgspec.Struct):
    field_id: str
    name: str
    type: str
    definition: FieldDef
    deleted_version: int
    deleted_at: dt.datetime
    deleted_by: uuid.UUID | None
    deleted_by_name: str
    purge_after: dt.datetime
    state: Literal["trashed", "purging"]
    table_id: str | None = None


class MovedValuesSummary(msgspec.Struct):
    field_id: str
    version: int
    from_type: str
    to_type: str
    count: int
    purge_after: dt.datetime  # the earliest
    table_id: str | None = None


class Trash(msgspec.Struct):
    fields: list[TrashedField]
    moved_values: list[MovedValuesSummary]


class MovedValue(msgspec.Struct):
    id: uuid.UUID
    record_id: uuid.UUID
    field_id: str
    version: int
    value: Any
    text: str
    reason: str
    from_type: str
    to_type: str
    moved_at: dt.datetime
    purge_after: dt.datetime
    table_id: str | None = None
    row: int | None = None


class MovedValuePage(msgspec.Struct):
    items: list[MovedValue]
    next_cursor: str | None


class Conversion(msgspec.Struct):
    version: int
    state: Literal["running", "done"]
    fields: list[str]
    expected: int | None
    estimated: bool
    records: int
    converted: int
    moved_aside: int
    started_at: dt.datetime
    finished_at: dt.datetime | None


class ConversionList(msgspec.Struct):
    items: list[Conversion]
