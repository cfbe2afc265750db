"""Apps and forms on the wire."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from tack.forms.model import FormDef

AppName = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]


class App(msgspec.Struct):
    id: uuid.UUID
    name: str
    description: str | None
    icon: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class AppList(msgspec.Struct):
    items: list[App]
    next_cursor: str | None = None


class AppCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: AppName
    description: Annotated[str, Meta(max_length=4000)] | None = None
    icon: Annotated[str, Meta(max_length=100)] | None = None


class AppUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: AppName | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=4000)] | None | UnsetType = UNSET
    icon: Annotated[str, Meta(max_length=100)] | None | UnsetType = UNSET


class Form(msgspec.Struct):
    id: uuid.UUID
    app_id: uuid.UUID
    name: str
    version: int
    definition: FormDef
    updated_at: dt.datetime


class FormSummary(msgspec.Struct):
    id: uuid.UUID
    app_id: uuid.UUID
    name: str
    version: int
    updated_at: dt.datetime


class FormList(msgspec.Struct):
    items: list[FormSummary]
    next_cursor: str | None = None


class FormPublish(msgspec.Struct, forbid_unknown_fields=True):
    """A new definition; `expected_version` guards against overwriting someone else's edit.
    `confirm_loss`: go ahead although some values would not convert to a field's new type (see
    `POST /forms/{id}/publish/preview`; they are moved aside, not dropped)."""

    definition: FormDef
    expected_version: Annotated[int, Meta(ge=1)] | None = None
    confirm_loss: bool = False
