"""A flow definition compiled for running: every node by id with where it sits in the tree.

The tree is kept as lists ("root", and one per branch id). Moving on from a node is "the next
node in its list", or, at a list's end, "the branch is done" for the condition or parallel
node that owns the branch. A node's *scope* is the innermost parallel branch it sits in: only
one node runs at a time within a scope, which is what makes "return to a passed node" well
defined (tack.flows.engine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tack.flows import model as m
from tack.formula import Compiled

ROOT = "root"


@dataclass
class Place:
    node: Any  # one of model.Node
    container: str  # "root" or the branch id whose list holds it
    index: int
    scope: str | None  # the innermost parallel branch, or None at the top level
    path: str  # JSON path in the definition, for problems: "$.nodes[2].branches[0].nodes[1]"


@dataclass
class Graph:
    definition: m.FlowDef
    places: dict[str, Place] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    branch_owner: dict[str, str] = field(default_factory=dict)  # branch id -> its gateway's node id
    branches: dict[str, m.Branch] = field(default_factory=dict)
    conditions: dict[str, Compiled] = field(default_factory=dict)  # branch id -> compiled condition
    values: dict[tuple[str, int, str], Compiled] = field(default_factory=dict)  # automation formulas: (node, action, field)

    def node(self, node_id: str) -> Any:
        return self.places[node_id].node

    def next_of(self, node_id: str) -> str | None:
        p = self.places[node_id]
        items = self.lists[p.container]
        return items[p.index + 1] if p.index + 1 < len(items) else None

    def first_of(self, container: str) -> str | None:
        items = self.lists.get(container, [])
        return items[0] if items else None

    def start(self) -> m.StartNode:
        first = self.definition.nodes[0]
        assert isinstance(first, m.StartNode)
        return first

    def waiting_nodes(self) -> list[str]:
        return [i for i, p in self.places.items() if p.node.__struct_config__.tag in m.WAITING_TYPES]


def build(definition: m.FlowDef) -> Graph:
    """Index the tree (ids are assumed unique: tack.flows.checks refuses duplicates first)."""
    g = Graph(definition=definition)
    _index(g, definition.nodes, ROOT, None, "$.nodes")
    return g


def _index(g: Graph, nodes: list[Any], container: str, scope: str | None, path: str) -> None:
    g.lists[container] = []
    for i, node in enumerate(nodes):
        p = f"{path}[{i}]"
        if node.id in g.places:
            continue
        g.places[node.id] = Place(node=node, container=container, index=len(g.lists[container]), scope=scope, path=p)
        g.lists[container].append(node.id)
        if isinstance(node, (m.ConditionNode, m.ParallelNode)):
            for j, b in enumerate(node.branches):
                if b.id in g.branches:
                    continue
                g.branches[b.id] = b
                g.branch_owner[b.id] = node.id
                inner = b.id if isinstance(node, m.ParallelNode) else scope
                _index(g, b.nodes, b.id, inner, f"{p}.branches[{j}].nodes")


def walk(nodes: list[Any], path: str = "$.nodes") -> list[tuple[Any, str]]:
    """Every node of a tree with its JSON path, depth first in document order."""
    out: list[tuple[Any, str]] = []
    for i, node in enumerate(nodes):
        p = f"{path}[{i}]"
        out.append((node, p))
        if isinstance(node, (m.ConditionNode, m.ParallelNode)):
            for j, b in enumerate(node.branches):
                out.extend(walk(b.nodes, f"{p}.branches[{j}].nodes"))
    return out
