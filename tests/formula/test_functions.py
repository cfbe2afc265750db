"""Every function, table-driven: ordinary values, blanks, and error values."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tack.formula import FUNCTIONS
from tack.formula.values import DIV0, NA, NUM, VALUE

from .conftest import run

D = dt.date

LOGIC = [
    ('IF(amount > 10000, "director", "manager")', "director"),
    ('IF(amount > 99999, "director", "manager")', "manager"),
    ("IF(FALSE, 1)", None),
    ("IF(blank_b, 1, 2)", 2),  # a blank condition is false
    ("IF(TRUE, 1, 1/0)", 1),  # only the chosen branch runs
    ("IF(1/0 > 1, 1, 2)", DIV0),
    ('IFS(amount > 20000, "a", amount > 10000, "b", TRUE, "c")', "b"),
    ("IFS(FALSE, 1)", NA),
    ("AND(TRUE, ok, amount > 0)", True),
    ("AND(TRUE, FALSE)", False),
    ("AND(FALSE, 1/0 > 0)", False),
    ("AND(1/0 > 0, FALSE)", False),  # FALSE wins over an error, as in SQL's three-valued logic
    ("AND(TRUE, 1/0 > 0)", DIV0),
    ("AND(blank_n > 0)", False),
    ("OR(FALSE, ok)", True),
    ("OR(FALSE, FALSE)", False),
    ("OR(1/0 > 0, TRUE)", True),
    ("OR(FALSE, 1/0 > 0)", DIV0),
    ("NOT(ok)", False),
    ("NOT(1/0 > 1)", DIV0),
    ("ISBLANK(blank_n)", True),
    ("ISBLANK(blank_t)", True),
    ('ISBLANK("")', True),
    ("ISBLANK(name)", False),
    ("ISBLANK(0)", False),
    ("ISBLANK(1/0)", False),
    ("ISBLANK(lines)", False),
    ("ISBLANK(BLANK())", True),
    ("ISERROR(1/0)", True),
    ("ISERROR(1)", False),
    ("IFERROR(amount / 0, -1)", -1),
    ("IFERROR(amount / qty, -1)", 3000),
    ('IFERROR(VALUE("x"), 0)', 0),
    ('SWITCH(LOWER(TRIM(name)), "ann lee", 1, "bob", 2)', 1),
    ('SWITCH("BOB", "ann", 1, "bob", 2)', 2),  # text matches ignoring case
    ('SWITCH("zed", "ann", 1, "bob", 2, 0)', 0),
    ('SWITCH("zed", "ann", 1)', NA),
    ("SWITCH(1/0, 1, 1)", DIV0),
    ("BLANK()", None),
]

MATHS = [
    ("SUM(1, 2, 3)", 6),
    ("SUM(amount, blank_n)", 12000),
    ("SUM(lines.amount)", 500.5),
    ("SUM(lines.amount, 0.5, qty)", 505),
    ("SUM(0.1, 0.2)", 0.30000000000000004),
    ("SUM(1/0, 1)", DIV0),
    ("AVERAGE(1, 2, 3, 4)", 2.5),
    ("AVERAGE(lines.amount)", 500.5 / 3),  # the blank row is skipped
    ("AVERAGE(blank_n, 4)", 4),
    ("AVERAGE(blank_n)", DIV0),
    ("MIN(3, 1, 2)", 1),
    ("MAX(3, 1, 2)", 3),
    ("MAX(lines.amount)", 300),
    ("MIN(lines.amount, 50)", 50),
    ("MAX(lines.day)", D(2026, 1, 3)),
    ("MIN(start, end)", D(2026, 1, 5)),
    ("MAX(blank_n)", None),
    ("ROUND(2.675, 2)", 2.68),  # the digits people see, not the binary float
    ("ROUND(-2.5)", -3),  # half away from zero
    ("ROUND(1234.5678, -2)", 1200),
    ("ROUND(blank_n, 2)", 0),
    ("ROUNDUP(1.21, 1)", 1.3),
    ("ROUNDUP(-1.21, 1)", -1.3),
    ("ROUNDDOWN(1.29, 1)", 1.2),
    ("ROUNDDOWN(-1.29)", -1),
    ("ABS(-3.5)", 3.5),
    ("ABS(blank_n)", 0),
    ("MOD(7, 3)", 1),
    ("MOD(-7, 3)", 2),  # the divisor's sign, as in Excel
    ("MOD(7, -3)", -2),
    ("MOD(5.5, 2)", 1.5),
    ("MOD(1, 0)", DIV0),
    ("INT(2.7)", 2),
    ("INT(-2.1)", -3),
    ("POWER(2, 10)", 1024),
    ("POWER(0, -1)", DIV0),
    ("POWER(-8, 0.5)", NUM),
    ("POWER(10, 400)", NUM),
    ("SQRT(16)", 4),
    ("SQRT(-1)", NUM),
    ("CEILING(2.1)", 3),
    ("CEILING(2.2, 0.1)", 2.2),
    ("CEILING(23, 5)", 25),
    ("CEILING(-2.5, 2)", -2),
    ("CEILING(-2.5, -2)", -4),
    ("CEILING(2.5, -2)", NUM),
    ("CEILING(5, 0)", 0),
    ("FLOOR(2.9)", 2),
    ("FLOOR(27, 5)", 25),
    ("FLOOR(-2.5, 2)", -4),
    ("FLOOR(5, 0)", DIV0),
]

TEXT_CASES = [
    ('CONCATENATE("a", 1, TRUE, blank_t)', "a1TRUE"),
    ('CONCATENATE(lines.item, "!")', "TaxihotelFlight!"),
    ('CONCATENATE("d: ", start)', "d: 2026-01-05"),
    ('TEXTJOIN(", ", TRUE, lines.item)', "Taxi, hotel, Flight"),
    ('TEXTJOIN("-", FALSE, "a", blank_t, "b")', "a--b"),
    ('LEFT("Tack", 2)', "Ta"),
    ('LEFT("Tack")', "T"),
    ('LEFT("报销金额", 2)', "报销"),
    ('LEFT("abc", 10)', "abc"),
    ('LEFT("abc", 0)', ""),
    ('LEFT("abc", -1)', VALUE),
    ("LEFT(blank_t, 3)", ""),
    ("LEFT(12345, 2)", "12"),
    ('RIGHT("Tack", 2)', "ck"),
    ('RIGHT("Tack")', "k"),
    ('RIGHT("abc", 0)', ""),
    ('RIGHT("abc", 9)', "abc"),
    ('RIGHT("A" & "m", 3)', "Am"),
    ('RIGHT("abc", -1)', VALUE),
    ('MID("Formula", 2, 3)', "orm"),
    ('MID("abc", 5, 2)', ""),
    ('MID("abc", 0, 2)', VALUE),
    ('MID("abc", 1, -1)', VALUE),
    ('LEN("报销")', 2),
    ("LEN(blank_t)", 0),
    ("LEN(name)", 12),
    ('UPPER("abc")', "ABC"),
    ('LOWER("ÄBC")', "äbc"),
    ("TRIM(name)", "Ann Lee"),
    ("TRIM(blank_t)", ""),
    ('TEXT(1234.567, "#,##0.00")', "1,234.57"),
    ('TEXT(0.256, "0.0%")', "25.6%"),
    ('TEXT(5, "000")', "005"),
    ('TEXT(-1234.5, "¥#,##0")', "-¥1,235"),
    ('TEXT(2.5, "0.0#")', "2.5"),
    ('TEXT(2.567, "0.0#")', "2.57"),
    ('TEXT(0.5, "#.##")', ".5"),
    ('TEXT(start, "yyyy-mm-dd")', "2026-01-05"),
    ('TEXT(start, "yyyy年m月d日")', "2026年1月5日"),
    ('TEXT(start, "dddd d mmmm yy")', "Monday 5 January 26"),
    ('TEXT(submitted, "yyyy-mm-dd hh:mm")', "2026-01-04 23:30"),
    ('TEXT(submitted, "h:mm AM/PM")', "11:30 PM"),
    ("TEXT(amount)", "12000"),
    ("TEXT(ok)", "TRUE"),
    ('CONTAINS(name, "LEE")', True),
    ('CONTAINS(name, "zed")', False),
    ('CONTAINS(name, "")', True),
    ('CONTAINS(blank_t, "a")', False),
    ("CONTAINS(approvers, owner)", True),
    ('CONTAINS(approvers, "m-9")', False),
    ('SUBSTITUTE("a-b-c", "-", "+")', "a+b+c"),
    ('SUBSTITUTE("a-b-c", "-", "+", 2)', "a-b+c"),
    ('SUBSTITUTE("a-b-c", "-", "+", 5)', "a-b-c"),
    ('SUBSTITUTE("abc", "", "x")', "abc"),
    ('SUBSTITUTE("abc", "b", "x", 0)', VALUE),
    ('VALUE("1,234.5")', 1234.5),
    ('VALUE(" 15% ")', 0.15),
    ('VALUE("1e3")', 1000),
    ('VALUE("abc")', VALUE),
    ('VALUE("")', VALUE),
    ("VALUE(42)", 42),
    ('FIND("b", "abcb")', 2),
    ('FIND("b", "abcb", 3)', 4),
    ('FIND("B", "abc")', VALUE),  # FIND matches case
    ('FIND("a", "abc", 9)', VALUE),
    ('SEARCH("B", "abc")', 2),  # SEARCH does not
    ('SEARCH("z", "abc")', VALUE),
]

DATES = [
    ("TODAY()", D(2026, 1, 5)),
    ("NOW()", dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)),
    ("DATE(2026, 2, 28)", D(2026, 2, 28)),
    ("DATE(2026, 13, 1)", D(2027, 1, 1)),  # months roll over
    ("DATE(2026, 3, 0)", D(2026, 2, 28)),  # day 0 is the last day of the month before
    ("DATE(2026, 1, 32)", D(2026, 2, 1)),
    ("DATE(2026, 0, 1)", D(2025, 12, 1)),
    ("DATE(0, 1, 1)", NUM),
    ("DATE(9999, 12, 32)", NUM),
    ("YEAR(start)", 2026),
    ("MONTH(end)", 1),
    ("DAY(end)", 16),
    ("YEAR(blank_d)", None),
    ("DAY(submitted)", 4),
    ("WEEKDAY(start)", 2),  # Monday, counting from Sunday = 1
    ("WEEKDAY(start, 2)", 1),
    ("WEEKDAY(start, 3)", 0),
    ("WEEKDAY(DATE(2026, 1, 4))", 1),
    ("WEEKDAY(start, 9)", NUM),
    ("HOUR(submitted)", 23),
    ("MINUTE(submitted)", 30),
    ("HOUR(start)", 0),
    ("HOUR(NOW())", 9),
    ('DATEDIF(hired, TODAY(), "Y")', 6),
    ('DATEDIF(hired, TODAY(), "M")', 82),
    ('DATEDIF(start, end, "D")', 11),
    ('DATEDIF(DATE(2024, 1, 31), DATE(2024, 3, 1), "M")', 1),
    ('DATEDIF(DATE(2024, 1, 31), DATE(2024, 2, 29), "M")', 0),
    ('DATEDIF(DATE(2020, 5, 10), DATE(2026, 3, 2), "YM")', 9),
    ('DATEDIF(DATE(2020, 5, 10), DATE(2026, 3, 2), "MD")', 20),
    ('DATEDIF(DATE(2020, 5, 10), DATE(2026, 3, 2), "YD")', 296),
    ('DATEDIF(end, start, "D")', NUM),
    ('DATEDIF(start, end, "Q")', VALUE),
    ('DATEDIF(blank_d, end, "D")', None),
    ("DATEADD(start, 10)", D(2026, 1, 15)),
    ('DATEADD(start, -1, "D")', D(2026, 1, 4)),
    ('DATEADD(start, 2, "W")', D(2026, 1, 19)),
    ('DATEADD(DATE(2024, 1, 31), 1, "M")', D(2024, 2, 29)),
    ('DATEADD(DATE(2024, 2, 29), 1, "Y")', D(2025, 2, 28)),
    ('DATEADD(start, 1, "month")', D(2026, 2, 5)),
    ('DATEADD(submitted, 90, "MI")', dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)),
    ('DATEADD(submitted, 1.5, "D")', dt.datetime(2026, 1, 6, 11, 30, tzinfo=dt.UTC)),
    ('DATEADD(start, 2, "H")', VALUE),
    ('DATEADD(start, 1, "fortnight")', VALUE),
    ("DATEADD(blank_d, 3)", None),
    ("DATEADD(start, 5000000)", NUM),
    ("EOMONTH(start)", D(2026, 1, 31)),
    ("EOMONTH(start, 1)", D(2026, 2, 28)),
    ("EOMONTH(start, -2)", D(2025, 11, 30)),
    ("WORKDAY(start, 5)", D(2026, 1, 12)),
    ("WORKDAY(start, 5, holidays)", D(2026, 1, 13)),  # the 7th is a holiday, the 10th a Saturday
    ("WORKDAY(DATE(2026, 1, 10), 1)", D(2026, 1, 12)),  # from a Saturday
    ("WORKDAY(DATE(2026, 1, 10), -1)", D(2026, 1, 9)),
    ("WORKDAY(start, -1)", D(2026, 1, 2)),
    ("WORKDAY(start, 0)", D(2026, 1, 5)),
    ("WORKDAY(start, 260)", D(2027, 1, 4)),
    ("WORKDAY(start, 3, DATE(2026, 1, 6))", D(2026, 1, 9)),
    ("WORKDAY(DATE(2026, 1, 9), -3, DATE(2026, 1, 7))", D(2026, 1, 5)),
    ("WORKDAY(blank_d, 3)", None),
    ("NETWORKDAYS(start, end)", 10),
    ("NETWORKDAYS(start, end, holidays)", 9),
    ("NETWORKDAYS(end, start)", -10),
    ("NETWORKDAYS(DATE(2026, 1, 10), DATE(2026, 1, 11))", 0),
    ("NETWORKDAYS(start, start)", 1),
    ("NETWORKDAYS(DATE(2000, 1, 1), DATE(2099, 12, 31))", 26089),
    ("NETWORKDAYS(start, blank_d)", None),
]

LISTS = [
    ("COUNT(lines.amount)", 3),
    ("COUNT(1, blank_n, lines.amount)", 4),
    ("COUNTA(lines.item)", 3),
    ("COUNTA(lines)", 4),
    ("COUNTA(approvers)", 2),
    ("COUNTBLANK(lines.item)", 1),
    ('COUNTIF(lines.amount, ">100")', 2),
    ('COUNTIF(lines.amount, "<=100")', 1),
    ("COUNTIF(lines.amount, 120)", 1),
    ('COUNTIF(lines.item, "taxi")', 1),  # text ignoring case
    ('COUNTIF(lines.item, "<>taxi")', 3),
    ('COUNTIF(lines.item, "*o*")', 1),
    ('COUNTIF(lines.item, "*i*")', 2),
    ('COUNTIF(lines.item, "?axi")', 1),
    ('COUNTIF(lines.item, "")', 1),
    ('COUNTIF(lines.item, "<>")', 3),
    ('COUNTIF(lines.day, ">=2026-01-01")', 2),
    ('COUNTIF(lines.item, ">g")', 2),
    ('SUMIF(lines.amount, ">100")', 420),
    ('SUMIF(lines.item, "taxi", lines.amount)', 120),
    ('SUMIF(lines.item, "<>taxi", lines.amount)', 380.5),
    ('AVERAGEIF(lines.amount, ">100")', 210),
    ('AVERAGEIF(lines.amount, ">1000")', DIV0),
]


@pytest.mark.parametrize(("source", "expected"), LOGIC + MATHS + TEXT_CASES + DATES + LISTS)
def test_function(source: str, expected: Any) -> None:
    got = run(source)
    if isinstance(expected, float) and isinstance(got, float):
        assert got == pytest.approx(expected, rel=1e-12)
    else:
        assert got == expected
        assert type(got) is type(expected) or expected is None


def test_every_function_is_tested() -> None:
    cases = LOGIC + MATHS + TEXT_CASES + DATES + LISTS
    untested = {name for name in FUNCTIONS if not any(name + "(" in src for src, _ in cases)}
    assert not untested
    assert len(FUNCTIONS.items()) >= 40


def test_every_function_describes_itself() -> None:
    for name, spec in FUNCTIONS.items():
        assert spec.summary and spec.family in ("logic", "maths", "text", "dates", "lists"), name
        assert spec.signature.startswith(name + "(")


def test_today_follows_the_time_zone() -> None:
    # 09:30 UTC on Monday is already 17:30 in Shanghai, and still Sunday evening in Honolulu.
    assert run("TODAY()", tz="Asia/Shanghai") == D(2026, 1, 5)
    assert run("TODAY()", tz="Pacific/Honolulu") == D(2026, 1, 4)
    assert run("HOUR(NOW())", tz="Asia/Shanghai") == 17
    assert run("DAY(submitted)", tz="Asia/Shanghai") == 5  # 23:30 UTC on the 4th is the 5th there


def test_text_growth_is_capped() -> None:
    big = {"name": "x" * 60_000}
    assert run("name & name", big) == VALUE
    assert run('SUBSTITUTE(name, "x", "xx")', big) == VALUE
    assert run("CONCATENATE(name, name)", big) == VALUE
    assert run('TEXTJOIN(",", TRUE, name, name)', big) == VALUE
    assert run("LEN(name & LEFT(name, 10))", big) == 60_010
