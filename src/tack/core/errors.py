"""Problem details (RFC 9457): every error Tack returns is `application/problem+json`.

Services raise these; the HTTP layer renders them. `type` is stable (clients may switch on it),
`title` is for people, `errors` names each bad field by JSON path and the rule it broke.
"""

from __future__ import annotations

from typing import Any

import msgspec

PROBLEM_BASE = "https://tack.dev/problems/"


class FieldError(msgspec.Struct, frozen=True):
    path: str
    message: str
    rule: str


class Problem(Exception):
    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or title or self.title)
        self.detail = detail
        self.errors = errors or []
        if title:
            self.title = title
        self.headers = headers or {}
        self.extra = extra or {}

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [msgspec.structs.asdict(e) for e in self.errors]
        # Extra members never replace the standard ones (a 409 stays a 409 whatever it carries).
        body.update({k: v for k, v in self.extra.items() if k not in body})
        return body


class BadRequest(Problem):
    status, slug, title = 400, "bad-request", "The request is malformed"


class ValidationFailed(Problem):
    status, slug, title = 422, "validation", "Some fields are not valid"

    @classmethod
    def field(cls, path: str, message: str, rule: str) -> ValidationFailed:
        return cls(message, errors=[FieldError(path=path, message=message, rule=rule)])


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Sign-in required"


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "You may not do this"


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "The request conflicts with the current state"


class RateLimited(Problem):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class Gone(Problem):
    status, slug, title = 410, "gone", "This is no longer available"
