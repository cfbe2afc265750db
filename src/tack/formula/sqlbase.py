"""Building blocks for the SQL forms of formulas, shared by the compiler and the function specs.

Two dialects, one meaning. Where SQLite and PostgreSQL differ (integer division, dates,
RIGHT, case-insensitive search, text ordering) the difference lives here, in one helper each,
chosen by the dialect name the caller passes. Blank handling matches the Python runtime:
where Python reads a blank as its type's blank (0 in a sum, "" in a text, FALSE in a
condition, 0001-01-01 beside a date), SQL does the same. An error value (division by zero,
#N/A) is NULL in SQL, and stays NULL: a filter treats it as "does not match".

NULL alone cannot say "blank" or "error", so each value carries `blank`, a predicate that is
true exactly when the value is blank: `col IS NULL` for a field, and for IF(c, a, b) "a is
blank when c, b is blank when not c". Filling a blank then never turns an error into 0.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tack.core.db import on_sqlite_connect
from tack.formula.errors import NO_SPAN, NotSqlCompatible, Span
from tack.formula.types import BLANK, BOOL, DATE, NUMBER, TEXT, Type
from tack.formula.values import ErrorValue, to_text


@on_sqlite_connect
def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Make SQLite agree with Python and PostgreSQL to the last digit and letter: lower() and
    upper() that fold case beyond ASCII (built in, SQLite leaves 'ë' alone in UPPER('zoë')),
    and round() on the 15 significant digits people see (SQLite's own round differs on a few
    values in ten thousand). Call it on each new SQLite connection; without it formulas still
    run, with those small differences. The functions are deterministic: indexes may use them."""
    for name, fold in (("lower", str.lower), ("upper", str.upper)):

        def run(value: Any, fold: Any = fold) -> Any:
            return None if value is None else fold(value if isinstance(value, str) else str(value))

        dbapi_connection.create_function(name, 1, run, deterministic=True)
    dbapi_connection.create_function("round", 1, _sqlite_round, deterministic=True)
    dbapi_connection.create_function("round", 2, _sqlite_round, deterministic=True)


def _sqlite_round(value: Any, digits: Any = 0) -> float | None:
    if not isinstance(value, int | float) or not isinstance(digits, int | float):
        return None
    from tack.formula.functions.maths import round_to  # the same rounding as ROUND in Python

    try:
        return float(round_to(value, digits, decimal.ROUND_HALF_UP))
    except Exception:  # noqa: BLE001 - a database function must not raise into SQLite
        return None


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
    # A predicate that is true exactly when the value is blank (false or NULL when it is an
    # error); None when the value can never be blank.
    blank: ColumnElement[Any] | None = None
    const: Any = field(default=NO_CONST, compare=False)  # the Python value, if a constant
    null_is_blank: bool = False  # NULL can only mean blank (a field): COALESCE fills it


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
            # Typed, so PostgreSQL knows what the NULL is; BLANK() stays untyped to fit any CASE.
            null = sa.null() if type_ not in SA_TYPES or type_ == BLANK else sa.cast(sa.null(), SA_TYPES[type_])
            return SqlValue(null, type_, blank=sa.true(), const=None, null_is_blank=True)
        if isinstance(value, bool):
            expr: ColumnElement[Any] = sa.true() if value else sa.false()
            return SqlValue(expr, BOOL, const=value)
        if isinstance(value, int | float):
            # Float even for whole numbers: PostgreSQL would raise on a bigint overflow.
            return SqlValue(sa.literal(value, sa.Float()), NUMBER, const=value)
        if isinstance(value, str):
            return SqlValue(sa.literal(value, sa.String()), TEXT, const=value)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return SqlValue(sa.literal(value, sa.Date()), DATE, const=value)
        self.unsupported(f"a constant {type(value).__name__} cannot be used in a filter")

    def value(self, expr: ColumnElement[Any], type_: Type, blank: ColumnElement[Any] | None = None) -> SqlValue:
        return SqlValue(expr, type_, blank)

    def operand(self, v: SqlValue, as_type: Type | None = None) -> ColumnElement[Any]:
        """`v` where a blank counts as its type's blank (0 in a sum, "" in a text)."""
        t = as_type or v.type
        if v.blank is None or t not in _BLANKS:
            return v.expr
        fill = self.literal(_BLANKS[t], t).expr
        if v.const is None:  # BLANK() itself
            return fill
        if v.null_is_blank:
            return sa.func.coalesce(v.expr, fill, type_=SA_TYPES[t])
        return sa.case((v.blank, fill), else_=v.expr)

    def blank_if_any(self, *values: SqlValue) -> ColumnElement[Any] | None:
        """Blank when one of `values` is (DATEDIF of a blank date is blank)."""
        blanks = [v.blank for v in values if v.blank is not None]
        if not blanks:
            return None
        return blanks[0] if len(blanks) == 1 else sa.or_(*blanks)

    def blank_by_case(self, whens: list[tuple[ColumnElement[Any], SqlValue]]) -> ColumnElement[Any] | None:
        """Blank as the chosen branch of a CASE is (IF, IFS). When no branch is chosen (an
        error in a condition, or no true condition in IFS) the predicate is NULL: not blank."""
        if all(v.blank is None for _, v in whens):
            return None
        return sa.case(*((c, v.blank if v.blank is not None else sa.false()) for c, v in whens))

    def cond(self, v: SqlValue) -> ColumnElement[Any]:
        return self.operand(v, BOOL)

    def text(self, v: SqlValue) -> ColumnElement[Any]:
        if v.type not in (TEXT, BLANK):
            if isinstance(v.const, ErrorValue):
                return sa.cast(sa.null(), sa.String())
            if v.const is not NO_CONST and v.const is not None:
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
        # substr(s, 1, 0): '' for a text, NULL (the error) for NULL.
        empty = sa.func.substr(s, 1, 0, type_=sa.String())
        return sa.case((n <= 0, empty), else_=sa.func.substr(s, -n, type_=sa.String()))

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
            # Clamped, so that an absurd count gives an absurd date rather than failing the query.
            days = sa.func.least(sa.func.greatest(self.trunc(n), -3_650_000), 3_650_000)
            return sa.type_coerce(d.op("+")(days), sa.Date())
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
