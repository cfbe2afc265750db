"""When people are away: out-of-office delegation (tasks go to the delegate, on behalf of the
member; the timeline names both), and deactivated assignees (their open tasks follow the
node's rule for nobody found; none stays with them).

Demo org chart: carol -> dan -> bob -> alice (owner); leo is an admin; frank -> emma -> bob.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from tack.core.clock import FrozenClock
from tack.core.consumers import consumers, process_once
from tack.core.events import Event
from tack.core.tables import outbox
from tack.directory.members import deactivate_member
from tack.flows import model as m
from tack.flows.delegations import create_delegation, end_delegation
from tack.flows.instances import timeline
from tack.flows.models import DelegationCreate, TransferAction
from tack.flows.tables import flow_tasks
from tests.conftest import frozen_now
from tests.directory.conftest import sign_in
from tests.flows.harness import Harness, approver, flow

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return frozen_now()


@pytest.fixture
async def h(rt: Any, demo: dict[str, Any], clock: FrozenClock) -> Harness:
    clock.set(NOW)
    return Harness(rt, demo)


async def delegate(h: Harness, who: str, to: str, *, days: float = 7, start_days: float = 0,
                   flow_ids: list[uuid.UUID] | None = None, by: str | None = None) -> uuid.UUID:
    async with h.tx(by or who) as ctx:
        d = await create_delegation(ctx, DelegationCreate(
            delegate_id=h.ids[to], starts_at=NOW + dt.timedelta(days=start_days),
            ends_at=NOW + dt.timedelta(days=start_days + days), flow_ids=flow_ids,
            member_id=h.ids[who] if by else None))
    return d.id


async def task_rows(h: Harness, instance_id: uuid.UUID) -> list[tuple[str, str | None, str]]:
    """(assignee, on behalf of, state) of every task."""
    async with h.tx(None) as ctx:
        rows = (await ctx.conn.execute(sa.select(flow_tasks.c.assignee_id, flow_tasks.c.on_behalf_of,
                                                 flow_tasks.c.state).where(
            flow_tasks.c.org_id == h.org_id, flow_tasks.c.instance_id == instance_id).order_by(
            flow_tasks.c.created_at, flow_tasks.c.id))).all()
    return [(h.names[a], h.names[b] if b else None, s) for a, b, s in rows]


# --- delegation ---------------------------------------------------------------------------------

async def test_an_active_delegation_sends_the_task_to_the_delegate(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager()), approver("n_two", m.Manager(level=2))))
    await delegate(h, "dan", "emma")
    i = await h.submit("carol")
    assert await task_rows(h, i) == [("emma", "dan", "pending")]
    view = await h.view("emma", i)
    [mine] = view.my_tasks
    assert mine.on_behalf_of is not None and mine.on_behalf_of.id == h.ids["dan"]
    assert mine.on_behalf_of.name == "Dan Zhao"
    await h.act("emma", i)
    assert list(await h.pending(i)) == ["bob"]
    async with h.tx("carol") as ctx:
        tl = await timeline(ctx, i)
    [approved] = [e for e in tl.items if e.type == "approved"]
    assert approved.actor is not None and approved.actor.id == h.ids["emma"]
    assert approved.on_behalf_of is not None and approved.on_behalf_of.id == h.ids["dan"]
    assert approved.on_behalf_of.name == "Dan Zhao"
    # dan, for whom it was done, may still read the request
    assert (await h.view("dan", i)).status == "running"


async def test_a_delegation_for_chosen_flows_only(h: Harness) -> None:
    other = Harness(h.rt, {"org_id": str(h.org_id), "members": {}})
    other.ids, other.names = h.ids, h.names
    await other.setup(flow(approver("n_mgr", m.Manager())))
    assert other.flow_id is not None
    await h.setup(flow(approver("n_mgr", m.Manager())))
    assert h.flow_id is not None
    await delegate(h, "dan", "emma", flow_ids=[other.flow_id])  # some other flow
    assert [t[0] for t in await task_rows(other, await other.submit("carol"))] == ["emma"]
    i = await h.submit("carol")
    assert await task_rows(h, i) == [("dan", None, "pending")]
    await delegate(h, "dan", "frank", flow_ids=[h.flow_id])
    j = await h.submit("carol")
    assert await task_rows(h, j) == [("frank", "dan", "pending")]


async def test_expired_future_and_revoked_delegations_do_not_apply(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager())))
    await delegate(h, "dan", "emma", days=1)
    await delegate(h, "dan", "frank", start_days=3, days=1)
    clock.set(NOW + dt.timedelta(days=2))  # the first has ended, the second not begun
    i = await h.submit("carol")
    assert await task_rows(h, i) == [("dan", None, "pending")]
    clock.set(NOW + dt.timedelta(days=3, hours=1))
    j = await h.submit("carol")
    assert await task_rows(h, j) == [("frank", "dan", "pending")]
    clock.set(NOW + dt.timedelta(days=2))
    d = await delegate(h, "dan", "leo", start_days=2, days=1)
    async with h.tx("dan") as ctx:
        await end_delegation(ctx, d)
    k = await h.submit("carol")
    assert await task_rows(h, k) == [("dan", None, "pending")]


async def test_an_inactive_delegate_is_passed_over(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager())))
    await delegate(h, "dan", "emma")
    await h.deactivate("emma")
    i = await h.submit("carol")
    assert await task_rows(h, i) == [("dan", None, "pending")]


async def test_a_transfer_to_someone_away_reaches_their_delegate(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager())))
    await delegate(h, "jack", "kate")
    i = await h.submit("carol")
    await h.act("dan", i, "transfer", TransferAction(to=h.ids["jack"]))
    assert await task_rows(h, i) == [("dan", None, "transferred"), ("kate", "jack", "pending")]
    await h.act("kate", i)
    assert await h.status(i) == "approved"


async def test_delegations_over_the_api(client: AsyncTestClient[Any], h: Harness) -> None:
    base = f"/api/v1/orgs/{h.org_id}/delegations"
    when = {"starts_at": NOW.isoformat(), "ends_at": (NOW + dt.timedelta(days=3)).isoformat()}
    carol = await sign_in(client, "carol@example.com")
    r = await carol.post(base, {"delegate_id": str(h.ids["frank"]), **when})
    assert r.status_code == 201, r.text
    mine = r.json()
    assert mine["member"]["id"] == str(h.ids["carol"]) and mine["delegate"]["name"] == "Frank Sun"
    assert mine["flow_ids"] is None and mine["revoked_at"] is None
    # a member sets one only for themselves
    r = await carol.post(base, {"delegate_id": str(h.ids["frank"]), "member_id": str(h.ids["dan"]), **when})
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert (await carol.get(f"{base}?member_id={h.ids['dan']}")).status_code == 403

    async def bad(body: dict[str, Any]) -> list[tuple[str, str]]:
        r = await carol.post(base, body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        return [(e["path"], e["rule"]) for e in r.json()["errors"]]

    assert await bad({"delegate_id": str(h.ids["frank"]), "starts_at": when["ends_at"],
                      "ends_at": when["starts_at"]}) == [("$.ends_at", "after_start")]
    assert await bad({"delegate_id": str(h.ids["carol"]), **when}) == [("$.delegate_id", "self")]
    await h.deactivate("mia")
    assert await bad({"delegate_id": str(h.ids["mia"]), **when}) == [("$.delegate_id", "exists")]
    assert await bad({"delegate_id": str(uuid.uuid4()), **when}) == [("$.delegate_id", "exists")]
    naive = {"starts_at": "2026-03-02T09:00:00", "ends_at": "2026-03-05T09:00:00"}
    assert await bad({"delegate_id": str(h.ids["frank"]), **naive}) == [("$.starts_at", "time-zone"),
                                                                        ("$.ends_at", "time-zone")]
    assert await bad({"delegate_id": str(h.ids["frank"]), "flow_ids": [str(uuid.uuid4())], **when}) == [
        ("$.flow_ids[0]", "exists")]
    r = await carol.post(base, {"delegate_id": "nope", **when})
    # a body that does not match the schema: the house answer is 400, naming the field
    assert r.status_code in (400, 422) and r.headers["content-type"].startswith("application/problem+json")
    assert [e["path"] for e in r.json()["errors"]] == ["$.delegate_id"]

    # an admin sets one for someone else, and sees theirs
    leo = await sign_in(client, "leo@example.com")
    r = await leo.post(base, {"delegate_id": str(h.ids["emma"]), "member_id": str(h.ids["dan"]), **when})
    assert r.status_code == 201, r.text
    assert r.json()["member"]["id"] == str(h.ids["dan"])
    r = await leo.post(base, {"delegate_id": str(h.ids["emma"]), "member_id": str(uuid.uuid4()), **when})
    assert problem_paths(r) == [("$.member_id", "exists")]
    listed = (await leo.get(f"{base}?member_id={h.ids['dan']}")).json()["items"]
    assert [d["delegate"]["id"] for d in listed] == [str(h.ids["emma"])]
    # the delegate sees it in their own list too; carol does not see dan's
    carol = await sign_in(client, "carol@example.com")
    assert [d["id"] for d in (await carol.get(base)).json()["items"]] == [mine["id"]]
    # carol cannot end dan's delegation; she ends her own
    assert (await carol.delete(f"{base}/{listed[0]['id']}")).status_code == 404
    assert (await carol.delete(f"{base}/{mine['id']}")).status_code == 204
    [ended] = (await carol.get(base)).json()["items"]
    assert ended["revoked_at"] is not None
    h.rt.clock.advance(hours=1)  # type: ignore[attr-defined]
    assert (await carol.delete(f"{base}/{mine['id']}")).status_code == 204
    assert (await carol.get(base)).json()["items"][0]["revoked_at"] == ended["revoked_at"], "the first end stays"


def problem_paths(r: Any) -> list[tuple[str, str]]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return [(e["path"], e["rule"]) for e in r.json()["errors"]]


# --- deactivated assignees ------------------------------------------------------------------------

async def deactivate(h: Harness, who: str) -> None:
    """Deactivate as the directory does, then deliver its event to the flows' consumer."""
    async with h.tx(None) as ctx:
        await deactivate_member(ctx, h.ids[who])
        row = (await ctx.conn.execute(sa.select(outbox).where(
            outbox.c.org_id == h.org_id, outbox.c.type == "member.deactivated",
            outbox.c.subject == str(h.ids[who])))).mappings().one()
    ev = Event(id=row["id"], org_id=row["org_id"], type=row["type"], subject=row["subject"], time=row["at"],
               data=row["data"])
    c = consumers.get("flows-deactivated-assignees")
    assert await process_once(h.rt.db, h.rt.clock, c, ev) is True
    assert await process_once(h.rt.db, h.rt.clock, c, ev) is False, "a redelivery changes nothing"


async def test_deactivated_assignee_auto_pass(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager()), approver("n_two", m.Manager(level=2))))
    i = await h.submit("carol")
    j = await h.submit("frank")  # emma's: untouched
    await deactivate(h, "dan")
    assert list(await h.pending(i)) == ["bob"], "dan's step passed by itself"
    assert ("n_mgr", "dan", "passed") in await h.task_states(i)
    assert list(await h.pending(j)) == ["emma"]
    async with h.tx(None) as ctx:
        left = (await ctx.conn.execute(sa.select(sa.func.count()).select_from(flow_tasks).where(
            flow_tasks.c.org_id == h.org_id, flow_tasks.c.assignee_id == h.ids["dan"],
            flow_tasks.c.state.in_(("pending", "waiting"))))).scalar()
    assert left == 0


async def test_deactivated_assignee_goes_to_the_admins(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), empty=m.EmptyAssignee(action="admin"))))
    i = await h.submit("carol")
    await deactivate(h, "dan")
    assert list(await h.pending(i)) == ["alice"], "the owner first"
    await h.act("alice", i)
    assert await h.status(i) == "approved"


async def test_deactivated_assignee_goes_to_a_named_member(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), empty=m.EmptyAssignee(action="member",
                                                                          member_id=h.ids["leo"]))))
    i = await h.submit("carol")
    await deactivate(h, "dan")
    assert await task_rows(h, i) == [("dan", None, "transferred"), ("leo", None, "pending")]


async def test_deactivated_in_a_countersign_and_a_sequence(h: Harness) -> None:
    await h.setup(flow(approver("n_all", m.Members(member_ids=[h.ids["jack"], h.ids["kate"]]), mode="all"),
                       approver("n_seq", m.Members(member_ids=[h.ids["mia"], h.ids["leo"]]), mode="sequential")))
    i = await h.submit("carol")
    await deactivate(h, "kate")
    assert list(await h.pending(i)) == ["jack"], "kate passed, jack still has to approve"
    await h.act("jack", i)
    assert list(await h.pending(i)) == ["mia"]
    await deactivate(h, "leo")  # waiting for his turn: passes too
    await h.act("mia", i)
    assert await h.status(i) == "approved"
    assert ("n_seq", "leo", "passed") in await h.task_states(i)
