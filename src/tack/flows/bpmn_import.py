"""Reading a flow definition back from BPMN 2.0 XML (the inverse of tack.flows.bpmn's export).

What is read: one process with one `startEvent`, `userTask`s (approver, or the node type their
`tack:node` names), Tack's own `sendTask`/`serviceTask`s (cc, automation), `exclusiveGateway` and
`parallelGateway` split/join pairs nested like the designer's tree, conditional sequence flows out
of an exclusive split, timer boundary events with a `timeDuration` on user tasks, `endEvent`s.

Decisions:
- A `userTask` without Tack settings becomes an approver whose approver is the initiator's
  direct manager (`Manager(level=1)`), in "any" mode unless it has a multi-instance marker;
  Camunda's `assignee`/`candidateUsers` name engine users Tack does not know, so they are left out.
- An exclusive split without a `default` flow is refused: in BPMN such a gateway fails when no
  condition holds, while a Tack condition node always needs a default branch, and adding an empty
  one would silently approve requests BPMN would have stopped.
- Non-default branches need a `conditionExpression`; its text becomes the formula as it is.
- Ignored as drawing or documentation: lanes, collaboration and participants, text annotations,
  associations, groups, data objects, documentation (but the process's, which is the
  description), other vendors' extension elements, the diagram. Refused, one error per element
  with its id and type: every other executable element (subprocesses, script/business-rule/
  receive/manual tasks, inclusive/event-based/complex gateways, intermediate events, message
  flows, non-timer boundary events, event definitions on start/end events).
- Graphs that are not a tree of properly nested split/join pairs (a join that closes another
  split, a merge without a gateway, a cycle, several start events, unreachable elements) are
  refused with the ids involved.

Untrusted input: at most 2 MB, no DTD (so no entities, no XXE, no billion laughs; defusedxml),
at most 64 levels of XML nesting and 64 levels of nested gateways. Every failure is a
ValidationFailed; anything else would be a bug, which `import_bpmn` still turns into one.
"""

from __future__ import annotations

import io
import json
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import defusedxml.ElementTree as safe_et
import msgspec

from tack.core.errors import FieldError, ValidationFailed
from tack.flows.bpmn import (
    BRANCH_ID,
    MAX_NESTING,
    MODEL,
    NODE_ID,
    TACK,
    attr_visible,
    clean_name,
    clean_text,
    map_ids,
    parse_duration,
    text_visible,
)
from tack.flows.model import FlowDef

log = logging.getLogger(__name__)

MAX_BYTES = 2 * 1024 * 1024
MAX_XML_DEPTH = 64
MAX_ELEMENTS = 100_000

TASKS = {"userTask", "sendTask", "serviceTask"}
GATEWAYS = {"exclusiveGateway", "parallelGateway"}
FLOW_NODES = TASKS | GATEWAYS | {"startEvent", "endEvent", "boundaryEvent"}
# Drawing, documentation and data: no behaviour Tack would lose by skipping them.
IGNORED = {"documentation", "extensionElements", "laneSet", "textAnnotation", "association", "group",
           "dataObject", "dataObjectReference", "dataStoreReference", "property", "ioSpecification",
           "ioBinding", "auditing", "monitoring", "resourceRole", "performer", "humanPerformer",
           "potentialOwner", "supports", "correlationSubscription"}
DEFAULT_NAMES = {"approver": "Approver", "handler": "Handler", "cc": "CC", "automation": "Automation",
                 "start": "Submit", "condition": "Condition", "parallel": "Parallel"}
_MSGSPEC_PATH = re.compile(r"at `(\$[^`]*)`")


MAX_ERRORS = 100  # a 2 MB file of orphans would otherwise answer with megabytes of errors


def _refuse(message: str, errors: list[FieldError]) -> ValidationFailed:
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        errors = [*errors[:MAX_ERRORS], FieldError(path="$", message=f"and {more} more", rule="bpmn_more_errors")]
    return ValidationFailed(message, errors=errors)


class _Refused(Exception):
    """One structural problem: stops the import, becomes a ValidationFailed."""

    def __init__(self, path: str, message: str, rule: str = "bpmn_unstructured") -> None:
        super().__init__(message)
        self.error = FieldError(path=path, message=message, rule=rule)


def import_bpmn(xml: bytes) -> FlowDef:
    """A flow definition from BPMN XML, or ValidationFailed — never another exception."""
    try:
        return read_bpmn(xml)
    except ValidationFailed:
        raise
    except Exception:  # a bug, not the caller's fault; the fuzz tests call read_bpmn to find them
        log.exception("BPMN import failed unexpectedly")
        raise ValidationFailed("The BPMN file could not be read.", errors=[
            FieldError(path="$", message="The BPMN file could not be read.", rule="bpmn_invalid")]) from None


def read_bpmn(xml: bytes) -> FlowDef:
    """`import_bpmn` without the safety net."""
    try:
        return _Reader(_parse(xml)).flow()
    except _Refused as refused:
        raise ValidationFailed(refused.error.message, errors=[refused.error]) from None


def _fail(message: str, path: str = "$", rule: str = "bpmn_malformed") -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(path=path, message=message, rule=rule)])


def _parse(xml: bytes) -> ET.Element:
    if isinstance(xml, str):
        xml = xml.encode("utf-8", "surrogatepass")
    if not isinstance(xml, bytes | bytearray | memoryview):
        raise _fail("A BPMN file is XML bytes.")
    if len(xml) > MAX_BYTES:
        raise _fail(f"The BPMN file is larger than {MAX_BYTES // (1024 * 1024)} MB.", rule="bpmn_too_large")
    root: ET.Element | None = None
    depth = count = 0
    try:
        for event, element in safe_et.iterparse(io.BytesIO(bytes(xml)), events=("start", "end"), forbid_dtd=True):
            if event == "end":
                depth -= 1
                continue
            root = element if root is None else root
            depth += 1
            count += 1
            if depth > MAX_XML_DEPTH or count > MAX_ELEMENTS:
                raise _fail("The BPMN file nests elements too deeply or has too many of them.", rule="bpmn_too_large")
    except ValidationFailed:
        raise
    except Exception as e:  # expat, defusedxml (DTDs, entities) and codec errors
        what = "DTDs and entities are not allowed" if "DTD" in type(e).__name__ or "Entit" in type(e).__name__ else str(e)
        raise _fail(f"The file is not well-formed XML: {what}"[:300]) from None
    if root is None or root.tag != f"{{{MODEL}}}definitions":
        raise _fail("This is not a BPMN 2.0 file: its root must be a definitions element in the BPMN 2.0 "
                    "model namespace.", rule="bpmn_not_bpmn")
    return root


def _local(element: ET.Element, namespace: str = MODEL) -> str | None:
    """The element's local name if it is in `namespace`."""
    tag = element.tag
    if isinstance(tag, str) and tag.startswith("{" + namespace + "}"):
        return tag[len(namespace) + 2:]
    return None


def _label(value: str) -> str:
    return value if len(value) <= 120 else value[:117] + "..."


@dataclass
class _Flow:
    id: str
    source: str
    target: str
    element: ET.Element


class _Reader:
    def __init__(self, root: ET.Element) -> None:
        self.root = root
        self.process = self._the_process()
        self.kinds: dict[str, str] = {}
        self.elements: dict[str, ET.Element] = {}
        self.flows: dict[str, _Flow] = {}
        self.incoming: dict[str, list[str]] = {}
        self.outgoing: dict[str, list[str]] = {}
        self.timers: dict[str, list[str]] = {}
        self.visited: set[str] = set()
        self._collect()
        self.node_ids = map_ids([i for i, k in self.kinds.items() if k != "boundaryEvent" and k != "endEvent"],
                                 "n_", NODE_ID)
        branch_flows = [f.id for f in self.flows.values() if len(self.outgoing[f.source]) > 1]
        self.branch_ids = map_ids(branch_flows, "b_", BRANCH_ID)
        self.original = {v: k for k, v in self.node_ids.items()} | {v: k for k, v in self.branch_ids.items()}

    # --- collecting ------------------------------------------------------------------------------

    def _the_process(self) -> ET.Element:
        refused: list[FieldError] = []
        for collaboration in self.root:
            if _local(collaboration) != "collaboration":
                continue
            for child in collaboration:
                if _local(child) in ("messageFlow", "conversation", "choreography"):
                    refused.append(_unsupported(child, str(_local(child))))
        if refused:
            raise _refuse("The BPMN file uses elements Tack cannot import.", refused)
        processes = [p for p in self.root if _local(p) == "process"
                     and any(_local(c) not in IGNORED and _local(c) is not None for c in p)]
        if not processes:
            raise _fail("The BPMN file has no process to import.", rule="bpmn_no_process")
        if len(processes) > 1:
            ids = [str(p.get("id", "?")) for p in processes]
            raise _refuse("Tack imports one process; this file has several.", [
                FieldError(path=_label(i), message="one of several processes", rule="bpmn_several_processes")
                for i in ids])
        return processes[0]

    def _collect(self) -> None:
        refused: list[FieldError] = []
        sequence_flows: list[ET.Element] = []
        for child in self.process:
            kind = _local(child)
            if kind is None or kind in IGNORED:
                continue
            if kind not in FLOW_NODES and kind != "sequenceFlow":
                refused.append(_unsupported(child, kind))
                continue
            element_id = child.get("id")
            if not element_id:
                refused.append(FieldError(path=kind, message=f"A {kind} has no id.", rule="bpmn_missing_id"))
                continue
            if element_id in self.elements:
                refused.append(FieldError(path=_label(element_id), message=f"The id {element_id} is used twice.",
                                          rule="bpmn_duplicate_id"))
                continue
            self.elements[element_id] = child
            if kind == "sequenceFlow":
                sequence_flows.append(child)
                continue
            self.kinds[element_id] = kind
            self.incoming[element_id], self.outgoing[element_id] = [], []
            problem = self._check_node(child, kind)
            if problem:
                refused.append(FieldError(path=_label(element_id), message=problem, rule="bpmn_unsupported"))
        for flow in sequence_flows:
            flow_id, source, target = str(flow.get("id")), flow.get("sourceRef", ""), flow.get("targetRef", "")
            if source not in self.kinds or target not in self.kinds:
                refused.append(FieldError(path=_label(flow_id), rule="bpmn_bad_reference",
                                          message=f"sequenceFlow {flow_id} connects elements that are not in the process."))
                continue
            if self.kinds[target] == "boundaryEvent":
                refused.append(FieldError(path=_label(flow_id), rule="bpmn_unstructured",
                                          message=f"sequenceFlow {flow_id} leads into a boundary event."))
                continue
            self.flows[flow_id] = _Flow(flow_id, source, target, flow)
            self.outgoing[source].append(flow_id)
            self.incoming[target].append(flow_id)
        for element_id, kind in self.kinds.items():
            if kind != "boundaryEvent":
                continue
            if self.outgoing[element_id]:
                refused.append(FieldError(path=_label(element_id), rule="bpmn_unsupported",
                                          message="boundaryEvent with outgoing sequence flows is not supported"))
            task = self.elements[element_id].get("attachedToRef", "")
            if self.kinds.get(task) != "userTask":
                refused.append(FieldError(path=_label(element_id), rule="bpmn_unsupported",
                                          message="boundaryEvent on anything but a userTask is not supported"))
            else:
                self.timers.setdefault(task, []).append(element_id)
        if refused:
            raise _refuse("The BPMN file uses elements Tack cannot import.", refused)

    def _check_node(self, element: ET.Element, kind: str) -> str | None:
        """Why a node of a supported type still cannot be imported, if it cannot."""
        definitions = [str(_local(c)) for c in element if str(_local(c)).endswith("EventDefinition")
                       or _local(c) == "eventDefinitionRef"]
        if kind in ("startEvent", "endEvent") and definitions:
            return f"{kind} with {definitions[0]} is not supported"
        if kind == "boundaryEvent":
            if definitions != ["timerEventDefinition"]:
                return f"boundaryEvent with {definitions[0] if definitions else 'no event definition'} is not supported"
            timer = next(c for c in element if _local(c) == "timerEventDefinition")
            if not any(_local(c) == "timeDuration" for c in timer):
                return "boundaryEvent with a timeDate or timeCycle timer is not supported (use a timeDuration)"
        if kind in TASKS:
            if any(_local(c) == "standardLoopCharacteristics" for c in element):
                return f"{kind} with standardLoopCharacteristics is not supported"
            node_type = self._tack(element).get("node", {}).get("type")
            if kind != "userTask" and node_type is None:
                return f"{kind} is not supported (only Tack's own cc and automation tasks are)"
        return None

    def _tack(self, element: ET.Element) -> dict[str, Any]:
        """The Tack extension of an element: `node` → the tack:node attributes, any other
        tack:<key> → its JSON value."""
        out: dict[str, Any] = {}
        for extension in element:
            if _local(extension) != "extensionElements":
                continue
            for child in extension:
                key = _local(child, TACK)
                if key == "node":
                    out["node"] = dict(child.attrib)
                elif key is not None:
                    try:
                        out[key] = json.loads("".join(child.itertext()))
                    except (ValueError, RecursionError):
                        raise _Refused(_label(str(element.get("id"))), f"tack:{key} does not hold valid JSON.",
                                       "bpmn_extension_invalid") from None
        return out

    # --- the tree --------------------------------------------------------------------------------

    def flow(self) -> FlowDef:
        starts = [i for i, k in self.kinds.items() if k == "startEvent"]
        if len(starts) != 1:
            if not starts:
                raise _fail("The process has no startEvent.", _label(str(self.process.get("id"))), "bpmn_start_events")
            raise _refuse("The process has several start events; Tack flows have one.", [
                FieldError(path=_label(s), message="one of several start events", rule="bpmn_start_events")
                for s in starts])
        start = starts[0]
        nodes: list[dict[str, Any]] = []
        start_node = self._start(start)
        if start_node is not None:
            nodes.append(start_node)
        self.visited.add(start)
        if self.incoming[start]:
            raise _Refused(_label(start), "The startEvent has incoming sequence flows.")
        if len(self.outgoing[start]) > 1:
            raise _Refused(_label(start), "The startEvent has several outgoing flows; split them with a gateway.")
        if self.outgoing[start]:
            body, stop = self._sequence(self._follow(self.outgoing[start][0]), 0)
            if stop is not None:
                raise _Refused(_label(stop), f"Gateway {stop} joins paths that no matching gateway split.")
            nodes.extend(body)
        unreachable = [i for i, k in self.kinds.items() if i not in self.visited and k != "boundaryEvent"]
        if unreachable:
            raise _refuse("Some elements cannot be reached from the start event.", [
                FieldError(path=_label(i), message=f"{self.kinds[i]} is not reachable from the start event",
                           rule="bpmn_unreachable") for i in unreachable])
        return self._convert(self._process_fields() | {"nodes": nodes})

    def _sequence(self, current: str, depth: int) -> tuple[list[dict[str, Any]], str | None]:
        """The nodes from `current` on, and the join gateway that stopped them (None: the end)."""
        nodes: list[dict[str, Any]] = []
        while True:
            if current in self.visited:
                raise _Refused(_label(current), f"{current} is reached twice: a cycle, or paths merging "
                                                "without a gateway.")
            kind, ins, outs = self.kinds[current], self.incoming[current], self.outgoing[current]
            if kind in GATEWAYS:
                if len(ins) >= 2 and len(outs) <= 1:
                    return nodes, current  # a join: whoever split the paths matches it
                if len(ins) != 1 or len(outs) < 2:
                    raise _Refused(_label(current), f"{kind} {current} has {len(ins)} incoming and {len(outs)} "
                                   "outgoing flows; a gateway either splits (one in, several out) or joins "
                                   "(several in, one out).")
                node, join = self._block(current, depth)
                nodes.append(node)
                self.visited.update((current, join))
                if not self.outgoing[join]:
                    return nodes, None
                current = self._follow(self.outgoing[join][0])
                continue
            self.visited.add(current)
            if len(ins) > 1:
                raise _Refused(_label(current), f"{current} has several incoming flows; join them with a gateway.")
            if kind == "startEvent":
                raise _Refused(_label(current), "The startEvent has incoming sequence flows.")
            if kind != "endEvent":
                nodes.append(self._task(current))
            if len(outs) > 1:
                raise _Refused(_label(current), f"{current} has several outgoing flows; split them with a gateway.")
            if not outs:
                return nodes, None
            if kind == "endEvent":
                raise _Refused(_label(current), "The endEvent has outgoing sequence flows.")
            current = self._follow(outs[0])

    def _follow(self, flow_id: str) -> str:
        flow = self.flows[flow_id]
        if any(_local(c) == "conditionExpression" for c in flow.element):
            raise _Refused(_label(flow_id), "conditional sequenceFlow is not supported here: only flows leaving an "
                           "exclusiveGateway split carry conditions.", "bpmn_unsupported")
        return flow.target

    def _block(self, split: str, depth: int) -> tuple[dict[str, Any], str]:
        if depth >= MAX_NESTING:
            raise _Refused(_label(split), "Gateways are nested too deeply.", "bpmn_too_deep")
        kind = self.kinds[split]
        element = self.elements[split]
        flows = self._ordered_outgoing(split)
        default = element.get("default") if kind == "exclusiveGateway" else None
        if kind == "exclusiveGateway":
            if default is None:
                raise _Refused(_label(split), f"exclusiveGateway {split} has no default flow: Tack needs one branch "
                               "taken when no condition holds. Mark one outgoing flow as the default.",
                               "bpmn_default_missing")
            if default not in flows:
                raise _Refused(_label(split), f"The default flow {default} of {split} does not leave it.",
                               "bpmn_bad_reference")
        branches: list[dict[str, Any]] = []
        joins: list[str] = []
        for index, flow_id in enumerate(flows):
            nodes, stop = self._sequence(self.flows[flow_id].target, depth + 1)
            if stop is None:
                raise _Refused(_label(flow_id), f"The branch {flow_id} of {split} ends without reaching a join "
                               "gateway; end all branches in one join.")
            joins.append(stop)
            branches.append(self._branch(kind, flow_id, index, flow_id == default, nodes))
        join = joins[0]
        if any(j != join for j in joins):
            raise _Refused(_label(split), f"The branches of {split} end at different gateways "
                           f"({', '.join(sorted(set(joins)))}); each split needs one join that closes all its branches.")
        if self.kinds[join] != kind:
            raise _Refused(_label(join), f"{split} is an {kind} but its branches join at {join}, a {self.kinds[join]}.")
        if len(self.incoming[join]) != len(flows):
            raise _Refused(_label(join), f"The join {join} merges {len(self.incoming[join])} flows but {split} "
                           f"splits into {len(flows)}.")
        node_type = "condition" if kind == "exclusiveGateway" else "parallel"
        tack = self._tack(element)
        name = _pick(element.get("name"), tack.get("name"), attr_visible, 100)
        return {"type": node_type, "id": self.node_ids[split], "name": name or DEFAULT_NAMES[node_type],
                "branches": branches}, join

    def _ordered_outgoing(self, split: str) -> list[str]:
        """The split's flows in the order its `outgoing` children list them (the branches'
        priority), else in document order."""
        flows = self.outgoing[split]
        listed = [(c.text or "").strip() for c in self.elements[split] if _local(c) == "outgoing"]
        return listed if sorted(listed) == sorted(flows) else flows

    def _branch(self, kind: str, flow_id: str, index: int, is_default: bool,
                nodes: list[dict[str, Any]]) -> dict[str, Any]:
        element = self.flows[flow_id].element
        tack = self._tack(element)
        expressions = [c for c in element if _local(c) == "conditionExpression"]
        condition = None
        if expressions:
            if kind == "parallelGateway":
                raise _Refused(_label(flow_id), "conditional sequenceFlow out of a parallelGateway is not supported",
                               "bpmn_unsupported")
            condition = _pick("".join(expressions[0].itertext()), tack.get("condition"), text_visible, None, clean_text)
        name = _pick(element.get("name"), tack.get("name"), attr_visible, 100)
        branch: dict[str, Any] = {"id": self.branch_ids[flow_id],
                                  "name": name or ("Otherwise" if is_default else f"Branch {index + 1}"),
                                  "nodes": nodes}
        if is_default:
            branch["default"] = True  # BPMN ignores a default flow's condition, and so do we
        elif kind == "exclusiveGateway":
            if condition is None:
                raise _Refused(_label(flow_id), f"The flow {flow_id} out of an exclusiveGateway has no "
                               "conditionExpression and is not the default.", "bpmn_condition_missing")
            branch["condition"] = condition
        return branch

    # --- nodes -----------------------------------------------------------------------------------

    def _start(self, start: str) -> dict[str, Any] | None:
        element = self.elements[start]
        tack = self._tack(element)
        marker = tack.pop("node", {})
        if marker.get("type") not in (None, "start"):
            raise _Refused(_label(start), "A startEvent's tack:node must be of type start.", "bpmn_extension_invalid")
        if marker.get("implicit") == "true":
            return None
        name = _pick(element.get("name"), tack.pop("name", None), attr_visible, 100)
        return {**_settings(tack), "type": "start", "id": self.node_ids[start], "name": name or "Submit"}

    def _task(self, task: str) -> dict[str, Any]:
        element = self.elements[task]
        tack = self._tack(element)
        marker = tack.pop("node", None)
        exact_name = tack.pop("name", None)
        if marker is None:
            node: dict[str, Any] = {"type": "approver", "assignees": [{"rule": "manager", "level": 1}]}
        else:
            node_type = marker.get("type")
            if node_type not in ("approver", "handler", "cc", "automation"):
                raise _Refused(_label(task), f"tack:node type {str(node_type)[:40]!r} does not fit a task.",
                               "bpmn_extension_invalid")
            node = {**_settings(tack), "type": node_type}
        name = _pick(element.get("name"), exact_name, attr_visible, 100)
        node |= {"id": self.node_ids[task], "name": name or DEFAULT_NAMES[node["type"]]}
        timers = self.timers.get(task, [])
        saved_timeout = node.pop("timeout", None)
        if node["type"] not in ("approver", "handler"):
            if timers:
                raise _Refused(_label(timers[0]), f"boundaryEvent on a {node['type']} node is not supported",
                               "bpmn_unsupported")
            return node
        node.pop("mode", None)
        for loop in element:
            if _local(loop) == "multiInstanceLoopCharacteristics":
                node["mode"] = "sequential" if loop.get("isSequential", "").strip() == "true" else "all"
        if len(timers) > 1:
            raise _Refused(_label(timers[1]), f"{task} has several timers; Tack keeps one timeout per node.",
                           "bpmn_unsupported")
        if timers:
            node["timeout"] = self._timeout(timers[0], saved_timeout)
        return node

    def _timeout(self, timer: str, saved: Any) -> dict[str, Any]:
        element = self.elements[timer]
        duration = "".join(next(c for c in next(d for d in element if _local(d) == "timerEventDefinition")
                                if _local(c) == "timeDuration").itertext()).strip()
        parsed = parse_duration(duration)
        if parsed is None:
            raise _Refused(_label(timer), f"timeDuration {_label(duration)!r} is not an ISO 8601 duration Tack "
                           "reads (PTnM, PTnH, PnD, PnW, or a mix of those).", "bpmn_timer_invalid")
        after, unit = parsed
        timeout = dict(saved) if isinstance(saved, dict) else {}
        saved_unit = timeout.get("unit")
        # The duration drawn in the modeler wins; Tack's working-time flavour of the same unit stays.
        if (saved_unit, unit) not in (("working_hours", "hours"), ("working_days", "days")):
            timeout["unit"] = unit
        timeout["after"] = after
        return timeout

    def _process_fields(self) -> dict[str, Any]:
        tack = self._tack(self.process)
        name = _pick(self.process.get("name"), tack.get("name"), attr_visible, 200)
        docs = [d for d in self.process if _local(d) == "documentation"]
        description = _pick("".join(docs[0].itertext()) if docs else None, tack.get("description"),
                            text_visible, 4000, clean_text)
        out: dict[str, Any] = {"name": name or _label(str(self.process.get("id") or "Imported flow"))[:200]}
        if description is not None:
            out["description"] = description
        if "settings" in tack:
            out["settings"] = tack["settings"]
        return out

    def _convert(self, data: dict[str, Any]) -> FlowDef:
        nul = _find_nul(data, "$")
        if nul is not None:
            # PostgreSQL text holds no NUL, and the API refuses it everywhere else too.
            path = self.original.get(nul, nul)
            raise _fail("Text may not contain the NUL character (U+0000).", _label(path), "no-nul")
        try:
            return msgspec.convert(data, FlowDef)
        except msgspec.ValidationError as e:
            message = str(e)
            match = _MSGSPEC_PATH.search(message)
            path = self._element_at(data, match.group(1)) if match else "$"
            raise ValidationFailed(message, errors=[FieldError(path=path, message=message,
                                                               rule="bpmn_invalid_value")]) from None

    def _element_at(self, data: Any, json_path: str) -> str:
        """The BPMN id of the innermost node or branch on a msgspec error path."""
        found = "$"
        here = data
        for key, index in re.findall(r"\.([A-Za-z_]+)|\[(\d+)\]", json_path):
            try:
                here = here[key] if key else here[int(index)]
            except (KeyError, IndexError, TypeError):
                break
            if isinstance(here, dict) and isinstance(here.get("id"), str):
                found = self.original.get(here["id"]) or str(here["id"])
        return found


def _find_nul(value: Any, owner: str) -> str | None:
    """The id of the innermost node or branch holding a string with a NUL, if any does."""
    if isinstance(value, str):
        return owner if "\x00" in value else None
    if isinstance(value, dict):
        owner = value["id"] if isinstance(value.get("id"), str) else owner
        items: Any = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        found = _find_nul(item, owner)
        if found is not None:
            return found
    return None


def _settings(tack: dict[str, Any]) -> dict[str, Any]:
    """A node's settings from its tack:<key> JSON elements, without what the structure says."""
    return {k: v for k, v in tack.items() if k not in ("node", "name", "id", "type", "branches", "condition")}


def _pick(visible: str | None, exact: Any, shown: Any, limit: int | None, cleaner: Any = clean_name) -> str | None:
    """The text a modeler shows, unless it is just how the exact Tack value had to be written."""
    seen = cleaner(visible) if visible is not None else ""
    if isinstance(exact, str) and cleaner(shown(exact)) == seen:
        return exact
    if limit is not None:
        seen = seen[:limit]
    return seen or None


def _unsupported(element: ET.Element, kind: str) -> FieldError:
    element_id = element.get("id") or kind
    return FieldError(path=_label(element_id), message=f"{kind} is not supported", rule="bpmn_unsupported")
