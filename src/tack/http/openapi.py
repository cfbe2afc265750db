"""The OpenAPI document tells the truth about responses, as schemathesis checks in tests/api.

Errors: Litestar documents its own validation-error shape (`status_code`, `detail`, `extra`) on
each operation, which is not what Tack sends (see `tack.http.problems`). Those entries become
one `default` response per operation, a `Problem` (RFC 9457) with its per-field `errors`, so
clients generated from the document parse our errors correctly.

No content: a handler that returns `Response[None]` is documented with a JSON body of `null`;
a 204 has no body at all.
"""

from __future__ import annotations

from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

PROBLEM_JSON = "application/problem+json"

FIELD_ERROR = Schema(
    type=OpenAPIType.OBJECT, required=["path", "message", "rule"], title="FieldError",
    description="One bad input: where it is and which rule it broke.",
    properties={
        "path": Schema(type=OpenAPIType.STRING, description="`$.name`, `$.department_ids[0]` for the body; "
                                                             "the parameter's name for path, query and headers"),
        "message": Schema(type=OpenAPIType.STRING, description="For people"),
        "rule": Schema(type=OpenAPIType.STRING, description="Stable: `required`, `type`, `max-length`, `unique`, "
                                                             "`exists`, `no-cycle`, ..."),
    },
)

PROBLEM = Schema(
    type=OpenAPIType.OBJECT, required=["type", "title", "status"], title="Problem",
    description="An error (RFC 9457 problem details).",
    properties={
        "type": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.URI, description="Stable; clients may switch on it"),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "instance": Schema(type=OpenAPIType.STRING),
        "errors": Schema(type=OpenAPIType.ARRAY, items=Reference(ref="#/components/schemas/FieldError")),
    },
)


def document_responses(doc: OpenAPI) -> None:
    """Replace each operation's documented 4xx/5xx responses with the `Problem` default, and
    take the body off its 204."""
    assert doc.components is not None and not isinstance(doc.components, list)
    doc.components.schemas["FieldError"] = FIELD_ERROR
    doc.components.schemas["Problem"] = PROBLEM
    problem = OpenAPIResponse(
        description="An error, as application/problem+json: 400 malformed (with `errors`), 401 not signed "
                    "in, 403 not allowed, 404 not found (also: not a member of the organization), 409 "
                    "conflict, 422 invalid (with `errors`), 429 too many requests",
        content={PROBLEM_JSON: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))})
    for item in (doc.paths or {}).values():
        for op in (item.get, item.put, item.post, item.patch, item.delete):
            if op is None:
                continue
            kept = {code: r for code, r in (op.responses or {}).items() if not code.startswith(("4", "5"))}
            if isinstance(kept.get("204"), OpenAPIResponse):
                kept["204"] = OpenAPIResponse(description=kept["204"].description)
            op.responses = {**kept, "default": problem}
