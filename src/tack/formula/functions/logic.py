"""Logic: IF, IFS, AND, OR, NOT, ISBLANK, ISERROR, IFERROR, SWITCH, BLANK.

IF, IFS, IFERROR, SWITCH, AND and OR are *lazy*: they receive their arguments unevaluated and
run only what they need, so `IF(days = 0, 0, total / days)` never divides by zero. AND and OR
read as SQL's three-valued logic with an error as "unknown": one FALSE makes AND false even
next to an error (so `AND(b <> 0, a / b > 1)` is simply FALSE when b is 0), and the SQL form
gives the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from tack.formula.context import EvalContext
from tack.formula.functions.base import A_VALUE, ANYTHING, CONDITION, ArgError, Param, function, ordinal
from tack.formula.sqlbase import SqlBuilder, SqlValue
from tack.formula.types import BLANK, BOOL, TEXT, Type, comparable, unify
from tack.formula.values import NA, ErrorValue, equals, is_blank, to_bool

Arg = Callable[[EvalContext], Any]
F = "logic"


def _branches(name: str, args: Sequence[Type], indexes: Sequence[int]) -> Type:
    """The one type every result branch shares (BLANK() fits any)."""
    result = BLANK
    for i in indexes:
        joined = unify(result, args[i])
        if joined is None:
            raise ArgError(
                i,
                f"{name} gives {result.described} in one case but {args[i].described} in another; "
                "every result must have the same type (use BLANK() for an empty result)",
            )
        result = joined
    return result


def _if_type(args: Sequence[Type]) -> Type:
    return _branches("IF", args, range(1, len(args)))


def _if_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    cond = b.cond(args[0])
    then = args[1]
    other = args[2] if len(args) > 2 else b.literal(None, then.type)
    t = unify(then.type, other.type) or then.type
    # Two WHENs, not WHEN/ELSE: an error (NULL) condition gives NULL, as Python gives the error.
    expr = sa.case((cond, then.expr), (sa.not_(cond), other.expr))
    return b.value(expr, t, b.blank_by_case([(cond, then), (sa.not_(cond), other)]))


@function(
    "IF",
    F,
    [Param("condition", CONDITION), Param("value_if_true", ANYTHING), Param("value_if_false", ANYTHING, True)],
    _if_type,
    "One value when the condition is true, another when it is false (blank if omitted)",
    sql=_if_sql,
    lazy=True,
)
def _if(ctx: EvalContext, cond: Arg, then: Arg, otherwise: Arg | None = None) -> Any:
    c = cond(ctx)
    if isinstance(c, ErrorValue):
        return c
    if to_bool(c):
        return then(ctx)
    return otherwise(ctx) if otherwise is not None else None


def _ifs_type(args: Sequence[Type]) -> Type:
    if len(args) % 2:
        raise ArgError(len(args) - 1, "IFS expects pairs of condition and value; the last condition has no value")
    for i in range(0, len(args), 2):
        if not CONDITION.test(args[i]):
            raise ArgError(i, f"IFS expects {CONDITION.describe} as its {ordinal(i)}, got {args[i].described}")
    return _branches("IFS", args, range(1, len(args), 2))


def _ifs_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    whens = [(b.cond(args[i]), args[i + 1]) for i in range(0, len(args), 2)]
    t = _ifs_type([a.type for a in args])
    # No true condition is #N/A in Python: NULL here, and not blank.
    return b.value(sa.case(*((c, v.expr) for c, v in whens)), t, b.blank_by_case(whens))


@function(
    "IFS",
    F,
    [Param("condition", CONDITION), Param("value", ANYTHING, repeat=True)],
    _ifs_type,
    "The value paired with the first true condition: IFS(c1, v1, c2, v2, ...)",
    sql=_ifs_sql,
    lazy=True,
)
def _ifs(ctx: EvalContext, *args: Arg) -> Any:
    for i in range(0, len(args) - 1, 2):
        c = args[i](ctx)
        if isinstance(c, ErrorValue):
            return c
        if to_bool(c):
            return args[i + 1](ctx)
    return ErrorValue(NA.code, "no condition is true")


def _all_of(ctx: EvalContext, args: Sequence[Arg], stop_on: bool) -> Any:
    error: ErrorValue | None = None
    for arg in args:
        v = arg(ctx)
        if isinstance(v, ErrorValue):
            error = error or v
        elif to_bool(v) == stop_on:
            return stop_on
    return error if error is not None else not stop_on


def _and_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    return b.value(sa.and_(*(b.cond(a) for a in args)), BOOL)


def _or_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    return b.value(sa.or_(*(b.cond(a) for a in args)), BOOL)


@function(
    "AND", F, [Param("condition", CONDITION, repeat=True)], BOOL,
    "True when every condition is true", sql=_and_sql, lazy=True,
)
def _and(ctx: EvalContext, *args: Arg) -> Any:
    return _all_of(ctx, args, stop_on=False)


@function(
    "OR", F, [Param("condition", CONDITION, repeat=True)], BOOL,
    "True when at least one condition is true", sql=_or_sql, lazy=True,
)
def _or(ctx: EvalContext, *args: Arg) -> Any:
    return _all_of(ctx, args, stop_on=True)


def _not_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    return b.value(sa.not_(b.cond(args[0])), BOOL)


@function("NOT", F, [Param("condition", CONDITION)], BOOL, "The opposite of a condition", sql=_not_sql)
def _not(ctx: EvalContext, v: Any) -> bool:
    return not to_bool(v)


def _isblank_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    v = args[0]
    # An error is not blank: NULL predicates are read as FALSE.
    blank = sa.func.coalesce(v.blank, sa.false()) if v.blank is not None else None
    if v.type == TEXT:
        empty = sa.func.coalesce(v.expr == "", sa.false())
        return b.value(sa.or_(blank, empty) if blank is not None else empty, BOOL)
    return b.value(blank, BOOL) if blank is not None else b.literal(False, BOOL)


@function(
    "ISBLANK", F, [Param("value", ANYTHING)], BOOL,
    "True when a value is empty (no value, empty text or no rows)", sql=_isblank_sql, catches_errors=True,
)
def _isblank(ctx: EvalContext, v: Any) -> bool:
    return is_blank(v)


@function("ISERROR", F, [Param("value", ANYTHING)], BOOL, "True when a value is an error such as #DIV/0!",
          catches_errors=True)
def _iserror(ctx: EvalContext, v: Any) -> bool:
    return isinstance(v, ErrorValue)


@function(
    "IFERROR", F, [Param("value", ANYTHING), Param("value_if_error", ANYTHING)],
    lambda args: _branches("IFERROR", args, (0, 1)),
    "A value, or a fallback when the value is an error", lazy=True, catches_errors=True,
)
def _iferror(ctx: EvalContext, value: Arg, fallback: Arg) -> Any:
    v = value(ctx)
    return fallback(ctx) if isinstance(v, ErrorValue) else v


def _switch_type(args: Sequence[Type]) -> Type:
    if len(args) < 3:
        raise ArgError(len(args) - 1, "SWITCH expects a value, then pairs of case and result")
    pairs_end = len(args) - (len(args) - 1) % 2  # an odd tail is the default
    for i in range(1, pairs_end, 2):
        if not comparable(args[0], args[i]):
            raise ArgError(i, f"SWITCH compares {args[0].described} with {args[i].described}")
    results = list(range(2, pairs_end, 2)) + ([len(args) - 1] if pairs_end < len(args) else [])
    return _branches("SWITCH", args, results)


@function(
    "SWITCH", F, [Param("value", A_VALUE), Param("case", ANYTHING), Param("result", ANYTHING, repeat=True)],
    _switch_type,
    "The result paired with the first case equal to the value: SWITCH(v, case1, r1, ..., [default])",
    lazy=True,
)
def _switch(ctx: EvalContext, value: Arg, *args: Arg) -> Any:
    v = value(ctx)
    if isinstance(v, ErrorValue):
        return v
    pairs = len(args) - len(args) % 2
    for i in range(0, pairs, 2):
        case = args[i](ctx)
        if isinstance(case, ErrorValue):
            return case
        if equals(v, case, ctx.tz):
            return args[i + 1](ctx)
    return args[-1](ctx) if len(args) % 2 else ErrorValue(NA.code, "no case matches")


def _blank_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    return b.literal(None, BLANK)


@function("BLANK", F, [], BLANK, "An empty value (fits any field type)", sql=_blank_sql)
def _blank(ctx: EvalContext) -> None:
    return None

