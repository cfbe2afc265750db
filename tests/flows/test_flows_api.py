"""The approval flows' HTTP API, as the designer, the submit page, the instance page and the
inbox use it: answers, permissions, paging and unread marks, and clear errors for bad input
(problem+json naming the field, never a 500).

Demo org chart: carol -> dan -> bob -> alice (owner); frank -> emma -> bob; leo is an admin;
jack and kate hold Finance; iris takes part in nothing here.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tack.core.clock import FrozenClock
from tests.access.helpers import Org, Person
from tests.conftest import frozen_now

FIELDS = [
    {"id": "f_days0001", "name": "Days", "type": "number", "required": True},
    {"id": "f_note0001", "name": "Note", "type": "text"},
    {"id": "f_hr000001", "name": "HR note", "type": "text"},
]


@pytest.fixture
def clock() -> FrozenClock:
    return frozen_now()


class Flows(Org):
    """The demo org through the API, with forms that have approval flows."""

    async def as_(self, name: str) -> Person:
        p = await super().as_(name)
        p.__class__ = Putting
        return p

    async def form(self, name: str = "Leave") -> tuple[str, str]:
        """A new app with a leave form, made by the owner; (app id, form id)."""
        alice = await self.as_("alice")
        r = await alice.post(f"{self.base}/apps", {"name": f"{name} {uuid.uuid4().hex[:6]}"})
        assert r.status_code == 201, r.text
        app_id = r.json()["id"]
        r = await alice.post(f"{self.base}/apps/{app_id}/forms", {"name": name, "fields": FIELDS})
        assert r.status_code == 201, r.text
        return app_id, r.json()["id"]

    async def publish(self, form_id: str, *nodes: dict[str, Any], **settings: Any) -> str:
        alice = await self.as_("alice")
        r = await alice.put(f"{self.base}/forms/{form_id}/flow", {"definition": definition(*nodes, **settings)})
        assert r.status_code == 200 and r.json()["problems"] == [], r.text
        r = await alice.post(f"{self.base}/flows/{r.json()['id']}/publish")
        assert r.status_code == 200, r.text
        return str(r.json()["id"])

    async def submit(self, name: str, form_id: str, data: dict[str, Any] | None = None,
                     **kw: Any) -> dict[str, Any]:
        p = await self.as_(name)
        r = await p.post(f"{self.base}/forms/{form_id}/approvals", {"data": data or {"Days": 1}, **kw})
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def task(self, name: str, instance_id: str) -> str:
        """`name`'s pending task on the instance."""
        p = await self.as_(name)
        r = await p.get(f"{self.base}/approvals/{instance_id}")
        assert r.status_code == 200, r.text
        [t] = [t for t in r.json()["my_tasks"] if t["state"] == "pending"]
        return str(t["id"])

    async def act(self, name: str, instance_id: str, action: str = "approve", body: dict[str, Any] | None = None,
                  status: int = 200) -> dict[str, Any]:
        task = await self.task(name, instance_id)
        p = await self.as_(name)
        r = await p.post(f"{self.base}/tasks/{task}/{action}", body or {})
        assert r.status_code == status, r.text
        return dict(r.json())

    async def inbox(self, name: str, tab: str, **params: Any) -> dict[str, Any]:
        p = await self.as_(name)
        r = await p.get(f"{self.base}/inbox/{tab}", params=params)
        assert r.status_code == 200, r.text
        return dict(r.json())


class Putting(Person):
    async def put(self, url: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        self._use()
        return await super().put(url, json, headers)


def definition(*nodes: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {"name": "Leave approval", "nodes": [{"type": "start", "id": "n_start"}, *nodes], "settings": settings}


def approver(node_id: str, *rules: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"type": "approver", "id": node_id, "name": node_id[2:].title(), "assignees": list(rules), **kw}


def members(*ids: str) -> dict[str, Any]:
    return {"rule": "members", "member_ids": list(ids)}


MANAGER = {"rule": "manager"}


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    return dict(r.json())


def paths(r: Any, status: int = 422) -> list[str]:
    return [e["path"] for e in problem(r, status).get("errors", [])]


@pytest.fixture
async def org(client: AsyncTestClient[Any], demo: dict[str, Any]) -> Flows:
    return Flows(client, demo)


# --- the designer -----------------------------------------------------------------------------------

async def test_designer_round_trip(org: Flows) -> None:
    _app, form_id = await org.form()
    alice = await org.as_("alice")
    url = f"{org.base}/forms/{form_id}/flow"
    assert problem(await alice.get(url), 404)
    draft = definition(
        approver("n_mgr", MANAGER, fields={"f_nope0001": "hidden"}),
        {"type": "condition", "id": "n_days", "branches": [
            {"id": "b_long", "name": "Long", "condition": "Days >"},
            {"id": "b_short", "name": "Short", "condition": "Days <= 3"}]},
        approver("n_fin", members(str(uuid.uuid4()))),
        approver("n_two", members(org.member("jack"), str(uuid.uuid4()))))
    r = await alice.put(url, {"definition": draft})
    assert r.status_code == 200, r.text
    flow = r.json()
    assert flow["version"] == 0 and flow["published"] is None and flow["enabled"]
    found = {(p["node_id"], p["path"], p["rule"]) for p in flow["problems"]}
    assert ("n_mgr", "$.nodes[1].fields.f_nope0001", "exists") in found
    assert ("n_days", "$.nodes[2].branches", "default") in found
    assert ("b_long", "$.nodes[2].branches[0].condition", "formula") in found  # a branch's problem names the branch
    assert ("n_fin", "$.nodes[3].assignees[0]", "assignable") in found
    assert ("n_two", "$.nodes[4].assignees[0].member_ids[1]", "exists") in found
    assert all(p["message"] for p in flow["problems"])
    assert (await alice.get(url)).json()["problems"] == flow["problems"], "the draft was kept with its problems"

    body = problem(await alice.post(f"{org.base}/flows/{flow['id']}/publish"), 422)
    assert {e["path"] for e in body["errors"]} == {p for _n, p, _r in found}
    assert {(p["node_id"], p["path"]) for p in body["problems"]} == {(n, p) for n, p, _r in found}
    assert (await alice.get(url)).json()["version"] == 0, "nothing published"
    r = await alice.post(f"{org.base}/flows/{flow['id']}/migrations/preview")
    assert r.status_code == 200 and r.json() == {"to_version": 0, "items": []}, r.text
    r = await alice.post(f"{org.base}/flows/{flow['id']}/migrations", {"instance_ids": [str(uuid.uuid4())]})
    assert r.status_code == 200 and r.json()["moved"] == [] and len(r.json()["refused"]) == 1, r.text

    fixed = definition(approver("n_mgr", MANAGER, fields={"f_hr000001": "hidden"}),
                       {"type": "condition", "id": "n_days", "branches": [
                           {"id": "b_long", "name": "Long", "condition": "Days > 3",
                            "nodes": [approver("n_fin", members(org.member("jack")))]},
                           {"id": "b_short", "name": "Short", "default": True}]})
    r = await alice.put(url, {"definition": fixed})
    assert r.status_code == 200 and r.json()["problems"] == [], r.text
    r = await alice.post(f"{org.base}/flows/{flow['id']}/publish")
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and r.json()["published"]["nodes"][1]["id"] == "n_mgr"
    r = await alice.get(f"{org.base}/flows/{flow['id']}/versions/1")
    assert r.status_code == 200 and r.json()["definition"]["name"] == "Leave approval"
    assert problem(await alice.get(f"{org.base}/flows/{flow['id']}/versions/2"), 404)
    # members may read the flow but not change it
    carol = await org.as_("carol")
    assert (await carol.get(url)).status_code == 200
    assert problem(await carol.put(url, {"definition": fixed}), 403)
    assert problem(await carol.post(f"{org.base}/flows/{flow['id']}/publish"), 403)
    # a draft that is not even a flow is refused, naming where
    r = await alice.put(url, {"definition": {"name": "x", "nodes": [{"type": "approver", "id": "n_xx", "name": "X",
                                                                      "assignees": [{"rule": "boss"}]}]}})
    assert r.status_code in (400, 422)
    assert [e["path"] for e in problem(r, r.status_code)["errors"]] == ["$.definition.nodes[0].assignees[0].rule"]


# --- submitting, preview, reading -----------------------------------------------------------------

async def test_submit_preview_and_the_instance_page(org: Flows) -> None:
    app_id, form_id = await org.form()
    await org.publish(form_id, approver("n_mgr", MANAGER, fields={"f_hr000001": "hidden", "f_note0001": "editable"}),
                      approver("n_pick", {"rule": "self_select"}))
    carol = await org.as_("carol")
    # the path preview: names, and the step the initiator has to choose for
    r = await carol.post(f"{org.base}/forms/{form_id}/approvals/preview", {"data": {"Days": 2}})
    assert r.status_code == 200, r.text
    pv = r.json()
    assert pv["needs_selection"] == ["n_pick"]
    assert [(s["node_id"], s["state"]) for s in pv["steps"]] == [("n_start", "planned"), ("n_mgr", "planned"),
                                                                 ("n_pick", "planned")]
    assert pv["steps"][1]["assignees"] == [{"id": org.member("dan"), "name": "Dan Zhao"}]
    assert pv["steps"][2]["note"] == "You choose"
    r = await carol.post(f"{org.base}/forms/{form_id}/approvals/preview",
                         {"data": {"Days": "not yet"}, "selections": {"n_pick": [org.member("mia")]}})
    assert r.status_code == 200 and r.json()["needs_selection"] == [], "a half-typed form still previews"
    assert r.json()["steps"][2]["assignees"] == [{"id": org.member("mia"), "name": "Mia He"}]

    # submitting without the pick names the step
    assert paths(await carol.post(f"{org.base}/forms/{form_id}/approvals", {"data": {"Days": 2}})) == [
        "$.selections.n_pick"]
    i = await org.submit("carol", form_id, {"Days": 2, "Note": "beach", "HR note": "for HR only"},
                         selections={"n_pick": [org.member("mia")]})
    assert i["status"] == "running" and i["flow_version"] == 1 and i["app_id"] == app_id
    assert i["initiator"] == {"id": org.member("carol"), "name": "Carol Wang"}
    assert i["can"] == {"withdraw": True, "urge": True, "comment": True, "cc": True, "resubmit": False}
    assert i["record"]["data"]["f_hr000001"] == "for HR only", "the initiator filled it"
    assert [s["state"] for s in i["steps"]] == ["done", "active", "pending"]

    dan = await org.as_("dan")
    r = await dan.get(f"{org.base}/approvals/{i['id']}")
    assert r.status_code == 200, r.text
    seen = r.json()
    assert "f_hr000001" not in seen["record"]["data"] and seen["fields"]["f_hr000001"] == "hidden"
    assert seen["fields"]["f_note0001"] == "editable" and seen["fields"]["f_days0001"] == "readonly"
    assert seen["record"]["data"]["f_note0001"] == "beach"
    assert seen["can"]["withdraw"] is False and seen["can"]["urge"] is False
    [task] = seen["my_tasks"]
    assert task["node_id"] == "n_mgr" and task["allow"] == {"return": True, "transfer": True, "add_sign": True,
                                                           "reject": True}
    # a stranger does not learn it exists
    iris = await org.as_("iris")
    assert problem(await iris.get(f"{org.base}/approvals/{i['id']}"), 404)
    assert problem(await iris.get(f"{org.base}/approvals/{i['id']}/timeline"), 404)
    assert problem(await iris.post(f"{org.base}/approvals/{i['id']}/comments", {"text": "hi"}), 404)
    assert problem(await iris.get(f"{org.base}/approvals/{uuid.uuid4()}"), 404)
    # dan edits his editable field as he approves; not the others
    assert paths(await dan.post(f"{org.base}/tasks/{task['id']}/approve", {"data": {"Days": 9}})) == ["$.data.Days"]
    r = await dan.post(f"{org.base}/tasks/{task['id']}/approve", {"comment": "ok", "data": {"Note": "sea"}})
    assert r.status_code == 200, r.text
    assert r.json()["record"]["data"]["f_note0001"] == "sea"
    assert [s["state"] for s in r.json()["steps"]] == ["done", "done", "active"]

    r = await carol.get(f"{org.base}/approvals/{i['id']}/timeline")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [e["seq"] for e in items] == list(range(1, len(items) + 1))
    assert items[0]["type"] == "started" and items[0]["actor"] == {"id": org.member("carol"), "name": "Carol Wang"}
    [approved] = [e for e in items if e["type"] == "approved"]
    assert approved["actor"]["name"] == "Dan Zhao" and approved["on_behalf_of"] is None
    assert approved["data"]["comment"] == "ok" and approved["data"]["changes"]["f_note0001"] == ["beach", "sea"]


# --- the actions ------------------------------------------------------------------------------------

async def test_every_action_endpoint(org: Flows) -> None:
    _app, form_id = await org.form()
    await org.publish(form_id, approver("n_mgr", MANAGER), approver("n_two", {"rule": "manager", "level": 2}),
                      {"type": "handler", "id": "n_pay", "name": "Pay", "assignees": [members(org.member("kate"))]})
    i = await org.submit("carol", form_id)
    iid = i["id"]
    base = f"{org.base}/approvals/{iid}"
    # transfer (to is required), then add-sign before, then approve
    dan = await org.as_("dan")
    task = await org.task("dan", iid)
    assert paths(await dan.post(f"{org.base}/tasks/{task}/transfer", {})) == ["$.to"]
    assert paths(await dan.post(f"{org.base}/tasks/{task}/transfer", {"to": org.member("dan")})) == ["$.to"]
    r = await dan.post(f"{org.base}/tasks/{task}/transfer", {"to": org.member("emma"), "comment": "you know it"})
    assert r.status_code == 200 and r.json()["my_tasks"] == [], r.text
    assert r.json()["steps"][1]["assignees"] == [{"id": org.member("emma"), "name": "Emma Liu"}], "not dan any more"
    assert problem(await dan.post(f"{org.base}/tasks/{task}/approve", {}), 409)
    emma_task = await org.task("emma", iid)
    emma = await org.as_("emma")
    assert paths(await emma.post(f"{org.base}/tasks/{emma_task}/add-sign",
                                 {"position": "before", "member_ids": [org.member("emma")]})) == ["$.member_ids"]
    r = await emma.post(f"{org.base}/tasks/{emma_task}/add-sign", {"position": "sideways",
                                                                   "member_ids": [org.member("jack")]})
    assert paths(r, r.status_code) == ["$.position"] and r.status_code in (400, 422)
    r = await emma.post(f"{org.base}/tasks/{emma_task}/add-sign", {"position": "before",
                                                                   "member_ids": [org.member("jack")]})
    assert r.status_code == 200, r.text
    await org.act("jack", iid)
    await org.act("emma", iid, body={"comment": "fine"})
    # return to the previous step, then to the initiator, who resubmits
    r = await org.act("bob", iid, "return", {"to": "nowhere"}, status=422)
    assert [e["path"] for e in r["errors"]] in (["$.to"], ["to"])  # engine.send_back says "to" (reported)
    await org.act("bob", iid, "return", {"to": "previous", "comment": "check again"})
    await org.act("dan", iid)  # the step is entered again: its rule finds dan
    after = await org.act("bob", iid, "return", {"to": "initiator", "comment": "fix it"})
    assert after["status"] == "running"
    carol = await org.as_("carol")
    shown = (await carol.get(base)).json()
    assert shown["can"]["resubmit"] is True and [t["kind"] for t in shown["my_tasks"]] == ["resubmit"]
    r = await carol.post(f"{base}/resubmit", {"data": {"Days": 2}})
    assert r.status_code == 200, r.text
    assert r.json()["record"]["data"]["f_days0001"] == 2
    assert problem(await carol.post(f"{base}/resubmit", {"data": {}}), 409)
    await org.act("bob", iid)
    # a handler cannot reject; the handler marks the work done
    r = await org.act("kate", iid, "reject", {"comment": "no"}, status=422)
    assert [e["path"] for e in r["errors"]] == ["task_id"]
    done = await org.act("kate", iid, "handle", {"comment": "paid"})
    assert done["status"] == "approved" and done["finished_at"]
    # comments and CC on a finished request still work; mentions must be people
    r = await carol.post(f"{base}/comments", {"text": "thanks", "mentions": [org.member("kate")]})
    assert r.status_code == 200, r.text
    assert paths(await carol.post(f"{base}/comments", {"text": ""}), 400) == ["$.text"]
    r = await carol.post(f"{base}/cc", {"member_ids": [org.member("iris")]})
    assert r.status_code == 200, r.text
    assert paths(await carol.post(f"{base}/cc", {"member_ids": [str(uuid.uuid4())]})) == ["$.member_ids"]
    iris = await org.as_("iris")
    assert (await iris.get(base)).status_code == 200, "copied: may read it now"
    types = [e["type"] for e in (await carol.get(f"{base}/timeline")).json()["items"]]
    for t in ("transferred", "sign_added", "returned", "resubmitted", "handled", "commented", "cc", "finished"):
        assert t in types, t
    assert problem(await carol.post(f"{base}/withdraw", {}), 409)


async def test_reject_and_withdraw(org: Flows) -> None:
    _app, form_id = await org.form()
    await org.publish(form_id, approver("n_mgr", MANAGER))
    i = await org.submit("carol", form_id)
    task = await org.task("dan", i["id"])
    dan = await org.as_("dan")
    assert paths(await dan.post(f"{org.base}/tasks/{task}/reject", {})) == ["$.comment"]
    r = await dan.post(f"{org.base}/tasks/{task}/reject", {"comment": "not now"})
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text
    j = await org.submit("carol", form_id)
    assert problem(await dan.post(f"{org.base}/approvals/{j['id']}/withdraw", {}), 403)
    carol = await org.as_("carol")
    r = await carol.post(f"{org.base}/approvals/{j['id']}/withdraw", {"comment": "changed my mind"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn", r.text
    assert r.json()["can"]["withdraw"] is False and r.json()["can"]["urge"] is False
    assert problem(await dan.post(f"{org.base}/tasks/{uuid.uuid4()}/approve", {}), 404)
    assert paths(await dan.post(f"{org.base}/tasks/{task}/approve", {"bogus": 1}), 400) == ["$.bogus"]
    assert problem(await dan.post(f"{org.base}/tasks/not-an-id/approve", {}), 400)


async def test_urge_is_rate_limited(org: Flows, clock: FrozenClock) -> None:
    _app, form_id = await org.form()
    await org.publish(form_id, approver("n_mgr", MANAGER), urge_interval_minutes=10)
    i = await org.submit("carol", form_id)
    carol = await org.as_("carol")
    url = f"{org.base}/approvals/{i['id']}/urge"
    r = await carol.post(url)
    assert r.status_code == 200, r.text
    r = await carol.post(url)
    problem(r, 429)
    assert int(r.headers["retry-after"]) == 600
    clock.advance(minutes=4)
    r = await carol.post(url)
    assert r.status_code == 429 and int(r.headers["retry-after"]) == 360
    clock.advance(minutes=6)
    assert (await carol.post(url)).status_code == 200
    dan = await org.as_("dan")
    assert problem(await dan.post(url), 403), "only the initiator urges"
    urged = [e for e in (await carol.get(f"{org.base}/approvals/{i['id']}/timeline")).json()["items"]
             if e["type"] == "urged"]
    assert len(urged) == 2 and urged[0]["data"]["members"] == [org.member("dan")]


async def test_batch_approve_answers_per_item(org: Flows) -> None:
    _app, form_id = await org.form()
    await org.publish(form_id, approver("n_mgr", MANAGER))
    ids = [(await org.submit("carol", form_id))["id"] for _ in range(3)]
    tasks = [await org.task("dan", i) for i in ids]
    await org.act("dan", ids[2])
    other = (await org.submit("frank", form_id))["id"]
    emma_task = await org.task("emma", other)
    unknown = str(uuid.uuid4())
    dan = await org.as_("dan")
    r = await dan.post(f"{org.base}/tasks/batch-approve",
                       {"task_ids": [tasks[0], tasks[1], tasks[2], emma_task, unknown], "comment": "all fine"})
    assert r.status_code == 200, r.text
    got = {x["task_id"]: (x["ok"], x["status"]) for x in r.json()["items"]}
    assert got == {tasks[0]: (True, 200), tasks[1]: (True, 200), tasks[2]: (False, 409), emma_task: (False, 403),
                   unknown: (False, 404)}
    assert all(x["detail"] for x in r.json()["items"] if not x["ok"])
    carol = await org.as_("carol")
    assert [(await carol.get(f"{org.base}/approvals/{i}")).json()["status"] for i in ids] == ["approved"] * 3
    frank = await org.as_("frank")
    assert (await frank.get(f"{org.base}/approvals/{other}")).json()["status"] == "running"
    assert paths(await dan.post(f"{org.base}/tasks/batch-approve", {"task_ids": []}), 400) == ["$.task_ids"]


# --- the inbox ------------------------------------------------------------------------------------

async def test_inbox_tabs_filters_and_paging(org: Flows, clock: FrozenClock) -> None:
    app_a, form_a = await org.form("Leave")
    app_b, form_b = await org.form("Expense")
    await org.publish(form_a, approver("n_mgr", MANAGER), {"type": "cc", "id": "n_cc", "name": "HR",
                                                            "assignees": [members(org.member("leo"))]})
    await org.publish(form_b, approver("n_mgr", MANAGER))
    start = clock.now()
    leave = []
    for _ in range(5):  # same instant: the cursor must tell ties apart
        leave.append((await org.submit("carol", form_a))["id"])
    clock.advance(minutes=5)
    expense = (await org.submit("carol", form_b))["id"]
    clock.advance(minutes=5)

    todo = await org.inbox("dan", "todo")
    assert [x["instance_id"] for x in todo["items"]][0] == expense and len(todo["items"]) == 6
    item = todo["items"][0]
    assert item["task_id"] and item["node_name"] == "Mgr" and item["state"] == "pending"
    assert item["initiator"] == {"id": org.member("carol"), "name": "Carol Wang"} and item["unread"] is True
    assert item["status"] == "running" and item["app_id"] == app_b and item["form_id"] == form_b
    # filters
    assert [x["instance_id"] for x in (await org.inbox("dan", "todo", app_id=app_b))["items"]] == [expense]
    assert {x["instance_id"] for x in (await org.inbox("dan", "todo", form_id=form_a))["items"]} == set(leave)
    later = (start + dt.timedelta(minutes=1)).isoformat()
    assert [x["instance_id"] for x in (await org.inbox("dan", "todo", since=later))["items"]] == [expense]
    assert {x["instance_id"] for x in (await org.inbox("dan", "todo", until=later))["items"]} == set(leave)
    # paging: 2 at a time, newest first, every item once
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await org.inbox("dan", "todo", limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [x["task_id"] for x in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 6
    assert seen == [x["task_id"] for x in todo["items"]]
    dan = await org.as_("dan")
    assert paths(await dan.get(f"{org.base}/inbox/todo", params={"cursor": "garbage"})) == ["cursor"]
    made_up = base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00", str(uuid.uuid4())]).encode()).decode()
    assert paths(await dan.get(f"{org.base}/inbox/todo", params={"cursor": made_up})) == ["cursor"]
    assert paths(await dan.get(f"{org.base}/inbox/todo", params={"since": "2026-01-01T00:00:00",
                                                                  "until": "2026-01-02T00:00:00"})) == ["since", "until"]
    assert paths(await dan.get(f"{org.base}/inbox/todo", params={"since": "yesterday"}), 400) == ["since"]
    assert paths(await dan.get(f"{org.base}/inbox/todo", params={"app_id": "zzz"}), 400) == ["app_id"]
    assert len((await org.inbox("dan", "todo", limit=0))["items"]) == 1, "a limit is kept within 1..100"
    assert (await dan.get(f"{org.base}/inbox/elsewhere")).status_code in (400, 404)
    # initiated, done, cc
    initiated = await org.inbox("carol", "initiated")
    assert [x["instance_id"] for x in initiated["items"]] == [expense, *reversed(leave)]
    assert all(x["task_id"] is None for x in initiated["items"])
    await org.act("dan", leave[0])
    done = await org.inbox("dan", "done")
    assert [(x["instance_id"], x["state"], x["status"]) for x in done["items"]] == [(leave[0], "approved", "approved")]
    assert len((await org.inbox("dan", "todo"))["items"]) == 5
    cc = await org.inbox("leo", "cc")
    assert [x["instance_id"] for x in cc["items"]] == [leave[0]] and cc["items"][0]["unread"] is True
    assert (await org.inbox("leo", "cc", app_id=app_b))["items"] == []
    assert (await org.inbox("iris", "todo"))["items"] == []


async def test_unread_marks_and_counts(org: Flows, clock: FrozenClock) -> None:
    _app, form_id = await org.form()
    await org.publish(form_id, approver("n_mgr", MANAGER), approver("n_again", members(org.member("dan"))),
                      {"type": "cc", "id": "n_cc", "name": "HR", "assignees": [members(org.member("leo"))]})
    i = (await org.submit("carol", form_id))["id"]
    j = (await org.submit("carol", form_id))["id"]
    dan = await org.as_("dan")
    r = await dan.get(f"{org.base}/inbox/counts")
    assert r.status_code == 200 and r.json() == {"todo": 2, "todo_unread": 2, "cc_unread": 0,
                                                 "initiated_running": 0}
    carol = await org.as_("carol")
    assert (await carol.get(f"{org.base}/inbox/counts")).json()["initiated_running"] == 2
    clock.advance(seconds=30)
    r = await dan.post(f"{org.base}/approvals/{i}/read")
    assert r.status_code == 204, r.text
    assert {x["instance_id"]: x["unread"] for x in (await org.inbox("dan", "todo"))["items"]} == {i: False, j: True}
    assert [x["instance_id"] for x in (await org.inbox("dan", "todo", unread="true"))["items"]] == [j]
    assert (await dan.get(f"{org.base}/inbox/counts")).json()["todo_unread"] == 1
    # a new task after reading it is unread again
    clock.advance(seconds=30)
    await org.act("dan", i)
    [again] = [x for x in (await org.inbox("dan", "todo"))["items"] if x["instance_id"] == i]
    assert again["unread"] is True and again["node_name"] == "Again"
    assert (await dan.get(f"{org.base}/inbox/counts")).json() == {"todo": 2, "todo_unread": 2, "cc_unread": 0,
                                                                 "initiated_running": 0}
    clock.advance(seconds=30)
    await org.act("dan", i)
    leo = await org.as_("leo")
    assert (await leo.get(f"{org.base}/inbox/counts")).json()["cc_unread"] == 1
    clock.advance(seconds=30)
    assert (await leo.post(f"{org.base}/approvals/{i}/read")).status_code == 204
    assert (await leo.get(f"{org.base}/inbox/counts")).json()["cc_unread"] == 0
    assert (await org.inbox("leo", "cc"))["items"][0]["unread"] is False
    iris = await org.as_("iris")
    assert problem(await iris.post(f"{org.base}/approvals/{i}/read"), 404)


async def test_hidden_fields_stay_hidden_for_cc_and_in_the_timeline(org: Flows) -> None:
    _app, form_id = await org.form()
    await org.publish(form_id,
                      approver("n_mgr", MANAGER, fields={"f_hr000001": "hidden"}),
                      approver("n_hr", members(org.member("mia")), fields={"f_hr000001": "editable"}),
                      {"type": "cc", "id": "n_cc", "name": "Team", "assignees": [members(org.member("leo"))],
                       "fields": {"f_hr000001": "hidden"}})
    i = (await org.submit("carol", form_id, {"Days": 1}))["id"]
    await org.act("dan", i)
    await org.act("mia", i, body={"data": {"HR note": "salary talk"}})
    url = f"{org.base}/approvals/{i}"
    mia = await org.as_("mia")
    seen = (await mia.get(url)).json()
    assert seen["record"]["data"]["f_hr000001"] == "salary talk" and seen["fields"]["f_hr000001"] == "readonly"
    changes = [e["data"].get("changes") for e in (await mia.get(f"{url}/timeline")).json()["items"]
               if e["type"] == "approved"]
    assert {"f_hr000001": [None, "salary talk"]} in changes
    for name in ("leo", "dan"):  # copied at a node that hides it; approved at a node that hides it
        p = await org.as_(name)
        seen = (await p.get(url)).json()
        assert seen["fields"]["f_hr000001"] == "hidden", name
        assert "f_hr000001" not in seen["record"]["data"], name
        text = (await p.get(f"{url}/timeline")).text
        assert "salary talk" not in text, f"{name} reads a hidden field's value in the timeline"


async def test_approve_with_attachments_and_a_signature(org: Flows) -> None:
    from tests.files.samples import png

    _app, form_id = await org.form()
    await org.publish(form_id, approver("n_mgr", MANAGER))
    i = await org.submit("carol", form_id)
    task = await org.task("dan", i["id"])
    dan = await org.as_("dan")
    r = await dan.client.post(f"{org.base}/files", files={"file": ("sign.png", png(), "image/png")},
                              headers={"X-CSRF-Token": dan.csrf})
    assert r.status_code == 201, r.text
    signature = r.json()["id"]
    bad = str(uuid.uuid4())
    assert paths(await dan.post(f"{org.base}/tasks/{task}/approve", {"attachments": [signature, bad]})) == [
        "$.attachments[1]"]
    assert paths(await dan.post(f"{org.base}/tasks/{task}/approve", {"signature": bad})) == ["$.signature"]
    r = await dan.post(f"{org.base}/tasks/{task}/approve", {"comment": "fine", "attachments": [signature],
                                                            "signature": signature})
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    items = (await dan.get(f"{org.base}/approvals/{i['id']}/timeline")).json()["items"]
    approved = next(e for e in items if e["type"] == "approved")
    assert approved["data"]["attachments"] == [signature] and approved["data"]["signature"] == signature
