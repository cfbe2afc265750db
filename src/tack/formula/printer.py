"""Syntax tree → source text, and field renames that keep the user's own formatting.

`to_source` writes the fewest parentheses Excel's precedence allows, so that
`parse(to_source(tree)).root == tree` (the fuzz tests hold it to that). `rename_field` edits
the original text in place, using the positions the parser recorded, when a field is renamed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from tack.formula.ast import Binary, Bool, Call, Formula, Node, Number, Ref, Text, Unary, refs
from tack.formula.parser import is_bare_name, parse

# Binding strength, loosest first; all binary operators are left-associative.
_PRECEDENCE = {
    "=": 1, "<>": 1, "<": 1, "<=": 1, ">": 1, ">=": 1,
    "&": 2,
    "+": 3, "-": 3,
    "*": 4, "/": 4,
    "^": 5,
}  # fmt: skip
_PERCENT, _PREFIX, _ATOM = 6, 7, 8


def _strength(node: Node) -> int:
    if isinstance(node, Binary):
        return _PRECEDENCE[node.op]
    if isinstance(node, Unary):
        return _PERCENT if node.op == "%" else _PREFIX
    return _ATOM


def to_source(node: Node | Formula) -> str:
    """Canonical source text for a tree (`Formula` objects keep their own source instead)."""
    root = node.root if isinstance(node, Formula) else node
    return _print(root)


def _wrap(node: Node, min_strength: int) -> str:
    text = _print(node)
    return f"({text})" if _strength(node) < min_strength else text


def _print(node: Node) -> str:
    if isinstance(node, Number):
        return _number(node.value)
    if isinstance(node, Text):
        return '"' + node.value.replace('"', '""') + '"'
    if isinstance(node, Bool):
        return "TRUE" if node.value else "FALSE"
    if isinstance(node, Ref):
        name = field_name(node.name)
        return name if node.column is None else f"{name}.{field_name(node.column)}"
    if isinstance(node, Unary):
        if node.op == "%":
            return _wrap(node.operand, _PERCENT) + "%"
        return node.op + _wrap(node.operand, _PREFIX)
    if isinstance(node, Binary):
        p = _PRECEDENCE[node.op]
        return f"{_wrap(node.left, p)} {node.op} {_wrap(node.right, p + 1)}"
    if isinstance(node, Call):
        return f"{node.name}({', '.join(_print(a) for a in node.args)})"
    raise TypeError(f"cannot print {type(node).__name__}")


def _number(value: int | float) -> str:
    if isinstance(value, int) or value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)  # shortest text that reads back as the same float
    return text.replace("e+", "e")


def field_name(name: str) -> str:
    """A field reference as it must be written: bare when it can be, else in brackets."""
    return name if is_bare_name(name) else "[" + name.replace("]", "]]") + "]"


def rename_field(source: str, renames: Mapping[str, str]) -> str:
    """The formula with fields renamed (`{old: new}`), everything else exactly as written.
    Renaming a sub-table renames it in its column references too (`lines.amount`)."""

    def edit(r: Ref) -> str | None:
        return _ref_text(renames[r.name], r.column) if r.name in renames else None

    return _rewrite(source, edit)


def rename_column(source: str, table: str, renames: Mapping[str, str]) -> str:
    """The formula with columns of sub-table `table` renamed (`{old: new}`)."""

    def edit(r: Ref) -> str | None:
        if r.name != table or r.column is None or r.column not in renames:
            return None
        return _ref_text(r.name, renames[r.column])

    return _rewrite(source, edit)


def _ref_text(name: str, column: str | None) -> str:
    return field_name(name) if column is None else f"{field_name(name)}.{field_name(column)}"


def _rewrite(source: str, edit: Callable[[Ref], str | None]) -> str:
    edits = [(r.span.offset, r.span.end, text) for r in refs(parse(source).root) if (text := edit(r)) is not None]
    out = source
    for start, end, text in sorted(edits, reverse=True):
        out = out[:start] + text + out[end:]
    return out
