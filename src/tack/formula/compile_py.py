"""Formula → Python closure. No eval, no exec, no code objects: each node becomes a small
function of the evaluation context, built once per formula and called once per record.

Evaluation is bounded by construction: the language has no loops or recursion, the tree is
limited in size and depth by the parser, every function's own work is bounded (text growth is
capped, working-day counts are arithmetic), and a function body that fails returns an error
value instead of raising. `strict=True` lets unexpected Python exceptions through (tests use it
to find bugs the safety net would hide).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from tack.core.clock import Clock
from tack.formula.ast import Binary, Bool, Call, Formula, Node, Number, Ref, Text, Unary
from tack.formula.checker import Schema, Typing, as_formula, infer
from tack.formula.context import EvalContext
from tack.formula.errors import FormulaError
from tack.formula.functions import FUNCTIONS
from tack.formula.types import ANY, BOOL, DATE, DATES, DATETIME, NUMBER, TEXT, Type
from tack.formula.values import (
    MAX_TEXT,
    NUM,
    VALUE,
    ErrorValue,
    Raised,
    add,
    compare,
    concat,
    div,
    mul,
    norm,
    parse_number,
    power,
    sub,
    to_bool,
    to_date,
    to_datetime,
    to_number,
    to_text,
)

Compiled = Callable[[EvalContext], Any]
# What a function body may raise by mistake on strange data; outside strict mode it is #VALUE!.
_UNEXPECTED = (ArithmeticError, ValueError, TypeError, AttributeError, IndexError, KeyError)


def compile_py(formula: str | Formula | Node, schema: Schema | None = None, *, strict: bool = False) -> Compiled:
    """A function that evaluates the formula for one record: `compiled(EvalContext(values))`.

    With the form's schema the formula is type-checked first and values are read as their
    fields' types (ISO text from JSON becomes a date, "12.5" a number). Without it every
    field is `any` and operators decide by the values they meet."""
    f = as_formula(formula)
    typing = infer(f, schema)
    return _Compiler(typing, strict).build(f.root)


def evaluate(
    formula: str | Formula,
    values: Mapping[str, Any] | None = None,
    *,
    schema: Schema | None = None,
    now: dt.datetime | None = None,
    clock: Clock | None = None,
    tz: dt.tzinfo | str = dt.UTC,
) -> Any:
    """Parse, check, compile and run a formula once: a convenience for scripts and tests.
    Code that evaluates a formula many times should `compile_py` it once."""
    ctx = EvalContext(values, now=now, tz=tz) if clock is None else EvalContext(values, clock=clock, now=now, tz=tz)
    return compile_py(formula, schema)(ctx)


class _Compiler:
    def __init__(self, typing: Typing, strict: bool) -> None:
        self.typing = typing
        self.strict = strict

    def build(self, node: Node) -> Compiled:
        if isinstance(node, Number | Text | Bool):
            value = node.value
            return lambda ctx: value
        if isinstance(node, Ref):
            return self._ref(node)
        if isinstance(node, Unary):
            return self._guard(self._unary(node))
        if isinstance(node, Binary):
            return self._guard(self._binary(node))
        if isinstance(node, Call):
            return self._guard(self._call(node))
        raise FormulaError(f"Unknown formula part {type(node).__name__}", node.span)

    def _guard(self, run: Compiled) -> Compiled:
        """Error values out of `fail(...)`, and a cap on what a result may be."""
        strict = self.strict

        def guarded(ctx: EvalContext) -> Any:
            try:
                v = run(ctx)
            except Raised as r:
                return r.value
            except _UNEXPECTED as e:
                if strict:
                    raise
                return ErrorValue(VALUE.code, str(e)[:200])
            if isinstance(v, float) and not math.isfinite(v):
                return ErrorValue(NUM.code, "the number is too large")
            if isinstance(v, str) and len(v) > MAX_TEXT:
                return ErrorValue(VALUE.code, f"the text is longer than {MAX_TEXT:,} characters")
            return v

        return guarded

    # ---- fields ----------------------------------------------------------------------------------

    def _ref(self, node: Ref) -> Compiled:
        t = self.typing.of(node)
        name, column = node.name, node.column
        if column is None:
            if t.name == "table":
                return lambda ctx: list(ctx.rows(name))
            return lambda ctx: read_as(ctx.value(name), t, ctx.tz)
        item = t.item or ANY
        return lambda ctx: [read_as(row.get(column), item, ctx.tz, lenient=True) for row in ctx.rows(name)]

    # ---- operators -------------------------------------------------------------------------------

    def _unary(self, node: Unary) -> Compiled:
        operand = self.build(node.operand)
        if node.op == "%":
            return lambda ctx: _unless_error(operand(ctx), lambda v: norm(to_number(v) / 100))
        if node.op == "-":
            return lambda ctx: _unless_error(operand(ctx), lambda v: norm(-to_number(v)))
        return lambda ctx: _unless_error(operand(ctx), to_number)

    def _binary(self, node: Binary) -> Compiled:
        left, right, op = self.build(node.left), self.build(node.right), node.op
        lt, rt = self.typing.of(node.left), self.typing.of(node.right)
        if op == "&":
            return lambda ctx: _both(left(ctx), right(ctx), lambda a, b: concat(a, b, ctx.tz))
        if op in ("=", "<>", "<", "<=", ">", ">="):
            return lambda ctx: _both(left(ctx), right(ctx), lambda a, b: compare(op, a, b, ctx.tz))
        ops: dict[str, Callable[..., Any]] = {"*": mul, "/": div, "^": power}
        fn = ops.get(op)
        # A blank *date* makes the result blank ("start + 5" with no start); a blank number is 0.
        left_date, right_date = lt in DATES, rt in DATES
        left_zero, right_zero = lt == NUMBER, rt == NUMBER

        def arithmetic(ctx: EvalContext) -> Any:
            a, b = left(ctx), right(ctx)
            if isinstance(a, ErrorValue):
                return a
            if isinstance(b, ErrorValue):
                return b
            if a is None:
                if left_date:
                    return None
                a = 0 if left_zero else a
            if b is None:
                if right_date:
                    return None
                b = 0 if right_zero else b
            if fn is not None:
                return fn(a, b)
            return add(a, b, ctx.tz) if op == "+" else sub(a, b, ctx.tz)

        return arithmetic

    # ---- functions -------------------------------------------------------------------------------

    def _call(self, node: Call) -> Compiled:
        spec = FUNCTIONS.get(node.name)
        args = [self.build(a) for a in node.args]
        py = spec.py
        if spec.lazy:
            return lambda ctx: py(ctx, *args)
        if spec.catches_errors:
            return lambda ctx: py(ctx, *[a(ctx) for a in args])

        def call(ctx: EvalContext) -> Any:
            values = [a(ctx) for a in args]
            for v in values:
                if isinstance(v, ErrorValue):
                    return v  # errors propagate, as in a spreadsheet
            return py(ctx, *values)

        return call


def _unless_error(v: Any, then: Callable[[Any], Any]) -> Any:
    return v if isinstance(v, ErrorValue) else then(v)


def _both(a: Any, b: Any, then: Callable[[Any, Any], Any]) -> Any:
    if isinstance(a, ErrorValue):
        return a
    if isinstance(b, ErrorValue):
        return b
    return then(a, b)


def read_as(v: Any, t: Type, tz: dt.tzinfo, lenient: bool = False) -> Any:
    """A stored value as the formula sees its field's type. Records come from JSON, so a date
    arrives as "2026-01-05" and a money amount may arrive as "12.50". A value that cannot be
    read is #VALUE! (or, inside a sub-table column, skipped as Excel skips text in a range)."""
    if v is None or (v == "" and t != TEXT):
        return None
    try:
        if t == NUMBER:
            if isinstance(v, bool):
                return int(v)
            if isinstance(v, int | float):
                return norm(v)
            if isinstance(v, Decimal):
                return norm(float(v))
            if isinstance(v, str):
                return parse_number(v)
            return to_number(v)
        if t == TEXT:
            return v if isinstance(v, str) else to_text(v, tz)
        if t == BOOL:
            return to_bool(v)
        if t == DATE:
            return to_date(v, tz)
        if t == DATETIME:
            return to_datetime(v, tz)
        if t.name in ("member", "department"):
            return v if isinstance(v, str) else str(v)
        if t.is_list:
            items = v if isinstance(v, list) else [v]
            return [read_as(i, t.item or ANY, tz, lenient=True) for i in items]
        if isinstance(v, Decimal):
            return norm(float(v))
        return v
    except Raised as r:
        return None if lenient else r.value
