"""Text Tack can store: no NUL characters anywhere in a request.

PostgreSQL cannot hold U+0000 in `text` or `jsonb`, so a NUL in any name, query or record field
would fail deep inside a command. One rule at the edge covers every route, every parameter and
every nested JSON value (records are free-form documents), and says which field broke it.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request

from tack.core.errors import BadRequest, FieldError

NUL = "\x00"
SHOWN_AS = "\ufffd"  # how a NUL inside a key or parameter name is shown in `errors[].path`
_RULE = "no-nul"
_MESSAGE = "must not contain the NUL character (U+0000)"
# In JSON a NUL can only arrive escaped (raw control characters are malformed JSON), so a body
# without this byte sequence needs no decoding here. Every body is looked at, whatever its
# Content-Type says: Litestar decodes a handler's JSON `data` whatever the header claims.
_ESCAPED_NUL = b"\\u0000"


def _walk(value: Any, path: str, errors: list[FieldError]) -> None:
    if isinstance(value, str):
        if NUL in value:
            errors.append(FieldError(path=path, message=_MESSAGE, rule=_RULE))
    elif isinstance(value, dict):
        for k, v in value.items():
            child = f"{path}.{k.replace(NUL, SHOWN_AS)}"
            if NUL in k:
                errors.append(FieldError(path=child, message="the key " + _MESSAGE, rule=_RULE))
            _walk(v, child, errors)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk(v, f"{path}[{i}]", errors)


async def reject_nul_characters(request: Request[Any, Any, Any]) -> None:
    """A `before_request` hook: 400 naming each path, query parameter or body field with a NUL."""
    errors: list[FieldError] = []
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            errors.append(FieldError(path=name, message=_MESSAGE, rule=_RULE))
    for name, values in request.query_params.dict().items():
        if NUL in name or any(NUL in v for v in values):
            errors.append(FieldError(path=name.replace(NUL, SHOWN_AS), message=_MESSAGE, rule=_RULE))
    if request.method in ("POST", "PUT", "PATCH"):
        body = await request.body()
        if _ESCAPED_NUL in body:
            try:
                doc = msgspec.json.decode(body)
            except msgspec.DecodeError:
                doc = None  # malformed JSON: the body parser reports it
            _walk(doc, "$", errors)
    if errors:
        raise BadRequest("Text may not contain the NUL character (U+0000).", errors=errors)
