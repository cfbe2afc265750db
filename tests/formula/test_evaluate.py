"""Python evaluation of realistic business formulas, blanks, errors, and the injected clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tack.core.clock import FrozenClock
from tack.formula import (
    DATE,
    NUMBER,
    EvalContext,
    FormulaError,
    compile_py,
    evaluate,
    parse,
    table_of,
)
from tack.formula.ast import Call, Number
from tack.formula.values import DIV0, VALUE, ErrorValue

from .conftest import NOW, SCHEMA, run

LEAVE = {"start": DATE, "end": DATE, "hired": DATE, "days": NUMBER, "reason": "text", "type": "text"}
EXPENSE = {
    "amount": NUMBER,
    "lines": table_of({"amount": NUMBER, "category": "text", "day": DATE}),
    "submitted_by": "member",
}


def test_leave_request() -> None:
    values = {"start": "2026-01-05", "end": "2026-01-16", "hired": "2019-03-01", "type": "annual"}
    assert evaluate("NETWORKDAYS(start, end)", values, schema=LEAVE, now=NOW) == 10
    assert evaluate("NETWORKDAYS(start, end) > 5", values, schema=LEAVE, now=NOW) is True
    assert evaluate('DATEDIF(hired, TODAY(), "Y")', values, schema=LEAVE, now=NOW) == 6
    # Annual leave entitlement: 5 days, plus one per year of service, at most 15.
    entitlement = 'MIN(15, 5 + DATEDIF(hired, TODAY(), "Y"))'
    assert evaluate(entitlement, values, schema=LEAVE, now=NOW) == 11
    visible = 'AND(type = "ANNUAL", NETWORKDAYS(start, end) >= 3)'  # a visibility condition
    assert evaluate(visible, values, schema=LEAVE, now=NOW) is True
    # A half-filled form: no end yet, so no count and the condition is simply false.
    partial = {"start": "2026-01-05", "type": "annual"}
    assert evaluate("NETWORKDAYS(start, end)", partial, schema=LEAVE, now=NOW) is None
    assert evaluate(visible, partial, schema=LEAVE, now=NOW) is False


def test_expense_claim() -> None:
    values = {
        "amount": 12500,
        "lines": [
            {"amount": "1200.50", "category": "Travel", "day": "2026-01-02"},
            {"amount": 299.5, "category": "meals", "day": "2026-01-03"},
            {"amount": 11000, "category": "travel", "day": "2026-01-04"},
        ],
    }
    assert evaluate("SUM(lines.amount)", values, schema=EXPENSE) == 12500
    assert evaluate('IF(amount > 10000, "director", "manager")', values, schema=EXPENSE) == "director"
    assert evaluate('SUMIF(lines.category, "travel", lines.amount)', values, schema=EXPENSE) == 12200.5
    assert evaluate('COUNTIF(lines.amount, ">1000")', values, schema=EXPENSE) == 2
    assert evaluate("SUM(lines.amount) = amount", values, schema=EXPENSE) is True
    assert evaluate("ROUND(AVERAGE(lines.amount), 2)", values, schema=EXPENSE) == 4166.67
    assert evaluate('"Claim of ¥" & TEXT(amount, "#,##0.00")', values, schema=EXPENSE) == "Claim of ¥12,500.00"
    assert evaluate("MAX(lines.day) - MIN(lines.day)", values, schema=EXPENSE) == 2
    empty = {"amount": None, "lines": []}
    assert evaluate("SUM(lines.amount)", empty, schema=EXPENSE) == 0
    assert evaluate('IF(amount > 10000, "director", "manager")', empty, schema=EXPENSE) == "manager"
    assert evaluate("COUNTA(lines)", empty, schema=EXPENSE) == 0


def test_blank_numbers_count_as_zero_and_blank_dates_stay_blank() -> None:
    assert run("blank_n + 1") == 1
    assert run("blank_n * 3") == 0
    assert run("-blank_n") == 0
    assert run("blank_n = 0") is True
    assert run("blank_n < 1") is True
    assert run('blank_t = ""') is True
    assert run('blank_t & "x"') == "x"
    assert run("blank_d + 5") is None
    assert run("end - blank_d") is None
    assert run("start + blank_n") == dt.date(2026, 1, 5)
    assert run("blank_d < start") is True  # a blank date sorts before every date
    assert run("blank_d = BLANK()") is True
    assert run("blank_n") is None  # a blank field on its own is blank, not 0


def test_error_values_propagate_and_iferror_catches_them() -> None:
    assert run("1 / 0") == DIV0
    assert run("(1 / 0) + 1") == DIV0
    assert run("-(1 / 0)") == DIV0
    assert run("(1/0)%") == DIV0
    assert run('(1 / 0) & "x"') == DIV0
    assert run("1 / 0 > 1") == DIV0
    assert run("ROUND(1 / 0, 2)") == DIV0
    assert run("IFERROR(ROUND(1 / 0, 2), 0) + 1") == 1
    assert run("amount / blank_n") == DIV0
    assert run("IFERROR(amount / blank_n, 0)") == 0
    assert str(run("1/0")) == "#DIV/0!"


def test_excel_comparisons() -> None:
    assert run('"abc" = "ABC"') is True
    assert run('"a" < "B"') is True
    assert run("0.1 + 0.2 = 0.3") is True
    assert run("start = DATE(2026, 1, 5)") is True
    assert run("submitted < start") is True
    assert run("TRUE > FALSE") is True


def test_numbers_come_back_clean() -> None:
    assert run("10 / 2") == 5 and isinstance(run("10 / 2"), int)
    assert run("1e3") == 1000 and isinstance(run("1e3"), int)
    assert run("7 / 2") == 3.5
    assert run("2 ^ 0.5") == pytest.approx(1.41421356)
    assert run("10%") == 0.1
    assert run("-2 ^ 2") == 4
    assert run("2 ^ 3 ^ 2") == 64
    assert run("9e307 * 10") == ErrorValue("#NUM!")
    assert run("99999999999 * 99999999999 * 99999999999") == pytest.approx(1e33, rel=1e-9)


def test_values_are_read_as_their_fields_types() -> None:
    schema = {"n": NUMBER, "d": DATE, "t": "text", "b": "bool", "when": "datetime", "ids": "members"}
    ctx = EvalContext({"n": "12.5", "d": "2026-02-01", "t": 5, "b": "TRUE", "when": "2026-01-05 10:00", "ids": "m-1"},
                      now=NOW)
    assert compile_py("n * 2", schema)(ctx) == 25
    assert compile_py("d + 1", schema)(ctx) == dt.date(2026, 2, 2)
    assert compile_py('t & "!"', schema)(ctx) == "5!"
    assert compile_py("NOT(b)", schema)(ctx) is False
    assert compile_py("HOUR(when)", schema)(ctx) == 10
    assert compile_py("COUNTA(ids)", schema)(ctx) == 1
    assert compile_py("n", schema)(EvalContext({"n": Decimal("1.25")})) == 1.25
    assert compile_py("n", schema)(EvalContext({"n": ""})) is None
    assert compile_py("n + 1", schema)(EvalContext({"n": "twelve"})) == VALUE
    assert compile_py("d", schema)(EvalContext({"d": "not a date"})) == VALUE
    assert compile_py("b", schema)(EvalContext({"b": "maybe"})) == VALUE


def test_bad_rows_in_a_sub_table_column_are_skipped() -> None:
    values = {"lines": [{"amount": "abc"}, {"amount": 5}, "not a row", {"other": 1}]}
    assert evaluate("SUM(lines.amount)", values, schema={"lines": table_of({"amount": NUMBER})}) == 5
    assert evaluate("COUNTA(lines)", values, schema={"lines": table_of({"amount": NUMBER})}) == 3
    assert evaluate("SUM(lines.amount)", {"lines": "oops"}, schema={"lines": table_of({"amount": NUMBER})}) == 0


def test_evaluate_without_a_schema_works_on_plain_values() -> None:
    assert evaluate("a + b", {"a": 1, "b": 2}) == 3
    assert evaluate("d + 1", {"d": dt.date(2026, 1, 1)}) == dt.date(2026, 1, 2)
    assert evaluate("SUM(rows.x)", {"rows": [{"x": 1}, {"x": 2}]}) == 3
    assert evaluate("missing + 1", {}) == 1
    assert evaluate('a & "!"', {"a": None}) == "!"
    assert evaluate("a + 1", {"a": "x"}) == VALUE
    assert evaluate(parse("1 + 1")) == 2


def test_the_clock_is_injected_and_read_once() -> None:
    clock = FrozenClock(dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC))
    assert evaluate("TODAY()", clock=clock) == dt.date(2030, 6, 1)
    assert evaluate("YEAR(TODAY())", now=dt.datetime(2031, 1, 1, tzinfo=dt.UTC)) == 2031
    ctx = EvalContext({}, clock=clock)
    run_now = compile_py("NOW()")
    first = run_now(ctx)
    clock.advance(hours=1)
    assert run_now(ctx) == first  # one evaluation, one reading of the clock
    assert run_now(EvalContext({}, clock=clock)) == first + dt.timedelta(hours=1)
    assert ctx.with_values({"x": 1}).now == first
    with pytest.raises(ValueError):
        EvalContext({}, now=dt.datetime(2030, 1, 1))


def test_compiled_formulas_are_reusable_across_records() -> None:
    compiled = compile_py('IF(amount > 10000, "director", "manager")', {"amount": NUMBER})
    assert [compiled(EvalContext({"amount": a})) for a in (5, 20000, None)] == ["manager", "director", "manager"]


def test_compile_refuses_a_formula_that_does_not_check() -> None:
    with pytest.raises(FormulaError, match="Unknown field"):
        compile_py("nope + 1", SCHEMA)


def test_hand_built_trees_are_held_to_the_same_limits() -> None:
    node: Any = Number(1)
    for _ in range(100):
        node = Call("ABS", (node,))
    with pytest.raises(FormulaError, match="too large or too deeply nested"):
        compile_py(node)


def test_the_safety_net_turns_surprises_into_values() -> None:
    # A function body that trips over data it did not expect gives #VALUE!, never an exception,
    # unless strict mode asks for the exception (tests use it to find such bugs).
    from tack.formula.functions import FUNCTIONS
    from tack.formula.functions.base import ANYTHING, Param, function

    @function("BOOM", "logic", [Param("x", ANYTHING)], NUMBER, "test only")
    def _boom(ctx: EvalContext, x: Any) -> Any:
        return {}[x]

    try:
        assert compile_py("BOOM(1)")(EvalContext()) == VALUE
        with pytest.raises(KeyError):
            compile_py("BOOM(1)", strict=True)(EvalContext())
    finally:
        FUNCTIONS.unregister("BOOM")
