"""Location: coordinates (WGS 84, as phones report them) with an optional address.

Stored as `{"lat": 39.9042, "lng": 116.4074, "address": "..."}`, coordinates rounded to seven
decimals (about a centimetre: more is noise from the sensor, and fewer digits keep stored
values and comparisons stable).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from tack.forms.fields.base import FieldType, Invalid, ValueContext, field_type, plain_text
from tack.formula import TEXT, Type

MAX_ADDRESS = 500
DECIMALS = 7
_KEYS = frozenset({"lat", "lng", "address"})
_TEXT = re.compile(r"\s*(-?\d{1,3}(?:\.\d+)?)\s*[,，]\s*(-?\d{1,3}(?:\.\d+)?)(?:\s+(.*))?", re.DOTALL)


def _coordinate(value: Any, key: str, limit: int) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"Expected a number for {key}.", "type", at=f".{key}")
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise Invalid(f"{'Latitude' if key == 'lat' else 'Longitude'} goes from -{limit} to {limit}.",
                      "range", at=f".{key}")
    rounded = round(float(value), DECIMALS)
    return int(rounded) if rounded.is_integer() else rounded


def _number_text(x: Any) -> str:
    """Plain decimals, never an exponent (1e-07 would not import back)."""
    if isinstance(x, float):
        return f"{x:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return str(x)


@field_type
class Location(FieldType):
    name = "location"
    query_kind = "presence"
    family = "location"

    def formula_type(self, settings: Any) -> Type:
        return TEXT  # formulas see the address (or the coordinates when there is none)

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        if not isinstance(value, Mapping) or "lat" not in value or "lng" not in value:
            raise Invalid("Expected a location: {lat, lng} with an optional address.", "type")
        unknown = [k for k in value if k not in _KEYS]
        if unknown:
            raise Invalid(f"A location has lat, lng and address, not {str(unknown[0])[:40]!r}.", "type")
        out: dict[str, Any] = {"lat": _coordinate(value["lat"], "lat", 90),
                               "lng": _coordinate(value["lng"], "lng", 180)}
        address = value.get("address")
        if address is not None:
            if not isinstance(address, str):
                raise Invalid("Expected the address as text.", "type", at=".address")
            address = " ".join(plain_text(address).split())
            if len(address) > MAX_ADDRESS:
                raise Invalid(f"Use at most {MAX_ADDRESS} characters for the address.", "max-length",
                              at=".address")
            if address:
                out["address"] = address
        return out

    def is_blank(self, value: Any) -> bool:
        return value is None or value == "" or value == {}

    def formula_value(self, value: Any, s: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        return value.get("address") or f"{_number_text(value.get('lat'))}, {_number_text(value.get('lng'))}"

    def to_text(self, value: Any, s: Any) -> str:
        """`lat,lng` then the address after a space: `39.9042,116.4074 1 Chang'an Avenue`."""
        if not isinstance(value, Mapping):
            return "" if value is None else str(value)
        text = f"{_number_text(value.get('lat'))},{_number_text(value.get('lng'))}"
        return f"{text} {value['address']}" if value.get("address") else text

    def from_text(self, text: str, s: Any) -> Any:
        m = _TEXT.fullmatch(text)
        if m is None:
            return text.strip()  # an address alone has no coordinates: clean refuses it
        lat, lng, address = m.groups()
        out: dict[str, Any] = {"lat": float(lat), "lng": float(lng)}
        if address and address.strip():
            out["address"] = address.strip()
        return out
