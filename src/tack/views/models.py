"""Views on the wire."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

ViewKind = Literal["grid", "kanban", "calendar", "gallery"]
FieldKey = Annotated[str, Meta(min_length=1, max_length=100, description="A field id, name, or system field")]
ViewName = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"\S")]


class ViewColumn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    field: FieldKey
    width: Annotated[int, Meta(ge=40, le=2000, description="Grid column width in pixels")] | None = None


class ViewSort(msgspec.Struct, forbid_unknown_fields=True):
    field: FieldKey
    direction: Literal["asc", "desc"] = "asc"


class ViewConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What a view shows. `columns` are the visible fields in order (none listed: all of the
    form's fields); a kanban groups by `group_by` (a single-select field); a calendar places
    records on `date_field` (to `end_date_field`, for spans); a gallery's cards show
    `cover_field` (an image field)."""

    filter: Annotated[dict[str, Any], Meta(description="A filter tree (see the record query API)")] | None = None
    sort: Annotated[list[ViewSort], Meta(max_length=5)] = msgspec.field(default_factory=list)
    columns: Annotated[list[ViewColumn], Meta(max_length=500)] = msgspec.field(default_factory=list)
    group_by: FieldKey | None = None
    date_field: FieldKey | None = None
    end_date_field: FieldKey | None = None
    cover_field: FieldKey | None = None


class View(msgspec.Struct):
    id: uuid.UUID
    form_id: uuid.UUID
    name: str
    kind: ViewKind
    shared: bool
    owner_member_id: uuid.UUID | None
    position: int
    config: ViewConfig
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    # What reading the view dropped because the form no longer has those fields.
    warnings: list[str] = msgspec.field(default_factory=list)


class ViewList(msgspec.Struct):
    items: list[View]
    next_cursor: str | None = None


class ViewCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: ViewName
    kind: ViewKind = "grid"
    shared: bool = False
    config: ViewConfig = msgspec.field(default_factory=ViewConfig)


class ViewUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: ViewName | UnsetType = UNSET
    shared: bool | UnsetType = UNSET
    config: ViewConfig | UnsetType = UNSET
    expected_version: Annotated[int, Meta(ge=1)] | None = None


class ViewOrder(msgspec.Struct, forbid_unknown_fields=True):
    """Views in the order they should be listed: the named views swap places among themselves;
    views not named keep theirs."""

    view_ids: Annotated[list[uuid.UUID], Meta(min_length=1, max_length=500)]
