"""Building blocks for the SQL forms of formulas, shared by the compiler and the function specs.

Two dialects, one meaning. Where SQLite and PostgreSQL differ (integer division, dates,
RIGHT, case-insensitive search, text ordering) the difference lives here, in one helper each,
chosen by the dialect name the caller passes. Blank handling matches the Python runtime:
an operand that may be blank is wrapped in COALESCE with its type's blank (0, '', FALSE,
0001-01-01), exactly as Python treats None in arithmetic and comparisons. An error value
(division by zero, #N/A) is NULL in SQL: a filter treats it as "does not match".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tack.formula.errors import NO_SPAN, NotSqlCompatible, Span
from tack.formula.types import BLANK, BOOL, DATE, NUMBER, TEXT, Type

NO_CONST: Any = object()  # "this value is not known until the query runs"

SA_TYPES: dict[Type, sa.types.TypeEngine[Any]] = {
    NUMBER: sa.Float(),
    TEXT: sa.String(),
    BOOL: sa.Boolean(),
    DATE: sa.Date(),
    BLANK: sa.String(),
}
_BLANKS: dict[Type, Any] = {NUMBER: 0, TEXT: "", BOOL: False, DATE: dt.date.min}


@dataclass(frozen=True, slots=True)
class SqlValue:
    expr: ColumnElement[Any]
    type: Type
    blankable: bool = False  # may be NULL because a field is blank (not only on error)
    const: Any = field(default=NO_CONST, compare=False)  # the Python value, if a constant


class SqlBuilder:
    def __init__(self, dialect: str) -> None:
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"formulas compile to sqlite or postgresql, not {dialect!r}")
        self.dialect = dialect
        self.is_pg = dialect == "postgresql"
        self.span: Span = NO_SPAN  # the node being compiled, for error positions

    def unsupported(self, message: str) -> NoReturn:
        raise NotSqlCompatible(message, self.span)

    # ---- values ------------------------------------------------------------------------------

    def literal(self, value: Any, type_: Type) -> SqlValue:
        if value is None:
            return SqlValue(sa.null(), type_ if type_ != BLANK else BLANK, blankable=True, const=None)
        if isinstance(value, bool):
            expr: ColumnElement[Any] = sa.true() if value else sa.false()
            return SqlValue(expr, BOOL, const=value)
        if isinstance(value, int):
            return SqlValue(sa.literal(value, sa.BigInteger()), NUMBER, const=value)
        if isinstance(value, float):
            return SqlValue(sa.literal(value, sa.Float()), NUMBER, const=value)
        if isinstance(value, str):
            return SqlValue(sa.literal(value, sa.String()), TEXT, const=value)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return SqlValue(sa.literal(value, sa.Date()), DATE, const=value)
        self.unsupported(f"a constant {type(value).__name__} cannot be used in a filter")

    def value(self, expr: ColumnElement[Any], type_: Type, blankable: bool = False) -> SqlValue:
        return SqlValue(expr, type_, blankable)

    def operand(self, v: SqlValue, as_type: Type | None = None) -> ColumnElement[Any]:
        """`v` where a blank counts as its type's blank (0 in a sum, "" in a text)."""
        t = as_type or v.type
        if not v.blankable or t not in _BLANKS:
            return v.expr
        if v.const is None:  # BLANK() itself
            return self.literal(_BLANKS[t], t).expr
        return sa.func.coalesce(v.expr, self.literal(_BLANKS[t], t).expr, type_=SA_TYPES[t])

    def cond(self, v: SqlValue) -> ColumnElement[Any]:
        return self.operand(v, BOOL)

    def text(self, v: SqlValue) -> ColumnElement[Any]:
        if v.type not in (TEXT, BLANK):
            if v.const is not NO_CONST and v.const is not None:
                from tack.formula.values import to_text

                return sa.literal(to_text(v.const), sa.String())
            self.unsupported(f"turning {v.type.described} into text cannot run in a filter")
        return self.operand(v, TEXT)

    def typed(self, v: SqlValue) -> ColumnElement[Any]:
        """The final expression, typed so that rows come back as Python values of the right kind
        (SQLite's 0/1 as bool, its ISO text as date, PostgreSQL's numeric as float)."""
        return sa.type_coerce(v.expr, SA_TYPES.get(v.type, sa.String()))

    # ---- numbers -----------------------------------------------------------------------------

    def to_float(self, expr: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.cast(expr, sa.Float())

    def trunc(self, expr: ColumnElement[Any]) -> ColumnElement[Any]:
        """Toward zero, as an integer (Excel truncates counts: LEFT(s, 2.7) takes 2)."""
        if self.is_pg:
            # Clamped to PostgreSQL's integer, which substr() and date + n insist on.
            clamped = sa.func.least(sa.func.greatest(self.to_float(expr), -(2**31)), 2**31 - 1)
            return sa.cast(sa.func.trunc(clamped), sa.Integer())
        return sa.cast(expr, sa.Integer())

    def floor(self, expr: ColumnElement[Any]) -> ColumnElement[Any]:
        if self.is_pg:
            return sa.func.floor(self.to_float(expr), type_=sa.Float())
        # SQLite has floor() only when built with its math functions: do without.
        whole = sa.cast(expr, sa.Integer())
        return whole - sa.cast(expr < whole, sa.Integer())

    def divide(self, a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
        # Both: true division (SQLite and PostgreSQL divide integers as integers); division by
        # zero is NULL (PostgreSQL would raise, Python gives #DIV/0!).
        quotient = self.to_float(a).op("/", return_type=sa.Float())(self.to_float(b))
        return sa.case((b == 0, sa.null()), else_=quotient)

    def round(self, x: ColumnElement[Any], digits: int) -> ColumnElement[Any]:
        """Half away from zero, like Excel (PostgreSQL's numeric round and SQLite's round)."""
        if digits < 0:
            scale = sa.literal(10 ** (-digits), sa.BigInteger())
            return self.round(self.divide(x, scale), 0) * scale
        if self.is_pg:
            return sa.func.round(sa.cast(x, sa.Numeric()), digits, type_=sa.Float())
        return sa.func.round(x, digits, type_=sa.Float())

    # ---- text --------------------------------------------------------------------------------

    def lower(self, expr: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.func.lower(expr, type_=sa.String())

    def concat(self, a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
        return a.op("||", return_type=sa.String())(b)

    def ordered_text(self, expr: ColumnElement[Any]) -> ColumnElement[Any]:
        """Text for <, > comparisons: by code point on both (PostgreSQL's locale collations
        would order differently from Python and SQLite)."""
        lowered = self.lower(expr)
        return sa.collate(lowered, "C") if self.is_pg else lowered

    def position(self, needle: ColumnElement[Any], haystack: ColumnElement[Any]) -> ColumnElement[Any]:
        """1-based position of `needle` in `haystack`, 0 when absent."""
        if self.is_pg:
            return sa.func.strpos(haystack, needle, type_=sa.Integer())
        return sa.func.instr(haystack, needle, type_=sa.Integer())

    def right(self, s: ColumnElement[Any], n: ColumnElement[Any]) -> ColumnElement[Any]:
        if self.is_pg:
            return sa.func.right(s, n, type_=sa.String())
        return sa.case((n <= 0, sa.literal("", sa.String())), else_=sa.func.substr(s, -n, type_=sa.String()))

    def collapse_spaces(self, s: ColumnElement[Any]) -> ColumnElement[Any]:
        """Excel's TRIM: no spaces at the ends, single spaces inside."""
        trimmed = sa.func.trim(s, type_=sa.String())
        if self.is_pg:
            return sa.func.regexp_replace(trimmed, " +", " ", "g", type_=sa.String())
        # SQLite has no regexp_replace: mark each space, drop marked spaces that follow one,
        # unmark. (The marker, U+0001, is assumed absent from the text.)
        mark = sa.literal("\x01", sa.String())
        marked = sa.func.replace(trimmed, " ", sa.literal(" \x01", sa.String()))
        dropped = sa.func.replace(marked, sa.literal("\x01 ", sa.String()), "")
        return sa.func.replace(dropped, mark, "", type_=sa.String())

    # ---- dates -------------------------------------------------------------------------------

    def add_days(self, d: ColumnElement[Any], n: ColumnElement[Any]) -> ColumnElement[Any]:
        if self.is_pg:
            return sa.type_coerce(d.op("+")(self.trunc(n)), sa.Date())
        modifier = self.concat(sa.cast(self.trunc(n), sa.String()), sa.literal(" days", sa.String()))
        return sa.func.date(d, modifier, type_=sa.Date())

    def days_between(self, a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
        """a - b in whole days."""
        if self.is_pg:
            return sa.type_coerce(a.op("-")(b), sa.Integer())
        return sa.cast(sa.func.julianday(a) - sa.func.julianday(b), sa.Integer())

    def date_part(self, part: str, d: ColumnElement[Any]) -> ColumnElement[Any]:
        if self.is_pg:
            return sa.cast(sa.extract(part, d), sa.Integer())
        code = {"year": "%Y", "month": "%m", "day": "%d"}[part]
        return sa.cast(sa.func.strftime(code, d), sa.Integer())
