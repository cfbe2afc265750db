"""The filter tree: nested AND / OR groups of conditions, as views, permission groups, exports
and the API send them.

    {"and": [{"field": "Status", "op": "eq", "value": "Open"},
             {"or": [{"field": "Amount", "op": "gt", "value": 1000},
                     {"field": "created_by", "op": "is_me"}]}]}

A formula may stand as a condition too: `{"formula": "[Amount] * [Qty] > 1000"}` (compiled to
SQL by tack.formula). `parse_filter` checks a tree against a form and reports every problem at
its JSON path (`$.filter.and[1].or[0].value`); `filter_sql` turns a checked tree into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tack.core.errors import FieldError, ValidationFailed
from tack.forms.definition import CompiledForm
from tack.formula import BOOL, Formula, FormulaError, NotSqlCompatible, check, compile_sql, parse
from tack.records.query.fields import QField, resolve
from tack.records.query.kinds import PERSONAL, BadValue, Env

MAX_DEPTH = 8
MAX_CONDITIONS = 200
MAX_SORTS = 5


@dataclass(frozen=True)
class Condition:
    field: QField
    op: str
    value: Any


@dataclass(frozen=True)
class FormulaCondition:
    formula: Formula


@dataclass(frozen=True)
class Group:
    mode: str  # "and" | "or"
    items: tuple[Node, ...]


Node = Condition | FormulaCondition | Group


@dataclass(frozen=True)
class Sort:
    field: QField
    descending: bool


class _Problems:
    def __init__(self) -> None:
        self.items: list[FieldError] = []
        self.conditions = 0

    def add(self, path: str, message: str, rule: str) -> None:
        if len(self.items) < 100:
            self.items.append(FieldError(path=path, message=message, rule=rule))

    def raise_if_any(self, title: str) -> None:
        if self.items:
            raise ValidationFailed(title, errors=self.items)


def parse_filter(form: CompiledForm, raw: Any, path: str = "$.filter") -> Node | None:
    """The checked tree, or None for no filter (null or an empty group); ValidationFailed names
    each problem's path."""
    if raw is None:
        return None
    problems = _Problems()
    node = _node(form, raw, path, problems, depth=1)
    problems.raise_if_any("The filter has problems.")
    return node


def check_filter(form: CompiledForm, raw: Any, path: str = "$.filter") -> None:
    parse_filter(form, raw, path)


def _node(form: CompiledForm, raw: Any, path: str, problems: _Problems, depth: int) -> Node | None:
    if not isinstance(raw, dict):
        problems.add(path, 'Expected a condition {"field", "op", "value"} or a group {"and": [...]} / {"or": [...]}.',
                     "type")
        return None
    groups = [k for k in ("and", "or") if k in raw]
    if groups:
        mode = groups[0]
        if len(raw) != 1:
            problems.add(path, f'A group holds only "{mode}" and its list.', "shape")
            return None
        if depth > MAX_DEPTH:
            problems.add(path, f"Groups nest at most {MAX_DEPTH} deep.", "depth")
            return None
        items = raw[mode]
        if not isinstance(items, list):
            problems.add(f"{path}.{mode}", "Expected a list of conditions.", "type")
            return None
        nodes = [_node(form, item, f"{path}.{mode}[{i}]", problems, depth + 1) for i, item in enumerate(items)]
        kept = tuple(n for n in nodes if n is not None)
        return Group(mode, kept) if kept else None
    problems.conditions += 1
    if problems.conditions == MAX_CONDITIONS + 1:
        problems.add(path, f"A filter holds at most {MAX_CONDITIONS} conditions.", "max-items")
    if "formula" in raw:
        return _formula(form, raw, path, problems)
    unknown = sorted(set(raw) - {"field", "op", "value"})
    if unknown:
        problems.add(f"{path}.{unknown[0]}", "Unknown key in a condition.", "unknown")
        return None
    qf = resolve(form, raw.get("field"))
    if qf is None or qf.kind is None:
        problems.add(f"{path}.field", f"No field {raw.get('field')!r} to filter on in this form.", "field")
        return None
    op = raw.get("op")
    if not isinstance(op, str) or op not in qf.kind.ops:
        allowed = ", ".join(qf.kind.ops)
        problems.add(f"{path}.op", f"{qf.name} ({qf.kind.name}) can be filtered with: {allowed}.", "operator")
        return None
    if qf.kind.ops[op] == "none" and raw.get("value") is not None:
        problems.add(f"{path}.value", f"The operator {op!r} takes no value.", "value")
        return None
    try:
        value = qf.kind.normalize(op, raw.get("value"), qf.settings)
    except BadValue as exc:
        problems.add(f"{path}.value", str(exc), "value")
        return None
    return Condition(qf, op, value)


def _formula(form: CompiledForm, raw: dict[str, Any], path: str, problems: _Problems) -> Node | None:
    if set(raw) != {"formula"} or not isinstance(raw["formula"], str) or len(raw["formula"]) > 4000:
        problems.add(path, 'A formula condition is {"formula": "<a TRUE/FALSE formula>"}.', "shape")
        return None
    try:
        f = parse(raw["formula"])
        check(f, form.schema, expect=BOOL)
    except FormulaError as exc:
        problems.add(f"{path}.formula", str(exc), "formula")
        return None
    return FormulaCondition(f)


def parse_sort(form: CompiledForm, raw: Any, path: str = "$.sort") -> list[Sort]:
    if raw is None:
        return []
    problems = _Problems()
    out: list[Sort] = []
    if not isinstance(raw, list):
        problems.add(path, "Expected a list of {field, direction}.", "type")
    elif len(raw) > MAX_SORTS:
        problems.add(path, f"Sort by at most {MAX_SORTS} fields.", "max-items")
    else:
        for i, item in enumerate(raw):
            if isinstance(item, msgspec.Struct):
                item = msgspec.structs.asdict(item)
            if not isinstance(item, dict) or set(item) - {"field", "direction"}:
                problems.add(f"{path}[{i}]", "Expected {field, direction}.", "shape")
                continue
            qf = resolve(form, item.get("field"))
            if qf is None or (qf.kind is not None and not qf.kind.sortable):
                problems.add(f"{path}[{i}].field", f"Cannot sort by {item.get('field')!r}.", "field")
                continue
            direction = item.get("direction", "asc")
            if direction not in ("asc", "desc"):
                problems.add(f"{path}[{i}].direction", 'Expected "asc" or "desc".', "enum")
                continue
            out.append(Sort(qf, direction == "desc"))
    problems.raise_if_any("The sort has problems.")
    return out


def check_sort(form: CompiledForm, raw: Any, path: str = "$.sort") -> None:
    parse_sort(form, raw, path)


def needs_me(node: Node | None) -> bool:
    """Whether the tree has a condition about who is asking (is me, my departments)."""
    if node is None or isinstance(node, FormulaCondition):
        return False
    if isinstance(node, Group):
        return any(needs_me(n) for n in node.items)
    return node.op in PERSONAL


def needs_time_zone(node: Node | None) -> bool:
    """Whether the tree has a condition whose meaning depends on the organization's time zone
    (relative periods, whole days of date-times, formulas)."""
    if node is None:
        return False
    if isinstance(node, FormulaCondition):
        return True
    if isinstance(node, Group):
        return any(needs_time_zone(n) for n in node.items)
    return node.op == "in_period" or (node.field.kind is not None and node.field.kind.name == "datetime")


def filter_sql(node: Node, env: Env, form: CompiledForm) -> ColumnElement[Any]:
    if isinstance(node, Group):
        parts = [filter_sql(n, env, form) for n in node.items]
        return sa.and_(*parts) if node.mode == "and" else sa.or_(*parts)
    if isinstance(node, FormulaCondition):
        return _formula_sql(node.formula, env, form)
    assert node.field.kind is not None
    return node.field.kind.sql(node.op, node.value, node.field.operand(env.dialect), env)


def _formula_sql(f: Formula, env: Env, form: CompiledForm) -> ColumnElement[Any]:
    from tack.records.query.formula_columns import column_for

    try:
        expr = compile_sql(f, column_for(form, env.dialect), schema=form.schema, dialect=env.dialect, now=env.now,
                           tz=env.tz)
    except NotSqlCompatible as exc:
        raise ValidationFailed.field("$.filter", f"This formula cannot be used in a filter: {exc}",
                                     "formula") from None
    return sa.func.coalesce(expr, sa.false()) == sa.true()
