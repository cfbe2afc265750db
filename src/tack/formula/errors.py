"""Errors a formula can raise while it is parsed, checked or compiled.

A `FormulaError` always says *where* (line, column, offset, end offset) so the formula editor
can underline the exact spot, and *what* in the words of someone who knows spreadsheets, not
parsers. `as_validation_error` turns one into Tack's problem+json `ValidationFailed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tack.core.errors import FieldError, ValidationFailed

ErrorKind = Literal["syntax", "limit", "type", "cycle", "unsupported"]


@dataclass(frozen=True, slots=True)
class Span:
    """Where a piece of a formula sits in its source: 0-based offsets, 1-based line and column."""

    offset: int
    end: int
    line: int
    column: int


NO_SPAN = Span(0, 0, 1, 1)


class FormulaError(Exception):
    """A formula that cannot be parsed, type-checked, ordered or compiled.

    `kind` lets callers tell a broken formula ("syntax", "type", "limit", "cycle") from a good
    one that simply has no SQL form ("unsupported": fall back to evaluating in Python).
    """

    kind: ErrorKind = "type"
    field: str | None = None  # set by DependencyGraph: which computed field's formula is at fault
    cycle: tuple[str, ...] = ()  # for kind "cycle": the fields around the circle

    def __init__(
        self,
        message: str,
        span: Span = NO_SPAN,
        *,
        kind: ErrorKind | None = None,
        expected: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.expected = tuple(expected)
        if kind is not None:
            self.kind = kind

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def offset(self) -> int:
        return self.span.offset

    @property
    def end(self) -> int:
        return self.span.end

    def __str__(self) -> str:
        return f"{self.message} (line {self.line}, column {self.column})"

    def to_dict(self) -> dict[str, object]:
        return {
            "message": self.message,
            "kind": self.kind,
            "line": self.line,
            "column": self.column,
            "offset": self.offset,
            "end": self.end,
            "expected": list(self.expected),
            **({"field": self.field} if self.field is not None else {}),
        }


class NotSqlCompatible(FormulaError):
    """The formula is fine but part of it cannot run inside the database; evaluate it in Python."""

    kind: ErrorKind = "unsupported"


def as_validation_error(error: FormulaError, path: str) -> ValidationFailed:
    """The problem+json error for a bad formula at `path` (a JSON path such as
    `$.fields[3].formula`). The position goes in the message for people and in
    `formula_errors` for the editor, which underlines `offset`..`end`."""
    message = str(error)
    return ValidationFailed(
        message,
        errors=[FieldError(path=path, message=message, rule="formula")],
        extra={"formula_errors": [{"path": path, **error.to_dict()}]},
    )
