"""Function specs and their registry: each formula function is one small registered plug-in.

A spec says everything the rest of the language needs to know about a function: its
parameters (what each accepts, in words an error message can use), its result type rule,
its Python body, and optionally its SQL form. The checker, both compilers and the formula
editor's function picker read specs; none of them knows any function by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tack.core.registry import Registry
from tack.formula.types import (
    ANY,
    BOOL,
    DATE,
    DATES,
    DATETIME,
    NUMBER,
    TEXT,
    Type,
    is_a,
)

if TYPE_CHECKING:
    from tack.formula.sqlbase import SqlBuilder, SqlValue

    SqlImpl = Callable[[SqlBuilder, Sequence[SqlValue]], SqlValue]
else:
    SqlImpl = Callable[..., Any]


class ArgError(Exception):
    """Raised by a type rule: argument `index` is wrong (the checker adds its position)."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


@dataclass(frozen=True, slots=True)
class Accepts:
    """What a parameter accepts, and how an error message describes it."""

    describe: str
    test: Callable[[Type], bool]


def _scalar(t: Type) -> bool:
    return t.is_scalar


CONDITION = Accepts("a condition (true/false)", lambda t: is_a(t, BOOL))
A_NUMBER = Accepts("a number", lambda t: is_a(t, NUMBER))
A_TEXT = Accepts("text", lambda t: is_a(t, TEXT, NUMBER))  # numbers read as text, as in Excel
A_DATE = Accepts("a date", lambda t: is_a(t, DATE, DATETIME))
A_DATETIME = Accepts("a date and time", lambda t: is_a(t, DATETIME, DATE))
A_VALUE = Accepts("a single value (not a list)", _scalar)
ANYTHING = Accepts("a value", lambda t: True)
NUMBERS = Accepts("numbers", lambda t: is_a(t, NUMBER) or (t.is_list and is_a(t.item or ANY, NUMBER)))
NUMBERS_OR_DATES = Accepts(
    "numbers or dates", lambda t: is_a(t, NUMBER, DATE, DATETIME) or (t.is_list and is_a(t.item or ANY, NUMBER, DATE, DATETIME))
)
A_LIST = Accepts("a list (a sub-table column)", lambda t: t.is_list or t.name in ("table", "any"))
DATES_ARG = Accepts("dates", lambda t: is_a(t, DATE) or (t.is_list and is_a(t.item or ANY, DATE, DATETIME)))


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    accepts: Accepts
    optional: bool = False
    repeat: bool = False  # only the last parameter: it may be given any number of times


ReturnRule = Type | Callable[[Sequence[Type]], Type]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    family: str
    params: tuple[Param, ...]
    returns: ReturnRule
    py: Callable[..., Any]  # py(ctx, *args); lazy: py(ctx, *compiled_args)
    summary: str
    sql: SqlImpl | None = None
    lazy: bool = False  # receives unevaluated arguments (IF evaluates only the chosen branch)
    catches_errors: bool = False  # sees error values instead of returning the first one
    volatile: bool = False  # reads the clock (TODAY, NOW): never folded into a constant

    @property
    def min_args(self) -> int:
        return sum(1 for p in self.params if not p.optional)

    @property
    def max_args(self) -> int | None:
        return None if self.params and self.params[-1].repeat else len(self.params)

    def param_for(self, index: int) -> Param:
        if index < len(self.params):
            return self.params[index]
        return self.params[-1]

    def result_type(self, args: Sequence[Type]) -> Type:
        return self.returns(args) if callable(self.returns) else self.returns

    @property
    def signature(self) -> str:
        parts = []
        for p in self.params:
            name = f"{p.name}, ..." if p.repeat else p.name
            parts.append(f"[{name}]" if p.optional else name)
        return f"{self.name}({', '.join(parts)})"


FUNCTIONS: Registry[FunctionSpec] = Registry("formula function")


def function(
    name: str,
    family: str,
    params: Sequence[Param],
    returns: ReturnRule,
    summary: str,
    *,
    sql: SqlImpl | None = None,
    lazy: bool = False,
    catches_errors: bool = False,
    volatile: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated Python body as formula function `name`."""

    def register(py: Callable[..., Any]) -> Callable[..., Any]:
        spec = FunctionSpec(
            name=name.upper(),
            family=family,
            params=tuple(params),
            returns=returns,
            py=py,
            summary=summary,
            sql=sql,
            lazy=lazy,
            catches_errors=catches_errors,
            volatile=volatile,
        )
        FUNCTIONS.register(spec.name, spec)
        return py

    return register


# ---- type rules shared by several families ---------------------------------------------------


def same_as(index: int) -> Callable[[Sequence[Type]], Type]:
    return lambda args: args[index] if index < len(args) else ANY


def number_or_date(args: Sequence[Type]) -> Type:
    """MIN and MAX: all numbers, or all dates (a list counts as its items)."""
    kinds = {(t.item or ANY) if t.is_list else t for t in args} - {ANY, Type("blank")}
    dates = kinds & DATES
    if dates and kinds - DATES:
        index = next(i for i, t in enumerate(args) if ((t.item or ANY) if t.is_list else t) not in DATES)
        raise ArgError(index, "cannot mix numbers and dates")
    for i, t in enumerate(args):
        item = (t.item or ANY) if t.is_list else t
        if not is_a(item, NUMBER, DATE, DATETIME):
            raise ArgError(i, f"expects numbers or dates, got {t.described}")
    if DATETIME in dates:
        return DATETIME
    return DATE if dates else NUMBER


def ordinal(i: int) -> str:
    words = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
    return f"{words[i]} argument" if i < len(words) else f"argument {i + 1}"
