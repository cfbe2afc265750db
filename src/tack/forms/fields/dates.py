"""Dates family: date and date-time.

A date is stored as ISO text, `YYYY-MM-DD`; a date-time as ISO 8601 in UTC with a `Z`
(`2026-01-31T06:30:00Z`, to the second). Both sort correctly as text, which is what lets the
query compiler index and compare them in SQLite and PostgreSQL alike. A date-time sent without
an offset means the wall-clock time in the organization's time zone.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta

from tack.forms.fields.base import FieldType, Invalid, NoSettings, ValueContext, field_type
from tack.formula import DATE, DATETIME, Type

IsoDate = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")]


class DateSettings(msgspec.Struct, forbid_unknown_fields=True):
    min: IsoDate | None = None
    max: IsoDate | None = None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Imported cells: 2026-01-31, 2026/1/31, 2026.1.31, 2026年1月31日 (a midnight time is ignored).
_DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+0{1,2}:00(?::00(?:\.0+)?)?)?"
)
_DATETIME_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:\s+|T)(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(\.\d{1,6})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?"
)


def parse_date(text: str, *, at: str = "") -> dt.date:
    if not _ISO_DATE.fullmatch(text):
        raise Invalid("Enter the date as YYYY-MM-DD, like 2026-01-31.", "date", at=at)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"There is no date {text}.", "date", at=at) from None


def iso_utc(moment: dt.datetime) -> str:
    """An aware date-time as Tack stores it: UTC, to the second, with a Z."""
    try:
        u = moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise Invalid("The date and time is out of range.", "datetime") from None
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def in_zone(naive: dt.datetime, zone: str) -> dt.datetime:
    """A wall-clock time in `zone`. A time the clocks skip (spring forward) does not exist and
    is refused; a time they pass twice (fall back) is the first of the two."""
    tz = ZoneInfo(zone)
    aware = naive.replace(tzinfo=tz)
    try:
        back = aware.astimezone(dt.UTC).astimezone(tz)
    except (OverflowError, ValueError):
        raise Invalid("The date and time is out of range.", "datetime") from None
    if back.replace(tzinfo=None) != naive:
        raise Invalid(f"{naive:%H:%M} on {naive.date().isoformat()} does not exist in {zone} "
                      "(the clocks go forward).", "datetime")
    return aware


@field_type
class DateField(FieldType):
    name = "date"
    query_kind = "date"
    family = "date"
    Settings = DateSettings

    def check_settings(self, s: Any) -> None:
        low = parse_date(s.min, at=".min") if s.min is not None else None
        high = parse_date(s.max, at=".max") if s.max is not None else None
        if low is not None and high is not None and low > high:
            raise Invalid("The earliest date is after the latest.", "min-max", at=".max")

    def formula_type(self, settings: Any) -> Type:
        return DATE

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        if not isinstance(value, str):
            raise Invalid("Expected a date as text, like 2026-01-31.", "type")
        day = parse_date(value.strip())
        if s.min is not None and day < dt.date.fromisoformat(s.min):
            raise Invalid(f"Enter {s.min} or later.", "minimum")
        if s.max is not None and day > dt.date.fromisoformat(s.max):
            raise Invalid(f"Enter {s.max} or earlier.", "maximum")
        return day.isoformat()

    def from_text(self, text: str, s: Any) -> Any:
        m = _DATE_TEXT.fullmatch(text.strip())
        if m is None:
            return text.strip()
        year, month, day = (int(g) for g in m.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"  # clean says so if there is no such day


@field_type
class DateTimeField(FieldType):
    name = "datetime"
    query_kind = "datetime"
    family = "date"
    Settings = NoSettings

    def formula_type(self, settings: Any) -> Type:
        return DATETIME

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        if not isinstance(value, str):
            raise Invalid("Expected a date and time as text, like 2026-01-31T14:30+08:00.", "type")
        text = value.strip()
        try:
            if len(text) > 40:
                raise ValueError
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise Invalid("Enter a date and time like 2026-01-31T14:30 (ISO 8601, with or without an "
                          "offset).", "datetime") from None
        if moment.tzinfo is None:
            moment = in_zone(moment, vctx.time_zone)
        return iso_utc(moment)

    def from_text(self, text: str, s: Any) -> Any:
        m = _DATETIME_TEXT.fullmatch(text.strip())
        if m is None:
            return text.strip()
        year, month, day, hour, minute, second, fraction, offset = m.groups()
        iso = f"{int(year):04d}-{int(month):02d}-{int(day):02d}T{int(hour or 0):02d}:{minute or '00'}:{second or '00'}"
        if offset:
            iso += "+00:00" if offset == "Z" else offset[:3] + ":" + offset[-2:]
        return iso  # clean checks the numbers
