"""The format codes of TEXT(value, format): the everyday subset of Excel's.

Numbers: `0`, `0.00`, `#,##0`, `#,##0.00`, `0%`, `0.0%`, with any literal text around them
(`"¥#,##0.00"`, `0.0" kg"`). Dates and times: `yyyy yy mmmm mmm mm m dddd ddd dd d hh h mm
ss AM/PM`, with anything else kept as written (`yyyy年m月d日`). Unknown codes are kept literally,
never an error, so a typo shows in the result instead of failing the form.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from decimal import Decimal
from typing import Any

from tack.formula.functions.maths import to_decimal
from tack.formula.values import VALUE, fail, to_number, to_text

MAX_FORMAT = 256

_NUMBER_FORMAT = re.compile(r"^(?P<pre>[^#0]*?)(?P<int>[#0,]*0[#0,]*|#[#,]*)(?:\.(?P<frac>[0#]+))?(?P<post>.*)$")
_DATE_TOKEN = re.compile(
    r'"[^"]*"|yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p|.', re.IGNORECASE | re.DOTALL
)
_DATE_CODE = re.compile(r"[ymdhs]", re.IGNORECASE)
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def format_value(v: Any, fmt: str, tz: dt.tzinfo) -> str:
    if len(fmt) > MAX_FORMAT:
        fail(VALUE, f"a format is at most {MAX_FORMAT} characters")
    if isinstance(v, dt.date):
        return format_date(v, fmt, tz)
    if v is None:
        v = 0
    if isinstance(v, str | bool):
        return to_text(v)
    return format_number(to_number(v), fmt)


def format_number(x: int | float, fmt: str) -> str:
    m = _NUMBER_FORMAT.match(fmt)
    if not m:
        return to_text(x)
    pre, int_part, frac, post = m["pre"], m["int"], m["frac"] or "", m["post"]
    if "%" in pre + post:
        x = x * 100
    places = len(frac)
    quantum = Decimal(1).scaleb(-places)
    value = to_decimal(x).quantize(
        quantum, rounding=decimal.ROUND_HALF_UP, context=decimal.Context(prec=400)
    )
    digits = f"{abs(value):,.{places}f}" if "," in int_part else f"{abs(value):.{places}f}"
    whole, _, fraction = digits.partition(".")
    min_whole = int_part.count("0")
    if whole in ("0", "") and min_whole == 0:
        whole = ""
    whole = whole.rjust(min_whole, "0")
    optional = len(frac) - len(frac.rstrip("#"))  # trailing # places are dropped when zero
    if optional:
        keep = len(fraction) - optional
        fraction = fraction[:keep] + fraction[keep:].rstrip("0")
    number = whole + ("." + fraction if fraction else "")
    sign = "-" if value < 0 else ""
    return f"{sign}{_literal(pre)}{number or '0'}{_literal(post)}"


def _literal(s: str) -> str:
    return s.replace('"', "")


def format_date(v: dt.date, fmt: str, tz: dt.tzinfo) -> str:
    if not _DATE_CODE.search(fmt):
        return to_text(v, tz)
    moment = v.astimezone(tz) if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time())
    tokens = _DATE_TOKEN.findall(fmt)
    twelve_hour = any(t.lower() in ("am/pm", "a/p") for t in tokens)
    out: list[str] = []
    for i, tok in enumerate(tokens):
        low = tok.lower()
        if low in ("mm", "m") and _is_minute(tokens, i):
            out.append(f"{moment.minute:02d}" if low == "mm" else str(moment.minute))
        elif low.startswith('"'):
            out.append(tok[1:-1])
        else:
            out.append(_date_part(low, moment, twelve_hour) or tok)
    return "".join(out)


def _is_minute(tokens: list[str], i: int) -> bool:
    """Excel's rule: m/mm right after an hour, or right before seconds, means minutes."""
    before = [t.lower() for t in tokens[:i] if t.strip() and t not in ":."]
    after = [t.lower() for t in tokens[i + 1 :] if t.strip() and t not in ":."]
    return bool(before and before[-1] in ("h", "hh")) or bool(after and after[0] in ("s", "ss"))


def _date_part(code: str, m: dt.datetime, twelve_hour: bool) -> str | None:
    hour = (m.hour % 12 or 12) if twelve_hour else m.hour
    parts = {
        "yyyy": f"{m.year:04d}",
        "yy": f"{m.year % 100:02d}",
        "mmmm": _MONTHS[m.month - 1],
        "mmm": _MONTHS[m.month - 1][:3],
        "mm": f"{m.month:02d}",
        "m": str(m.month),
        "dddd": _DAYS[m.weekday()],
        "ddd": _DAYS[m.weekday()][:3],
        "dd": f"{m.day:02d}",
        "d": str(m.day),
        "hh": f"{hour:02d}",
        "h": str(hour),
        "ss": f"{m.second:02d}",
        "s": str(m.second),
        "am/pm": "AM" if m.hour < 12 else "PM",
        "a/p": "A" if m.hour < 12 else "P",
    }
    return parts.get(code)
