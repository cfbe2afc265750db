"""The BPMN routes: download a flow as a .bpmn file, import one as the form's draft."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tack.flows import model as m
from tack.flows.bpmn import export_bpmn, import_bpmn
from tack.flows.bpmn_api import bpmn_file_name
from tack.runtime import Runtime
from tests.conftest import Api
from tests.flows.harness import Harness, approver, flow

LEAVE = flow(approver("n_lead", m.Manager(), timeout=m.Timeout(after=2, unit="working_days", action="escalate")),
             m.ConditionNode(id="n_long", branches=[
                 m.Branch(id="b_long", name="Long", condition="[Days] > 5", nodes=[
                     approver("n_head", m.DepartmentHead(level=2), mode="sequential")]),
                 m.Branch(id="b_short", name="Short", default=True)]))


@pytest.fixture
async def h(rt: Runtime, demo: dict[str, Any], client: AsyncTestClient[Any]) -> Harness:
    harness = Harness(rt, demo)
    await harness.setup(LEAVE)
    return harness


async def test_download_and_import(h: Harness, alice: Api) -> None:
    base = f"/api/v1/orgs/{h.org_id}"
    flow_id = (await alice.get(f"{base}/forms/{h.form_id}/flow")).json()["id"]
    r = await alice.get(f"{base}/flows/{flow_id}/bpmn")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    assert 'filename="' in r.headers["content-disposition"] and ".bpmn" in r.headers["content-disposition"]
    assert import_bpmn(r.content) == LEAVE
    assert (await alice.get(f"{base}/flows/{flow_id}/bpmn", params={"draft": "true"})).status_code == 200

    changed = m.FlowDef(name="Leave approval", nodes=[m.StartNode(id="n_start"), approver("n_hr", m.Initiator())])
    for media_type in ("application/xml", "text/xml; charset=utf-8", "application/octet-stream"):
        r = await alice.client.post(f"{base}/forms/{h.form_id}/flow/bpmn", content=export_bpmn(changed, process_id="p"),
                                    headers=alice._h({"Content-Type": media_type}))
        assert r.status_code == 200, r.text
        assert r.json()["draft"]["nodes"][1]["id"] == "n_hr"
    # the published version is untouched: importing makes a draft
    assert import_bpmn((await alice.get(f"{base}/flows/{flow_id}/bpmn")).content) == LEAVE


async def test_import_refusals(h: Harness, alice: Api) -> None:
    url = f"/api/v1/orgs/{h.org_id}/forms/{h.form_id}/flow/bpmn"
    r = await alice.client.post(url, content=b"{}", headers=alice._h({"Content-Type": "application/json"}))
    assert r.status_code == 415 and r.headers["content-type"].startswith("application/problem+json")
    bad = (b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p">'
           b'<bpmn:startEvent id="s"/><bpmn:scriptTask id="Script_1"/></bpmn:process></bpmn:definitions>')
    r = await alice.client.post(url, content=bad, headers=alice._h({"Content-Type": "application/xml"}))
    assert r.status_code == 422
    assert r.json()["errors"] == [{"path": "Script_1", "message": "scriptTask is not supported",
                                   "rule": "bpmn_unsupported"}]
    r = await alice.client.post(url, content=b"<not xml", headers=alice._h({"Content-Type": "application/xml"}))
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "bpmn_malformed"
    alice.client.cookies.clear()
    r = await alice.client.post(url, content=bad, headers={"Content-Type": "application/xml"})
    assert r.status_code in (401, 403)


def test_file_names() -> None:
    assert bpmn_file_name("Travel/Expense") == "Travel-Expense.bpmn"
    assert bpmn_file_name("Leave\x00") == "Leave.bpmn"
