"""Text: CONCATENATE, TEXTJOIN, LEFT, RIGHT, MID, LEN, UPPER, LOWER, TRIM, TEXT, CONTAINS,
SUBSTITUTE, VALUE, FIND, SEARCH.

Positions count characters (a CJK character is one), from 1, as in Excel. Every function that
can make text longer checks the final length *before* building it, so no formula can grow a
string past `MAX_TEXT`, however its functions are nested.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from tack.formula.context import EvalContext
from tack.formula.functions.base import (
    A_NUMBER,
    A_TEXT,
    ANYTHING,
    CONDITION,
    ArgError,
    Param,
    function,
)
from tack.formula.functions.textformat import format_value
from tack.formula.sqlbase import SqlBuilder, SqlValue
from tack.formula.types import BOOL, NUMBER, TEXT, Type, comparable, items_of
from tack.formula.values import (
    MAX_TEXT,
    VALUE,
    check_text,
    equals,
    fail,
    flatten,
    is_blank,
    parse_number,
    to_bool,
    to_int,
    to_text,
)

F = "text"
_TEXT = Param("text", A_TEXT)


def _count(v: Any, name: str) -> int:
    n = to_int(v)
    if n < 0:
        fail(VALUE, f"{name} cannot take a negative number of characters")
    return n


def _sql_count(b: SqlBuilder, v: SqlValue | None) -> sa.ColumnElement[Any]:
    return b.trunc(b.operand(v)) if v is not None else sa.literal(1, sa.Integer())


def _concat_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    out = b.text(args[0])
    for a in args[1:]:
        out = b.concat(out, b.text(a))
    return b.value(out, TEXT)


@function("CONCATENATE", F, [Param("value", ANYTHING, repeat=True)], TEXT,
          "The values joined into one text (the same as &)", sql=_concat_sql)
def _concatenate(ctx: EvalContext, *args: Any) -> str:
    parts = [to_text(v, ctx.tz) for v in flatten(args)]
    if sum(map(len, parts)) > MAX_TEXT:
        fail(VALUE, f"the text would be longer than {MAX_TEXT:,} characters")
    return "".join(parts)


@function("TEXTJOIN", F, [Param("delimiter", A_TEXT), Param("ignore_empty", CONDITION),
                          Param("value", ANYTHING, repeat=True)], TEXT,
          "The values joined with a delimiter: TEXTJOIN(\", \", TRUE, lines.item)")
def _textjoin(ctx: EvalContext, delimiter: Any, ignore_empty: Any, *args: Any) -> str:
    skip = to_bool(ignore_empty)
    parts = [to_text(v, ctx.tz) for v in flatten(args) if not (skip and is_blank(v))]
    sep = to_text(delimiter)
    if sum(map(len, parts)) + len(sep) * max(0, len(parts) - 1) > MAX_TEXT:
        fail(VALUE, f"the text would be longer than {MAX_TEXT:,} characters")
    return sep.join(parts)


def _left_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    n = _sql_count(b, args[1] if len(args) > 1 else None)
    expr = sa.case((n < 0, sa.null()), else_=sa.func.substr(b.text(args[0]), 1, n, type_=sa.String()))
    return b.value(expr, TEXT)


@function("LEFT", F, [_TEXT, Param("count", A_NUMBER, True)], TEXT,
          "The first characters of a text (1 if no count)", sql=_left_sql)
def _left(ctx: EvalContext, s: Any, n: Any = 1) -> str:
    return to_text(s, ctx.tz)[: _count(n, "LEFT")]


def _right_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    n = _sql_count(b, args[1] if len(args) > 1 else None)
    return b.value(sa.case((n < 0, sa.null()), else_=b.right(b.text(args[0]), n)), TEXT)


@function("RIGHT", F, [_TEXT, Param("count", A_NUMBER, True)], TEXT,
          "The last characters of a text (1 if no count)", sql=_right_sql)
def _right(ctx: EvalContext, s: Any, n: Any = 1) -> str:
    count = _count(n, "RIGHT")
    text = to_text(s, ctx.tz)
    return text[max(0, len(text) - count) :] if count else ""


def _mid_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    start, n = b.trunc(b.operand(args[1])), b.trunc(b.operand(args[2]))
    expr = sa.case(
        ((start < 1) | (n < 0), sa.null()),
        else_=sa.func.substr(b.text(args[0]), start, n, type_=sa.String()),
    )
    return b.value(expr, TEXT)


@function("MID", F, [_TEXT, Param("start", A_NUMBER), Param("count", A_NUMBER)], TEXT,
          "Characters from the middle of a text: MID(text, start, count)", sql=_mid_sql)
def _mid(ctx: EvalContext, s: Any, start: Any, n: Any) -> str:
    first = to_int(start)
    if first < 1:
        fail(VALUE, "MID starts at character 1 or later")
    return to_text(s, ctx.tz)[first - 1 : first - 1 + _count(n, "MID")]


def _len_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    return b.value(sa.func.length(b.text(args[0]), type_=sa.Integer()), NUMBER)


@function("LEN", F, [_TEXT], NUMBER, "The number of characters in a text", sql=_len_sql)
def _len(ctx: EvalContext, s: Any) -> int:
    return len(to_text(s, ctx.tz))


def _upper_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    return b.value(sa.func.upper(b.text(args[0]), type_=sa.String()), TEXT)


@function("UPPER", F, [_TEXT], TEXT, "The text in capital letters", sql=_upper_sql)
def _upper(ctx: EvalContext, s: Any) -> str:
    return check_text(to_text(s, ctx.tz).upper())  # ß → SS: upper can grow a text


def _lower_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    return b.value(b.lower(b.text(args[0])), TEXT)


@function("LOWER", F, [_TEXT], TEXT, "The text in small letters", sql=_lower_sql)
def _lower(ctx: EvalContext, s: Any) -> str:
    return check_text(to_text(s, ctx.tz).lower())


def _trim_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    return b.value(b.collapse_spaces(b.text(args[0])), TEXT)


@function("TRIM", F, [_TEXT], TEXT, "The text without spaces at the ends and with single spaces inside",
          sql=_trim_sql)
def _trim(ctx: EvalContext, s: Any) -> str:
    return " ".join(w for w in to_text(s, ctx.tz).split(" ") if w)


@function("TEXT", F, [Param("value", ANYTHING), Param("format", A_TEXT, True)], TEXT,
          'A number or date as text in a format: TEXT(amount, "#,##0.00"), TEXT(day, "yyyy-mm-dd")')
def _text(ctx: EvalContext, v: Any, fmt: Any = None) -> str:
    if fmt is None or isinstance(v, list):
        return to_text(v, ctx.tz)
    return format_value(v, to_text(fmt), ctx.tz)


def _contains_type(args: Sequence[Type]) -> Type:
    if args[0].is_list:
        if not comparable(items_of(args[0]), args[1]):
            raise ArgError(1, f"CONTAINS looks for {items_of(args[0]).described} in this list, "
                              f"got {args[1].described}")
        return BOOL
    for i in (0, 1):
        if not A_TEXT.test(args[i]):
            raise ArgError(i, f"CONTAINS expects text or a list as its first argument, got {args[i].described}"
                           if i == 0 else f"CONTAINS expects text to look for, got {args[i].described}")
    return BOOL


def _contains_sql(b: SqlBuilder, args: Sequence[SqlValue]) -> SqlValue:
    if args[0].type.is_list:
        b.unsupported("CONTAINS over a list cannot run in a filter")
    found = b.position(b.lower(b.text(args[1])), b.lower(b.text(args[0])))
    return b.value(found > 0, BOOL)


@function("CONTAINS", F, [Param("text_or_list", ANYTHING), Param("search", ANYTHING)], _contains_type,
          "True when a text contains another (ignoring case), or a list contains a value",
          sql=_contains_sql)
def _contains(ctx: EvalContext, where: Any, what: Any) -> bool:
    if isinstance(where, list):
        return any(equals(item, what, ctx.tz) for item in where)
    return to_text(what, ctx.tz).lower() in to_text(where, ctx.tz).lower()


@function("SUBSTITUTE", F, [_TEXT, Param("old_text", A_TEXT), Param("new_text", A_TEXT),
                            Param("instance", A_NUMBER, True)], TEXT,
          "The text with one piece replaced by another (every time, or only the n-th time)")
def _substitute(ctx: EvalContext, s: Any, old: Any, new: Any, instance: Any = None) -> str:
    text, a, b = to_text(s, ctx.tz), to_text(old, ctx.tz), to_text(new, ctx.tz)
    if not a:
        return text
    if instance is None:
        # Check the size before building: SUBSTITUTE(x, "a", x) would otherwise square it.
        if len(text) + text.count(a) * (len(b) - len(a)) > MAX_TEXT:
            fail(VALUE, f"the text would be longer than {MAX_TEXT:,} characters")
        return text.replace(a, b)
    n = to_int(instance)
    if n < 1:
        fail(VALUE, "SUBSTITUTE's instance counts from 1")
    at = -1
    for _ in range(min(n, len(text) + 1)):
        at = text.find(a, at + 1)
        if at < 0:
            return text
    return check_text(text[:at] + b + text[at + len(a) :])


@function("VALUE", F, [_TEXT], NUMBER, 'The number a text shows: VALUE("1,234.5")')
def _value(ctx: EvalContext, s: Any) -> int | float:
    if isinstance(s, int | float) and not isinstance(s, bool):
        return s
    return parse_number(to_text(s, ctx.tz))


def _find(text: str, needle: str, start: Any, name: str) -> int:
    first = to_int(start)
    if first < 1 or first > len(text) + 1:
        fail(VALUE, f"{name} starts outside the text")
    at = text.find(needle, first - 1)
    if at < 0:
        fail(VALUE, f"{name} did not find the text")
    return at + 1


_FIND_PARAMS = [Param("find_text", A_TEXT), Param("within_text", A_TEXT), Param("start", A_NUMBER, True)]


@function("FIND", F, _FIND_PARAMS, NUMBER,
          "Where a text starts inside another, matching case (#VALUE! if absent)")
def _find_fn(ctx: EvalContext, needle: Any, within: Any, start: Any = 1) -> int:
    return _find(to_text(within, ctx.tz), to_text(needle, ctx.tz), start, "FIND")


@function("SEARCH", F, _FIND_PARAMS, NUMBER,
          "Where a text starts inside another, ignoring case (#VALUE! if absent)")
def _search(ctx: EvalContext, needle: Any, within: Any, start: Any = 1) -> int:
    return _find(to_text(within, ctx.tz).lower(), to_text(needle, ctx.tz).lower(), start, "SEARCH")
