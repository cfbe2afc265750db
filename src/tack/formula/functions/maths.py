"""Maths: SUM, AVERAGE, MIN, MAX (over values and sub-table columns alike), ROUND, ROUNDUP,
ROUNDDOWN, ABS, MOD, INT, POWER, SQRT, CEILING, FLOOR.

Rounding works on the decimal digits people see (15 significant digits, as in Excel), not
on binary floats: ROUND(2.675, 2) is 2.68 (the float nearest 2.675 is slightly below it). Blank handling is Excel's:
SUM counts a blank as 0; AVERAGE, MIN and MAX skip blanks; text inside a list is skipped.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tack.formula.context import EvalContext
from tack.formula.functions.base import A_NUMBER, NUMBERS, NUMBERS_OR_DATES, Param, function, number_or_date
from tack.formula.sqlbase import NO_CONST, SqlBuilder, SqlValue
from tack.formula.types import NUMBER
from tack.formula.values import DIV0, NUM, fail, norm, power, to_datetime, to_int, to_number

F = "maths"
_CTX = decimal.Context(prec=400)  # enough digits for any float at any rounding position


def numbers(args: Iterable[Any], skip_blanks: bool) -> list[int | float]:
    """The numbers among the arguments: scalars are converted (blank → 0 unless skipped),
    items of lists are taken only if they are numbers, as Excel does with ranges."""
    out: list[int | float] = []
    for a in args:
        if isinstance(a, list):
            out.extend(
                float(i) if isinstance(i, Decimal) else i
                for i in a
                if isinstance(i, int | float | Decimal) and not isinstance(i, bool)
            )
        elif a is not None or not skip_blanks:
            out.append(to_number(a))
    return out


def to_decimal(x: int | float) -> Decimal:
    """A number as the decimal people see: a float to 15 significant digits, as Excel shows
    and rounds it (and as PostgreSQL converts float to numeric), so 1 - 2.675, stored as
    -1.6749999999999998, rounds like the -1.675 everyone sees."""
    return Decimal(x) if isinstance(x, int) else Decimal(format(x, ".15g"))


def round_to(x: Any, digits: Any, mode: str) -> int | float:
    n, d = to_number(x), max(-400, min(400, to_int(digits)))
    q = Decimal(1).scaleb(-d)
    return norm(float(to_decimal(n).quantize(q, rounding=mode, context=_CTX)))


def _sum_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    if any(a.type != NUMBER for a in args):
        b.unsupported("SUM over a sub-table column cannot run in a filter")
    total = b.operand(args[0])
    for a in args[1:]:
        total = total + b.operand(a)
    return b.value(total, NUMBER)


@function("SUM", F, [Param("number", NUMBERS, repeat=True)], NUMBER,
          "The total of numbers and sub-table columns (blank counts as 0)", sql=_sum_sql)
def _sum(ctx: EvalContext, *args: Any) -> int | float:
    return norm(math.fsum(numbers(args, skip_blanks=False)))


@function("AVERAGE", F, [Param("number", NUMBERS, repeat=True)], NUMBER,
          "The mean of numbers and sub-table columns, skipping blanks")
def _average(ctx: EvalContext, *args: Any) -> int | float:
    values = numbers(args, skip_blanks=True)
    if not values:
        fail(DIV0, "no numbers to average")
    return norm(math.fsum(values) / len(values))


def _extreme(ctx: EvalContext, args: Sequence[Any], pick: Any) -> Any:
    dates = [v for v in _flat(args) if isinstance(v, dt.date)]
    if dates:
        if any(isinstance(v, dt.datetime) for v in dates):
            return pick(to_datetime(v, ctx.tz) for v in dates)
        return pick(dates)
    values = numbers(args, skip_blanks=True)
    return norm(pick(values)) if values else None


def _flat(args: Sequence[Any]) -> Iterable[Any]:
    for a in args:
        yield from (a if isinstance(a, list) else [a])


@function("MIN", F, [Param("value", NUMBERS_OR_DATES, repeat=True)], number_or_date,
          "The smallest number or earliest date, skipping blanks")
def _min(ctx: EvalContext, *args: Any) -> Any:
    return _extreme(ctx, args, min)


@function("MAX", F, [Param("value", NUMBERS_OR_DATES, repeat=True)], number_or_date,
          "The largest number or latest date, skipping blanks")
def _max(ctx: EvalContext, *args: Any) -> Any:
    return _extreme(ctx, args, max)


def _digits(b: SqlBuilder, v: SqlValue, name: str) -> int:
    if v.const is NO_CONST or not isinstance(v.const, int | float):
        b.unsupported(f"{name} with a number of digits that is not a constant cannot run in a filter")
    return max(-15, min(15, int(v.const)))


def _round_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    digits = _digits(b, args[1], "ROUND") if len(args) > 1 else 0
    return b.value(b.round(b.operand(args[0]), digits), NUMBER)


_DIGITS = Param("digits", A_NUMBER, optional=True)


@function("ROUND", F, [Param("number", A_NUMBER), _DIGITS], NUMBER,
          "Rounded to a number of decimal places (half away from zero)", sql=_round_sql)
def _round(ctx: EvalContext, x: Any, digits: Any = 0) -> int | float:
    return round_to(x, digits, decimal.ROUND_HALF_UP)


@function("ROUNDUP", F, [Param("number", A_NUMBER), _DIGITS], NUMBER, "Rounded away from zero")
def _roundup(ctx: EvalContext, x: Any, digits: Any = 0) -> int | float:
    return round_to(x, digits, decimal.ROUND_UP)


@function("ROUNDDOWN", F, [Param("number", A_NUMBER), _DIGITS], NUMBER, "Rounded toward zero")
def _rounddown(ctx: EvalContext, x: Any, digits: Any = 0) -> int | float:
    return round_to(x, digits, decimal.ROUND_DOWN)


def _abs_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    return b.value(sa.func.abs(b.operand(args[0]), type_=sa.Float()), NUMBER)


@function("ABS", F, [Param("number", A_NUMBER)], NUMBER, "The number without its sign", sql=_abs_sql)
def _abs(ctx: EvalContext, x: Any) -> int | float:
    return abs(to_number(x))


def _mod_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    n, d = b.operand(args[0]), b.operand(args[1])
    return b.value(n - d * b.floor(b.divide(n, d)), NUMBER)


@function("MOD", F, [Param("number", A_NUMBER), Param("divisor", A_NUMBER)], NUMBER,
          "The remainder after division, with the divisor's sign", sql=_mod_sql)
def _mod(ctx: EvalContext, n: Any, d: Any) -> int | float:
    a, b = to_number(n), to_number(d)
    if b == 0:
        fail(DIV0, "MOD by zero")
    if isinstance(a, int) and isinstance(b, int):
        return a % b
    # The same arithmetic as the SQL form, so both give the same float.
    quotient = a / b
    if not math.isfinite(quotient):
        fail(NUM, "the number is too large")
    return norm(a - b * math.floor(quotient))


def _int_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    return b.value(b.floor(b.operand(args[0])), NUMBER)


@function("INT", F, [Param("number", A_NUMBER)], NUMBER, "Rounded down to a whole number", sql=_int_sql)
def _int(ctx: EvalContext, x: Any) -> int | float:
    n = to_number(x)
    return norm(math.floor(n)) if abs(n) < 1e300 else n


@function("POWER", F, [Param("number", A_NUMBER), Param("power", A_NUMBER)], NUMBER,
          "A number raised to a power (the same as ^)")
def _power(ctx: EvalContext, x: Any, y: Any) -> int | float:
    result: int | float = power(x, y)
    return result


@function("SQRT", F, [Param("number", A_NUMBER)], NUMBER, "The square root")
def _sqrt(ctx: EvalContext, x: Any) -> int | float:
    n = to_number(x)
    if n < 0:
        fail(NUM, "the square root of a negative number")
    return norm(math.sqrt(n))


def _multiple(x: Any, significance: Any, mode: str, name: str) -> int | float:
    n, s = to_number(x), to_number(significance)
    if s == 0:
        if name == "FLOOR":
            fail(DIV0, "FLOOR to a multiple of 0")
        return 0
    if n > 0 and s < 0:
        fail(NUM, f"{name} of a positive number needs a positive significance")
    steps = (to_decimal(n) / to_decimal(s)).quantize(Decimal(1), rounding=mode, context=_CTX)
    return norm(float(steps * to_decimal(s)))


@function("CEILING", F, [Param("number", A_NUMBER), Param("significance", A_NUMBER, True)], NUMBER,
          "Rounded up to a multiple of the significance (default 1)")
def _ceiling(ctx: EvalContext, x: Any, significance: Any = 1) -> int | float:
    return _multiple(x, significance, decimal.ROUND_CEILING, "CEILING")


@function("FLOOR", F, [Param("number", A_NUMBER), Param("significance", A_NUMBER, True)], NUMBER,
          "Rounded down to a multiple of the significance (default 1)")
def _floor(ctx: EvalContext, x: Any, significance: Any = 1) -> int | float:
    return _multiple(x, significance, decimal.ROUND_FLOOR, "FLOOR")

