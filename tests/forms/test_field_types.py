"""Every field type with valid, invalid and edge values: what it stores, what it refuses (and
with which stable rule, where), and the text it shows and reads back."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest

from tack.forms.fields import FIELD_TYPES
from tack.formula import BOOL, DATE, DATETIME, DEPARTMENT, DEPARTMENTS, MEMBER, MEMBERS, NUMBER, TEXT, list_of

from .helpers import (
    ANN,
    APPLE,
    BOB,
    DOCX,
    OPS,
    OPTIONS,
    ORDER,
    PDF,
    PEAR,
    PNG,
    PRODUCTS,
    SALES,
    STRANGER,
    UNTYPED,
    clean,
    refusal,
    settings,
    vctx,
)

A, B = str(ANN), str(BOB)
HUGE = "x" * 1_000_000
ZERO_UUID = "00000000-0000-0000-0000-000000000000"

# (type, settings, sent, stored)
VALID: list[tuple[str, dict[str, Any] | None, Any, Any]] = [
    ("text", None, "hello", "hello"),
    ("text", None, "  a \t b\n c  ", "a b c"),
    ("text", None, "你好，世界 👋", "你好，世界 👋"),
    ("text", None, "a\x00b\x1fc\x7f", "abc"),  # control characters dropped (jsonb refuses NUL)
    ("text", None, "x" * 200, "x" * 200),
    ("text", {"min_length": 2, "max_length": 3}, "abc", "abc"),
    ("text", {"pattern": r"[A-Z]{2}\d{4}", "pattern_message": "Two letters, four digits"}, "AB1234", "AB1234"),
    ("textarea", None, " line 1\r\nline 2\n", "line 1\nline 2"),
    ("textarea", None, "x" * 20_000, "x" * 20_000),
    ("email", None, " Ann.Lee@Example.COM ", "Ann.Lee@example.com"),
    ("phone", None, "+86 138-0013-8000", "+86 138-0013-8000"),
    ("phone", None, "(010) 6552 9988", "(010) 6552 9988"),
    ("url", None, "https://tack.dev/a?b=c#d", "https://tack.dev/a?b=c#d"),
    ("number", None, 12, 12),
    ("number", None, "12.345", 12.35),
    ("number", None, 2.675, 2.68),  # half up, on the decimal that was typed
    ("number", None, "1e3", 1000),
    ("number", None, -0.0, 0),
    ("number", None, 999_999_999_999_999, 999_999_999_999_999),
    ("number", {"decimals": 0}, 2.5, 3),
    ("number", {"min": 0, "max": 100}, 100, 100),
    ("number", {"min": 0, "max": 100}, 0, 0),
    ("number", {"min": 0, "max": 100}, 100.001, 100),  # rounded to the field's decimals first
    ("money", {"currency": "USD"}, "1234.5", 1234.5),
    ("money", None, 0.1 + 0.2, 0.3),
    ("percent", None, "12.5%", 0.125),
    ("percent", {"decimals": 0}, 0.125, 0.13),
    ("percent", None, 1.5, 1.5),
    ("rating", None, 0, 0),
    ("rating", None, 5, 5),
    ("rating", {"max": 10}, 10.0, 10),
    ("select", OPTIONS, "o_sick", "o_sick"),
    ("select", OPTIONS, "Annual", "o_annual"),
    ("select", OPTIONS, "  annual ", "o_annual"),
    ("select", OPTIONS, "ＡＮＮＵＡＬ", "o_annual"),  # full-width letters
    ("select", OPTIONS, "travel,   LOCAL", "o_travel"),
    ("select", OPTIONS, "事假", "o_cn"),
    ("multiselect", OPTIONS, ["Sick", "o_annual", "sick"], ["o_annual", "o_sick"]),  # option order, once each
    ("multiselect", OPTIONS, ["事假"], ["o_cn"]),
    ("multiselect", {**OPTIONS, "max_selections": 2}, ["Sick", "sick", "o_sick", "Annual"], ["o_annual", "o_sick"]),
    ("checkbox", None, True, True),
    ("checkbox", None, False, False),
    ("date", None, "2026-01-31", "2026-01-31"),
    ("date", None, " 2024-02-29 ", "2024-02-29"),
    ("date", None, "0001-01-01", "0001-01-01"),
    ("date", None, "9999-12-31", "9999-12-31"),
    ("date", {"min": "2026-01-01", "max": "2026-12-31"}, "2026-01-01", "2026-01-01"),
    ("datetime", None, "2026-01-05T09:30:00+08:00", "2026-01-05T01:30:00Z"),
    ("datetime", None, "2026-01-05T09:30", "2026-01-05T01:30:00Z"),  # naive: the org's zone
    ("datetime", None, "2026-01-05T01:30:00Z", "2026-01-05T01:30:00Z"),
    ("datetime", None, "2026-01-05 09:30:15.999", "2026-01-05T01:30:15Z"),
    ("datetime", None, "2026-01-05", "2026-01-04T16:00:00Z"),
    ("datetime", None, "2026-01-05T23:30-05:00", "2026-01-06T04:30:00Z"),
    ("member", None, A, A),
    ("member", None, A.upper(), A),
    ("member", None, "{" + A + "}", A),
    ("member", None, A.replace("-", ""), A),
    ("members", None, [B, A, B.upper()], [B, A]),
    ("members", {"max": 2}, [A, B, A], [A, B]),
    ("department", None, str(SALES), str(SALES)),
    ("departments", None, [str(OPS), str(SALES), str(OPS)], [str(OPS), str(SALES)]),
    ("attachment", None, [str(PDF), str(DOCX), str(PDF)], [str(PDF), str(DOCX)]),
    ("attachment", {"accept": ["pdf", "office"]}, [str(PDF), str(DOCX)], [str(PDF), str(DOCX)]),
    ("attachment", {"accept": ["image/*"]}, [str(PNG)], [str(PNG)]),
    ("attachment", {"accept": ["application/pdf"]}, [str(PDF)], [str(PDF)]),
    ("attachment", {"accept": ["images"]}, [str(UNTYPED)], [str(UNTYPED)]),  # type unknown: not judged
    ("image", {"max_files": 1}, [str(PNG)], [str(PNG)]),
    ("signature", None, str(PNG), str(PNG)),
    ("location", None, {"lat": 39.9042, "lng": 116.4074}, {"lat": 39.9042, "lng": 116.4074}),
    ("location", None, {"lat": -90, "lng": 180, "address": "  South \n Pole  "},
     {"lat": -90, "lng": 180, "address": "South Pole"}),
    ("location", None, {"lat": 31.230416789, "lng": 121.4737, "address": ""}, {"lat": 31.2304168, "lng": 121.4737}),
    ("location", None, {"lat": 0.00000001, "lng": 0, "address": "北京市东城区"},
     {"lat": 0, "lng": 0, "address": "北京市东城区"}),
    ("link", {"form_id": str(PRODUCTS)}, str(APPLE), [str(APPLE)]),
    ("link", {"form_id": str(PRODUCTS), "multiple": True}, [str(PEAR), str(APPLE), str(PEAR)], [str(PEAR), str(APPLE)]),
]

# (type, settings, sent, rule, at)
INVALID: list[tuple[str, dict[str, Any] | None, Any, str, str]] = [
    ("text", None, 5, "type", ""),
    ("text", None, None, "type", ""),
    ("text", None, ["a"], "type", ""),
    ("text", None, "x" * 201, "max-length", ""),
    ("text", None, HUGE, "max-length", ""),
    ("text", None, "bad \ud800 half", "characters", ""),
    ("text", {"min_length": 3}, "ab", "min-length", ""),
    ("text", {"pattern": r"\d+"}, "12a", "pattern", ""),
    ("textarea", None, "x" * 20_001, "max-length", ""),
    ("email", None, "not-an-email", "email", ""),
    ("email", None, "a@b", "email", ""),
    ("phone", None, "call me", "phone", ""),
    ("url", None, "javascript:alert(1)", "url", ""),
    ("url", None, "ftp://files.example.com", "url", ""),
    ("number", None, "abc", "type", ""),
    ("number", None, True, "type", ""),
    ("number", None, None, "type", ""),
    ("number", None, [1], "type", ""),
    ("number", None, math.nan, "type", ""),
    ("number", None, "Infinity", "type", ""),
    ("number", None, math.inf, "type", ""),
    ("number", None, 1e15, "maximum", ""),
    ("number", None, -(10**40), "maximum", ""),
    ("number", None, "9" * 5000, "type", ""),
    ("number", {"min": 0, "max": 100}, 100.01, "maximum", ""),
    ("money", None, "1,234.50", "type", ""),  # the API takes numbers; imports strip separators first
    ("money", {"min": 0}, -0.01, "minimum", ""),
    ("number", {"min": 0, "max": 100}, -1, "minimum", ""),
    ("percent", {"max": 1}, "150%", "maximum", ""),
    ("percent", None, "abc%", "type", ""),
    ("rating", None, 6, "range", ""),
    ("rating", None, -1, "range", ""),
    ("rating", None, "3", "range", ""),
    ("rating", None, 2.5, "range", ""),
    ("rating", None, True, "range", ""),
    ("select", OPTIONS, "Vacation", "option", ""),
    ("select", OPTIONS, "", "option", ""),
    ("select", OPTIONS, 3, "type", ""),
    ("select", OPTIONS, ["Annual"], "type", ""),
    ("select", OPTIONS, HUGE, "option", ""),
    ("multiselect", OPTIONS, "Annual", "type", ""),
    ("multiselect", OPTIONS, ["Annual", "Nope"], "option", "[1]"),
    ("multiselect", OPTIONS, ["Annual", 7], "type", "[1]"),
    ("multiselect", OPTIONS, ["Annual"] * 1001, "max-items", ""),
    ("multiselect", {**OPTIONS, "max_selections": 1}, ["Annual", "Sick"], "max-items", ""),
    ("checkbox", None, "true", "type", ""),
    ("checkbox", None, 1, "type", ""),
    ("date", None, "2026-02-30", "date", ""),
    ("date", None, "2026/01/31", "date", ""),
    ("date", None, "2026-1-3", "date", ""),
    ("date", None, "0000-01-01", "date", ""),
    ("date", None, "2026-01-31T10:00:00Z", "date", ""),
    ("date", None, 20260131, "type", ""),
    ("date", None, HUGE, "date", ""),
    ("date", {"min": "2026-01-01"}, "2025-12-31", "minimum", ""),
    ("date", {"max": "2026-12-31"}, "2027-01-01", "maximum", ""),
    ("datetime", None, "yesterday", "datetime", ""),
    ("datetime", None, "2026-13-01T00:00", "datetime", ""),
    ("datetime", None, 1767576600, "type", ""),
    ("datetime", None, "0001-01-01T00:00:00+05:00", "datetime", ""),
    ("datetime", None, "9999-12-31T23:00:00-05:00", "datetime", ""),
    ("datetime", None, HUGE, "datetime", ""),
    ("member", None, str(STRANGER), "exists", ""),
    ("member", None, ZERO_UUID, "exists", ""),
    ("member", None, "Ann Lee", "type", ""),
    ("member", None, 42, "type", ""),
    ("member", None, [A], "type", ""),
    ("members", None, A, "type", ""),
    ("members", None, [A, "nope"], "type", "[1]"),
    ("members", None, [A, str(STRANGER)], "exists", "[1]"),
    ("members", {"max": 1}, [A, B], "max-items", ""),
    ("members", None, [A] * 1001, "max-items", ""),
    ("department", None, A, "exists", ""),  # a member id is not a department
    ("departments", None, [str(SALES), {"id": str(OPS)}], "type", "[1]"),
    ("attachment", None, [str(STRANGER)], "exists", "[0]"),
    ("attachment", None, str(PDF), "type", ""),
    ("attachment", {"accept": ["images"]}, [str(PNG), str(PDF)], "accept", "[1]"),
    ("attachment", {"max_files": 1}, [str(PNG), str(PDF)], "max-items", ""),
    ("attachment", None, [str(PDF)] * 101, "max-items", ""),
    ("image", None, [str(DOCX)], "accept", "[0]"),
    ("signature", None, [str(PNG)], "type", ""),
    ("signature", None, str(PDF), "accept", ""),
    ("signature", None, str(STRANGER), "exists", ""),
    ("location", None, {"lat": 91, "lng": 0}, "range", ".lat"),
    ("location", None, {"lat": 0, "lng": -180.5}, "range", ".lng"),
    ("location", None, {"lat": math.nan, "lng": 0}, "range", ".lat"),
    ("location", None, {"lat": "39.9", "lng": 116.4}, "type", ".lat"),
    ("location", None, {"lat": True, "lng": 116.4}, "type", ".lat"),
    ("location", None, {"lat": 39.9}, "type", ""),
    ("location", None, {"lat": 1, "lng": 2, "alt": 3}, "type", ""),
    ("location", None, {"lat": 1, "lng": 2, "address": 3}, "type", ".address"),
    ("location", None, {"lat": 1, "lng": 2, "address": "x" * 501}, "max-length", ".address"),
    ("location", None, [39.9, 116.4], "type", ""),
    ("location", None, "Beijing", "type", ""),
    ("formula", {"expression": "1"}, 1, "read-only", ""),
    ("serial", None, "VIS-0001", "read-only", ""),
    ("created_by", None, A, "read-only", ""),
    ("created_at", None, "2026-01-05T01:30:00Z", "read-only", ""),
    ("updated_by", None, A, "read-only", ""),
    ("updated_at", None, "2026-01-05T01:30:00Z", "read-only", ""),
    ("section", None, "x", "read-only", ""),
    ("description", None, "x", "read-only", ""),
    ("subtable", None, [{"a": 1}], "type", ""),
    ("link", {"form_id": str(PRODUCTS)}, str(ORDER), "exists", ""),
    ("link", {"form_id": str(PRODUCTS), "multiple": True}, [str(APPLE), str(STRANGER)], "exists", "[1]"),
    ("link", {"form_id": str(PRODUCTS)}, [str(APPLE), str(PEAR)], "max-items", ""),
    ("link", {"form_id": str(PRODUCTS)}, 5, "type", ""),
    ("lookup", {"link": "f_product", "field": "f_price"}, 5, "read-only", ""),
    ("rollup", {"source": "f_lines", "aggregate": "COUNT"}, 5, "read-only", ""),
]


def _id(case: tuple[Any, ...]) -> str:
    return f"{case[0]}-{str(case[2])[:30]}"


@pytest.mark.parametrize("case", VALID, ids=_id)
def test_valid_values_are_stored_normalized(case: tuple[str, dict[str, Any] | None, Any, Any]) -> None:
    type_name, raw, sent, stored = case
    result = clean(type_name, sent, raw)
    assert result == stored and type(result) is type(stored)
    msgspec.json.encode(result)
    assert clean(type_name, result, raw) == result  # what is stored is accepted back unchanged


@pytest.mark.parametrize("case", INVALID, ids=_id)
def test_invalid_values_are_refused_with_a_stable_rule(case: tuple[str, dict[str, Any] | None, Any, str, str]) -> None:
    type_name, raw, sent, rule, at = case
    refused = refusal(type_name, sent, raw)
    assert (refused.rule, refused.at) == (rule, at)
    assert refused.message and len(refused.message) < 300  # clear, and never echoes a huge input


def test_every_type_has_valid_and_invalid_cases() -> None:
    stored_types = {n for n, t in FIELD_TYPES.items() if t.stores_value and not t.computed and n != "subtable"}
    assert stored_types <= {c[0] for c in VALID}
    assert set(FIELD_TYPES) <= {c[0] for c in INVALID}


def test_datetimes_in_a_zone_with_daylight_saving() -> None:
    ny = vctx(time_zone="America/New_York")
    assert clean("datetime", "2026-07-01T09:00", ctx=ny) == "2026-07-01T13:00:00Z"  # EDT
    assert clean("datetime", "2026-01-01T09:00", ctx=ny) == "2026-01-01T14:00:00Z"  # EST
    # 02:30 on the spring-forward night never happens; 01:30 on the fall-back night happens twice.
    assert refusal("datetime", "2026-03-08T02:30", ctx=ny).rule == "datetime"
    assert clean("datetime", "2026-11-01T01:30", ctx=ny) == "2026-11-01T05:30:00Z"
    assert clean("datetime", "2026-03-08T02:30-05:00", ctx=ny) == "2026-03-08T07:30:00Z"  # an offset is exact


def test_messages_name_what_was_expected() -> None:
    assert "Annual" in refusal("select", "Vacation", OPTIONS).message
    assert refusal("number", 101, {"max": 100}).message == "Enter 100 or less."
    assert refusal("percent", 1.5, {"max": 1}).message == "Enter 100% or less."
    assert refusal("date", "2025-12-31", {"min": "2026-01-01"}).message == "Enter 2026-01-01 or later."
    assert "does not exist in America/New_York" in refusal(
        "datetime", "2026-03-08T02:30", ctx=vctx(time_zone="America/New_York")).message


FORMULA_TYPES = [
    ("text", None, TEXT), ("number", None, NUMBER), ("percent", None, NUMBER), ("rating", None, NUMBER),
    ("select", OPTIONS, TEXT), ("multiselect", OPTIONS, list_of(TEXT)), ("checkbox", None, BOOL),
    ("date", None, DATE), ("datetime", None, DATETIME), ("member", None, MEMBER), ("members", None, MEMBERS),
    ("department", None, DEPARTMENT), ("departments", None, DEPARTMENTS), ("attachment", None, list_of(TEXT)),
    ("image", None, list_of(TEXT)), ("signature", None, TEXT), ("location", None, TEXT), ("serial", None, TEXT),
    ("created_by", None, MEMBER), ("created_at", None, DATETIME), ("updated_by", None, MEMBER),
    ("updated_at", None, DATETIME),
]


@pytest.mark.parametrize(("type_name", "raw", "expected"), FORMULA_TYPES, ids=[c[0] for c in FORMULA_TYPES])
def test_formula_types(type_name: str, raw: dict[str, Any] | None, expected: Any) -> None:
    assert FIELD_TYPES.get(type_name).formula_type(settings(type_name, raw)) == expected


def test_formulas_see_what_people_see() -> None:
    select, multi, location = FIELD_TYPES.get("select"), FIELD_TYPES.get("multiselect"), FIELD_TYPES.get("location")
    s = settings("select", OPTIONS)
    assert select.formula_value("o_sick", s) == "Sick"
    assert select.formula_value("o_deleted", s) == "o_deleted"  # an option since deleted shows its id
    assert multi.formula_value(["o_annual", "o_cn"], settings("multiselect", OPTIONS)) == ["Annual", "事假"]
    assert location.formula_value({"lat": 1.5, "lng": 2, "address": "Dock 3"}, None) == "Dock 3"
    assert location.formula_value({"lat": 1.5, "lng": -2}, None) == "1.5, -2"


def test_system_and_serial_fields_are_computed() -> None:
    for name in ("created_by", "created_at", "updated_by", "updated_at", "serial", "formula"):
        assert FIELD_TYPES.get(name).computed
    assert not FIELD_TYPES.get("section").stores_value


def test_an_unticked_checkbox_is_blank() -> None:
    checkbox = FIELD_TYPES.get("checkbox")
    assert checkbox.is_blank(False) and checkbox.is_blank(None) and not checkbox.is_blank(True)
    assert FIELD_TYPES.get("location").is_blank({})
