"""Display / CSV export (`to_text`) and import (`from_text`): stable, locale-neutral text that
reads back to the same stored value, and the spellings people put in spreadsheets."""

from __future__ import annotations

from typing import Any

import pytest

from tack.forms.fields import FIELD_TYPES

from .helpers import (
    ANN,
    APPLE,
    BOB,
    DOCX,
    OPS,
    OPTIONS,
    PDF,
    PEAR,
    PNG,
    PRODUCTS,
    SALES,
    clean,
    refusal,
    settings,
)

A, B = str(ANN), str(BOB)

# (type, settings, stored value, its text)
SHOWN: list[tuple[str, dict[str, Any] | None, Any, str]] = [
    ("link", {"form_id": str(PRODUCTS), "multiple": True}, [str(APPLE), str(PEAR)], f"{APPLE}; {PEAR}"),
    ("text", None, "a, \"quoted\" b", "a, \"quoted\" b"),
    ("textarea", None, "line 1\nline 2", "line 1\nline 2"),
    ("email", None, "ann@example.com", "ann@example.com"),
    ("phone", None, "+86 138-0013-8000", "+86 138-0013-8000"),
    ("url", None, "https://tack.dev/?q=1,2", "https://tack.dev/?q=1,2"),
    ("number", None, 1234.5, "1234.50"),
    ("number", {"decimals": 0}, 7, "7"),
    ("number", {"decimals": 3}, -0.125, "-0.125"),
    ("number", None, 999_999_999_999_999, "999999999999999.00"),
    ("money", {"currency": "CNY"}, 1_000_000.1, "1000000.10"),
    ("percent", {"decimals": 1}, 0.125, "12.5%"),
    ("percent", None, 0, "0.00%"),
    ("rating", None, 4, "4"),
    ("select", OPTIONS, "o_sick", "Sick"),
    ("select", OPTIONS, "o_cn", "事假"),
    ("multiselect", OPTIONS, ["o_annual", "o_travel", "o_cn"], "Annual, Travel, local, 事假"),
    ("checkbox", None, True, "true"),
    ("checkbox", None, False, "false"),
    ("date", None, "2026-01-31", "2026-01-31"),
    ("date", None, "0999-12-31", "0999-12-31"),
    ("datetime", None, "2026-01-05T01:30:00Z", "2026-01-05T01:30:00Z"),
    ("member", None, A, A),
    ("members", None, [A, B], f"{A}, {B}"),
    ("department", None, str(SALES), str(SALES)),
    ("departments", None, [str(SALES), str(OPS)], f"{SALES}, {OPS}"),
    ("attachment", None, [str(PDF), str(DOCX)], f"{PDF}, {DOCX}"),
    ("image", None, [str(PNG)], str(PNG)),
    ("signature", None, str(PNG), str(PNG)),
    ("location", None, {"lat": 39.9042, "lng": 116.4074}, "39.9042,116.4074"),
    ("location", None, {"lat": -33.8688, "lng": 151, "address": "Sydney, NSW 2000"}, "-33.8688,151 Sydney, NSW 2000"),
    ("location", None, {"lat": 1e-07, "lng": -0.5}, "0.0000001,-0.5"),
]


def _id(case: tuple[Any, ...]) -> str:
    return f"{case[0]}-{str(case[2])[:24]}"


@pytest.mark.parametrize("case", SHOWN, ids=_id)
def test_to_text_and_back(case: tuple[str, dict[str, Any] | None, Any, str]) -> None:
    type_name, raw, stored, text = case
    ftype, s = FIELD_TYPES.get(type_name), settings(type_name, raw)
    assert ftype.to_text(stored, s) == text
    assert clean(type_name, ftype.from_text(text, s), raw) == stored


def test_blank_values_show_as_empty_text() -> None:
    for name, ftype in FIELD_TYPES.items():
        if name in ("checkbox",):
            continue
        raw = {"select": OPTIONS, "multiselect": OPTIONS, "formula": {"expression": "1"},
               "link": {"form_id": str(PRODUCTS)}, "lookup": {"link": "f_product", "field": "f_price"},
               "rollup": {"source": "f_lines", "aggregate": "COUNT"}}.get(name)
        assert ftype.to_text(None, settings(name, raw)) == "", name
    assert FIELD_TYPES.get("checkbox").to_text(None, None) == "false"  # unticked


# (type, settings, imported cell, stored after cleaning)
IMPORTED: list[tuple[str, dict[str, Any] | None, str, Any]] = [
    ("text", None, "  Ann  Lee ", "Ann Lee"),
    ("number", None, "1,234.50", 1234.5),
    ("number", None, " -12 ", -12),
    ("money", None, "¥1,234.50", 1234.5),
    ("money", None, "￥ 88", 88),
    ("money", None, "$1 000 000", 1_000_000),
    ("money", None, "12.5元", 12.5),
    ("percent", None, "12.5%", 0.125),
    ("percent", None, "12.5", 0.125),  # a percent column holds percents
    ("rating", None, "★★★☆☆", 3),
    ("rating", None, " 4 ", 4),
    ("select", OPTIONS, " sick ", "o_sick"),
    ("select", OPTIONS, "o_annual", "o_annual"),
    ("multiselect", OPTIONS, "Annual；sick", ["o_annual", "o_sick"]),
    ("multiselect", OPTIONS, "事假、Annual", ["o_annual", "o_cn"]),
    ("multiselect", OPTIONS, "Travel, local, Sick", ["o_sick", "o_travel"]),  # a label with a comma
    ("multiselect", OPTIONS, "Annual\nTravel, local", ["o_annual", "o_travel"]),
    ("multiselect", OPTIONS, "", []),
    ("checkbox", None, "Yes", True),
    ("checkbox", None, "TRUE", True),
    ("checkbox", None, "1", True),
    ("checkbox", None, "✓", True),
    ("checkbox", None, "是", True),
    ("checkbox", None, "no", False),
    ("checkbox", None, "0", False),
    ("checkbox", None, "否", False),
    ("checkbox", None, "false", False),
    ("date", None, "2026/1/5", "2026-01-05"),
    ("date", None, "2026.01.05", "2026-01-05"),
    ("date", None, "2026年1月5日", "2026-01-05"),
    ("date", None, "2026 年 12 月 31 日", "2026-12-31"),
    ("date", None, "2026-01-05 00:00:00", "2026-01-05"),  # a spreadsheet's date cell as text
    ("datetime", None, "2026/01/05 09:30", "2026-01-05T01:30:00Z"),
    ("datetime", None, "2026-1-5 9:30:15", "2026-01-05T01:30:15Z"),
    ("datetime", None, "2026年1月5日 9:30", "2026-01-05T01:30:00Z"),
    ("datetime", None, "2026/01/05 09:30 +0000", "2026-01-05T09:30:00Z"),
    ("datetime", None, "2026/01/05", "2026-01-04T16:00:00Z"),
    ("datetime", None, "2026-01-05T09:30:00+08:00", "2026-01-05T01:30:00Z"),
    ("member", None, f" {A} ", A),
    ("members", None, f"{A};{B}\n{A}", [A, B]),
    ("departments", None, f"{SALES}，{OPS}", [str(SALES), str(OPS)]),
    ("attachment", None, f"{PDF}, {DOCX}", [str(PDF), str(DOCX)]),
    ("location", None, "39.9042, 116.4074", {"lat": 39.9042, "lng": 116.4074}),
    ("location", None, "39.9042，116.4074 北京市东城区", {"lat": 39.9042, "lng": 116.4074, "address": "北京市东城区"}),
]


@pytest.mark.parametrize("case", IMPORTED, ids=_id)
def test_from_text_reads_what_spreadsheets_hold(case: tuple[str, dict[str, Any] | None, str, Any]) -> None:
    type_name, raw, cell, stored = case
    value = FIELD_TYPES.get(type_name).from_text(cell, settings(type_name, raw))
    assert clean(type_name, value, raw) == stored


# (type, settings, imported cell, rule clean gives)
BAD_CELLS: list[tuple[str, dict[str, Any] | None, str, str]] = [
    ("number", None, "12,5 kg", "type"),
    ("rating", None, "three", "range"),
    ("select", OPTIONS, "Holiday", "option"),
    ("multiselect", OPTIONS, "Annual, Holiday", "option"),
    ("checkbox", None, "maybe", "type"),
    ("date", None, "2026/2/30", "date"),
    ("date", None, "31/01/2026", "date"),  # day first is ambiguous: refused, not guessed
    ("date", None, "next Monday", "date"),
    ("datetime", None, "2026/01/05 25:00", "datetime"),
    ("member", None, "Ann Lee", "type"),
    ("location", None, "Beijing", "type"),
    ("location", None, "91, 0", "range"),
]


@pytest.mark.parametrize("case", BAD_CELLS, ids=_id)
def test_bad_cells_are_refused_by_clean(case: tuple[str, dict[str, Any] | None, str, str]) -> None:
    type_name, raw, cell, rule = case
    value = FIELD_TYPES.get(type_name).from_text(cell, settings(type_name, raw))
    assert refusal(type_name, value, raw).rule == rule


def test_formula_results_as_text() -> None:
    ftype = FIELD_TYPES.get("formula")
    two = settings("formula", {"expression": "1", "decimals": 2})
    plain = settings("formula", {"expression": "1"})
    assert ftype.to_text(0.5, two) == "0.50"
    assert ftype.to_text(0.5, plain) == "0.5"
    assert ftype.to_text(True, plain) == "true"
    assert ftype.to_text(["a", None, 2], plain) == "a, 2"
    assert ftype.to_text("2026-01-05", plain) == "2026-01-05"
    assert ftype.from_formula(2.675, two, None) == 2.68  # type: ignore[arg-type]
    assert ftype.from_formula(1e300, two, None) == 1e300  # type: ignore[arg-type]
