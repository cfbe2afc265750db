"""BPMN 2.0 interchange for flow definitions: export to, and import from, the XML that bpmn.io
and Camunda Modeler open.

The mapping (import is its inverse, see tack.flows.bpmn_import):

- the flow → one `process isExecutable="true"` named like the flow; its description → the
  process's `documentation`; its settings → `tack:settings` (JSON) in `extensionElements`;
- the start node → the `startEvent` (a flow without one gets a `startEvent` marked
  `<tack:node type="start" implicit="true"/>`); the implicit end → one `endEvent`;
- approver and handler nodes → `userTask`, cc → `sendTask`, automation → `serviceTask`, each with
  `<tack:node type=…/>` and its settings as JSON elements (`tack:assignees`, `tack:fields`,
  `tack:empty`, `tack:allow`, `tack:timeout`, `tack:actions`); mode "all" → a parallel
  `multiInstanceLoopCharacteristics`, "sequential" → a sequential one; a timeout → a timer
  `boundaryEvent` with an ISO 8601 `timeDuration` (PT48H, P2D, PT30M; working units are kept
  in `tack:timeout`);
- condition nodes → an `exclusiveGateway` split (its `default` names the default branch's flow)
  and join; each branch's first flow carries the branch id, name and, as a `conditionExpression`,
  its formula; parallel nodes → a `parallelGateway` split and join the same way.

What a person edits in a modeler wins over the Tack copy: the element's `name`, the
`conditionExpression`, the multi-instance marker, the timer's duration. Text that XML cannot
hold as it is (control characters, a formula with edge spaces) is written readable and, beside it,
exact as JSON (`tack:name`, `tack:condition`, `tack:description`), used while the readable text
is unchanged — so `import_bpmn(export_bpmn(f)) == f`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

from tack.core.errors import FieldError, ValidationFailed
from tack.flows import bpmn_layout as lay
from tack.flows.model import (
    ApproverNode,
    ConditionNode,
    FlowDef,
    HandlerNode,
    Node,
    ParallelNode,
    StartNode,
    Timeout,
)

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TACK = "https://tack.dev/schema/bpmn"
TARGET_NAMESPACE = "https://tack.dev/bpmn"

START_EVENT_ID, END_EVENT_ID = "start_event", "end_event"
MAX_NESTING = 64  # condition/parallel blocks inside each other; far beyond any real flow

NODE_ID = re.compile(r"^n_[a-z0-9_]{2,40}$")
BRANCH_ID = re.compile(r"^b_[a-z0-9_]{2,40}$")
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_NUMBER = r"([0-9]+(?:[.,][0-9]+)?)"
_DURATION = re.compile(rf"^P(?:{_NUMBER}W)?(?:{_NUMBER}D)?(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$")
# Characters XML 1.0 cannot carry at all (C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# --- text that survives XML ----------------------------------------------------------------------

def attr_visible(text: str) -> str:
    """What an attribute holding `text` reads back as (ElementTree escapes tab, CR and LF)."""
    return _NOT_XML.sub("\ufffd", text)


def text_visible(text: str) -> str:
    """What element text holding `text` reads back as (parsers turn CR and CRLF into LF)."""
    return _NOT_XML.sub("\ufffd", text).replace("\r\n", "\n").replace("\r", "\n")


def clean_name(text: str) -> str:
    """What the importer makes of a name a modeler wrote: line breaks and runs of spaces that
    fit a name into a shape become single spaces."""
    return " ".join(text.split())


def clean_text(text: str) -> str:
    """What the importer makes of a formula or description a modeler wrote: edge whitespace
    is noise, inner line breaks are meant."""
    return text.strip()


def to_json(value: Any) -> str:
    # ASCII-only JSON: every character XML cannot hold is a \\u escape, so it round-trips exactly.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def format_duration(after: float, unit: str) -> str:
    """ISO 8601: hours and working hours as PTnH, days and working days as PnD, minutes as PTnM."""
    number = format(Decimal(repr(float(after))), "f")  # shortest exact decimal, never 1e-05
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    if unit in ("days", "working_days"):
        return f"P{number}D"
    if unit in ("hours", "working_hours"):
        return f"PT{number}H"
    return f"PT{number}M"


def parse_duration(text: str) -> tuple[float, str] | None:
    """An ISO 8601 duration as (after, unit): one component keeps its unit (PT48H → 48 hours,
    P2D → 2 days, P1W → 7 days, PT90S → 1.5 minutes); a mix is counted in its smallest unit
    (P1DT12H → 36 hours). Years and months have no fixed length: None."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        return None
    weeks, days, hours, minutes, seconds = (float(g.replace(",", ".")) if g else None for g in match.groups())
    if minutes is not None or seconds is not None:
        after = ((weeks or 0) * 7 * 1440 + (days or 0) * 1440 + (hours or 0) * 60 + (minutes or 0)
                 + (seconds or 0) / 60)
        unit = "minutes"
    elif hours is not None:
        after, unit = (weeks or 0) * 7 * 24 + (days or 0) * 24 + hours, "hours"
    else:
        after, unit = (weeks or 0) * 7 + (days or 0), "days"
    if not 0 < after <= 100_000:
        return None
    return after, unit


def map_ids(ids: list[str], prefix: str, pattern: re.Pattern[str]) -> dict[str, str]:
    """BPMN ids as Tack ids: those that already fit are kept (so a round trip is exact), the
    others are lower-cased, cleaned, prefixed and numbered apart."""
    taken = {i for i in ids if pattern.match(i)}
    out: dict[str, str] = {}
    for original in ids:
        if original in taken:
            out[original] = original
            continue
        base = re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", original.lower())).strip("_")
        if base.startswith(prefix):
            base = base[len(prefix):]
        base = base[:40] or "node"
        if len(base) < 2:
            base += "_1"
        candidate, n = prefix + base, 2
        while candidate in taken:
            suffix = f"_{n}"
            candidate, n = prefix + base[:40 - len(suffix)] + suffix, n + 1
        taken.add(candidate)
        out[original] = candidate
    return out


# --- export -------------------------------------------------------------------------------------

@dataclass
class _FlowNode:
    """A flow node under construction: `incoming`/`outgoing` go between head and tail, where the
    BPMN schema wants them (after extensionElements, before loop characteristics)."""

    tag: str
    attrs: dict[str, str]
    head: list[ET.Element] = field(default_factory=list)
    tail: list[ET.Element] = field(default_factory=list)
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)


@dataclass
class _Pending:
    """A sequence flow whose source is known and whose target is the next thing placed."""

    source: str
    id: str | None = None
    name: str | None = None
    condition: str | None = None


@dataclass
class _Flow:
    id: str
    source: str
    target: str
    name: str | None
    condition: str | None


class _Exporter:
    def __init__(self) -> None:
        self.nodes: dict[str, _FlowNode] = {}
        self.flows: list[_Flow] = []
        self.seen_ids: set[str] = set()
        self.counter = 0

    def add(self, id_: str, node: _FlowNode) -> None:
        if id_ in self.nodes:
            raise ValidationFailed.field(id_, f"The id {id_} is used twice.", "bpmn_duplicate_id")
        self.nodes[id_] = node

    def connect(self, pending: _Pending, target: str) -> None:
        if pending.id is None:
            self.counter += 1
            flow_id = f"flow_{self.counter}"
        else:
            flow_id = pending.id
        self.flows.append(_Flow(flow_id, pending.source, target, pending.name, pending.condition))
        self.nodes[pending.source].outgoing.append(flow_id)
        self.nodes[target].incoming.append(flow_id)

    def column(self, nodes: list[Node], pending: _Pending, depth: int) -> tuple[_Pending, lay.Column]:
        if depth > MAX_NESTING:
            raise ValidationFailed.field("$.nodes", "The flow nests branches too deeply.", "bpmn_too_deep")
        column = lay.Column()
        for node in nodes:
            if isinstance(node, ConditionNode | ParallelNode):
                pending, block = self.block(node, pending, depth)
                column.items.append(block)
                continue
            if isinstance(node, StartNode):
                raise ValidationFailed.field(node.id, "A start node may only be the flow's first node.",
                                             "bpmn_start_position")
            box = self.task(node)
            self.connect(pending, node.id)
            pending = _Pending(node.id)
            column.items.append(box)
        return pending, column

    def block(self, node: ConditionNode | ParallelNode, pending: _Pending, depth: int) -> tuple[_Pending, lay.Block]:
        _check_id(node.id, NODE_ID)
        is_condition = isinstance(node, ConditionNode)
        tag = "bpmn:exclusiveGateway" if is_condition else "bpmn:parallelGateway"
        split = _FlowNode(tag, {"id": node.id, "name": attr_visible(node.name), "gatewayDirection": "Diverging"})
        split.head = _extension(_tack("node", type="condition" if is_condition else "parallel"),
                                *_exact("name", node.name, attr_visible))
        self.add(node.id, split)
        self.connect(pending, node.id)
        join_id = "join_" + node.id
        self.add(join_id, _FlowNode(tag, {"id": join_id, "gatewayDirection": "Converging"}))
        block = lay.Block(split=node.id, join=join_id, branches=[])
        ends: list[_Pending] = []
        for branch in node.branches:
            _check_id(branch.id, BRANCH_ID)
            if branch.id in self.seen_ids:
                raise ValidationFailed.field(branch.id, f"The id {branch.id} is used twice.", "bpmn_duplicate_id")
            self.seen_ids.add(branch.id)
            entry = _Pending(node.id, branch.id, branch.name, branch.condition if is_condition else None)
            end, column = self.column(branch.nodes, entry, depth + 1)
            ends.append(end)
            block.branches.append(lay.Branch(flow=branch.id, column=column))
        for end in ends:
            self.connect(end, join_id)
        # An empty branch is connected only at the join: put the split's flows back in branch
        # order, which is the branches' priority.
        split.outgoing = [b.id for b in node.branches]
        if is_condition:
            default = next((b.id for b in node.branches if b.default), None)
            if default is not None:
                split.attrs["default"] = default
        return _Pending(join_id), block

    def task(self, node: Node) -> lay.Box:
        _check_id(node.id, NODE_ID)
        data = msgspec.to_builtins(node)
        node_type = data.pop("type")
        del data["id"], data["name"]
        data.pop("mode", None)
        if data.get("allow") == {}:
            del data["allow"]
        marker = _tack("node", type=node_type)
        tag = {"cc": "bpmn:sendTask", "automation": "bpmn:serviceTask"}.get(node_type, "bpmn:userTask")
        flow_node = _FlowNode(tag, {"id": node.id, "name": attr_visible(node.name)})
        timer: str | None = None
        timeout: Timeout | None = None
        if isinstance(node, ApproverNode | HandlerNode):
            marker.set("mode", node.mode)
            if node.mode != "any":
                loop = ET.Element("bpmn:multiInstanceLoopCharacteristics")
                if node.mode == "sequential":
                    loop.set("isSequential", "true")
                flow_node.tail.append(loop)
            if node.timeout is not None:
                timer, timeout = "timer_" + node.id, node.timeout
        flow_node.head = _extension(marker, *(_json_element(k, v) for k, v in data.items()),
                                    *_exact("name", node.name, attr_visible))
        self.add(node.id, flow_node)
        if timer is not None and timeout is not None:
            self.add(timer, _timer(timer, node.id, timeout))
        return lay.Box(node.id, "task", timer=timer)


def _check_id(value: str, pattern: re.Pattern[str]) -> None:
    if not pattern.match(value):
        raise ValidationFailed.field(value, f"{value!r} is not a valid node or branch id.", "bpmn_bad_id")


def _tack(name: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.Element("tack:" + name, attrs)
    if text is not None:
        el.text = text
    return el


def _json_element(name: str, value: Any) -> ET.Element:
    return _tack(name, to_json(value))


def _exact(name: str, value: str | None, visible: Any, cleaner: Any = clean_name) -> list[ET.Element]:
    """`tack:<name>` with the exact value, when what the importer reads back would differ."""
    if value is None or (value and cleaner(visible(value)) == value):
        return []
    return [_json_element(name, value)]


def _extension(*children: ET.Element) -> list[ET.Element]:
    if not children:
        return []
    ext = ET.Element("bpmn:extensionElements")
    ext.extend(children)
    return [ext]


def _timer(timer_id: str, task_id: str, timeout: Timeout) -> _FlowNode:
    # Interrupting when the timeout acts on the task; a reminder-only timeout lets it run on.
    amount = format_duration(timeout.after, "minutes")[2:-1]
    attrs = {"id": timer_id, "name": f"{amount} {timeout.unit.replace('_', ' ')}",
             "attachedToRef": task_id, "cancelActivity": "false" if timeout.action == "none" else "true"}
    definition = ET.Element("bpmn:timerEventDefinition", {"id": timer_id + "_definition"})
    duration = ET.SubElement(definition, "bpmn:timeDuration", {"xsi:type": "bpmn:tFormalExpression"})
    duration.text = format_duration(timeout.after, timeout.unit)
    return _FlowNode("bpmn:boundaryEvent", attrs, tail=[definition])


def _process_id(wanted: str, taken: set[str]) -> str:
    pid = wanted if _NCNAME.match(wanted) else re.sub(r"[^A-Za-z0-9_.\-]", "_", wanted)
    if not pid:
        pid = "Process_1"
    if not _NCNAME.match(pid):
        pid = "Process_" + pid
    return "Process_" + pid if pid in taken else pid


def export_bpmn(flow: FlowDef, *, process_id: str) -> bytes:
    """The flow as a BPMN 2.0 document with a complete diagram; see the module docstring."""
    ex = _Exporter()
    root_nodes = list(flow.nodes)
    start = root_nodes.pop(0) if root_nodes and isinstance(root_nodes[0], StartNode) else None
    start_id = start.id if start is not None else START_EVENT_ID
    start_node = _FlowNode("bpmn:startEvent", {"id": start_id})
    if start is not None:
        _check_id(start.id, NODE_ID)
        start_node.attrs["name"] = attr_visible(start.name)
        data = msgspec.to_builtins(start)
        for key in ("type", "id", "name"):
            data.pop(key, None)
        start_node.head = _extension(_tack("node", type="start"),
                                     *(_json_element(k, v) for k, v in data.items()),
                                     *_exact("name", start.name, attr_visible))
    else:
        start_node.attrs["name"] = "Submit"
        start_node.head = _extension(_tack("node", type="start", implicit="true"))
    ex.add(start_id, start_node)
    column = lay.Column([lay.Box(start_id, "event")])
    pending, body = ex.column(root_nodes, _Pending(start_id), 0)
    column.items.extend(body.items)
    ex.add(END_EVENT_ID, _FlowNode("bpmn:endEvent", {"id": END_EVENT_ID, "name": "End"}))
    ex.connect(pending, END_EVENT_ID)
    column.items.append(lay.Box(END_EVENT_ID, "event"))

    pid = _process_id(process_id, set(ex.nodes) | {f.id for f in ex.flows} | {"BPMNDiagram_1", "BPMNPlane_1"})
    root = ET.Element("bpmn:definitions", {
        "xmlns:bpmn": MODEL, "xmlns:bpmndi": BPMNDI, "xmlns:dc": DC, "xmlns:di": DI, "xmlns:xsi": XSI,
        "xmlns:tack": TACK, "id": "Definitions_" + pid, "targetNamespace": TARGET_NAMESPACE,
        "exporter": "Tack", "exporterVersion": "1"})
    process = ET.SubElement(root, "bpmn:process", {"id": pid, "name": attr_visible(flow.name),
                                                   "isExecutable": "true"})
    if flow.description is not None:
        ET.SubElement(process, "bpmn:documentation").text = text_visible(flow.description)
    settings = msgspec.to_builtins(flow.settings)
    if settings.get("empty") == {}:
        del settings["empty"]
    settings_elements = [_json_element("settings", settings)] if settings else []
    process.extend(_extension(*settings_elements, *_exact("name", flow.name, attr_visible),
                              *_exact("description", flow.description, text_visible, clean_text)))
    _write_process(process, ex)
    _write_diagram(root, pid, ex, lay.layout(column))
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def _write_process(process: ET.Element, ex: _Exporter) -> None:
    for node in ex.nodes.values():
        el = ET.SubElement(process, node.tag, node.attrs)
        el.extend(node.head)
        for flow_id in node.incoming:
            ET.SubElement(el, "bpmn:incoming").text = flow_id
        for flow_id in node.outgoing:
            ET.SubElement(el, "bpmn:outgoing").text = flow_id
        el.extend(node.tail)
    for flow in ex.flows:
        attrs = {"id": flow.id, "sourceRef": flow.source, "targetRef": flow.target}
        if flow.name is not None:
            attrs["name"] = attr_visible(flow.name)
        el = ET.SubElement(process, "bpmn:sequenceFlow", attrs)
        el.extend(_extension(*_exact("name", flow.name, attr_visible),
                             *_exact("condition", flow.condition, text_visible, clean_text)))
        if flow.condition is not None:
            expression = ET.SubElement(el, "bpmn:conditionExpression", {"xsi:type": "bpmn:tFormalExpression"})
            expression.text = text_visible(flow.condition)


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _write_diagram(root: ET.Element, pid: str, ex: _Exporter, layout: lay.Layout) -> None:
    diagram = ET.SubElement(root, "bpmndi:BPMNDiagram", {"id": "BPMNDiagram_1"})
    plane = ET.SubElement(diagram, "bpmndi:BPMNPlane", {"id": "BPMNPlane_1", "bpmnElement": pid})
    for node_id, node in ex.nodes.items():
        attrs = {"id": "di_" + node_id, "bpmnElement": node_id}
        if node.tag == "bpmn:exclusiveGateway":
            attrs["isMarkerVisible"] = "true"
        shape = ET.SubElement(plane, "bpmndi:BPMNShape", attrs)
        b = layout.shapes[node_id]
        ET.SubElement(shape, "dc:Bounds", {"x": _num(b.x), "y": _num(b.y), "width": _num(b.width),
                                           "height": _num(b.height)})
    for flow in ex.flows:
        edge = ET.SubElement(plane, "bpmndi:BPMNEdge", {"id": "di_" + flow.id, "bpmnElement": flow.id})
        for x, y in lay.route(flow.id, flow.source, flow.target, layout):
            ET.SubElement(edge, "di:waypoint", {"x": _num(x), "y": _num(y)})


def import_bpmn(xml: bytes) -> FlowDef:
    """A flow definition from BPMN 2.0 XML; raises ValidationFailed, never anything else.
    See tack.flows.bpmn_import."""
    from tack.flows.bpmn_import import import_bpmn as _import

    return _import(xml)


__all__ = ["export_bpmn", "import_bpmn", "FieldError", "ValidationFailed"]
