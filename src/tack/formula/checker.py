"""The type checker: run when a form is saved, so a broken formula never reaches a record.

Given the form's fields and their types, it works out the type of every part of a formula and
says precisely what is wrong, where: "IF expects a condition (true/false) as its first
argument, got text", "Unknown field [Amout] — did you mean [Amount]?". The compilers use its
per-node types too (a blank *date* plus 5 stays blank, a blank *number* plus 5 is 5).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from tack.formula.ast import Binary, Bool, Call, Formula, Node, Number, Ref, Text, Unary
from tack.formula.errors import FormulaError, Span
from tack.formula.functions import FUNCTIONS, ArgError
from tack.formula.functions.base import ordinal
from tack.formula.parser import MAX_DEPTH, MAX_NODES, parse
from tack.formula.types import (
    ANY,
    BLANK,
    BOOL,
    DATE,
    DATES,
    DATETIME,
    NUMBER,
    TEXT,
    Type,
    comparable,
    is_a,
    list_of,
)

Schema = Mapping[str, "Type | str"]


@dataclass(slots=True)
class Typing:
    """The checker's findings: the result type, and the type of each node of this tree."""

    result: Type
    types: dict[int, Type] = field(default_factory=dict)  # id(node) → type
    fields: dict[str, Type] = field(default_factory=dict)  # referenced fields → their types

    def of(self, node: Node) -> Type:
        return self.types.get(id(node), ANY)


def as_formula(source: str | Formula | Node) -> Formula:
    if isinstance(source, Formula):
        return source
    if isinstance(source, Node):
        return Formula("", source)
    return parse(source)


def check(formula: str | Formula | Node, schema: Schema, expect: Type | str | None = None) -> Type:
    """The type of the formula's result, or a `FormulaError` that says what is wrong and where.
    With `expect`, the result must also fit a field of that type."""
    f = as_formula(formula)
    result = infer(f, schema).result
    if expect is not None:
        want = Type.of(expect)
        if not fits(result, want):
            raise FormulaError(f"The formula gives {result.described}, but the field holds {want.described}",
                               f.root.span)
    return result


def fits(result: Type, want: Type) -> bool:
    return result == want or result in (ANY, BLANK) or (want == DATETIME and result == DATE) or want == ANY


def infer(formula: Formula | Node, schema: Schema | None) -> Typing:
    """Type every node. Without a schema every field is `any` (checks functions and literals
    only: what `evaluate` uses when it is given bare values)."""
    root = formula.root if isinstance(formula, Formula) else formula
    if root.depth > MAX_DEPTH + 1 or root.size > MAX_NODES:
        raise FormulaError("The formula is too large or too deeply nested", root.span, kind="limit")
    fields = {k: Type.of(v) for k, v in schema.items()} if schema is not None else None
    checker = _Checker(fields)
    result = checker.visit(root)
    return Typing(result, checker.types, checker.used)


class _Checker:
    def __init__(self, schema: dict[str, Type] | None) -> None:
        self.schema = schema
        self.types: dict[int, Type] = {}
        self.used: dict[str, Type] = {}

    def visit(self, node: Node) -> Type:
        t = self._visit(node)
        self.types[id(node)] = t
        return t

    def _visit(self, node: Node) -> Type:
        if isinstance(node, Number):
            return NUMBER
        if isinstance(node, Text):
            return TEXT
        if isinstance(node, Bool):
            return BOOL
        if isinstance(node, Ref):
            return self._ref(node)
        if isinstance(node, Unary):
            t = self.visit(node.operand)
            if not is_a(t, NUMBER):
                raise FormulaError(f"'{node.op}' expects a number, got {t.described}", node.operand.span)
            return ANY if t == ANY else NUMBER
        if isinstance(node, Binary):
            return self._binary(node)
        if isinstance(node, Call):
            return self._call(node)
        raise FormulaError(f"Unknown formula part {type(node).__name__}", node.span)

    # ---- fields --------------------------------------------------------------------------------

    def _ref(self, node: Ref) -> Type:
        if self.schema is None:
            t = ANY if node.column is None else list_of(ANY)
        else:
            base = self.schema.get(node.name)
            if base is None:
                raise FormulaError(f"Unknown field [{node.name}]{_did_you_mean(node.name, self.schema)}", node.span)
            if node.column is None:
                t = base
            elif base.name != "table":
                raise FormulaError(
                    f"[{node.name}] is not a sub-table, so it has no column [{node.column}]", node.span
                )
            else:
                col = base.column(node.column)
                if col is None:
                    names = dict(base.columns)
                    raise FormulaError(
                        f"Sub-table [{node.name}] has no column [{node.column}]"
                        f"{_did_you_mean(node.column, names)}",
                        node.span,
                    )
                t = list_of(col)
        self.used[node.name if node.column is None else f"{node.name}.{node.column}"] = t
        return t

    # ---- operators -------------------------------------------------------------------------------

    def _binary(self, node: Binary) -> Type:
        lt, rt = self.visit(node.left), self.visit(node.right)
        op = node.op
        if op == "&":
            for t, side in ((lt, node.left), (rt, node.right)):
                if not t.is_scalar:
                    raise FormulaError(f"'&' joins single values, got {t.described}; use TEXTJOIN for a list",
                                       side.span)
            return TEXT
        if op in ("=", "<>", "<", "<=", ">", ">="):
            for t, side in ((lt, node.left), (rt, node.right)):
                if not t.is_scalar:
                    raise FormulaError(f"Cannot compare {t.described}; use COUNTIF or CONTAINS for a list",
                                       side.span)
            if not comparable(lt, rt):
                raise FormulaError(f"Cannot compare {lt.described} with {rt.described}", node.span)
            return BOOL
        if op in ("+", "-"):
            return self._additive(node, lt, rt)
        for t, side in ((lt, node.left), (rt, node.right)):
            if not is_a(t, NUMBER):
                raise FormulaError(f"'{op}' expects numbers, got {t.described}", side.span)
        return ANY if ANY in (lt, rt) else NUMBER

    def _additive(self, node: Binary, lt: Type, rt: Type) -> Type:
        op = node.op
        if lt in DATES or rt in DATES:
            if lt in DATES and rt in DATES:
                if op == "+":
                    raise FormulaError("Cannot add two dates; add a number of days instead", node.span)
                return NUMBER  # the days between them
            if rt in DATES and op == "-":
                raise FormulaError("Cannot subtract a date from a number", node.right.span)
            other, side = (rt, node.right) if lt in DATES else (lt, node.left)
            if not is_a(other, NUMBER):
                raise FormulaError(f"'{op}' adds a number of days to a date, got {other.described}", side.span)
            return lt if lt in DATES else rt
        for t, side in ((lt, node.left), (rt, node.right)):
            if not is_a(t, NUMBER):
                hint = "; use & to join text" if t == TEXT and op == "+" else ""
                raise FormulaError(f"'{op}' expects numbers (or a date and a number of days), "
                                   f"got {t.described}{hint}", side.span)
        return ANY if ANY in (lt, rt) else NUMBER

    # ---- functions -------------------------------------------------------------------------------

    def _call(self, node: Call) -> Type:
        if node.name not in FUNCTIONS:
            hint = difflib.get_close_matches(node.name, list(FUNCTIONS), n=1, cutoff=0.6)
            suffix = f" — did you mean {hint[0]}?" if hint else ""
            raise FormulaError(f"Unknown function {node.name}{suffix}", node.name_span)
        spec = FUNCTIONS.get(node.name)
        n = len(node.args)
        low, high = spec.min_args, spec.max_args
        if n < low or (high is not None and n > high):
            raise FormulaError(f"{spec.name} {_arity(low, high)}, got {n}: {spec.signature}", node.span)
        types = [self.visit(a) for a in node.args]
        for i, (arg, t) in enumerate(zip(node.args, types, strict=True)):
            accepts = spec.param_for(i).accepts
            if not accepts.test(t):
                raise FormulaError(
                    f"{spec.name} expects {accepts.describe} as its {ordinal(i)}, got {t.described}", arg.span
                )
        try:
            return spec.result_type(types)
        except ArgError as e:
            message = e.message if e.message.startswith(spec.name) else f"{spec.name} {e.message}"
            span: Span = node.args[e.index].span if 0 <= e.index < n else node.span
            raise FormulaError(message, span) from None


def _arity(low: int, high: int | None) -> str:
    def args(k: int) -> str:
        return "argument" if k == 1 else "arguments"

    if high is None:
        return f"expects at least {low} {args(low)}"
    if high == 0:
        return "expects no arguments"
    if low == high:
        return f"expects {low} {args(low)}"
    return f"expects {low} to {high} arguments"


def _did_you_mean(name: str, names: Mapping[str, object]) -> str:
    folded = [n for n in names if n.casefold() == name.casefold()]
    close = folded or difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f" — did you mean [{close[0]}]?" if close else ""

