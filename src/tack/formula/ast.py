"""The formula syntax tree: a handful of immutable nodes.

Nodes compare by content, never by position, so a formula printed and parsed again equals the
original. Each node knows its nesting `depth` and `size` (node count), computed once when it is
built: the parser enforces the limits as it reduces, so nothing downstream (checker, compilers,
printer) can be driven into deep recursion.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tack.formula.errors import NO_SPAN, Span

NumberValue = int | float


@dataclass(frozen=True, slots=True)
class Node:
    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)
    depth: int = field(default=1, compare=False, repr=False, kw_only=True)
    size: int = field(default=1, compare=False, repr=False, kw_only=True)

    def children(self) -> tuple[Node, ...]:
        return ()

    def _measure(self) -> None:
        kids = self.children()
        if kids:
            object.__setattr__(self, "depth", 1 + max(k.depth for k in kids))
            object.__setattr__(self, "size", 1 + sum(k.size for k in kids))


@dataclass(frozen=True, slots=True)
class Number(Node):
    """A number literal, never negative: `-5` is `Unary("-", Number(5))`, as users typed it."""

    value: NumberValue


@dataclass(frozen=True, slots=True)
class Text(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class Ref(Node):
    """A field by name, or a column of a sub-table (`lines.amount`), which yields a list."""

    name: str
    column: str | None = None


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # "-", "+" (prefix) or "%" (postfix)
    operand: Node

    def __post_init__(self) -> None:
        self._measure()

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str  # + - * / ^ & = <> < <= > >=
    left: Node
    right: Node

    def __post_init__(self) -> None:
        self._measure()

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str  # upper-cased: function names are case-insensitive
    args: tuple[Node, ...] = ()
    name_span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        self._measure()

    def children(self) -> tuple[Node, ...]:
        return self.args


COMPARISONS = frozenset({"=", "<>", "<", "<=", ">", ">="})
ARITHMETIC = frozenset({"+", "-", "*", "/", "^"})


def walk(node: Node) -> Iterator[Node]:
    """Every node, parents before children, without recursion."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children()))


def refs(node: Node) -> Iterator[Ref]:
    for n in walk(node):
        if isinstance(n, Ref):
            yield n


@dataclass(frozen=True, slots=True)
class Formula:
    """A parsed formula: its source (what the user typed, kept for display and renames) and tree."""

    source: str
    root: Node

    def __str__(self) -> str:
        return self.source
