"""Tack's formula language: one Excel-style language for field defaults, computed fields,
visibility and required-ness conditions, flow conditions, report measures and view filters.

    f = parse('IF(amount > 10000, "director", "manager")')
    check(f, {"amount": NUMBER})                       # → TEXT, or a FormulaError with its position
    run = compile_py(f, {"amount": NUMBER})            # once per formula
    run(EvalContext({"amount": 12000}, clock=ctx.clock, tz=org_tz))   # → "director"
    where = compile_sql(f, column_for, schema=..., dialect="postgresql")  # or NotSqlCompatible

Never `eval`: the source is parsed by lark into a small tree, type-checked, and compiled into
Python closures or SQLAlchemy expressions.
"""

from __future__ import annotations

from tack.formula.ast import Formula, Node
from tack.formula.checker import Schema, Typing, check, infer
from tack.formula.compile_py import Compiled, compile_py, evaluate
from tack.formula.compile_sql import ColumnFor, compile_sql
from tack.formula.context import EvalContext
from tack.formula.errors import FormulaError, NotSqlCompatible, Span, as_validation_error
from tack.formula.functions import FUNCTIONS, FunctionSpec
from tack.formula.graph import DependencyGraph, dependencies
from tack.formula.parser import parse
from tack.formula.printer import rename_column, rename_field, to_source
from tack.formula.types import (
    ANY,
    BLANK,
    BOOL,
    DATE,
    DATETIME,
    DEPARTMENT,
    DEPARTMENTS,
    MEMBER,
    MEMBERS,
    NUMBER,
    TEXT,
    Type,
    list_of,
    table_of,
)
from tack.formula.values import ErrorValue

__all__ = [
    "ANY",
    "BLANK",
    "BOOL",
    "DATE",
    "DATETIME",
    "DEPARTMENT",
    "DEPARTMENTS",
    "FUNCTIONS",
    "MEMBER",
    "MEMBERS",
    "NUMBER",
    "TEXT",
    "ColumnFor",
    "Compiled",
    "DependencyGraph",
    "ErrorValue",
    "EvalContext",
    "Formula",
    "FormulaError",
    "FunctionSpec",
    "Node",
    "NotSqlCompatible",
    "Schema",
    "Span",
    "Type",
    "Typing",
    "as_validation_error",
    "check",
    "compile_py",
    "compile_sql",
    "dependencies",
    "evaluate",
    "infer",
    "list_of",
    "parse",
    "rename_column",
    "rename_field",
    "table_of",
    "to_source",
]
