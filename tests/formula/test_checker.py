"""The type checker: result types of good formulas, exact messages and positions for bad ones."""

from __future__ import annotations

import pytest

from tack.core.errors import FieldError, ValidationFailed
from tack.formula import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    MEMBERS,
    NUMBER,
    TEXT,
    FormulaError,
    Type,
    as_validation_error,
    check,
    infer,
    list_of,
    parse,
    table_of,
)

SCHEMA: dict[str, Type | str] = {
    "Amount": NUMBER,
    "amount": "number",
    "days": "number",
    "name": "text",
    "approved": "bool",
    "start": "date",
    "end": "date",
    "hired": DATE,
    "Start date": DATE,
    "submitted": DATETIME,
    "owner": "member",
    "approvers": "members",
    "dept": "department",
    "金额": NUMBER,
    "lines": table_of({"amount": NUMBER, "item": TEXT, "day": DATE}),
    "Expense lines": table_of({"Amount": NUMBER}),
    "holidays": "list<date>",
    "whatever": ANY,
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2", NUMBER),
        ('"a" & 1', TEXT),
        ("amount > 10000", BOOL),
        ('IF(amount > 10000, "director", "manager")', TEXT),
        ("IF(approved, amount)", NUMBER),
        ("IF(approved, amount, BLANK())", NUMBER),
        ("IF(approved, start, submitted)", DATETIME),
        ("SUM(lines.amount)", NUMBER),
        ("SUM(lines.amount, amount, 3)", NUMBER),
        ("[Expense lines].[Amount]", list_of(NUMBER)),
        ("lines", table_of({"amount": NUMBER, "item": TEXT, "day": DATE})),
        ("COUNTA(lines)", NUMBER),
        ('COUNTIF(lines.amount, ">100")', NUMBER),
        ('SUMIF(lines.item, "taxi", lines.amount)', NUMBER),
        ("MAX(lines.day)", DATE),
        ("MIN(start, end)", DATE),
        ("MAX(lines.amount, 5)", NUMBER),
        ("NETWORKDAYS(start, end)", NUMBER),
        ("NETWORKDAYS(start, end, holidays)", NUMBER),
        ("WORKDAY(start, 5, lines.day)", DATE),
        ('DATEDIF(hired, TODAY(), "Y")', NUMBER),
        ("DATEADD(start, 3)", DATE),
        ('DATEADD(submitted, 2, "H")', DATETIME),
        ("start + 5", DATE),
        ("5 + start", DATE),
        ("end - start", NUMBER),
        ("submitted - start", NUMBER),
        ("submitted + 0.5", DATETIME),
        ("start < submitted", BOOL),
        ("CONTAINS(approvers, owner)", BOOL),
        ('CONTAINS(name, "x")', BOOL),
        ('owner = "some-member-id"', BOOL),
        ("金额 * 10%", NUMBER),
        ("[Start date] + 1", DATE),
        ("whatever + 1", ANY),
        ("whatever", ANY),
        ("IF(whatever, 1, 2)", NUMBER),
        ('IFS(amount > 10, "big", amount > 5, "mid", TRUE, "small")', TEXT),
        ('SWITCH(name, "a", 1, "b", 2)', NUMBER),
        ('SWITCH(name, "a", 1, "b", 2, 0)', NUMBER),
        ("IFERROR(amount / days, 0)", NUMBER),
        ("ISBLANK(lines)", BOOL),
        ('TEXT(start, "yyyy-mm-dd") & " / " & TEXT(amount, "0.00")', TEXT),
        ('TEXTJOIN(", ", TRUE, lines.item)', TEXT),
        ("LEFT(amount, 2)", TEXT),  # numbers read as text in text functions, as in Excel
        ("BLANK()", Type("blank")),
    ],
)
def test_good_formulas_have_a_type(source: str, expected: Type) -> None:
    assert check(source, SCHEMA) == expected


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("IF(name, 1, 2)", "IF expects a condition (true/false) as its first argument, got text", 4),
        ("[Amout] + 1", "Unknown field [Amout] — did you mean [Amount]?", 1),
        ("AMOUNT + 1", "Unknown field [AMOUNT] — did you mean [Amount]?", 1),
        ("zzz", "Unknown field [zzz]", 1),
        ("SUMM(1)", "Unknown function SUMM — did you mean SUM?", 1),
        ("XYZZY(1)", "Unknown function XYZZY", 1),
        ("1 + SUMM(1)", "Unknown function SUMM — did you mean SUM?", 5),
        ("lines.amout", "Sub-table [lines] has no column [amout] — did you mean [amount]?", 1),
        ("name.x", "[name] is not a sub-table, so it has no column [x]", 1),
        ("name + 1", "'+' expects numbers (or a date and a number of days), got text; use & to join text", 1),
        ("1 - name", "'-' expects numbers (or a date and a number of days), got text", 5),
        ("2 * approved", "'*' expects numbers, got true/false", 5),
        ("-name", "'-' expects a number, got text", 2),
        ("name%", "'%' expects a number, got text", 1),
        ("start + end", "Cannot add two dates; add a number of days instead", 1),
        ("1 - start", "Cannot subtract a date from a number", 5),
        ('start + "x"', "'+' adds a number of days to a date, got text", 9),
        ('amount = "x"', "Cannot compare a number with text", 1),
        ("approved > start", "Cannot compare true/false with a date", 1),
        ("lines.amount > 3", "Cannot compare a list of numbers; use COUNTIF or CONTAINS for a list", 1),
        ('lines.item & "x"', "'&' joins single values, got a list of texts; use TEXTJOIN for a list", 1),
        ('IF(approved, 1, "x")', "IF gives a number in one case but text in another; every result must have the "
                                 "same type (use BLANK() for an empty result)", 17),
        ("ROUND(1, 2, 3)", "ROUND expects 1 to 2 arguments, got 3: ROUND(number, [digits])", 1),
        ("TODAY(1)", "TODAY expects no arguments, got 1: TODAY()", 1),
        ("NOT()", "NOT expects 1 argument, got 0: NOT(condition)", 1),
        ("SUM()", "SUM expects at least 1 argument, got 0: SUM(number, ...)", 1),
        ('SUM(1, "x")', "SUM expects numbers as its second argument, got text", 8),
        ("SUM(lines.item)", "SUM expects numbers as its first argument, got a list of texts", 5),
        ("YEAR(amount)", "YEAR expects a date as its first argument, got a number", 6),
        ('LEFT("abc", "x")', "LEFT expects a number as its second argument, got text", 13),
        ("COUNTIF(amount, 1)", "COUNTIF expects a list (a sub-table column) as its first argument, got a number", 9),
        ("IFS(approved, 1, name)", "IFS expects pairs of condition and value; the last condition has no value", 18),
        ("IFS(approved, 1, name, 2)", "IFS expects a condition (true/false) as its third argument, got text", 18),
        ("SWITCH(name, 1, 2)", "SWITCH compares text with a number", 14),
        ("MAX(start, 1)", "MAX cannot mix numbers and dates", 12),
        ("CONTAINS(approvers, 1)", "CONTAINS looks for a member in this list, got a number", 21),
        ('SUMIF(lines.amount, ">1", lines.item)', "SUMIF adds up numbers, got a list of texts", 27),
        ("AND(approved, name)", "AND expects a condition (true/false) as its second argument, got text", 15),
    ],
)
def test_bad_formulas_say_what_and_where(source: str, message: str, column: int) -> None:
    with pytest.raises(FormulaError) as e:
        check(source, SCHEMA)
    assert e.value.message == message
    assert e.value.column == column
    assert e.value.line == 1


def test_positions_across_lines() -> None:
    with pytest.raises(FormulaError) as e:
        check('IF(\n  amount > 10,\n  "a",\n  [Amout]\n)', SCHEMA)
    assert (e.value.line, e.value.column, e.value.offset, e.value.end) == (4, 3, 28, 35)


def test_the_result_must_fit_the_field() -> None:
    assert check("start + 1", SCHEMA, expect="date") == DATE
    assert check("start", SCHEMA, expect=DATETIME) == DATE
    assert check("BLANK()", SCHEMA, expect="number") == Type("blank")
    with pytest.raises(FormulaError, match="The formula gives text, but the field holds a number"):
        check('"x"', SCHEMA, expect=NUMBER)


def test_without_a_schema_every_field_is_any() -> None:
    typing = infer(parse("a + SUM(b.c)"), None)
    assert typing.result == ANY
    assert typing.fields == {"a": ANY, "b.c": list_of(ANY)}
    with pytest.raises(FormulaError, match="IF expects a condition"):
        infer(parse('IF("x", 1, 2)'), None)


def test_typing_lists_the_fields_read() -> None:
    typing = infer(parse("SUM(lines.amount) + amount"), SCHEMA)
    assert typing.fields == {"lines.amount": list_of(NUMBER), "amount": NUMBER}


def test_types_by_name() -> None:
    assert Type.of("members") == MEMBERS
    assert Type.of("list<date>") == list_of(DATE)
    assert Type.of("Checkbox") == BOOL
    assert str(list_of(NUMBER)) == "a list of numbers"
    with pytest.raises(ValueError):
        Type.of("colour")


def test_as_validation_error() -> None:
    with pytest.raises(FormulaError) as e:
        check("SUMM(amount)", SCHEMA)
    problem = as_validation_error(e.value, "$.fields[2].formula")
    assert isinstance(problem, ValidationFailed) and problem.status == 422
    message = "Unknown function SUMM — did you mean SUM? (line 1, column 1)"
    assert problem.errors == [FieldError(path="$.fields[2].formula", message=message, rule="formula")]
    body = problem.to_dict()
    assert body["formula_errors"] == [{
        "path": "$.fields[2].formula", "message": "Unknown function SUMM — did you mean SUM?", "kind": "type",
        "line": 1, "column": 1, "offset": 0, "end": 4, "expected": [],
    }]


def test_syntax_errors_come_through_check_too() -> None:
    with pytest.raises(FormulaError) as e:
        check("IF(amount > 1, ", SCHEMA)
    assert e.value.kind == "syntax"
