"""Text family: single-line and multi-line text, email, phone, URL."""

from __future__ import annotations

import importlib
import re
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta

from tack.forms.fields.base import FieldType, Invalid, ValueContext, field_type, plain_text
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
            raise Invalid("The minimum length is above the maximum.", "min-max", at=".max_length")
        if s.pattern is not None:
            try:
                re.compile(s.pattern)
            except re.error as exc:
                raise Invalid(f"The pattern is not a valid regular expression: {exc}.", "pattern",
                              at=".pattern") from None
            if _may_backtrack_for_ever(s.pattern):
                raise Invalid("The pattern repeats a part that itself repeats or has alternatives, such as "
                              "(a+)+ or (a|b)*, which can take hours on some inputs. Write it with a "
                              "character class instead, such as [ab]*.", "pattern", at=".pattern")

    def formula_type(self, settings: Any) -> Type:
        return TEXT

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        if not isinstance(value, str):
            raise Invalid("Expected text.", "type")
        text = plain_text(value)
        text = text.replace("\r\n", "\n") if self.multiline else " ".join(text.split())
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
    query_kind = "text"


@field_type
class TextArea(_Text):
    name = "textarea"
    query_kind = "text"
    limit = 20_000
    multiline = True


_PARSER: Any = importlib.import_module("re._parser")  # the stdlib's own regex parser (3.11+)
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT"}
_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
               "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}


def _may_backtrack_for_ever(pattern: str) -> bool:
    """Whether a designer's pattern has a variable repetition inside another (`(a+)+`,
    `(a|ab)*`): the shape of catastrophic backtracking. Python's `re` has no time limit, and
    one such pattern on one near-miss input pins a worker, so those are refused when the form
    is saved. Fine: fixed counts (`(\\d{3},)*`), and repeated parts that start or end with a
    character their inner repeats cannot match (`(\\.\\w+)+`: each round starts at a dot)."""

    def walk(items: Any, in_loop: bool) -> bool:
        for op, av in items:
            name = str(op)
            if name in _REPEATS:
                low, high, sub = av
                loop = low != high and not _delimited(sub)
                if (low != high and in_loop) or walk(sub, in_loop or loop):
                    return True
            elif name == "BRANCH":
                if in_loop or any(walk(b, in_loop) for b in av[1]):
                    return True
            elif name == "SUBPATTERN" and walk(av[-1], in_loop):
                return True
            elif name in ("ASSERT", "ASSERT_NOT") and walk(av[1], in_loop):
                return True
        return False

    try:
        return walk(_PARSER.parse(pattern), False)
    except Exception:  # a parser that changed shape: judge nothing rather than refuse everything
        return False


def _delimited(body: Any) -> bool:
    items = list(body)
    while len(items) == 1 and str(items[0][0]) == "SUBPATTERN":
        items = list(items[0][1][-1])
    for end in (items[0], items[-1]) if items else ():
        chars = _chars(end)
        if chars and not any(_any_repeat_matches(items, ch) for ch in chars):
            return True
    return False


def _chars(item: Any) -> list[str] | None:
    """The characters a separator (`.`, `[-.]`) matches; None when it is not a small, plain set."""
    op, av = item
    if str(op) == "LITERAL":
        return [chr(av)]
    if str(op) != "IN":
        return None
    out: list[str] = []
    for kind, x in av:
        if str(kind) == "LITERAL":
            out.append(chr(x))
        elif str(kind) == "RANGE" and x[1] - x[0] < 64:
            out.extend(chr(c) for c in range(x[0], x[1] + 1))
        else:
            return None
    return out


def _any_repeat_matches(items: Any, ch: str) -> bool:
    """Whether a variable repeat among `items` (at any depth) may match `ch` (when unsure: yes)."""
    for op, av in items:
        name = str(op)
        if name in _REPEATS:
            low, high, sub = av
            if low != high and _may_match(list(sub), ch):
                return True
            if _any_repeat_matches(sub, ch):
                return True
        elif name == "SUBPATTERN" and _any_repeat_matches(av[-1], ch):
            return True
        elif name == "BRANCH" and any(_any_repeat_matches(b, ch) for b in av[1]):
            return True
    return False


def _may_match(items: list[Any], ch: str) -> bool:
    if len(items) != 1:
        return True
    op, av = items[0]
    name = str(op)
    if name == "LITERAL":
        return bool(av == ord(ch))
    if name == "NOT_LITERAL":
        return bool(av != ord(ch))
    if name == "IN":
        negate, hit = False, False
        for item_op, item in av:
            kind = str(item_op)
            if kind == "NEGATE":
                negate = True
            elif kind == "LITERAL":
                hit = hit or item == ord(ch)
            elif kind == "RANGE":
                hit = hit or item[0] <= ord(ch) <= item[1]
            elif kind == "CATEGORY" and str(item) in _CATEGORIES:
                hit = hit or re.fullmatch(_CATEGORIES[str(item)], ch) is not None
            else:
                return True
        return hit != negate
    return True


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9(][0-9 ()\-]{1,38}$")  # "+86 138-0013-8000", "(010) 6552 9988"
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@field_type
class Email(_Text):
    name = "email"
    query_kind = "text"
    limit = 320

    def normalize(self, text: str) -> str:
        if not _EMAIL.match(text):
            raise Invalid("Enter an email address like name@example.com.", "email")
        local, _, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"


@field_type
class Phone(_Text):
    name = "phone"
    query_kind = "text"
    limit = 40

    def normalize(self, text: str) -> str:
        if not _PHONE.match(text) or sum(ch.isdigit() for ch in text) < 3:
            raise Invalid("Enter a phone number: digits, spaces, brackets, dashes and an optional +.", "phone")
        return text


@field_type
class Url(_Text):
    name = "url"
    query_kind = "text"
    limit = 2000

    def normalize(self, text: str) -> str:
        if not _URL.match(text):
            raise Invalid("Enter a web address starting with http:// or https://.", "url")
        return text
