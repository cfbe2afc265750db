"""A plain-Python reference for record queries: what a filter tree and a sort mean, written
as directly as possible over records' stored data, to check the SQL compiler against."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from tack.records.query.periods import day_range


class Rec:
    def __init__(self, id: uuid.UUID, data: dict[str, Any], created_by: uuid.UUID | None) -> None:
        self.id, self.data, self.created_by = id, data, created_by


class World:
    """Who is asking, and when."""

    def __init__(self, me: uuid.UUID | None, my_departments: set[str], my_department_members: set[str],
                 now: dt.datetime, tz: str = "UTC") -> None:
        self.me, self.my_departments, self.my_department_members = me, my_departments, my_department_members
        self.now, self.tz = now, ZoneInfo(tz)


def _day_start(day: dt.date, w: World) -> str:
    moment = dt.datetime.combine(day, dt.time(), w.tz).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _bound(value: Any, kind: str) -> Any:
    if isinstance(value, str) and kind == "datetime" and len(value) > 10:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
    return value


def matches(node: dict[str, Any], rec: Rec, kinds: dict[str, str], w: World,
            options: dict[str, dict[str, str]]) -> bool:
    if "and" in node:
        return all(matches(n, rec, kinds, w, options) for n in node["and"])
    if "or" in node:
        return any(matches(n, rec, kinds, w, options) for n in node["or"])
    field, op, v = node["field"], node["op"], node.get("value")
    if field == "created_by":
        x: Any = str(rec.created_by) if rec.created_by else None
        kind = "member"
    else:
        x, kind = rec.data.get(field), kinds[field]
    if kind in ("select", "multiselect") and v is not None:  # labels → ids
        by_label = {k.casefold(): i for k, i in options[field].items()}  # labels match ignoring case
        v = [by_label.get(i.casefold(), i) for i in v] if isinstance(v, list) else by_label.get(v.casefold(), v)
    if op == "empty":
        return x is None
    if op == "not_empty":
        return x is not None
    if op == "is_true":
        return x is True
    if op == "is_false":
        return x is not True
    if op in ("is_me", "not_me"):
        hit = w.me is not None and x == str(w.me)
        return hit if op == "is_me" else not hit
    if op == "in_my_departments":
        return x in (w.my_department_members if kind == "member" else w.my_departments)
    if op in ("has_any", "has_all", "has_none", "has_me"):
        have = set(x or [])
        want = {str(w.me)} if op == "has_me" else set(v)
        if op == "has_all":
            return want <= have
        return bool(have & want) if op in ("has_any", "has_me") else not have & want
    if kind == "datetime" and isinstance(v, str) and len(v) == 10 or op == "in_period":
        if op == "in_period":
            start, end = day_range(v, w.now.astimezone(w.tz).date())
        else:
            start = dt.date.fromisoformat(v)
            end = start + dt.timedelta(days=1)
        if kind == "datetime":
            lo, hi = _day_start(start, w), _day_start(end, w)
        else:
            lo, hi = start.isoformat(), end.isoformat()
        inside = x is not None and lo <= x < hi
        return {"eq": inside, "in_period": inside, "ne": not inside, "lt": x is not None and x < lo,
                "le": x is not None and x < hi, "gt": x is not None and x >= hi, "ge": x is not None and x >= lo}[op]
    if kind == "datetime" and op == "between" and len(v[0]) == 10:
        lo = _day_start(dt.date.fromisoformat(v[0]), w)
        hi = _day_start(dt.date.fromisoformat(v[1]) + dt.timedelta(days=1), w)
        return x is not None and lo <= x < hi
    v = [_bound(i, kind) for i in v] if isinstance(v, list) else _bound(v, kind)
    if op == "eq":
        return x == v
    if op == "ne":
        return x != v
    if op == "any_of":
        return x in v
    if op == "none_of":
        return x not in v
    if op == "not_contains":  # negative operators match blanks
        return x is None or v.lower() not in x.lower()
    if x is None:
        return False
    if op == "contains":
        return v.lower() in x.lower()
    if op == "starts_with":
        return x.lower().startswith(v.lower())
    if op == "ends_with":
        return x.lower().endswith(v.lower())
    if op == "between":
        return v[0] <= x <= v[1]
    return {"lt": x < v, "le": x <= v, "gt": x > v, "ge": x >= v}[op]


def order(recs: list[Rec], sorts: list[dict[str, Any]], kinds: dict[str, str],
          option_order: dict[str, list[str]]) -> list[Rec]:
    """Blanks first going up; ties broken by id in the first key's direction (newest first
    when there is no sort)."""
    def key(rec: Rec, field: str) -> tuple[int, Any]:
        x = rec.data.get(field)
        if kinds[field] == "checkbox":
            return (1, 1 if x is True else 0)
        if kinds[field] == "select" and x is not None:
            return (1, option_order[field].index(x))
        return (0, 0) if x is None else (1, x)

    out = sorted(recs, key=lambda r: r.id, reverse=sorts[0]["direction"] == "desc" if sorts else True)
    for s in reversed(sorts):
        out.sort(key=lambda r, f=s["field"]: key(r, f), reverse=s["direction"] == "desc")
    return out
