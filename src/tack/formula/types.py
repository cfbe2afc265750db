"""The formula type model: what a field or an expression holds, as the checker sees it.

Small on purpose: scalar kinds (number, text, true/false, date, date and time, member,
department), lists of them (a sub-table column, or a multi-member field), sub-tables (rows of
named columns), `any` for a value whose type is not known (it passes every check, and the
runtime copes) and `blank` for BLANK(), which fits wherever a value of any type is expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_NOUNS = {
    "number": ("a number", "numbers"),
    "text": ("text", "texts"),
    "bool": ("true/false", "true/false values"),
    "date": ("a date", "dates"),
    "datetime": ("a date and time", "dates and times"),
    "member": ("a member", "members"),
    "department": ("a department", "departments"),
    "any": ("any value", "values"),
    "blank": ("a blank", "blanks"),
}


@dataclass(frozen=True, slots=True)
class Type:
    name: str
    item: Type | None = None  # for "list": the type of its items
    columns: tuple[tuple[str, Type], ...] = ()  # for "table": its columns, in order

    def __str__(self) -> str:
        return self.described

    @property
    def described(self) -> str:
        """How an error message names this type: "a number", "text", "a list of dates"."""
        if self.name == "list" and self.item is not None:
            return f"a list of {_NOUNS.get(self.item.name, (self.item.name, self.item.name))[1]}"
        if self.name == "table":
            return "a sub-table"
        return _NOUNS.get(self.name, (self.name, self.name))[0]

    @property
    def is_list(self) -> bool:
        return self.name == "list"

    @property
    def is_scalar(self) -> bool:
        return self.name not in ("list", "table")

    def column(self, name: str) -> Type | None:
        return dict(self.columns).get(name)

    @staticmethod
    def of(spec: str | Type) -> Type:
        """A type from its name as forms declare it: "number", "members", "list<date>"."""
        if isinstance(spec, Type):
            return spec
        s = spec.strip().lower()
        if s in _PLURALS:
            return list_of(_PLURALS[s])
        if s.startswith("list<") and s.endswith(">"):
            return list_of(Type.of(s[5:-1]))
        if s in _SCALARS:
            return _SCALARS[s]
        raise ValueError(f"unknown formula type {spec!r}")


NUMBER = Type("number")
TEXT = Type("text")
BOOL = Type("bool")
DATE = Type("date")
DATETIME = Type("datetime")
MEMBER = Type("member")
DEPARTMENT = Type("department")
ANY = Type("any")
BLANK = Type("blank")


def list_of(item: Type) -> Type:
    return Type("list", item=item)


def table_of(columns: Mapping[str, Type | str]) -> Type:
    return Type("table", columns=tuple((k, Type.of(v)) for k, v in columns.items()))


MEMBERS = list_of(MEMBER)
DEPARTMENTS = list_of(DEPARTMENT)

_SCALARS = {
    t.name: t for t in (NUMBER, TEXT, BOOL, DATE, DATETIME, MEMBER, DEPARTMENT, ANY, BLANK)
} | {"boolean": BOOL, "checkbox": BOOL, "string": TEXT}
_PLURALS = {"members": MEMBER, "departments": DEPARTMENT}

DATES = frozenset({DATE, DATETIME})
# Kinds that have an SQL form in both dialects (see compile_sql).
SQL_SCALARS = frozenset({NUMBER, TEXT, BOOL, DATE})


def is_a(t: Type, *kinds: Type) -> bool:
    """`t` may stand where one of `kinds` is expected (any and blank fit everywhere)."""
    return t in kinds or t.name in ("any", "blank")


def items_of(t: Type) -> Type:
    """The type of one value of `t`: a list's items, or `t` itself."""
    if t.is_list and t.item is not None:
        return t.item
    return t


def unify(a: Type, b: Type) -> Type | None:
    """The type of a value that may be `a` or `b` (IF's branches); None when they do not mix."""
    if a == b or b == BLANK:
        return a
    if a == BLANK:
        return b
    if ANY in (a, b):
        return ANY
    if {a, b} == {DATE, DATETIME}:
        return DATETIME
    if a.is_list and b.is_list and a.item is not None and b.item is not None:
        item = unify(a.item, b.item)
        return list_of(item) if item is not None else None
    return None


def comparable(a: Type, b: Type) -> bool:
    """Whether `a = b`, `a < b` make sense. Blank compares with anything (as 0, "" or FALSE)."""
    if not (a.is_scalar and b.is_scalar):
        return False
    if a == b or ANY in (a, b) or BLANK in (a, b):
        return True
    if a in DATES and b in DATES:
        return True
    # Members and departments are ids: comparing with text ids is how a default can name one.
    return {a, b} in ({MEMBER, TEXT}, {DEPARTMENT, TEXT})
