"""Number family: number, money (with a currency), percent and rating."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta

from tack.forms.fields.base import FieldType, Invalid, ValueContext, field_type
from tack.formula import NUMBER, Type

LIMIT = 1e15  # beyond 15 significant digits a float no longer holds every integer exactly


class NumberSettings(msgspec.Struct, forbid_unknown_fields=True):
    min: float | None = None
    max: float | None = None
    decimals: Annotated[int, Meta(ge=0, le=10)] = 2
    unit: Annotated[str, Meta(max_length=20)] | None = None


class MoneySettings(NumberSettings, forbid_unknown_fields=True):
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")] = "CNY"


class RatingSettings(msgspec.Struct, forbid_unknown_fields=True):
    max: Annotated[int, Meta(ge=1, le=10)] = 5


class _Number(FieldType):
    family = "number"
    Settings: ClassVar[type[msgspec.Struct]] = NumberSettings

    def check_settings(self, s: Any) -> None:
        if s.min is not None and s.max is not None and s.min > s.max:
            raise Invalid("The minimum is above the maximum.", "min-max", at=".max")

    def formula_type(self, settings: Any) -> Type:
        return NUMBER

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        number = _number(value)
        number = round_half_up(number, s.decimals)
        if s.min is not None and number < s.min:
            raise Invalid(f"Enter {s.min:g} or more.", "minimum")
        if s.max is not None and number > s.max:
            raise Invalid(f"Enter {s.max:g} or less.", "maximum")
        return number

    def to_text(self, value: Any, s: Any) -> str:
        if value is None:
            return ""
        return f"{value:.{s.decimals}f}"

    def from_text(self, text: str, s: Any) -> Any:
        return _CELL_NOISE.sub("", text)


# Thousands separators, spaces and currency signs in an imported cell. Locale-neutral: a comma
# is always a thousands separator, a point always the decimal point.
_CELL_NOISE = re.compile(r"[,\s¥￥$€£元]")


def _number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise Invalid("Expected a number.", "type")
    if isinstance(value, int | float):
        number: float | int = value
    elif isinstance(value, str):
        try:
            number = float(Decimal(value.strip()))
        except (InvalidOperation, ValueError):
            raise Invalid("Expected a number.", "type") from None
    else:
        raise Invalid("Expected a number.", "type")
    if isinstance(number, float) and not math.isfinite(number):
        raise Invalid("Expected a finite number.", "type")
    if abs(number) >= LIMIT:
        raise Invalid("The number is too large.", "maximum")
    return number


def round_half_up(number: float | int, decimals: int) -> float | int:
    """Rounded the way people round money (2.675 → 2.68), integral results as ints."""
    if isinstance(number, int) or not math.isfinite(number) or abs(number) >= LIMIT:
        return number  # beyond 15 digits there is nothing left to round
    rounded = float(Decimal(repr(number)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
    return int(rounded) if rounded.is_integer() else rounded


@field_type
class Number(_Number):
    name = "number"
    query_kind = "number"


@field_type
class Money(_Number):
    name = "money"
    query_kind = "number"
    Settings = MoneySettings


@field_type
class Percent(_Number):
    """Stored as the fraction (12.5 % is 0.125), as spreadsheets do."""

    name = "percent"
    query_kind = "number"

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            value = _number(value.strip()[:-1]) / 100
        # `decimals` counts the digits shown after the percent's point: 12.5 % with one
        # decimal is the fraction 0.125, which keeps three.
        number = round_half_up(_number(value), s.decimals + 2)
        if abs(number) >= LIMIT / 100:  # so that its percent, as shown and imported, stays a number
            raise Invalid("The number is too large.", "maximum")
        if s.min is not None and number < s.min:
            raise Invalid(f"Enter {s.min * 100:g}% or more.", "minimum")
        if s.max is not None and number > s.max:
            raise Invalid(f"Enter {s.max * 100:g}% or less.", "maximum")
        return number

    def to_text(self, value: Any, s: Any) -> str:
        return "" if value is None else f"{value * 100:.{s.decimals}f}%"

    def from_text(self, text: str, s: Any) -> Any:
        cell = _CELL_NOISE.sub("", text)
        return cell if cell.endswith("%") or not cell else cell + "%"  # "12.5" in a percent column is 12.5 %


@field_type
class Rating(FieldType):
    name = "rating"
    query_kind = "number"
    family = "number"
    Settings = RatingSettings

    def formula_type(self, settings: Any) -> Type:
        return NUMBER

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= s.max:
            raise Invalid(f"Expected a whole number of stars from 0 to {s.max}.", "range")
        return value

    def from_text(self, text: str, s: Any) -> Any:
        cell = text.strip()
        if cell and set(cell) <= {"★", "☆"}:
            return cell.count("★")  # "★★★☆☆"
        try:
            return int(cell)
        except ValueError:
            return cell
