"""Lists and sub-tables: COUNT, COUNTA, COUNTBLANK, COUNTIF, SUMIF, AVERAGEIF.

A sub-table column (`lines.amount`) is a list with one item per row. Criteria follow Excel:
a value means "equal to it" (text ignoring case, with * and ? as wildcards); text starting
with an operator compares: ">100", "<=2024-06-30", "<>rejected"; "" matches blanks and "<>"
matches anything not blank. A numeric criterion only ever matches numbers.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from tack.formula.context import EvalContext
from tack.formula.functions.base import A_LIST, A_VALUE, ANYTHING, ArgError, Param, function
from tack.formula.functions.maths import numbers
from tack.formula.types import NUMBER, Type, is_a, items_of
from tack.formula.values import DIV0, Raised, compare, fail, flatten, is_blank, norm, parse_number

F = "lists"
_OPERATOR = re.compile(r"^(<=|>=|<>|=|<|>)?(.*)$", re.DOTALL)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def criterion(c: Any, tz: dt.tzinfo) -> Callable[[Any], bool]:
    """The test a COUNTIF criterion stands for."""
    if not isinstance(c, str):
        if c is None:
            return is_blank
        return lambda v: v is not None and compare("=", v, c, tz)
    m = _OPERATOR.match(c)
    assert m is not None
    op, rest = m[1] or "=", m[2]
    if rest == "" and op in ("=", "<>"):
        return is_blank if op == "=" else (lambda v: not is_blank(v))
    try:
        target: Any = parse_number(rest)
        return lambda v: _is_number(v) and compare(op, v, target, tz)
    except Raised:
        pass
    try:
        day: dt.date = dt.date.fromisoformat(rest.strip())
        return lambda v: isinstance(v, dt.date) and compare(op, v, day, tz)
    except ValueError:
        pass
    if op in ("=", "<>") and ("*" in rest or "?" in rest):
        pattern = re.compile(fnmatch.translate(rest.lower().replace("[", "[[]")), re.DOTALL)

        def matches(v: Any) -> bool:
            return isinstance(v, str) and bool(pattern.match(v.lower()))

        return matches if op == "=" else (lambda v: not matches(v))
    if op == "<>":
        return lambda v: not (isinstance(v, str) and compare("=", v, rest, tz))
    return lambda v: isinstance(v, str) and compare(op, v, rest, tz)


def _items(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


@function("COUNT", F, [Param("value", ANYTHING, repeat=True)], NUMBER,
          "How many numbers there are (in values and sub-table columns)")
def _count(ctx: EvalContext, *args: Any) -> int:
    return sum(1 for v in flatten(args) if _is_number(v))


@function("COUNTA", F, [Param("value", ANYTHING, repeat=True)], NUMBER,
          "How many values are not blank; COUNTA(lines) counts a sub-table's rows")
def _counta(ctx: EvalContext, *args: Any) -> int:
    return sum(1 for v in flatten(args) if not is_blank(v))


@function("COUNTBLANK", F, [Param("list", A_LIST)], NUMBER, "How many values of a list are blank")
def _countblank(ctx: EvalContext, values: Any) -> int:
    return sum(1 for v in _items(values) if is_blank(v))


@function("COUNTIF", F, [Param("list", A_LIST), Param("criteria", A_VALUE)], NUMBER,
          'How many values of a list meet a criterion: COUNTIF(lines.amount, ">100")')
def _countif(ctx: EvalContext, values: Any, crit: Any) -> int:
    test = criterion(crit, ctx.tz)
    return sum(1 for v in _items(values) if test(v))


def _sum_range_type(name: str) -> Callable[[Sequence[Type]], Type]:
    def rule(args: Sequence[Type]) -> Type:
        i = 2 if len(args) > 2 else 0
        if not is_a(items_of(args[i]), NUMBER):
            raise ArgError(i, f"{name} adds up numbers, got {args[i].described}")
        return NUMBER

    return rule


def _selected(ctx: EvalContext, values: Any, crit: Any, picked: Any) -> list[int | float]:
    test = criterion(crit, ctx.tz)
    keys = _items(values)
    targets = _items(picked) if picked is not None else keys
    chosen = [targets[i] for i, v in enumerate(keys) if i < len(targets) and test(v)]
    return numbers([chosen], skip_blanks=True)


_IF_PARAMS = [Param("list", A_LIST), Param("criteria", A_VALUE), Param("sum_list", A_LIST, optional=True)]


@function("SUMIF", F, _IF_PARAMS, _sum_range_type("SUMIF"),
          'The total of the values that meet a criterion: SUMIF(lines.category, "travel", lines.amount)')
def _sumif(ctx: EvalContext, values: Any, crit: Any, picked: Any = None) -> int | float:
    return norm(math.fsum(_selected(ctx, values, crit, picked)))


@function("AVERAGEIF", F, _IF_PARAMS, _sum_range_type("AVERAGEIF"),
          "The mean of the values that meet a criterion")
def _averageif(ctx: EvalContext, values: Any, crit: Any, picked: Any = None) -> int | float:
    chosen = _selected(ctx, values, crit, picked)
    if not chosen:
        fail(DIV0, "no values meet the criterion")
    return norm(math.fsum(chosen) / len(chosen))
