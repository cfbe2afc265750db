"""Where each BPMN shape sits: a top-to-bottom layered layout of the flow tree.

The exporter describes the process as columns (`Column`) of boxes (`Box`) and split/join blocks
(`Block`); this module places them like the designer draws them — one column down the middle,
a block's branches side by side below its split gateway, each branch top-aligned, the join
gateway under the tallest branch — and routes every sequence flow with right angles. BPMN tools
(bpmn.io, Camunda Modeler) need a shape for every flow node and an edge for every sequence flow
to open a file; they redraw nothing themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["event", "task", "gateway"]

SIZES: dict[Kind, tuple[float, float]] = {"event": (36, 36), "task": (100, 80), "gateway": (50, 50)}
TIMER_SIZE = 36
COLUMN_MIN = 140  # the width a column takes even with narrower shapes in it
ROW_GAP = 50  # vertical space between two rows
COLUMN_GAP = 30  # horizontal space between two branches
EMPTY_BRANCH_HEIGHT = 30  # the stretch an empty branch draws between its split and its join
MARGIN_X, MARGIN_Y = 160, 80


@dataclass(frozen=True)
class Bounds:
    x: float
    y: float
    width: float
    height: float

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass
class Box:
    """One flow node in a column; `timer` names its timer boundary event, if it has one."""

    id: str
    kind: Kind
    timer: str | None = None


@dataclass
class Branch:
    """One branch of a block: `flow` is the sequence flow that leaves the split for it."""

    flow: str
    column: Column


@dataclass
class Block:
    """A split gateway, its branches side by side, and the join gateway that ends them."""

    split: str
    join: str
    branches: list[Branch]


@dataclass
class Column:
    items: list[Box | Block] = field(default_factory=list)


@dataclass
class Layout:
    shapes: dict[str, Bounds] = field(default_factory=dict)
    # The x of each branch's column, by the flow that leaves the split: an empty branch's flow
    # goes straight from split to join and needs it to run down its own column.
    branch_x: dict[str, float] = field(default_factory=dict)
    splits: set[str] = field(default_factory=set)
    joins: set[str] = field(default_factory=set)


def _measure_column(column: Column, sizes: dict[int, tuple[float, float]]) -> tuple[float, float]:
    width, height = float(COLUMN_MIN), 0.0
    for i, item in enumerate(column.items):
        w, h = _measure(item, sizes)
        width = max(width, w)
        height += h + (ROW_GAP if i else 0)
    sizes[id(column)] = (width, height)
    return width, height


def _measure(item: Box | Block, sizes: dict[int, tuple[float, float]]) -> tuple[float, float]:
    if isinstance(item, Box):
        w, h = SIZES[item.kind]
        return max(w, COLUMN_MIN), h
    widths, heights = [], []
    for branch in item.branches:
        w, h = _measure_column(branch.column, sizes)
        widths.append(w)
        heights.append(h)
    middle = max([EMPTY_BRANCH_HEIGHT, *heights])
    gateway = SIZES["gateway"][1]
    size = (sum(widths) + COLUMN_GAP * max(len(widths) - 1, 0), gateway + ROW_GAP + middle + ROW_GAP + gateway)
    sizes[id(item)] = size
    return size


def layout(column: Column) -> Layout:
    """Places every box of `column` (and of the blocks in it) and returns their bounds."""
    sizes: dict[int, tuple[float, float]] = {}
    width, _ = _measure_column(column, sizes)
    result = Layout()
    _place_column(column, MARGIN_X + width / 2, MARGIN_Y, sizes, result)
    return result


def _place_column(column: Column, cx: float, top: float, sizes: dict[int, tuple[float, float]],
                  out: Layout) -> None:
    y = top
    for item in column.items:
        if isinstance(item, Box):
            w, h = SIZES[item.kind]
            box = Bounds(cx - w / 2, y, w, h)
            out.shapes[item.id] = box
            if item.timer:
                # On the task's bottom edge, near its right corner, where modelers put it.
                out.shapes[item.timer] = Bounds(box.x + box.width - TIMER_SIZE - 6, box.bottom - TIMER_SIZE / 2,
                                                TIMER_SIZE, TIMER_SIZE)
            y += h + ROW_GAP
            continue
        block_w, block_h = sizes[id(item)]
        g = SIZES["gateway"][0]
        out.shapes[item.split] = Bounds(cx - g / 2, y, g, g)
        out.splits.add(item.split)
        x = cx - block_w / 2
        for branch in item.branches:
            w, _ = sizes[id(branch.column)]
            out.branch_x[branch.flow] = x + w / 2
            _place_column(branch.column, x + w / 2, y + g + ROW_GAP, sizes, out)
            x += w + COLUMN_GAP
        out.shapes[item.join] = Bounds(cx - g / 2, y + block_h - g, g, g)
        out.joins.add(item.join)
        y += block_h + ROW_GAP


Point = tuple[float, float]


def route(flow: str, source: str, target: str, lay: Layout) -> list[Point]:
    """Right-angled waypoints from `source` to `target`: down a column, out of a split's side
    into a branch's column, out of a branch's column into a join's side."""
    s, t = lay.shapes[source], lay.shapes[target]
    from_split, to_join = source in lay.splits, target in lay.joins
    if from_split and to_join:  # an empty branch
        x = lay.branch_x.get(flow, s.cx)
        if abs(x - s.cx) < 0.5:
            return [(s.cx, s.bottom), (t.cx, t.y)]
        return [(_side(s, x), s.cy), (x, s.cy), (x, t.cy), (_side(t, x), t.cy)]
    if abs(s.cx - t.cx) < 0.5:
        return [(s.cx, s.bottom), (t.cx, t.y)]
    if from_split:
        return [(_side(s, t.cx), s.cy), (t.cx, s.cy), (t.cx, t.y)]
    if to_join:
        return [(s.cx, s.bottom), (s.cx, t.cy), (_side(t, s.cx), t.cy)]
    mid = (s.bottom + t.y) / 2  # not drawn by the exporter's tree, kept for safety
    return [(s.cx, s.bottom), (s.cx, mid), (t.cx, mid), (t.cx, t.y)]


def _side(gateway: Bounds, towards_x: float) -> float:
    """The x of the gateway's left or right corner, whichever faces `towards_x`."""
    return gateway.x + gateway.width if towards_x > gateway.cx else gateway.x
