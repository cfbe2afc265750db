"""The file store's shapes on the wire."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import msgspec

# What a file is for: image, signature and avatar need an image a browser can show.
Purpose = Literal["attachment", "image", "signature", "avatar"]


class FileInfo(msgspec.Struct):
    id: uuid.UUID
    name: str  # the uploader's file name, cleaned
    content_type: str  # sniffed from the bytes; what the content is served as
    declared_type: str | None  # what the uploading client said it was
    size: int  # bytes
    sha256: str  # hex; also the content's ETag
    purpose: Purpose
    created_by: uuid.UUID | None  # the uploading member (none for organization tokens)
    created_at: dt.datetime
    url: str  # where to download the bytes (same credentials as this request)
