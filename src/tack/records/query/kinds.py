"""Value kinds: the operators a stored value supports in a filter, and their SQL.

A field type names its kind (`FieldType.query_kind`); the kind checks a condition's value
when the filter is saved (`normalize`, raising `BadValue` with a message for people) and turns
it into SQL for either database (`sql`). Adding a kind is one class registered here.

Blank values are never stored (the form drops them), so "empty" is "the key is absent", and a
negative operator ("is not", "does not contain", "none of") matches blank records too, as
people expect from spreadsheets' filters.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from tack.core.registry import Registry
from tack.records.query.operands import Operand, data_json, json_path
from tack.records.query.periods import BadPeriod, check_period, day_range
from tack.records.tables import records

MAX_LIST = 200  # values in one "any of"
MAX_TEXT = 1000


class BadValue(ValueError):
    """A condition's value does not fit its operator; the message is for people."""


@dataclass
class Env:
    """What a condition may need besides its value, resolved once per query."""

    dialect: str
    now: dt.datetime
    tz: ZoneInfo
    me: uuid.UUID | None = None
    my_departments: list[uuid.UUID] = field(default_factory=list)
    my_subtree: list[uuid.UUID] = field(default_factory=list)  # my departments and everything below
    my_department_members: list[uuid.UUID] = field(default_factory=list)

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.tz).date()


# What each operator takes as its value.
NONE, ONE, LIST, PAIR, PERIOD = "none", "one", "list", "pair", "period"
# Operators that need to know who is asking (Env.me / departments).
PERSONAL = frozenset({"is_me", "not_me", "has_me", "in_my_departments", "in_my_departments_and_below",
                      "has_my_departments"})


def _never() -> ColumnElement[Any]:
    return sa.false()


def _or_blank(cond: ColumnElement[Any], operand: Operand) -> ColumnElement[Any]:
    return sa.or_(cond, operand.scalar.is_(None))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Kind:
    name: ClassVar[str]
    ops: ClassVar[dict[str, str]]
    sortable: ClassVar[bool] = True

    def normalize_one(self, value: Any, ctx: Any) -> Any:
        raise BadValue("This field cannot be compared with a value.")

    def normalize(self, op: str, value: Any, ctx: Any) -> Any:
        """The condition's value checked and normalized (labels to option ids, text to dates);
        `ctx` is what the kind needs to know of the field (its settings)."""
        shape = self.ops[op]
        if shape == NONE:
            return None
        if shape == ONE:
            return self.normalize_one(value, ctx)
        if shape == LIST:
            if not isinstance(value, list) or not value:
                raise BadValue("Expected a list of values.")
            if len(value) > MAX_LIST:
                raise BadValue(f"At most {MAX_LIST} values.")
            return list(dict.fromkeys(self.normalize_one(v, ctx) for v in value))
        if shape == PAIR:
            if not isinstance(value, list) or len(value) != 2:
                raise BadValue("Expected two values: [from, to].")
            low, high = (self.normalize_one(v, ctx) for v in value)
            if high < low:
                raise BadValue("The first value must not be after the second.")
            return [low, high]
        try:
            return check_period(value)
        except BadPeriod as exc:
            raise BadValue(str(exc)) from None

    def sql(self, op: str, value: Any, o: Operand, env: Env) -> ColumnElement[Any]:
        raise NotImplementedError

    def sort_key(self, o: Operand, settings: Any) -> ColumnElement[Any]:
        return o.scalar


KINDS: Registry[Kind] = Registry("value kind")


def kind(cls: type[Kind]) -> type[Kind]:
    KINDS.register(cls.name, cls())
    return cls


def scalar_sql(op: str, value: Any, o: Operand) -> ColumnElement[Any] | None:
    """The operators every scalar kind shares."""
    x = o.scalar
    if op == "empty":
        return x.is_(None)
    if op == "not_empty":
        return x.is_not(None)
    if op == "eq":
        return x == o.bind(value)
    if op == "ne":
        return _or_blank(x != o.bind(value), o)
    if op == "any_of":
        return x.in_([o.bind(v) for v in value])
    if op == "none_of":
        return _or_blank(x.not_in([o.bind(v) for v in value]), o)
    if op in ("lt", "le", "gt", "ge"):
        return {"lt": x < o.bind(value), "le": x <= o.bind(value), "gt": x > o.bind(value),
                "ge": x >= o.bind(value)}[op]
    if op == "between":
        return sa.and_(x >= o.bind(value[0]), x <= o.bind(value[1]))
    return None


@kind
class TextKind(Kind):
    name = "text"
    ops = {"eq": ONE, "ne": ONE, "contains": ONE, "not_contains": ONE, "starts_with": ONE, "ends_with": ONE,
           "any_of": LIST, "none_of": LIST, "empty": NONE, "not_empty": NONE}

    def normalize_one(self, value: Any, ctx: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
            raise BadValue(f"Expected text of 1 to {MAX_TEXT} characters.")
        return value

    def sql(self, op: str, value: Any, o: Operand, env: Env) -> ColumnElement[Any]:
        found = scalar_sql(op, value, o)
        if found is not None:
            return found
        pattern = {"contains": "%{}%", "not_contains": "%{}%", "starts_with": "{}%", "ends_with": "%{}"}[op]
        # Case-insensitive, the same on both databases: both lower() fold Unicode (SQLite's is
        # replaced with Python's, see tack.core.db).
        cond = sa.func.lower(o.scalar).like(pattern.format(_like_escape(value.lower())), escape="\\")
        return _or_blank(~cond, o) if op == "not_contains" else cond


@kind
class NumberKind(Kind):
    name = "number"
    ops = {"eq": ONE, "ne": ONE, "lt": ONE, "le": ONE, "gt": ONE, "ge": ONE, "between": PAIR, "empty": NONE,
           "not_empty": NONE}

    def normalize_one(self, value: Any, ctx: Any) -> Any:
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise BadValue("Expected a number.") from None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                or abs(value) >= 1e15:
            raise BadValue("Expected a number.")
        return value

    def sql(self, op: str, value: Any, o: Operand, env: Env) -> ColumnElement[Any]:
        found = scalar_sql(op, value, o)
        assert found is not None
        return found


def _date(value: Any) -> dt.date:
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise BadValue("Expected a date as YYYY-MM-DD.")


@kind
class DateKind(Kind):
    name = "date"
    ops = {"eq": ONE, "ne": ONE, "lt": ONE, "le": ONE, "gt": ONE, "ge": ONE, "between": PAIR,
           "in_period": PERIOD, "empty": NONE, "not_empty": NONE}

    def normalize_one(self, value: Any, ctx: Any) -> Any:
        return _date(value)

    def sql(self, op: str, value: Any, o: Operand, env: Env) -> ColumnElement[Any]:
        if op == "in_period":
            start, end = day_range(value, env.today)
            return sa.and_(o.scalar >= o.bind(start), o.scalar < o.bind(end))
        found = scalar_sql(op, value, o)
        assert found is not None
        return found


@kind
class DateTimeKind(Kind):
    """Moments. A condition may name a whole day ("2026-11-21"): it means that day in the
    organization's time zone, so "on 21 November" finds what happened that day where they are."""

    name = "datetime"
    ops = DateKind.ops

    def normalize_one(self, value: Any, ctx: Any) -> Any:
        if isinstance(value, str) and len(value) == 10:
            return _date(value)
        if isinstance(value, str) and 10 < len(value) <= 40:
            try:
                moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                moment = None
            if moment is not None:
                if moment.tzinfo is None:
                    raise BadValue("Give the time zone of the date and time (for example 2026-11-21T09:00:00Z).")
                return moment.astimezone(dt.UTC).replace(microsecond=0)
        raise BadValue("Expected a date (YYYY-MM-DD) or a date and time (ISO 8601 with a time zone).")

    def normalize(self, op: str, value: Any, ctx: Any) -> Any:
        out = super().normalize(op, value, ctx)
        if self.ops[op] == PAIR and type(out[0]) is not type(out[1]):
            raise BadValue("Give both ends as dates, or both as dates and times.")
        return out

    def _start(self, day: dt.date, env: Env) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), env.tz).astimezone(dt.UTC)

    def sql(self, op: str, value: Any, o: Operand, env: Env) -> ColumnElement[Any]:
        x, one = o.scalar, dt.timedelta(days=1)
        if op == "in_period":
            start, end = day_range(value, env.today)
            return sa.and_(x >= o.bind(self._start(start, env)), x < o.bind(self._start(end, env)))
        if op == "between" and isinstance(value[0], dt.date) and not isinstance(value[0], dt.datetime):
            return sa.and_(x >= o.bind(self._start(value[0], env)), x < o.bind(self._start(value[1] + one, env)))
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            start, end = o.bind(self._start(value, env)), o.bind(self._start(value + one, env))
            day = sa.and_(x >= start, x < end)
            return {"eq": day, "ne": _or_blank(~day, o), "lt": x < start, "le": x < end, "gt": x >= end,
                    "ge": x >= start}[op]
        found = scalar_sql(op, value, o)
        assert found is not None
        return found


@kind
class CheckboxKind(Kind):
    name = "checkbox"
    ops = {"is_true": NONE, "is_false": NONE}

    def sql(self, op: str, value: Any, o: Operand, env: Env) -> ColumnElement[Any]:
        # JSON true reads as 1 in SQLite and as 'true' through PostgreSQL's ->>. An unticked
        # box is blank (not stored); a formula's FALSE is stored: both are "not true".
        ticked = o.scalar == (1 if o.dialect == "sqlite" else "true")
        return ticked if op == "is_true" else _or_blank(~ticked, o)

    def sort_key(self, o: Operand, settings: Any) -> ColumnElement[Any]:
        return sa.case((o.scalar == (1 if o.dialect == "sqlite" else "true"), 1), else_=0)


@kind
class SelectKind(Kind):
    """One option; conditions name options by id or label, and match the stored id."""

    name = "select"
    ops = {"eq": ONE, "ne": ONE, "any_of": LIST, "none_of": LIST, "empty": NONE, "not_empty": NONE}

    def normalize_one(self, value: Any, ctx: Any) -> Any:
        from tack.forms.fields.base import Invalid
        from tack.forms.fields.choice import _Options

        try:
            return _Options(ctx.options).resolve(value)
        except Invalid as exc:
            raise BadValue(exc.message) from None

    def sql(self, op: str, value: Any, o: Operand, env: Env) -> ColumnElement[Any]:
        found = scalar_sql(op, value, o)
        assert found is not None
        return found

    def sort_key(self, o: Operand, settings: Any) -> ColumnElement[Any]:
        """In the designer's order of the options (as people arranged them), not by label."""
        whens = [(o.scalar == opt.id, i) for i, opt in enumerate(settings.options[:500])]
        # A blank stays NULL (blanks sort first); an option deleted since sorts after the rest.
        return sa.case((o.scalar.is_(None), sa.null()), *whens, else_=len(whens))


def _uuid(value: Any) -> str:
    if isinstance(value, str) and len(value) <= 64:
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            pass
    raise BadValue("Expected an id.")


@kind
class MemberKind(Kind):
    name = "member"
    ops = {"eq": ONE, "ne": ONE, "any_of": LIST, "none_of": LIST, "is_me": NONE, "not_me": NONE,
           "in_my_departments": NONE, "empty": NONE, "not_empty": NONE}

    def normalize_one(self, value: Any, ctx: Any) -> Any:
        return _uuid(value)

    def sql(self, op: str, value: Any, o: Operand, env: Env) -> ColumnElement[Any]:
        if op in ("is_me", "not_me"):
            if env.me is None:  # a program (organization token) is nobody
                return _never() if op == "is_me" else sa.true()
            return scalar_sql("eq" if op == "is_me" else "ne", str(env.me), o)  # type: ignore[return-value]
        if op == "in_my_departments":
            ids = [str(m) for m in env.my_department_members]
            return scalar_sql("any_of", ids, o) if ids else _never()  # type: ignore[return-value]
        found = scalar_sql(op, value, o)
        assert found is not None
        return found


@kind
class DepartmentKind(Kind):
    name = "department"
    ops = {"eq": ONE, "ne": ONE, "any_of": LIST, "none_of": LIST, "in_my_departments": NONE,
           "in_my_departments_and_below": NONE, "empty": NONE, "not_empty": NONE}

    def normalize_one(self, value: Any, ctx: Any) -> Any:
        return _uuid(value)

    def sql(self, op: str, value: Any, o: Operand, env: Env) -> ColumnElement[Any]:
        if op in ("in_my_departments", "in_my_departments_and_below"):
            ids = [str(d) for d in (env.my_departments if op == "in_my_departments" else env.my_subtree)]
            return scalar_sql("any_of", ids, o) if ids else _never()  # type: ignore[return-value]
        found = scalar_sql(op, value, o)
        assert found is not None
        return found


def _has_any(o: Operand, values: list[str]) -> ColumnElement[Any]:
    assert o.field_id is not None
    if o.dialect == "postgresql":
        return data_json(o.field_id, o.dialect).op("?|")(sa.cast(sa.literal(values), postgresql.ARRAY(sa.Text)))
    each = sa.func.json_each(records.c.data, json_path(o.field_id, o.dialect)).table_valued("value")
    return sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value.in_(values)))


def _has_all(o: Operand, values: list[str]) -> ColumnElement[Any]:
    assert o.field_id is not None
    if o.dialect == "postgresql":
        return data_json(o.field_id, o.dialect).op("?&")(sa.cast(sa.literal(values), postgresql.ARRAY(sa.Text)))
    return sa.and_(*(_has_any(o, [v]) for v in values))


class ListKind(Kind):
    """A JSON list of ids (options, members, departments, records)."""

    sortable = False
    ops = {"has_any": LIST, "has_all": LIST, "has_none": LIST, "empty": NONE, "not_empty": NONE}

    def normalize_one(self, value: Any, ctx: Any) -> Any:
        return _uuid(value)

    def mine(self, op: str, env: Env) -> list[str] | None:
        return None

    def sql(self, op: str, value: Any, o: Operand, env: Env) -> ColumnElement[Any]:
        if op == "empty":
            return o.scalar.is_(None)
        if op == "not_empty":
            return o.scalar.is_not(None)
        mine = self.mine(op, env)
        if mine is not None:
            return _has_any(o, mine) if mine else _never()
        if op == "has_any":
            return _has_any(o, value)
        if op == "has_all":
            return _has_all(o, value)
        return _or_blank(~_has_any(o, value), o)  # has_none


@kind
class MultiSelectKind(ListKind):
    name = "multiselect"

    def normalize_one(self, value: Any, ctx: Any) -> Any:
        return SelectKind().normalize_one(value, ctx)


@kind
class MembersKind(ListKind):
    name = "members"
    ops = {**ListKind.ops, "has_me": NONE}

    def mine(self, op: str, env: Env) -> list[str] | None:
        return ([str(env.me)] if env.me else []) if op == "has_me" else None


@kind
class DepartmentsKind(ListKind):
    name = "departments"
    ops = {**ListKind.ops, "has_my_departments": NONE}

    def mine(self, op: str, env: Env) -> list[str] | None:
        return [str(d) for d in env.my_departments] if op == "has_my_departments" else None


@kind
class LinkKind(ListKind):
    name = "link"
    ops = {"has_any": LIST, "has_none": LIST, "empty": NONE, "not_empty": NONE}


@kind
class PresenceKind(Kind):
    """Values only tested for presence: files, signatures, locations, sub-tables."""

    name = "presence"
    sortable = False
    ops = {"empty": NONE, "not_empty": NONE}

    def sql(self, op: str, value: Any, o: Operand, env: Env) -> ColumnElement[Any]:
        return o.scalar.is_(None) if op == "empty" else o.scalar.is_not(None)
