"""Cursor pagination: a cursor is the opaque, url-safe encoding of the last row's sort key."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from tack.core.errors import FieldError, ValidationFailed

Limit = Annotated[int, Meta(ge=1, le=200)]
DEFAULT_LIMIT = 50


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).decode().rstrip("=")


def decode_cursor(cursor: str | None, *parsers: Callable[[Any], Any]) -> list[Any] | None:
    """The sort key inside `cursor`, each part passed through its parser (e.g. `uuid.UUID`);
    a cursor that was not made by `encode_cursor` is a 422 naming the `cursor` parameter."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = msgspec.json.decode(raw)
        if not isinstance(key, list) or len(key) != len(parsers):
            raise ValueError("wrong arity")
        return [parse(k) for parse, k in zip(parsers, key, strict=True)]
    except Exception:
        raise ValidationFailed("The cursor is not one this API gave out.",
                               errors=[FieldError(path="cursor", message="not a valid cursor", rule="cursor")]) from None
