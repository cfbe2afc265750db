"""Text family: single-line and multi-line text, email, phone, URL."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta

from tack.forms.fields.base import FieldType, Invalid, ValueContext, field_type
from tack.formula import TEXT, Type


class TextSettings(msgspec.Struct, forbid_unknown_fields=True):
    min_length: Annotated[int, Meta(ge=0, le=100_000)] | None = None
    max_length: Annotated[int, Meta(ge=1, le=100_000)] | None = None
    pattern: Annotated[str, Meta(max_length=500)] | None = None  # a regular expression the text must match
    pattern_message: Annotated[str, Meta(max_length=200)] | None = None


class _Text(FieldType):
    family = "text"
    Settings: ClassVar[type[msgspec.Struct]] = TextSettings
    limit: ClassVar[int] = 200  # when the form sets no max_length
    multiline: ClassVar[bool] = False

    def check_settings(self, s: Any) -> None:
        if s.min_length is not None and s.max_length is not None and s.min_length > s.max_length:
            raise Invalid("The minimum length is above the maximum.", "min-max")
        if s.pattern is not None:
            try:
                re.compile(s.pattern)
            except re.error as exc:
                raise Invalid(f"The pattern is not a valid regular expression: {exc}.", "pattern") from None

    def formula_type(self, settings: Any) -> Type:
        return TEXT

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        if not isinstance(value, str):
            raise Invalid("Expected text.", "type")
        text = value if self.multiline else " ".join(value.split())
        text = text.strip()
        limit = s.max_length or self.limit
        if len(text) > limit:
            raise Invalid(f"Use at most {limit} characters.", "max-length")
        if s.min_length is not None and len(text) < s.min_length:
            raise Invalid(f"Use at least {s.min_length} characters.", "min-length")
        if s.pattern is not None and re.fullmatch(s.pattern, text) is None:
            raise Invalid(s.pattern_message or "This does not have the expected form.", "pattern")
        return self.normalize(text)

    def normalize(self, text: str) -> str:
        return text


@field_type
class Text(_Text):
    name = "text"


@field_type
class TextArea(_Text):
    name = "textarea"
    limit = 20_000
    multiline = True


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{1,38}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@field_type
class Email(_Text):
    name = "email"
    limit = 320

    def normalize(self, text: str) -> str:
        if not _EMAIL.match(text):
            raise Invalid("Enter an email address like name@example.com.", "email")
        local, _, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"


@field_type
class Phone(_Text):
    name = "phone"
    limit = 40

    def normalize(self, text: str) -> str:
        if not _PHONE.match(text):
            raise Invalid("Enter a phone number: digits, spaces, brackets, dashes and an optional +.", "phone")
        return text


@field_type
class Url(_Text):
    name = "url"
    limit = 2000

    def normalize(self, text: str) -> str:
        if not _URL.match(text):
            raise Invalid("Enter a web address starting with http:// or https://.", "url")
        return text
