"""Formula → SQLAlchemy Core expression, for SQLite and PostgreSQL, so a view can filter and
sort by a formula inside the database.

Only part of the language has an SQL form (arithmetic, comparisons, the logic functions and
the common text, number and date functions); anything else raises `NotSqlCompatible`, which
tells the caller to evaluate in Python instead. Parts of a formula that read no field
(`DATE(2026, 1, 1)`, `TODAY() - 30`, `"a" & "b"`) are computed here, in Python, and bound as
parameters — which is also how TODAY() reaches the database: from the injected clock.

The caller says where each field lives: `column_for(name, type)` returns a column expression
of that type — numbers numeric, text text, true/false boolean (0/1 on SQLite), dates `date`
on PostgreSQL and ISO 'YYYY-MM-DD' text on SQLite (what SQLAlchemy's Date stores there).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tack.core.clock import SYSTEM_CLOCK, Clock
from tack.formula.ast import Binary, Bool, Call, Formula, Node, Number, Ref, Text, Unary, walk
from tack.formula.checker import Schema, Typing, as_formula, infer
from tack.formula.compile_py import _Compiler
from tack.formula.context import EvalContext
from tack.formula.functions import FUNCTIONS
from tack.formula.sqlbase import SA_TYPES, SqlBuilder, SqlValue
from tack.formula.types import BLANK, BOOL, DATE, NUMBER, SQL_SCALARS, TEXT, Type
from tack.formula.values import ErrorValue

ColumnFor = Callable[[str, Type], ColumnElement[Any]]

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compile_sql(
    formula: str | Formula,
    column_for: ColumnFor,
    *,
    schema: Schema,
    dialect: str,
    now: dt.datetime | None = None,
    clock: Clock = SYSTEM_CLOCK,
    tz: dt.tzinfo | str = dt.UTC,
) -> ColumnElement[Any]:
    """The formula as an SQL expression for `dialect` ("sqlite" or "postgresql"), typed so
    that selected values come back as Python values of the formula's type. In a WHERE clause,
    NULL (a formula error, such as a division by zero) does not match."""
    f = as_formula(formula)
    typing = infer(f, schema)
    ctx = EvalContext({}, clock=clock, now=now, tz=tz)
    compiler = _SqlCompiler(typing, column_for, SqlBuilder(dialect), ctx)
    return compiler.builder.typed(compiler.build(f.root))


class _SqlCompiler:
    def __init__(self, typing: Typing, column_for: ColumnFor, builder: SqlBuilder, ctx: EvalContext) -> None:
        self.typing = typing
        self.column_for = column_for
        self.builder = builder
        self.ctx = ctx
        self.python = _Compiler(typing, strict=False)

    def build(self, node: Node) -> SqlValue:
        b = self.builder
        b.span = node.span
        if isinstance(node, Number | Text | Bool):
            return b.literal(node.value, self.typing.of(node))
        folded = self._fold(node)
        if folded is not None:
            return folded
        if isinstance(node, Ref):
            return self._ref(node)
        if isinstance(node, Unary):
            return self._unary(node)
        if isinstance(node, Binary):
            return self._binary(node)
        if isinstance(node, Call):
            return self._call(node)
        b.unsupported(f"{type(node).__name__} cannot run in a filter")

    def _fold(self, node: Node) -> SqlValue | None:
        """A part that reads no field is worked out now and sent as a parameter."""
        t = self.typing.of(node)
        if any(isinstance(n, Ref) for n in walk(node)) or t not in SQL_SCALARS | {BLANK}:
            return None
        value = self.python.build(node)(self.ctx)
        if isinstance(value, ErrorValue):
            return replace(self.builder.literal(None, t), blank=None, const=value, null_is_blank=False)
        return self.builder.literal(value, t)

    def _ref(self, node: Ref) -> SqlValue:
        t = self.typing.of(node)
        if node.column is not None or t.name == "table":
            self.builder.unsupported(f"The sub-table [{node.name}] cannot be used in a filter")
        if t not in SQL_SCALARS:
            self.builder.unsupported(f"[{node.name}] ({t.described}) cannot be used in a filter")
        # type_coerce: whatever type the caller's column has, operators below treat it as `t`.
        column = sa.type_coerce(self.column_for(node.name, t), SA_TYPES[t])
        return SqlValue(column, t, blank=column.is_(None), null_is_blank=True)

    def _unary(self, node: Unary) -> SqlValue:
        b, v = self.builder, self.build(node.operand)
        x = b.operand(v, NUMBER)
        if node.op == "-":
            return b.value(-x, NUMBER)
        if node.op == "%":
            return b.value(b.to_float(x).op("/", return_type=sa.Float())(sa.literal(100.0, sa.Float())), NUMBER)
        return b.value(x, NUMBER)

    def _binary(self, node: Binary) -> SqlValue:
        b = self.builder
        left, right = self.build(node.left), self.build(node.right)
        b.span = node.span
        op = node.op
        if op == "&":
            return b.value(b.concat(b.text(left), b.text(right)), TEXT)
        if op in _COMPARE:
            return self._compare(op, left, right)
        if left.type == DATE or right.type == DATE:
            return self._date_arithmetic(op, left, right)
        x, y = b.operand(left, NUMBER), b.operand(right, NUMBER)
        if op == "+":
            return b.value(x + y, NUMBER)
        if op == "-":
            return b.value(x - y, NUMBER)
        if op == "*":
            return b.value(x * y, NUMBER)
        if op == "/":
            return b.value(b.divide(x, y), NUMBER)
        exponent = right.const
        if not (isinstance(exponent, int) and not isinstance(exponent, bool) and 1 <= exponent <= 8):
            b.unsupported("'^' cannot run in a filter except with a whole power from 1 to 8")
        result = x
        for _ in range(exponent - 1):
            result = result * x
        return b.value(result, NUMBER)

    def _date_arithmetic(self, op: str, left: SqlValue, right: SqlValue) -> SqlValue:
        b = self.builder
        if left.type == DATE and right.type == DATE:
            return b.value(b.days_between(left.expr, right.expr), NUMBER, b.blank_if_any(left, right))
        date, count = (left, right) if left.type == DATE else (right, left)
        n = b.operand(count, NUMBER)
        return b.value(b.add_days(date.expr, -n if op == "-" else n), DATE, date.blank)

    def _compare(self, op: str, left: SqlValue, right: SqlValue) -> SqlValue:
        b = self.builder
        t = left.type if left.type != BLANK else right.type
        if t == BLANK:
            t = NUMBER
        if t not in (NUMBER, TEXT, BOOL, DATE):
            b.unsupported(f"Comparing {t.described} cannot run in a filter")
        x, y = b.operand(left, t), b.operand(right, t)
        if t == TEXT:
            # Excel compares text ignoring case; ordering goes by code point on both databases.
            fold = b.lower if op in ("=", "<>") else b.ordered_text
            x, y = fold(x), fold(y)
        return b.value(_COMPARE[op](x, y), BOOL)

    def _call(self, node: Call) -> SqlValue:
        spec = FUNCTIONS.get(node.name)
        if spec.sql is None:
            self.builder.span = node.name_span
            self.builder.unsupported(f"{spec.name} cannot run in a filter")
        args = [self.build(a) for a in node.args]
        self.builder.span = node.span
        return spec.sql(self.builder, args)
