"""Queries on the wire."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from tack.records.models import Record


class SortKey(msgspec.Struct, forbid_unknown_fields=True):
    field: Annotated[str, Meta(min_length=1, max_length=100, description="A field id or name, or a system field")]
    direction: Literal["asc", "desc"] = "asc"


class RecordQuery(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    filter: Annotated[dict[str, Any] | None, Meta(description="A filter tree: see the API guide")] = None
    sort: Annotated[list[SortKey], Meta(max_length=5)] = msgspec.field(default_factory=list)
    search: Annotated[str, Meta(max_length=200, description="Text to find in the record's text fields")] | None = None
    cursor: Annotated[str, Meta(max_length=2000)] | None = None
    limit: Annotated[int, Meta(ge=1, le=200)] = 50
    count: Annotated[bool, Meta(description="Also count the matching records (exact, or estimated and said so)")] = False
    view_id: Annotated[uuid.UUID | None, Meta(description="Start from a saved view's filter and sort")] = None
    deleted: Annotated[bool, Meta(description="The deleted records (to restore them) instead")] = False


class Count(msgspec.Struct):
    value: int
    exact: bool


class RecordQueryPage(msgspec.Struct):
    items: list[Record]
    next_cursor: str | None
    count: Count | None = None
