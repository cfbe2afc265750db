"""Flow versions: running requests stay on the version they started on; an administrator moves
the waiting ones to the newest version explicitly, after a preview that says which can move
and why the others cannot.

Demo org chart: carol -> dan -> bob -> alice; jack is the CFO.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from tack.flows import model as m
from tack.flows.tables import flow_events, flow_instances
from tests.directory.conftest import sign_in
from tests.flows.harness import Harness, approver, flow


@pytest.fixture
async def h(rt: Any, demo: dict[str, Any]) -> Harness:
    return Harness(rt, demo)


async def version_of(h: Harness, instance_id: uuid.UUID) -> int:
    async with h.tx(None) as ctx:
        return int((await ctx.conn.execute(sa.select(flow_instances.c.flow_version).where(
            flow_instances.c.org_id == h.org_id, flow_instances.c.id == instance_id))).scalar_one())


async def event_types(h: Harness, instance_id: uuid.UUID) -> list[str]:
    async with h.tx(None) as ctx:
        return list((await ctx.conn.execute(sa.select(flow_events.c.type).where(
            flow_events.c.org_id == h.org_id, flow_events.c.instance_id == instance_id).order_by(
            flow_events.c.seq))).scalars().all())


def v1() -> m.FlowDef:
    return flow(approver("n_mgr", m.Manager()), approver("n_two", m.Manager(level=2)))


def v2(h: Harness) -> m.FlowDef:
    """Keeps n_mgr, drops n_two, adds the CFO."""
    return flow(approver("n_mgr", m.Manager()), approver("n_cfo", m.Members(member_ids=[h.ids["jack"]])))


async def test_running_requests_stay_on_their_version_until_moved(client: AsyncTestClient[Any], h: Harness) -> None:
    await h.setup(v1())
    at_mgr = await h.submit("carol")
    stays = await h.submit("carol")
    at_two = await h.submit("carol")
    await h.act("dan", at_two)
    await h.setup(v2(h))
    assert h.flow_id is not None
    base = f"/api/v1/orgs/{h.org_id}/flows/{h.flow_id}"

    # not moved: its next step follows v1
    await h.act("dan", stays)
    assert list(await h.pending(stays)) == ["bob"] and await version_of(h, stays) == 1
    # new requests start on v2
    new = await h.submit("carol")
    assert await version_of(h, new) == 2

    alice = await sign_in(client, "alice@example.com")
    r = await alice.post(f"{base}/migrations/preview")
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["to_version"] == 2
    items = {uuid.UUID(x["instance_id"]): x for x in preview["items"]}
    assert set(items) == {at_mgr, stays, at_two}, "the running requests on older versions, no others"
    assert items[at_mgr]["safe"] and items[at_mgr]["reason"] is None and items[at_mgr]["from_version"] == 1
    assert not items[at_two]["safe"] and "not in the new version" in items[at_two]["reason"]
    assert "'Two'" in items[at_two]["reason"], "names the step"
    assert not items[stays]["safe"]

    r = await alice.post(f"{base}/migrations", {"instance_ids": [str(at_mgr), str(at_two), str(new)]})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["moved"] == [str(at_mgr)]
    refused = {x["instance_id"]: x["reason"] for x in result["refused"]}
    assert set(refused) == {str(at_two), str(new)}
    assert "not in the new version" in refused[str(at_two)]
    assert refused[str(new)] == "It is on the newest version already."

    assert await version_of(h, at_mgr) == 2 and await version_of(h, at_two) == 1
    assert (await event_types(h, at_mgr))[-1] == "migrated"
    assert "migrated" not in await event_types(h, at_two)
    timeline = (await alice.get(f"/api/v1/orgs/{h.org_id}/approvals/{at_mgr}/timeline")).json()["items"]
    [moved] = [e for e in timeline if e["type"] == "migrated"]
    assert moved["data"] == {"from_version": 1, "to_version": 2} and moved["actor"] is None

    # the moved one's later steps follow v2; the refused one's follow v1
    await h.act("dan", at_mgr)
    assert list(await h.pending(at_mgr)) == ["jack"]
    await h.act("jack", at_mgr)
    assert await h.status(at_mgr) == "approved"
    await h.act("bob", at_two)
    assert await h.status(at_two) == "approved"
    # a second move of the same request is refused, and the preview has nothing left to move
    r = await alice.post(f"{base}/migrations", {"instance_ids": [str(at_mgr)]})
    assert r.json()["moved"] == [] and r.json()["refused"][0]["reason"] == "It has finished."
    left = (await alice.post(f"{base}/migrations/preview")).json()["items"]
    assert {x["instance_id"] for x in left} == {str(stays)}


async def test_steps_that_changed_kind_or_branch_are_not_safe(client: AsyncTestClient[Any], h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager()), approver("n_two", m.Manager(level=2))))
    at_mgr = await h.submit("carol")
    at_two = await h.submit("carol")
    await h.act("dan", at_two)
    # n_mgr becomes a handler; n_two moves into a parallel branch (whose join it never started)
    par = m.ParallelNode(id="n_par", branches=[
        m.Branch(id="b_two", name="Two", nodes=[approver("n_two", m.Manager(level=2))]),
        m.Branch(id="b_cfo", name="CFO", nodes=[approver("n_cfo", m.Members(member_ids=[h.ids["jack"]]))])])
    await h.setup(flow(m.HandlerNode(id="n_mgr", name="Mgr", assignees=[m.Manager()]), par))
    alice = await sign_in(client, "alice@example.com")
    r = await alice.post(f"/api/v1/orgs/{h.org_id}/flows/{h.flow_id}/migrations/preview")
    assert r.status_code == 200, r.text
    reasons = {uuid.UUID(x["instance_id"]): x["reason"] for x in r.json()["items"]}
    assert "different kind" in reasons[at_mgr]
    assert "another branch" in reasons[at_two]
    r = await alice.post(f"/api/v1/orgs/{h.org_id}/flows/{h.flow_id}/migrations",
                         {"instance_ids": [str(at_mgr), str(at_two)]})
    assert r.json()["moved"] == [] and len(r.json()["refused"]) == 2


async def test_only_app_admins_move_requests(client: AsyncTestClient[Any], h: Harness) -> None:
    await h.setup(v1())
    i = await h.submit("carol")
    await h.setup(v2(h))
    base = f"/api/v1/orgs/{h.org_id}/flows/{h.flow_id}"
    carol = await sign_in(client, "carol@example.com")
    assert (await carol.post(f"{base}/migrations/preview")).status_code == 403
    r = await carol.post(f"{base}/migrations", {"instance_ids": [str(i)]})
    assert r.status_code == 403 and await version_of(h, i) == 1
    alice = await sign_in(client, "alice@example.com")
    r = await alice.post(f"{base}/migrations", {"instance_ids": []})
    assert r.status_code in (400, 422) and r.headers["content-type"].startswith("application/problem+json")
    assert [e["path"] for e in r.json()["errors"]] == ["$.instance_ids"]
    # an unknown id, or another flow's request, is refused on its own; the good one still moves
    await h.setup(v2(h))  # v3
    other = Harness(h.rt, {"org_id": str(h.org_id), "members": {}})
    other.ids, other.names = h.ids, h.names
    await other.setup(v1())
    foreign = await other.submit("carol")
    unknown = uuid.uuid4()
    r = await alice.post(f"{base}/migrations", {"instance_ids": [str(unknown), str(foreign), str(i)]})
    assert r.status_code == 200, r.text
    assert r.json()["moved"] == [str(i)]
    assert {x["instance_id"]: (x["title"], x["reason"]) for x in r.json()["refused"]} == {
        str(unknown): ("", "No such request of this flow."), str(foreign): ("", "No such request of this flow.")}
    assert await version_of(h, i) == 3 and await version_of(h, foreign) == 1
    assert (await alice.post(f"/api/v1/orgs/{h.org_id}/flows/{uuid.uuid4()}/migrations/preview")).status_code == 404


async def test_a_timer_set_on_the_old_version_lapses_after_a_move(client: AsyncTestClient[Any], h: Harness) -> None:
    """v2 drops the step's timeout and the overall deadline: the jobs v1 set find nothing to do
    (instead of failing over and over on the missing setting)."""
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=m.Timeout(after=1, action="auto_reject")),
                       deadline=m.Deadline(after=1, unit="days", action="auto_reject")))
    i = await h.submit("carol")
    await h.setup(flow(approver("n_mgr", m.Manager())))
    alice = await sign_in(client, "alice@example.com")
    r = await alice.post(f"/api/v1/orgs/{h.org_id}/flows/{h.flow_id}/migrations", {"instance_ids": [str(i)]})
    assert r.json()["moved"] == [str(i)], r.text
    from tack.core.tables import jobs
    from tack.flows.jobs import deadline_passed, task_timed_out

    async with h.tx(None) as ctx:
        rows = (await ctx.conn.execute(sa.select(jobs.c.kind, jobs.c.payload).where(
            jobs.c.org_id == h.org_id, jobs.c.state == "pending"))).all()
        kinds = {kind: payload for kind, payload in rows}
        assert set(kinds) == {"flows.timeout", "flows.deadline"}
        await task_timed_out(ctx, kinds["flows.timeout"])
        await deadline_passed(ctx, kinds["flows.deadline"])
    assert await h.status(i) == "running" and list(await h.pending(i)) == ["dan"]
    assert (await event_types(h, i))[-1] == "migrated"
