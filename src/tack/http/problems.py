"""Exception handlers: every error leaves as `application/problem+json`."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException

from tack.core.errors import PROBLEM_BASE, BadRequest, FieldError, Problem

log = logging.getLogger("tack.http")

PROBLEM_JSON = "application/problem+json"


def problem_response(problem: Problem, request: Request[Any, Any, Any]) -> Response[Any]:
    return Response(content=problem.to_dict(instance=request.url.path), status_code=problem.status,
                    media_type=PROBLEM_JSON, headers=problem.headers)


def on_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, Problem)
    return problem_response(exc, request)


_AT = re.compile(r" - at `([^`]*)`$")
_RULES = (("of length >=", "min-length"), ("of length <=", "max-length"), ("Expected `", "type"), ("Object missing required field", "required"),
          ("Object contains unknown field", "unknown-field"), (">=", "minimum"), ("<=", "maximum"),
          ("match regex", "pattern"), ("Invalid enum value", "enum"), ("Invalid UUID", "uuid"),
          ("Invalid RFC3339", "datetime"), ("Missing required", "required"), ("unique", "unique"))


def _rule_of(message: str) -> str:
    for needle, rule in _RULES:
        if needle in message:
            return rule
    return "invalid"


def on_validation(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Litestar's own request validation (body, query, path, headers) as a problem with paths."""
    assert isinstance(exc, ValidationException)
    errors: list[FieldError] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid"))
        source = item.get("source")
        key = item.get("key")
        m = _AT.search(message)
        if m:
            path, message = m.group(1), message[: m.start()]
        elif source in ("query", "path", "header", "cookie") and key:
            path = str(key)
        else:
            path = f"$.{key}" if key else "$"
        if "Object missing required field" in message:
            fm = re.search(r"`([^`]+)`", message)
            if fm:
                path = f"{path}.{fm.group(1)}" if path != "$" else f"$.{fm.group(1)}"
        errors.append(FieldError(path=path, message=message, rule=_rule_of(message)))
    detail = exc.detail if exc.detail and not exc.detail.startswith("Validation failed") else None
    problem = BadRequest(detail or "The request does not match the API's schema.", errors=errors)
    return problem_response(problem, request)


def on_http(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    slug = {401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
            413: "too-large", 415: "unsupported-media-type"}.get(status, "http-error")
    if isinstance(exc, NotAuthorizedException):
        slug = "unauthorized"
    body = {"type": PROBLEM_BASE + slug, "title": exc.detail or "HTTP error", "status": status,
            "instance": request.url.path}
    headers = dict(exc.headers or {})
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    body = {"type": PROBLEM_BASE + "internal", "title": "Something went wrong on our side", "status": 500,
            "instance": request.url.path}
    return Response(content=body, status_code=500, media_type=PROBLEM_JSON)


HANDLERS: dict[Any, Any] = {
    Problem: on_problem,
    ValidationException: on_validation,
    HTTPException: on_http,
    Exception: on_unexpected,
}

__all__ = ["HANDLERS", "PROBLEM_JSON", "MediaType", "problem_response"]
