"""Runtime values: error values, coercions and the operators, with Excel's semantics.

Values are plain Python: `None` (blank), `int | float`, `str`, `bool`, `datetime.date`,
aware `datetime.datetime`, lists (a sub-table column), and `ErrorValue` (`#DIV/0!` and
friends). An error is a *value*, not an exception: it flows through operators and functions
until IFERROR catches it, the way a spreadsheet cell shows `#DIV/0!` instead of crashing.
Inside function bodies it is convenient to `fail(...)`, which raises `Raised`; the compiled
call turns that back into the value.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn

MAX_TEXT = 100_000  # longest text a formula may build (a guard against runaway growth)
_BIG = 2**53  # beyond this, floats cannot hold every integer


@dataclass(frozen=True, slots=True)
class ErrorValue:
    code: str  # "#DIV/0!", "#VALUE!", "#NUM!", "#N/A"
    detail: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.code


DIV0 = ErrorValue("#DIV/0!")
VALUE = ErrorValue("#VALUE!")
NUM = ErrorValue("#NUM!")
NA = ErrorValue("#N/A")


class Raised(Exception):
    """Carries an error value out of a function body to the compiled call that returns it."""

    def __init__(self, value: ErrorValue) -> None:
        super().__init__(value.code)
        self.value = value


def fail(error: ErrorValue, detail: str = "") -> NoReturn:
    raise Raised(ErrorValue(error.code, detail) if detail else error)


def is_error(v: object) -> bool:
    return isinstance(v, ErrorValue)


def is_blank(v: object) -> bool:
    return v is None or v == "" or (isinstance(v, list) and not v)


# ---- coercions -------------------------------------------------------------------------------


def norm(x: int | float) -> int | float:
    """A number as we keep it: integral floats become ints (clean JSON), non-finite is #NUM!."""
    if isinstance(x, float):
        if not math.isfinite(x):
            fail(NUM, "the number is too large")
        if x.is_integer() and abs(x) < _BIG:
            return int(x)
    elif abs(x) >= _BIG:
        return norm(float(x))
    return x


def to_number(v: Any) -> int | float:
    if v is None:
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int | float):
        return v
    if isinstance(v, Decimal):
        return norm(float(v))
    if isinstance(v, ErrorValue):
        raise Raised(v)
    if isinstance(v, str):
        return parse_number(v)
    fail(VALUE, f"expected a number, got {type_name(v)}")


def parse_number(s: str) -> int | float:
    """Text to number the way VALUE reads it: "12", "-3.5", "1,234", "1e3", "15%"."""
    t = s.strip().replace(",", "")
    scale = 1.0
    if t.endswith("%"):
        t, scale = t[:-1], 0.01
    if not t or len(t) > 400 or t.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
        fail(VALUE, f"{s[:40]!r} is not a number")
    try:
        x = float(t) * scale
    except ValueError:
        fail(VALUE, f"{s[:40]!r} is not a number")
    return norm(x)


def to_int(v: Any) -> int:
    """Excel truncates a fractional count (LEFT(s, 2.7) takes 2)."""
    x = to_number(v)
    if abs(x) > 1e15:
        fail(NUM, "the number is too large")
    return int(x)


def to_bool(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v != 0
    if isinstance(v, str) and v.upper() in ("TRUE", "FALSE"):
        return v.upper() == "TRUE"
    if isinstance(v, ErrorValue):
        raise Raised(v)
    fail(VALUE, f"expected true/false, got {type_name(v)}")


def format_number(x: int | float) -> str:
    if isinstance(x, bool):
        return "TRUE" if x else "FALSE"
    if isinstance(x, int):
        return str(x)
    return format(x, ".15g")  # Excel shows at most 15 significant digits


def to_text(v: Any, tz: dt.tzinfo = dt.UTC) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        return format_number(v)
    if isinstance(v, Decimal):
        return format_number(float(v))
    if isinstance(v, dt.datetime):
        return v.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return check_text(", ".join(to_text(i, tz) for i in v if not is_blank(i)))
    if isinstance(v, ErrorValue):
        raise Raised(v)
    return str(v)


def check_text(s: str) -> str:
    if len(s) > MAX_TEXT:
        fail(VALUE, f"the text would be longer than {MAX_TEXT:,} characters")
    return s


def to_date(v: Any, tz: dt.tzinfo = dt.UTC) -> dt.date | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.astimezone(tz).date() if v.tzinfo else v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            pass
    if isinstance(v, ErrorValue):
        raise Raised(v)
    fail(VALUE, f"expected a date, got {type_name(v)}")


def to_datetime(v: Any, tz: dt.tzinfo = dt.UTC) -> dt.datetime | None:
    """Aware datetimes; a date means its midnight in the organization's time zone."""
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v if v.tzinfo else v.replace(tzinfo=tz)
    if isinstance(v, dt.date):
        return dt.datetime.combine(v, dt.time(), tzinfo=tz)
    if isinstance(v, str):
        try:
            return to_datetime(dt.datetime.fromisoformat(v.strip()), tz)
        except ValueError:
            pass
    if isinstance(v, ErrorValue):
        raise Raised(v)
    fail(VALUE, f"expected a date and time, got {type_name(v)}")


def type_name(v: object) -> str:
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, int | float | Decimal):
        return "a number"
    if isinstance(v, str):
        return "text"
    if isinstance(v, dt.datetime):
        return "a date and time"
    if isinstance(v, dt.date):
        return "a date"
    if isinstance(v, list):
        return "a list"
    return type(v).__name__


def flatten(values: Iterable[Any]) -> Iterable[Any]:
    """Arguments with lists spread out: SUM(a, lines.amount) sees every number once."""
    for v in values:
        if isinstance(v, list):
            yield from v
        else:
            yield v


# ---- operators -------------------------------------------------------------------------------


def _days(n: Any) -> dt.timedelta:
    return dt.timedelta(days=to_int(n))


def add(a: Any, b: Any, tz: dt.tzinfo = dt.UTC) -> Any:
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        if a is None or b is None:
            return None  # a blank date stays blank: "due = start + 5" with no start
        if isinstance(b, dt.date) and not isinstance(a, dt.date):
            a, b = b, a
        if isinstance(b, dt.date):
            fail(VALUE, "cannot add two dates")
        if isinstance(a, dt.datetime):
            return a + dt.timedelta(days=to_number(b))
        return a + _days(b)
    return norm(to_number(a) + to_number(b))


def sub(a: Any, b: Any, tz: dt.tzinfo = dt.UTC) -> Any:
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        if a is None or b is None:
            return None
        if isinstance(a, dt.date) and isinstance(b, dt.date):
            if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):
                delta = to_datetime(a, tz) - to_datetime(b, tz)  # type: ignore[operator]
                return norm(delta.total_seconds() / 86400)
            return (a - b).days
        if isinstance(a, dt.date):
            if isinstance(a, dt.datetime):
                return a - dt.timedelta(days=to_number(b))
            return a - _days(b)
        fail(VALUE, "cannot subtract a date from a number")
    return norm(to_number(a) - to_number(b))


def mul(a: Any, b: Any) -> Any:
    return norm(to_number(a) * to_number(b))


def div(a: Any, b: Any) -> Any:
    d = to_number(b)
    if d == 0:
        fail(DIV0, "division by zero")
    return norm(to_number(a) / d)


def power(a: Any, b: Any) -> Any:
    x, y = float(to_number(a)), float(to_number(b))
    if x == 0 and y < 0:
        fail(DIV0, "zero to a negative power")
    if x == 0 and y == 0:
        fail(NUM, "0^0 is undefined")
    if x < 0 and not y.is_integer():
        fail(NUM, "a negative number to a fractional power")
    try:
        return norm(x**y)
    except OverflowError:
        fail(NUM, "the number is too large")


def concat(a: Any, b: Any, tz: dt.tzinfo = dt.UTC) -> str:
    left, right = to_text(a, tz), to_text(b, tz)
    if len(left) + len(right) > MAX_TEXT:
        fail(VALUE, f"the text would be longer than {MAX_TEXT:,} characters")
    return left + right


# ---- comparison ------------------------------------------------------------------------------

_MIN_DATETIME = dt.datetime.min.replace(tzinfo=dt.UTC)


def blank_like(v: Any) -> Any:
    """What a blank counts as next to `v`: 0 beside a number, "" beside text, and so on."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float | Decimal):
        return 0
    if isinstance(v, dt.datetime):
        return _MIN_DATETIME
    if isinstance(v, dt.date):
        return dt.date.min
    return ""


def _rank(v: Any) -> int:
    # Excel orders mixed kinds: numbers < text < logical values.
    if isinstance(v, bool):
        return 3
    if isinstance(v, int | float | Decimal | dt.date):
        return 1
    return 2


def compare(op: str, a: Any, b: Any, tz: dt.tzinfo = dt.UTC) -> bool:
    if a is None:
        a = blank_like(b)
    if b is None:
        b = blank_like(a)
    if isinstance(a, ErrorValue):
        raise Raised(a)
    if isinstance(b, ErrorValue):
        raise Raised(b)
    if isinstance(a, list) or isinstance(b, list):
        fail(VALUE, "cannot compare a list; use COUNTIF or CONTAINS")
    if isinstance(a, dt.date) and isinstance(b, dt.date) and type(a) is not type(b):
        a, b = to_datetime(a, tz), to_datetime(b, tz)
    ra, rb = _rank(a), _rank(b)
    if ra != rb or isinstance(a, dt.date) != isinstance(b, dt.date):
        if op in ("=", "<>"):
            return op == "<>"
        a, b = (ra, isinstance(a, dt.date)), (rb, isinstance(b, dt.date))
    elif isinstance(a, str):
        a, b = a.lower(), b.lower()  # Excel compares text ignoring case
    elif not isinstance(a, dt.date) and not isinstance(a, bool):
        a, b = to_number(a), to_number(b)
        if a != b and math.isclose(a, b, rel_tol=1e-15):
            b = a  # 0.1 + 0.2 = 0.3, as in Excel
    if op == "=":
        return bool(a == b)
    if op == "<>":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def equals(a: Any, b: Any, tz: dt.tzinfo = dt.UTC) -> bool:
    return compare("=", a, b, tz)
