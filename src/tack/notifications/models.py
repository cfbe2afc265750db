"""Notifications on the wire."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from msgspec import Meta


class Notification(msgspec.Struct):
    id: uuid.UUID
    kind: Annotated[str, Meta(description="What happened: flow.task_assigned, flow.approved, flow.urged, ...")]
    title: str
    body: str
    link: Annotated[str, Meta(description="Where the web app goes when it is clicked (a path such as /approvals/<id>)")]
    subject: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationList(msgspec.Struct):
    items: list[Notification]
    next_cursor: str | None
    unread: Annotated[int, Meta(description="The caller's unread notifications (counted up to 1,000)")]


class MarkRead(msgspec.Struct, forbid_unknown_fields=True):
    """Either `ids` (the caller's notifications to mark read) or `all: true`."""

    ids: Annotated[list[uuid.UUID], Meta(max_length=500)] | None = None
    all: bool = False


class MarkedRead(msgspec.Struct):
    marked: Annotated[int, Meta(description="How many were unread and are read now")]
    unread: int
