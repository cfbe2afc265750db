"""Exception handlers: every error leaves as `application/problem+json`."""

from __future__ import annotations

import ast
import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    SerializationException,
    ValidationException,
)
from sqlalchemy.exc import IntegrityError

from tack.core.errors import PROBLEM_BASE, BadRequest, Conflict, FieldError, Problem

log = logging.getLogger("tack.http")

PROBLEM_JSON = "application/problem+json"


def problem_response(problem: Problem, request: Request[Any, Any, Any]) -> Response[Any]:
    return Response(content=problem.to_dict(instance=request.url.path), status_code=problem.status,
                    media_type=PROBLEM_JSON, headers=problem.headers)


def on_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, Problem)
    return problem_response(exc, request)


_AT = re.compile(r" - at `([^`]*)`$")
_NAMED = re.compile(r"`([^`]+)`")
_REGEX = re.compile(r"matching regex (.+)$")
# Most specific first: "Expected `int` >= 1" broke a minimum, not the type.
_RULES = (("of length >=", "min-length"), ("of length <=", "max-length"), ("matching regex", "pattern"),
          (">=", "minimum"), ("<=", "maximum"), ("Object missing required field", "required"),
          ("Object contains unknown field", "unknown-field"), ("Invalid enum value", "enum"),
          ("Invalid UUID", "uuid"), ("Invalid RFC3339", "datetime"), ("Missing required", "required"),
          ("Expected `", "type"), ("unique", "unique"))
# Patterns whose meaning has a better name than "pattern" (see tack.directory.models).
_PATTERN_RULES = {r"\S": ("not-blank", "must not be blank")}


def _rule_of(message: str) -> str:
    for needle, rule in _RULES:
        if needle in message:
            return rule
    return "invalid"


def _field_error(item: dict[str, Any]) -> FieldError:
    """One of Litestar's validation items as a FieldError whose path names the field itself."""
    message = str(item.get("message", "invalid"))
    source, key = item.get("source"), item.get("key")
    m = _AT.search(message)
    if m:
        path, message = m.group(1), message[: m.start()]
    elif source == "body" or key is None:
        # Litestar names body fields without the `$.`, and the body itself `data`.
        path = "$" if key in (None, "data") else f"$.{key}"
    else:
        path = str(key)  # a query, path, header or cookie parameter
    if source == "body" and key == "data" and message == "'data'":
        return FieldError(path="$", message="A JSON body is required.", rule="required")  # no body at all
    rule = _rule_of(message)
    if rule in ("required", "unknown-field") and path.startswith("$"):
        named = _NAMED.search(message)
        if named:
            path = f"{path}.{named.group(1)}"
    elif rule == "pattern" and (rm := _REGEX.search(message)):
        try:
            rule, message = _PATTERN_RULES[ast.literal_eval(rm.group(1))]
        except (KeyError, ValueError, SyntaxError):
            pass
    return FieldError(path=path, message=message, rule=rule)


def on_validation(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Litestar's own request validation (body, query, path, headers) as a problem with paths."""
    assert isinstance(exc, ValidationException)
    errors = [_field_error(item) for item in (exc.extra if isinstance(exc.extra, list) else [])
              if isinstance(item, dict)]
    detail = exc.detail if exc.detail and not exc.detail.startswith("Validation failed") else None
    problem = BadRequest(detail or "The request does not match the API's schema.", errors=errors)
    return problem_response(problem, request)


def on_http(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    if isinstance(exc.__cause__, SerializationException):
        # The body is not JSON at all (Litestar wraps the decoder's error in a 400).
        return problem_response(BadRequest("The body is not valid JSON.", errors=[
            FieldError(path="$", message=str(exc.__cause__), rule="json")]), request)
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


def on_integrity(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A constraint the database enforced: the services check every rule first, so this is two
    requests racing for the same unique value (say, one email added twice at once). The loser's
    transaction rolled back whole; it may retry and will then get the service's own answer."""
    log.info("constraint violation on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(Conflict("A concurrent change took this value first; retry the request."), request)


HANDLERS: dict[Any, Any] = {
    Problem: on_problem,
    IntegrityError: on_integrity,
    ValidationException: on_validation,
    HTTPException: on_http,
    Exception: on_unexpected,
}

__all__ = ["HANDLERS", "PROBLEM_JSON", "MediaType", "problem_response"]
