"""Serial numbers: `VIS-20260131-0042`, from a pattern of date parts and a counter.

The pattern mixes literal text with parts in braces: `{YYYY}` `{YY}` `{MM}` `{DD}` (the
record's creation date in the organization's time zone) and one counter `{#}`...`{##########}`
(zero-padded to that many digits; a counter that outgrows them shows all its digits, so
numbers stay unique). The counter starts again at 1 every year, month or day (`reset`), or
never. The record store keeps one gap-free counter per form, field and `period_key`, taken in
the same transaction as the record; this module only says what the number looks like.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from tack.forms.fields.base import FieldType, Invalid, ValueContext, field_type
from tack.formula import TEXT, Type

Reset = Literal["never", "yearly", "monthly", "daily"]
DATE_PARTS = ("YYYY", "YY", "MM", "DD")
_PART = re.compile(r"\{([^{}]*)\}")
# What the pattern must show so that numbers never repeat: a counter that restarts every month
# needs the month *and* the year in the number.
_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "never": (),
    "yearly": (("YYYY", "YY"),),
    "monthly": (("YYYY", "YY"), ("MM",)),
    "daily": (("YYYY", "YY"), ("MM",), ("DD",)),
}


class SerialSettings(msgspec.Struct, forbid_unknown_fields=True):
    pattern: Annotated[str, Meta(min_length=1, max_length=100)] = "{####}"
    reset: Reset = "never"


@dataclass(frozen=True)
class _Counter:
    digits: int


def parse_pattern(pattern: str) -> list[str | _Counter]:
    """The pattern's parts: literal text, date part names and the counter. ValueError says
    what is wrong with a bad pattern."""
    parts: list[str | _Counter] = []
    position = 0
    counters = 0
    for m in _PART.finditer(pattern):
        literal = pattern[position : m.start()]
        if "{" in literal or "}" in literal:
            raise ValueError("The pattern has a brace that does not close: write parts like {YYYY} or {####}.")
        if literal:
            parts.append(literal)
        token = m.group(1)
        if token in DATE_PARTS:
            parts.append(token)
        elif re.fullmatch(r"#{1,10}", token):
            parts.append(_Counter(len(token)))
            counters += 1
        else:
            raise ValueError(f"Unknown part {{{token[:20]}}}: use {{YYYY}}, {{YY}}, {{MM}}, {{DD}} "
                             "or a counter of 1 to 10 # such as {####}.")
        position = m.end()
    rest = pattern[position:]
    if "{" in rest or "}" in rest:
        raise ValueError("The pattern has a brace that does not close: write parts like {YYYY} or {####}.")
    if rest:
        parts.append(rest)
    if counters != 1:
        raise ValueError("The pattern needs exactly one counter, such as {####}.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in pattern):
        raise ValueError("The pattern cannot contain control characters.")
    return parts


def check_pattern(pattern: str, reset: str) -> None:
    """ValueError when the pattern is malformed, or would repeat numbers under `reset`."""
    parts = set(p for p in parse_pattern(pattern) if isinstance(p, str) and p in DATE_PARTS)
    for alternatives in _NEEDS[reset]:
        if not parts.intersection(alternatives):
            missing = " or ".join("{" + a + "}" for a in alternatives)
            raise ValueError(f"A counter that restarts {_EVERY[reset]} needs {missing} in the pattern, "
                             "or numbers would repeat.")


_EVERY = {"yearly": "every year", "monthly": "every month", "daily": "every day"}


def format_serial(pattern: str, when: dt.date, counter: int) -> str:
    """The serial number for the `counter`-th record of its period, created on `when` (a date
    in the organization's time zone; a datetime's own calendar date is used as it is)."""
    if isinstance(counter, bool) or not isinstance(counter, int) or counter < 0:
        raise ValueError("The counter is a whole number, 0 or more.")
    values = {"YYYY": f"{when.year:04d}", "YY": f"{when.year % 100:02d}",
              "MM": f"{when.month:02d}", "DD": f"{when.day:02d}"}
    out = []
    for part in parse_pattern(pattern):
        if isinstance(part, _Counter):
            out.append(f"{counter:0{part.digits}d}")
        elif part in values:
            out.append(values[part])
        else:
            out.append(part)
    return "".join(out)


def period_key(reset: str, when: dt.date) -> str:
    """Which counter a record created on `when` takes its number from: "" (one counter for
    ever), "2026", "2026-01" or "2026-01-31"."""
    if reset == "never":
        return ""
    if reset == "yearly":
        return f"{when.year:04d}"
    if reset == "monthly":
        return f"{when.year:04d}-{when.month:02d}"
    if reset == "daily":
        return f"{when.year:04d}-{when.month:02d}-{when.day:02d}"
    raise ValueError(f"Unknown reset {reset!r}: never, yearly, monthly or daily.")


@field_type
class Serial(FieldType):
    name = "serial"
    query_kind = "text"
    family = "serial"
    Settings = SerialSettings
    computed = True

    def check_settings(self, s: Any) -> None:
        try:
            check_pattern(s.pattern, s.reset)
        except ValueError as exc:
            raise Invalid(str(exc), "pattern", at=".pattern") from None

    def formula_type(self, settings: Any) -> Type:
        return TEXT

    def clean(self, value: Any, settings: Any, vctx: ValueContext) -> Any:
        raise Invalid("Serial numbers are given by Tack; they cannot be set.", "read-only")
