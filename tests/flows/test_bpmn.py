"""BPMN 2.0 interchange: export is structurally complete, import reads it back exactly, a
Camunda Modeler file imports, what Tack cannot run is refused by id and type, and no input
crashes the importer."""

from __future__ import annotations

import copy
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tack.core.errors import ValidationFailed
from tack.flows import model as m
from tack.flows.bpmn import BPMNDI, DI, MODEL, TACK, export_bpmn, import_bpmn, parse_duration
from tack.flows.bpmn_import import read_bpmn

HERE = Path(__file__).parent / "bpmn"
NS = {"bpmn": MODEL, "bpmndi": BPMNDI, "di": DI, "tack": TACK}
FLOW_NODE_TAGS = {"startEvent", "endEvent", "userTask", "sendTask", "serviceTask", "exclusiveGateway",
                  "parallelGateway", "boundaryEvent"}
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
U1, U2 = uuid.UUID(int=1), uuid.UUID(int=2)


def rich_flow() -> m.FlowDef:
    return m.FlowDef(name="Expense claim", description="Claims over\r\nthe limit", nodes=[
        m.StartNode(id="n_start", fields={"f_amount": "editable", "f_notes": "hidden"}, everyone=False,
                    department_ids=[U1]),
        m.ApproverNode(id="n_manager", name="Manager approval", assignees=[m.Manager()], mode="all",
                       timeout=m.Timeout(after=48, reminders=2, action="auto_approve")),
        m.ConditionNode(id="n_amount", name="Amount", branches=[
            m.Branch(id="b_big", name="Over 5,000", condition="[Amount] > 5000", nodes=[
                m.ApproverNode(id="n_director", name="Directors", assignees=[m.Role(role_id=U2)],
                               mode="sequential", timeout=m.Timeout(after=2, unit="working_days", action="escalate"),
                               allow=m.Allowed(transfer=False)),
                m.ConditionNode(id="n_nested", branches=[
                    m.Branch(id="b_it", name="IT", condition='[Category] = "IT"', nodes=[
                        m.HandlerNode(id="n_it", name="IT setup", assignees=[m.Members(member_ids=[U1, U2])],
                                      timeout=m.Timeout(after=30, unit="minutes"))]),
                    m.Branch(id="b_other", name="Other", default=True)]),
            ]),
            m.Branch(id="b_small", name="Otherwise", default=True)]),
        m.ParallelNode(id="n_both", branches=[
            m.Branch(id="b_fin", name="Finance", nodes=[
                m.HandlerNode(id="n_pay", name="Pay out", assignees=[m.DepartmentHead(level=2)],
                              empty=m.EmptyAssignee(action="member", member_id=U1))]),
            m.Branch(id="b_tell", name="Tell", nodes=[
                m.CcNode(id="n_cc", name="Tell the team", assignees=[m.Initiator(), m.FormField(field_id="f_team")]),
                m.AutomationNode(id="n_auto", name="Mark paid", actions=[
                    m.SetField(field_id="f_status", value='"Paid"'),
                    m.Notify(to=[m.Initiator()], message="Paid <&> done")])]),
            m.Branch(id="b_empty", name="Nothing")]),
    ], settings=m.FlowSettings(dedupe="keep_first", deadline=m.Deadline(after=5)))


# --- structure of an export ---------------------------------------------------------------------

def check_structure(xml: bytes) -> ET.Element:
    """Every flow's ends exist, incoming/outgoing agree with the flows, every flow node has a
    shape and every flow an edge, ids are unique NCNames."""
    root = ET.fromstring(xml)
    assert root.tag == f"{{{MODEL}}}definitions" and root.get("targetNamespace")
    (process,) = root.findall("bpmn:process", NS)
    assert process.get("isExecutable") == "true"
    all_ids = [e.get("id") for e in root.iter() if e.get("id") is not None]
    assert len(all_ids) == len(set(all_ids))
    assert all(NCNAME.match(i) for i in all_ids)
    nodes = {e.get("id"): e for e in process if e.tag.split("}")[1] in FLOW_NODE_TAGS}
    flows = process.findall("bpmn:sequenceFlow", NS)
    ins: dict[str, list[str]] = {i: [] for i in nodes}
    outs: dict[str, list[str]] = {i: [] for i in nodes}
    for f in flows:
        assert f.get("sourceRef") in nodes and f.get("targetRef") in nodes
        outs[f.get("sourceRef")].append(f.get("id"))
        ins[f.get("targetRef")].append(f.get("id"))
    for node_id, el in nodes.items():
        assert sorted(x.text for x in el.findall("bpmn:incoming", NS)) == sorted(ins[node_id])
        assert sorted(x.text for x in el.findall("bpmn:outgoing", NS)) == sorted(outs[node_id])
        if el.get("default"):
            assert el.get("default") in outs[node_id]
    assert len([n for n in nodes.values() if n.tag.endswith("startEvent")]) == 1
    assert len([n for n in nodes.values() if n.tag.endswith("endEvent")]) == 1
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane is not None and plane.get("bpmnElement") == process.get("id")
    shapes = {s.get("bpmnElement"): s for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in plane.findall("bpmndi:BPMNEdge", NS)}
    assert set(shapes) == set(nodes)
    assert set(edges) == {f.get("id") for f in flows}
    for shape in shapes.values():
        bounds = shape.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds")
        assert bounds is not None and float(bounds.get("width")) > 0 and float(bounds.get("height")) > 0
    for edge in edges.values():
        assert len(edge.findall("di:waypoint", NS)) >= 2
    return root


def test_export_of_a_rich_flow_is_complete() -> None:
    xml = export_bpmn(rich_flow(), process_id="expense_claim")
    root = check_structure(xml)
    process = root.find("bpmn:process", NS)
    assert process is not None and process.get("name") == "Expense claim" and process.get("id") == "expense_claim"
    manager = process.find("bpmn:userTask[@id='n_manager']", NS)
    assert manager is not None
    assert manager.find("bpmn:extensionElements/tack:node", NS).attrib == {"type": "approver", "mode": "all"}
    assert msgspec.json.decode(manager.find("bpmn:extensionElements/tack:assignees", NS).text) == [
        {"rule": "manager", "level": 1}]
    loop = manager.find("bpmn:multiInstanceLoopCharacteristics", NS)
    assert loop is not None and loop.get("isSequential") is None
    director = process.find("bpmn:userTask[@id='n_director']", NS)
    assert director.find("bpmn:multiInstanceLoopCharacteristics", NS).get("isSequential") == "true"
    timers = {t.get("attachedToRef"): t for t in process.findall("bpmn:boundaryEvent", NS)}
    assert set(timers) == {"n_manager", "n_director", "n_it"}
    durations = {k: t.find("bpmn:timerEventDefinition/bpmn:timeDuration", NS).text for k, t in timers.items()}
    assert durations == {"n_manager": "PT48H", "n_director": "P2D", "n_it": "PT30M"}
    assert process.find("bpmn:sendTask[@id='n_cc']", NS) is not None
    assert process.find("bpmn:serviceTask[@id='n_auto']", NS) is not None
    split = process.find("bpmn:exclusiveGateway[@id='n_amount']", NS)
    assert split.get("default") == "b_small"
    assert [o.text for o in split.findall("bpmn:outgoing", NS)] == ["b_big", "b_small"]
    big = process.find("bpmn:sequenceFlow[@id='b_big']", NS)
    expression = big.find("bpmn:conditionExpression", NS)
    assert expression.text == "[Amount] > 5000"
    assert expression.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "bpmn:tFormalExpression"
    assert len(process.findall("bpmn:parallelGateway", NS)) == 2
    assert b"Paid &lt;&amp;&gt; done" in xml  # JSON in extension text, escaped once, by XML
    assert import_bpmn(xml) == rich_flow()


def test_export_fixes_an_unusable_process_id_and_keeps_ids_apart() -> None:
    xml = export_bpmn(rich_flow(), process_id="3 expense/claims")
    root = check_structure(xml)
    assert NCNAME.match(root.find("bpmn:process", NS).get("id"))
    clash = export_bpmn(rich_flow(), process_id="n_manager")
    assert check_structure(clash).find("bpmn:process", NS).get("id") == "Process_n_manager"


def test_a_flow_without_a_start_node_round_trips() -> None:
    flow = m.FlowDef(name="x", nodes=[m.CcNode(id="n_cc", name="CC", assignees=[m.Initiator()])])
    assert import_bpmn(export_bpmn(flow, process_id="p")) == flow


def test_text_xml_cannot_hold_survives() -> None:
    flow = m.FlowDef(name=" Odd\x01 name\r", description="  two\r\nlines\x1f ", nodes=[
        m.StartNode(id="n_start", name="\ufffe"),
        m.ConditionNode(id="n_cond", name="a\n\tb", branches=[
            m.Branch(id="b_aa", name="  ", condition="  [A]\r\n> 1 "),
            m.Branch(id="b_bb", name="\u2028", default=True)])])
    xml = export_bpmn(flow, process_id="p")
    check_structure(xml)
    assert import_bpmn(xml) == flow


def test_an_edited_name_wins_over_the_tack_copy() -> None:
    flow = m.FlowDef(name="x", nodes=[m.StartNode(id="n_start"),
                                      m.ApproverNode(id="n_ab", name="Boss\x01", assignees=[m.Manager()])])
    xml = export_bpmn(flow, process_id="p").replace('name="Boss\ufffd"'.encode(), b'name="Chief"')
    (node,) = [n for n in import_bpmn(xml).nodes if n.id == "n_ab"]
    assert node.name == "Chief"


def test_durations() -> None:
    assert parse_duration("PT48H") == (48, "hours")
    assert parse_duration("P2D") == (2, "days")
    assert parse_duration("PT30M") == (30, "minutes")
    assert parse_duration("P1W") == (7, "days")
    assert parse_duration("P1DT12H") == (36, "hours")
    assert parse_duration("PT1H30M") == (90, "minutes")
    assert parse_duration("PT90S") == (1.5, "minutes")
    assert parse_duration("PT1,5H") == (1.5, "hours")
    for bad in ("P1M", "P1Y", "P", "PT", "PT0H", "R3/PT1H", "2024-01-01", "PT-1H", "P１D", "PT999999H"):
        assert parse_duration(bad) is None, bad


# --- round trip ---------------------------------------------------------------------------------

# Any text but NUL, which Tack refuses everywhere (PostgreSQL cannot hold it).
chars = st.characters(exclude_characters="\x00")
texts = st.text(chars, min_size=1, max_size=12)
names = st.text(chars, min_size=1, max_size=30)
ids_n = st.from_regex(r"n_[a-z0-9_]{2,12}", fullmatch=True)
ids_b = st.from_regex(r"b_[a-z0-9_]{2,12}", fullmatch=True)
field_ids = st.from_regex(r"f_[a-z0-9]{4,8}", fullmatch=True)
uuids = st.uuids()
levels = st.integers(1, 20)
rules = st.one_of(
    st.builds(m.Members, member_ids=st.lists(uuids, min_size=1, max_size=2)),
    st.builds(m.Role, role_id=uuids, within_initiator_department=st.booleans()),
    st.builds(m.DepartmentHead, level=levels),
    st.builds(m.Manager, level=levels),
    st.builds(m.ManagerChain, up_to_level=st.none() | levels, until_role_id=st.none() | uuids),
    st.builds(m.SelfSelect, multiple=st.booleans(), member_ids=st.lists(uuids, max_size=1)),
    st.builds(m.Initiator),
    st.builds(m.FormField, field_id=field_ids))
assignees = st.lists(rules, min_size=1, max_size=3)
field_access = st.dictionaries(field_ids, st.sampled_from(["editable", "readonly", "hidden"]), max_size=2)
amounts = st.one_of(st.integers(1, 100_000), st.floats(min_value=0, max_value=100_000, exclude_min=True))
timeouts = st.builds(m.Timeout, after=amounts,
                     unit=st.sampled_from(["minutes", "hours", "days", "working_hours", "working_days"]),
                     reminders=st.integers(0, 10),
                     action=st.sampled_from(["none", "auto_approve", "auto_reject", "escalate", "transfer"]),
                     transfer_to=st.none() | uuids)
empties = st.none() | st.builds(m.EmptyAssignee, action=st.sampled_from(["auto_pass", "admin", "member"]),
                                member_id=st.none() | uuids)
allows = st.builds(m.Allowed, return_=st.booleans(), transfer=st.booleans(), add_sign=st.booleans())
modes = st.sampled_from(["all", "any", "sequential"])
actions = st.one_of(
    st.builds(m.SetField, field_id=field_ids, value=texts),
    st.builds(m.StartFlow, form_id=uuids, values=st.dictionaries(field_ids, texts, max_size=2)),
    st.builds(m.Notify, to=assignees, message=texts))


def person_node(cls: type) -> st.SearchStrategy[Any]:
    return st.builds(cls, id=ids_n, name=names, assignees=assignees, mode=modes, empty=empties,
                     fields=field_access, timeout=st.none() | timeouts, allow=allows)


leaves = st.one_of(
    person_node(m.ApproverNode), person_node(m.HandlerNode),
    st.builds(m.CcNode, id=ids_n, name=names, assignees=assignees, fields=field_access),
    st.builds(m.AutomationNode, id=ids_n, name=names, actions=st.lists(actions, min_size=1, max_size=2)))


@st.composite
def blocks(draw: Any, depth: int) -> Any:
    inner = node_lists(depth - 1)
    count = draw(st.integers(2, 3))
    if draw(st.booleans()):
        default_at = draw(st.integers(0, count - 1))
        branches = [m.Branch(id=draw(ids_b), name=draw(names), nodes=draw(inner),
                             condition=None if i == default_at else draw(texts), default=i == default_at)
                    for i in range(count)]
        return m.ConditionNode(id=draw(ids_n), name=draw(names), branches=branches)
    return m.ParallelNode(id=draw(ids_n), name=draw(names),
                          branches=[m.Branch(id=draw(ids_b), name=draw(names), nodes=draw(inner)) for _ in range(count)])


def node_lists(depth: int) -> st.SearchStrategy[list[Any]]:
    if depth <= 0:
        return st.lists(leaves, max_size=3)
    return st.lists(st.one_of(leaves, blocks(depth)), max_size=3)


def unique_ids(flow: m.FlowDef) -> m.FlowDef:
    """Renames repeated node and branch ids (the generator draws them independently)."""
    seen: set[str] = set()

    def fresh(value: str) -> str:
        n = 1
        candidate = value
        while candidate in seen:
            candidate, n = f"{value[:30]}_{n}", n + 1
        seen.add(candidate)
        return candidate

    def fix(nodes: list[Any]) -> None:
        for node in nodes:
            node.id = fresh(node.id)
            for branch in getattr(node, "branches", []):
                branch.id = fresh(branch.id)
                fix(branch.nodes)

    fix(flow.nodes)
    return msgspec.convert(msgspec.to_builtins(flow), m.FlowDef)  # also proves the flow valid


@st.composite
def flows(draw: Any) -> m.FlowDef:
    start = m.StartNode(id=draw(ids_n), name=draw(names), everyone=draw(st.booleans()),
                        role_ids=draw(st.lists(uuids, max_size=1)), fields=draw(field_access))
    body = draw(node_lists(2))
    description = draw(st.none() | st.text(chars, max_size=40))
    flow_settings = draw(st.builds(m.FlowSettings, dedupe=st.sampled_from(["keep_first", "consecutive", "off"]),
                                   auto_pass_initiator=st.booleans(), deadline=st.none() | st.builds(
                                       m.Deadline, after=amounts)))
    name = draw(st.text(chars, min_size=1, max_size=40).filter(lambda s: re.search(r"\S", s) is not None))
    return unique_ids(m.FlowDef(name=name, nodes=[start, *body], description=description, settings=flow_settings))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(flows())
def test_round_trip(flow: m.FlowDef) -> None:
    xml = export_bpmn(flow, process_id="Process_flow")
    check_structure(xml)
    assert read_bpmn(xml) == flow


# --- a Camunda Modeler file ---------------------------------------------------------------------

def test_import_a_camunda_modeler_file() -> None:
    flow = import_bpmn((HERE / "camunda_purchase.bpmn").read_bytes())
    manager = [m.Manager(level=1)]
    assert flow == m.FlowDef(
        name="Purchase request", description="Buying anything over the petty-cash limit.", nodes=[
            m.StartNode(id="n_startevent_1", name="Request submitted"),
            m.ApproverNode(id="n_activity_managerapproval", name="Manager approval", assignees=manager,
                           timeout=m.Timeout(after=2, unit="days")),
            m.ConditionNode(id="n_gateway_amount", name="Amount?", branches=[
                m.Branch(id="b_flow_big", name="Over 5,000", condition="[Amount] > 5000", nodes=[
                    m.ApproverNode(id="n_activity_director", name="Director approval", assignees=manager,
                                   mode="sequential")]),
                m.Branch(id="b_flow_small", name="Otherwise", default=True)]),
            m.ParallelNode(id="n_gateway_fork", name="Parallel", branches=[
                m.Branch(id="b_flow_tofinance", name="Finance", nodes=[
                    m.ApproverNode(id="n_activity_finance", name="Finance check", assignees=manager, mode="all")]),
                m.Branch(id="b_flow_toit", name="Branch 2", nodes=[
                    m.ApproverNode(id="n_activity_it", name="IT check", assignees=manager)])])])
    # and what Tack writes of it reads back the same
    assert import_bpmn(export_bpmn(flow, process_id="Process_Purchase")) == flow


# --- refusals -----------------------------------------------------------------------------------

def bpmn(body: str, extra: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="{MODEL}" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">'
            f'{extra}<bpmn:process id="p" isExecutable="true">{body}</bpmn:process></bpmn:definitions>').encode()


def refusal(xml: bytes) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        read_bpmn(xml)
    return [(e.path, e.message, e.rule) for e in caught.value.errors]


LINE = ('<bpmn:startEvent id="s"/><bpmn:userTask id="t" name="T"/><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>')


def test_a_plain_line_imports_with_the_manager_default() -> None:
    flow = read_bpmn(bpmn(LINE))
    assert flow.nodes == [m.StartNode(id="n_s_1"),
                          m.ApproverNode(id="n_t_1", name="T", assignees=[m.Manager(level=1)])]
    assert flow.name == "p"


def test_executable_elements_are_refused_by_id_and_type() -> None:
    body = LINE + ('<bpmn:scriptTask id="Script_1"/><bpmn:subProcess id="Sub_1"><bpmn:userTask id="inner"/>'
                   '</bpmn:subProcess><bpmn:inclusiveGateway id="Incl_1"/><bpmn:intermediateCatchEvent id="Catch_1">'
                   '<bpmn:messageEventDefinition/></bpmn:intermediateCatchEvent><bpmn:callActivity id="Call_1"/>'
                   '<bpmn:serviceTask id="Svc_1"/>')
    errors = refusal(bpmn(body, '<bpmn:collaboration id="c"><bpmn:participant id="pa" processRef="p"/>'
                                '</bpmn:collaboration>'))
    assert [(p, msg) for p, msg, _ in errors] == [
        ("Script_1", "scriptTask is not supported"), ("Sub_1", "subProcess is not supported"),
        ("Incl_1", "inclusiveGateway is not supported"), ("Catch_1", "intermediateCatchEvent is not supported"),
        ("Call_1", "callActivity is not supported"),
        ("Svc_1", "serviceTask is not supported (only Tack's own cc and automation tasks are)")]
    assert {r for _, _, r in errors} == {"bpmn_unsupported"}


def test_message_flows_and_odd_events_are_refused() -> None:
    errors = refusal(bpmn(LINE, '<bpmn:collaboration id="c"><bpmn:messageFlow id="mf" sourceRef="a" targetRef="b"/>'
                                '</bpmn:collaboration>'))
    assert errors == [("mf", "messageFlow is not supported", "bpmn_unsupported")]
    timer_start = LINE.replace('<bpmn:startEvent id="s"/>',
                               '<bpmn:startEvent id="s"><bpmn:timerEventDefinition/></bpmn:startEvent>')
    assert refusal(bpmn(timer_start)) == [("s", "startEvent with timerEventDefinition is not supported",
                                           "bpmn_unsupported")]
    error_boundary = LINE + '<bpmn:boundaryEvent id="be" attachedToRef="t"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>'
    assert refusal(bpmn(error_boundary))[0][:2] == ("be", "boundaryEvent with errorEventDefinition is not supported")


GATEWAY = ('<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" {default}/><bpmn:userTask id="a"/>'
           '<bpmn:userTask id="b"/><bpmn:exclusiveGateway id="j"/><bpmn:endEvent id="e"/>'
           '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>'
           '<bpmn:sequenceFlow id="fa" sourceRef="g" targetRef="a">{cond}</bpmn:sequenceFlow>'
           '<bpmn:sequenceFlow id="fb" sourceRef="g" targetRef="b"/>'
           '<bpmn:sequenceFlow id="fa2" sourceRef="a" targetRef="j"/><bpmn:sequenceFlow id="fb2" sourceRef="b" targetRef="{b_to}"/>'
           '<bpmn:sequenceFlow id="fj" sourceRef="j" targetRef="e"/>')
COND = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">[X] &gt; 1</bpmn:conditionExpression>'


def test_gateways() -> None:
    flow = read_bpmn(bpmn(GATEWAY.format(default='default="fb"', cond=COND, b_to="j")))
    (cond,) = flow.nodes[1:]
    assert isinstance(cond, m.ConditionNode)
    assert [(b.id, b.condition, b.default) for b in cond.branches] == [("b_fa", "[X] > 1", False), ("b_fb", None, True)]
    assert refusal(bpmn(GATEWAY.format(default="", cond=COND, b_to="j")))[0][::2] == ("g", "bpmn_default_missing")
    assert refusal(bpmn(GATEWAY.format(default='default="fb"', cond="", b_to="j")))[0][::2] == (
        "fa", "bpmn_condition_missing")
    # b goes straight to the end: the branches of g do not meet again
    errors = refusal(bpmn(GATEWAY.format(default='default="fb"', cond=COND, b_to="e")))
    assert errors[0][2] == "bpmn_unstructured" and errors[0][0] in ("fb", "e", "j")
    # a parallel join closing an exclusive split
    mismatched = GATEWAY.format(default='default="fb"', cond=COND, b_to="j").replace(
        '<bpmn:exclusiveGateway id="j"/>', '<bpmn:parallelGateway id="j"/>')
    assert refusal(bpmn(mismatched))[0][0] == "j"


def test_unstructured_graphs_name_their_elements() -> None:
    cycle = ('<bpmn:startEvent id="s"/><bpmn:userTask id="a"/><bpmn:userTask id="b"/>'
             '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/><bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b"/>'
             '<bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="a"/>')
    assert refusal(bpmn(cycle))[0][0] == "a"
    two_starts = LINE + '<bpmn:startEvent id="s2"/>'
    assert [e[0] for e in refusal(bpmn(two_starts))] == ["s", "s2"]
    orphan = LINE + '<bpmn:userTask id="lost"/>'
    assert refusal(bpmn(orphan)) == [("lost", "userTask is not reachable from the start event", "bpmn_unreachable")]
    split_no_gateway = LINE + '<bpmn:userTask id="x"/><bpmn:sequenceFlow id="f9" sourceRef="t" targetRef="x"/>'
    assert refusal(bpmn(split_no_gateway))[0][0] == "t"
    stray_join = LINE.replace('targetRef="t"/>', 'targetRef="j"/>', 1) + (
        '<bpmn:exclusiveGateway id="j"/><bpmn:sequenceFlow id="fj" sourceRef="j" targetRef="t"/>'
        '<bpmn:userTask id="z"/><bpmn:sequenceFlow id="fz" sourceRef="z" targetRef="j"/>')
    assert refusal(bpmn(stray_join))[0][0] == "j"
    assert refusal(bpmn(""))[0][2] == "bpmn_no_process"


def test_nul_characters_are_refused() -> None:
    flow = m.FlowDef(name="x", nodes=[m.StartNode(id="n_start"),
                                      m.ApproverNode(id="n_ab", name="a\x00b", assignees=[m.Manager()])])
    assert refusal(export_bpmn(flow, process_id="p")) == [
        ("n_ab", "Text may not contain the NUL character (U+0000).", "no-nul")]


def test_bad_tack_extensions_are_validation_errors() -> None:
    body = LINE.replace('<bpmn:userTask id="t" name="T"/>',
                        f'<bpmn:userTask id="t" name="T"><bpmn:extensionElements xmlns:tack="{TACK}">'
                        '<tack:node type="approver"/><tack:assignees>[]</tack:assignees>'
                        '</bpmn:extensionElements></bpmn:userTask>')
    (error,) = refusal(bpmn(body))
    assert error[0] == "t" and error[2] == "bpmn_invalid_value"
    assert refusal(bpmn(body.replace("[]", "[{")))[0][::2] == ("t", "bpmn_extension_invalid")


# --- hostile input ------------------------------------------------------------------------------

def test_xxe_and_entity_bombs_are_refused() -> None:
    xxe = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<bpmn:definitions xmlns:bpmn="' + MODEL.encode() + b'"><bpmn:process id="&x;"/></bpmn:definitions>')
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
              b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>')
    for xml in (xxe, laughs):
        assert refusal(xml)[0][2] == "bpmn_malformed"


def test_size_and_depth_limits() -> None:
    assert refusal(b" " * (2 * 1024 * 1024 + 1))[0][2] == "bpmn_too_large"
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    assert refusal(deep)[0][2] == "bpmn_too_large"
    nested = "".join(f'<bpmn:parallelGateway id="g{i}"/>' for i in range(200))
    assert refusal(bpmn(nested))  # unreachable, not a crash


def gateway_tower(levels: int) -> bytes:
    """Parallel splits nested `levels` deep, each with one task beside the next split."""
    parts = ['<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>']
    source = "s"
    for i in range(levels):
        parts.append(f'<bpmn:parallelGateway id="g{i}"/><bpmn:parallelGateway id="j{i}"/><bpmn:userTask id="t{i}"/>'
                     f'<bpmn:sequenceFlow id="in{i}" sourceRef="{source}" targetRef="g{i}"/>'
                     f'<bpmn:sequenceFlow id="a{i}" sourceRef="g{i}" targetRef="t{i}"/>'
                     f'<bpmn:sequenceFlow id="b{i}" sourceRef="t{i}" targetRef="j{i}"/>')
        source = f"g{i}"
    parts.append(f'<bpmn:userTask id="core"/><bpmn:sequenceFlow id="c1" sourceRef="{source}" targetRef="core"/>')
    last = "core"
    for i in reversed(range(levels)):
        parts.append(f'<bpmn:sequenceFlow id="o{i}" sourceRef="{last}" targetRef="j{i}"/>')
        last = f"j{i}"
    parts.append(f'<bpmn:sequenceFlow id="end" sourceRef="{last}" targetRef="e"/>')
    return bpmn("".join(parts))


def test_nested_gateways_have_a_limit() -> None:
    assert len(read_bpmn(gateway_tower(10)).nodes) == 2
    assert refusal(gateway_tower(1000))[0][2] == "bpmn_too_deep"


def never_crashes(xml: bytes) -> None:
    try:
        result = read_bpmn(xml)
    except ValidationFailed as e:
        assert e.errors and all(isinstance(x.path, str) and x.message for x in e.errors)
    else:
        assert isinstance(result, m.FlowDef)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_fuzz_random_bytes(data: bytes) -> None:
    never_crashes(data)
    never_crashes(b'<?xml version="1.0"?>' + data)


TAGS = ["definitions", "process", "startEvent", "endEvent", "userTask", "sendTask", "serviceTask",
        "exclusiveGateway", "parallelGateway", "boundaryEvent", "sequenceFlow", "conditionExpression",
        "extensionElements", "timerEventDefinition", "timeDuration", "incoming", "outgoing", "documentation",
        "multiInstanceLoopCharacteristics", "collaboration", "messageFlow", "laneSet", "scriptTask"]
ATTRS = ["id", "name", "sourceRef", "targetRef", "default", "attachedToRef", "isSequential", "type", "implicit"]
small_ids = st.sampled_from(["s", "a", "b", "g", "j", "e", "f1", "f2", "n_ab", "b_cd", ""])


@st.composite
def random_elements(draw: Any, depth: int = 0) -> ET.Element:
    if depth == 0:
        tag = f"{{{MODEL}}}definitions"
    elif depth == 1 and draw(st.booleans()):
        tag = f"{{{MODEL}}}process"
    elif draw(st.integers(0, 9)) == 0:
        tag = f"{{{TACK}}}" + draw(st.sampled_from(["node", "assignees", "timeout", "name", "condition", "settings"]))
    else:
        tag = f"{{{MODEL}}}" + draw(st.sampled_from(TAGS))
    el = ET.Element(tag, draw(st.dictionaries(st.sampled_from(ATTRS), small_ids | st.text(max_size=8), max_size=4)))
    if draw(st.booleans()):
        el.text = draw(st.sampled_from(["PT1H", "P2D", "[A] > 1", '{"after":1}', "[]", "x", "approver", "f1"]))
    if depth < 3:
        el.extend(draw(st.lists(random_elements(depth + 1), max_size=6 if depth == 1 else 3)))
    return el


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(random_elements())
def test_fuzz_random_xml(root: ET.Element) -> None:
    never_crashes(ET.tostring(root))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(["rich", "camunda"]), st.data())
def test_fuzz_mutated_bpmn(source: str, data: st.DataObject) -> None:
    xml = export_bpmn(rich_flow(), process_id="p") if source == "rich" else (HERE / "camunda_purchase.bpmn").read_bytes()
    root = ET.fromstring(xml)
    for _ in range(data.draw(st.integers(1, 4))):
        everything = list(root.iter())
        if len(everything) < 2:
            break
        parents = {c: p for p in everything for c in p}
        target = data.draw(st.sampled_from(everything[1:]))
        action = data.draw(st.sampled_from(["drop", "copy", "attr", "text", "retag", "move"]))
        parent = parents[target]
        if action == "drop":
            parent.remove(target)
        elif action == "copy":
            parent.append(copy.deepcopy(target))
        elif action == "attr":
            key = data.draw(st.sampled_from(ATTRS + list(target.attrib)))
            target.set(key, data.draw(st.sampled_from([e.get("id") or "" for e in everything]) | st.text(max_size=6)))
        elif action == "text":
            target.text = data.draw(st.text(max_size=10) | st.sampled_from(["PT0H", "P9999999D", "{}", "[1]", "null"]))
        elif action == "retag":
            target.tag = f"{{{MODEL}}}" + data.draw(st.sampled_from(TAGS))
        else:
            destination = data.draw(st.sampled_from(everything))
            if target is not destination and target not in list(destination.iter()) and destination.tag.startswith("{"):
                parent.remove(target)
                destination.append(target)
    mutated = ET.tostring(root)
    if data.draw(st.booleans()):
        cut = data.draw(st.integers(0, len(mutated)))
        mutated = mutated[:cut] + data.draw(st.binary(max_size=8)) + mutated[cut:]
    never_crashes(mutated)


def test_the_safety_net_turns_bugs_into_validation_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    from tack.flows import bpmn_import

    def boom(xml: bytes) -> m.FlowDef:
        raise KeyError("bug")

    monkeypatch.setattr(bpmn_import, "read_bpmn", boom)
    with pytest.raises(ValidationFailed) as caught:
        import_bpmn(b"<x/>")
    assert caught.value.errors[0].rule == "bpmn_invalid"
