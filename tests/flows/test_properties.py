"""Random action sequences on a rich flow (hypothesis): whatever people do, in whatever order,
the right person or the wrong one, and whoever leaves the organization meanwhile, the approval
stays sound.

After every step: a refused action is a clean Problem (403/404/409/422/429) and changed nothing;
a finished request keeps its one final state and has no open task; no open task waits for a
deactivated member; the projections (tasks, CC rows, the instance row, the record's status) are
exactly what replaying the log writes; the log's sequence is 1..n without gaps. At the end, the
right people acting on what is left always finish the request.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as hs

from tack.core.consumers import consumers, process_once
from tack.core.ctx import Ctx
from tack.core.errors import Conflict, Problem
from tack.core.events import Event
from tack.core.tables import outbox
from tack.directory.members import deactivate_member, reactivate_member
from tack.directory.tables import members, roles
from tack.flows import model as m
from tack.flows import projection, runtime
from tack.flows import state as fst
from tack.flows.models import (
    AddSignAction,
    CcAction,
    InstanceComment,
    Resubmit,
    ReturnAction,
    TaskAction,
    TransferAction,
    Withdraw,
)
from tack.flows.tables import flow_cc, flow_events, flow_instances, flow_tasks
from tack.records.tables import records
from tack.runtime import Runtime
from tests.flows.harness import Harness, approver, flow

PEOPLE = ["alice", "bob", "carol", "dan", "emma", "frank", "grace", "henry", "iris", "jack", "kate", "leo", "mia"]
INITIATORS = ["carol", "frank", "henry", "emma", "mia"]
FINAL = ("approved", "rejected", "withdrawn")
TASK_ACTIONS = ["approve"] * 6 + ["reject", "return_previous", "return_initiator", "transfer", "add_before",
                                  "add_after", "add_parallel"]
INSTANCE_ACTIONS = ["withdraw", "urge", "comment", "cc", "resubmit", "resubmit", "deactivate"]
CLEAN = (403, 404, 409, 422, 429)


class _Rollback(Exception):
    """Leaves a transaction without committing (the projection check changes nothing)."""


async def role_id(h: Harness, name: str) -> uuid.UUID:
    async with h.tx(None) as ctx:
        return uuid.UUID(str((await ctx.conn.execute(sa.select(roles.c.id).where(
            roles.c.org_id == h.org_id, roles.c.name == name))).scalar_one()))


async def rich_flow(h: Harness) -> m.FlowDef:
    """Days decide the first step (a two-level manager chain, or the manager); then Finance
    countersigns while HR or-signs (nobody left in HR: the admins); a CC to Emma; Grace and then
    Henry one after the other; Kate marks it paid."""
    finance, hr = await role_id(h, "Finance"), await role_id(h, "HR")
    cond = m.ConditionNode(id="n_days", branches=[
        m.Branch(id="b_long", name="Long", condition="Days > 3",
                 nodes=[approver("n_chain", m.ManagerChain(up_to_level=2))]),
        m.Branch(id="b_short", name="Otherwise", default=True, nodes=[approver("n_mgr", m.Manager())])])
    par = m.ParallelNode(id="n_par", branches=[
        m.Branch(id="b_fin", name="Finance", nodes=[approver("n_fin", m.Role(role_id=finance), mode="all")]),
        m.Branch(id="b_hr", name="HR", nodes=[approver("n_hr", m.Role(role_id=hr), mode="any",
                                                       empty=m.EmptyAssignee(action="admin"))])])
    return flow(cond, par, m.CcNode(id="n_cc", name="Team", assignees=[m.Members(member_ids=[h.ids["emma"]])]),
                approver("n_seq", m.Members(member_ids=[h.ids["grace"], h.ids["henry"]]), mode="sequential"),
                m.HandlerNode(id="n_pay", name="Pay", assignees=[m.Members(member_ids=[h.ids["kate"]])]))


# --- what the database says ---------------------------------------------------------------------

def _rows(rows: Any) -> list[dict[str, Any]]:
    return sorted((dict(r) for r in rows), key=lambda r: repr(sorted((k, repr(v)) for k, v in r.items())))


async def projection_rows(ctx: Ctx, instance_id: uuid.UUID) -> dict[str, Any]:
    """Every projected row of one instance (order-free), and its record's status."""
    c = ctx.conn
    inst = (await c.execute(sa.select(flow_instances).where(
        flow_instances.c.org_id == ctx.org_id, flow_instances.c.id == instance_id))).mappings().one()
    return {
        "instance": dict(inst),
        "tasks": _rows((await c.execute(sa.select(flow_tasks).where(
            flow_tasks.c.org_id == ctx.org_id, flow_tasks.c.instance_id == instance_id))).mappings()),
        "cc": _rows((await c.execute(sa.select(flow_cc).where(
            flow_cc.c.org_id == ctx.org_id, flow_cc.c.instance_id == instance_id))).mappings()),
        "record_status": (await c.execute(sa.select(records.c.status).where(
            records.c.org_id == ctx.org_id, records.c.id == inst["record_id"]))).scalar(),
    }


async def check_instance(ctx: Ctx, instance_id: uuid.UUID) -> dict[str, Any]:
    """The log is 1..n, the instance row is at n, and replaying the log writes exactly the rows
    that are there. Runs inside the caller's transaction, which must be rolled back after it."""
    seqs = list((await ctx.conn.execute(sa.select(flow_events.c.seq).where(
        flow_events.c.org_id == ctx.org_id, flow_events.c.instance_id == instance_id).order_by(
        flow_events.c.seq))).scalars())
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    stored = await projection_rows(ctx, instance_id)
    assert stored["instance"]["seq"] == len(seqs), (stored["instance"]["seq"], len(seqs))
    state = stored["instance"]["state"]
    assert stored["record_status"] == projection.RECORD_STATUS[state["status"]]
    await projection.rebuild(ctx, instance_id)
    rebuilt = await projection_rows(ctx, instance_id)
    for part in ("instance", "tasks", "cc", "record_status"):
        assert stored[part] == rebuilt[part], (part, _diff(stored[part], rebuilt[part]))
    return stored


def _diff(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [_diff(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return (a, b)


async def verified(h: Harness, instance_id: uuid.UUID) -> dict[str, Any]:
    """`check_instance` in a transaction that is then rolled back; returns the stored rows."""
    out: dict[str, Any] = {}
    try:
        async with h.tx(None) as ctx:
            out = await check_instance(ctx, instance_id)
            raise _Rollback
    except _Rollback:
        pass
    return out


async def inactive_with_open_tasks(h: Harness) -> list[Any]:
    async with h.tx(None) as ctx:
        return list((await ctx.conn.execute(sa.select(flow_tasks.c.id, members.c.name).join(
            members, sa.and_(members.c.org_id == flow_tasks.c.org_id, members.c.id == flow_tasks.c.assignee_id)).where(
            flow_tasks.c.org_id == h.org_id, flow_tasks.c.state.in_(fst.OPEN),
            members.c.status != "active"))).all())


# --- acting -------------------------------------------------------------------------------------

async def deactivate(h: Harness, rt: Runtime, who: str) -> None:
    """What an admin's deactivation does: the member goes, `member.deactivated` is committed, and
    the flows' consumer hands their open tasks on (run here as the event bus would)."""
    async with h.tx(None) as ctx:
        await deactivate_member(ctx, h.ids[who])
        row = (await ctx.conn.execute(sa.select(outbox).where(
            outbox.c.org_id == h.org_id, outbox.c.type == "member.deactivated",
            outbox.c.subject == str(h.ids[who])).order_by(outbox.c.id.desc()).limit(1))).mappings().one()
    ev = Event(id=row["id"], org_id=row["org_id"], type=row["type"], subject=row["subject"], time=row["at"],
               data=row["data"])
    await process_once(rt.db, rt.clock, consumers.get("flows-deactivated-assignees"), ev)


async def reactivate_everyone(h: Harness) -> None:
    async with h.tx(None) as ctx:
        gone = (await ctx.conn.execute(sa.select(members.c.id).where(
            members.c.org_id == h.org_id, members.c.status != "active"))).scalars().all()
        for mid in gone:
            await reactivate_member(ctx, mid)


async def active_people(h: Harness) -> list[str]:
    async with h.tx(None) as ctx:
        ids = set((await ctx.conn.execute(sa.select(members.c.id).where(
            members.c.org_id == h.org_id, members.c.status == "active"))).scalars())
    return [p for p in PEOPLE if h.ids[p] in ids]


async def task_action(h: Harness, who: str, task: uuid.UUID, action: str, other: str, comment: bool) -> None:
    text = "because" if comment else None
    async with h.tx(who) as ctx:
        if action == "approve":
            await runtime.approve(ctx, task, TaskAction(comment=text))
        elif action == "reject":
            await runtime.reject(ctx, task, TaskAction(comment=text))
        elif action.startswith("return_"):
            await runtime.send_back(ctx, task, ReturnAction(to=action.removeprefix("return_"), comment=text))
        elif action == "transfer":
            await runtime.transfer(ctx, task, TransferAction(to=h.ids[other], comment=text))
        else:
            position = action.removeprefix("add_")
            await runtime.add_sign(ctx, task, AddSignAction(position=position, member_ids=[h.ids[other]],  # type: ignore[arg-type]
                                                            comment=text))


async def instance_action(h: Harness, who: str, i: uuid.UUID, action: str, other: str, days: int) -> None:
    async with h.tx(who) as ctx:
        if action == "withdraw":
            await runtime.withdraw(ctx, i, Withdraw(comment="never mind"))
        elif action == "urge":
            await runtime.urge(ctx, i)
        elif action == "comment":
            await runtime.comment(ctx, i, InstanceComment(text="any news?", mentions=[h.ids[other]]))
        elif action == "cc":
            await runtime.copy_to(ctx, i, CcAction(member_ids=[h.ids[other]]))
        elif action == "resubmit":
            await runtime.resubmit(ctx, i, Resubmit(data={"Days": days}))


async def tasks_of(h: Harness, i: uuid.UUID) -> list[dict[str, Any]]:
    async with h.tx(None) as ctx:
        rows = (await ctx.conn.execute(sa.select(flow_tasks).where(
            flow_tasks.c.org_id == h.org_id, flow_tasks.c.instance_id == i).order_by(
            flow_tasks.c.created_at, flow_tasks.c.id))).mappings().all()
    return [dict(r) for r in rows]


async def story(h: Harness, i: uuid.UUID) -> str:
    """The log, one line per event, with people by name: what a failure message shows."""
    async with h.tx(None) as ctx:
        log = await projection.load_log(ctx, i)
    text = "\n".join(f"{e['seq']:3} {e['type']:16} {h.names.get(e['actor_id'], '-'):6} {e['data']}" for e in log)
    for name, mid in h.ids.items():
        text = text.replace(str(mid), name)
    return text


async def finish_it(h: Harness, i: uuid.UUID) -> str:
    """The right people act on whatever is left (approving, or resubmitting a returned request):
    every request ends."""
    for _ in range(60):
        rows = await verified(h, i)
        if rows["instance"]["status"] != "running":
            return str(rows["instance"]["status"])
        pending = [t for t in rows["tasks"] if t["state"] == "pending"]
        if not pending:
            raise AssertionError(f"a running request with nobody to act:\n{await story(h, i)}")
        t = min(pending, key=lambda t: (t["created_at"], t["node_id"], PEOPLE.index(h.names[t["assignee_id"]])))
        who = h.names[t["assignee_id"]]
        async with h.tx(who) as ctx:
            if t["kind"] == "resubmit":
                await runtime.resubmit(ctx, i, Resubmit())
            else:
                await runtime.approve(ctx, t["id"], TaskAction(comment="ok"))
    raise AssertionError("the request did not finish")


# --- the property -------------------------------------------------------------------------------

@pytest.fixture
async def rich(rt: Runtime, demo: dict[str, Any]) -> Harness:
    h = Harness(rt, demo)
    await h.setup(await rich_flow(h))
    return h


# More examples for a bug hunt: TACK_FLOW_EXAMPLES=1000. No shrinking: a long run of actions
# shrinks for minutes, and the failure message already tells the request's story (its log).
@settings(max_examples=int(os.environ.get("TACK_FLOW_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=hs.data())
async def test_random_actions_keep_every_invariant(rt: Runtime, rich: Harness, data: hs.DataObject) -> None:
    h = rich
    initiator = data.draw(hs.sampled_from(INITIATORS), label="initiator")
    i = await h.submit(initiator, {"Days": data.draw(hs.integers(1, 6), label="days")})
    final: str | None = None
    deactivated = False
    try:
        for _step in range(data.draw(hs.integers(1, 14), label="steps")):
            rows = await verified(h, i)
            before_seq = rows["instance"]["seq"]
            people = await active_people(h)
            other = data.draw(hs.sampled_from(PEOPLE), label="other")  # whom to add, copy, hand over to: maybe gone
            kind = data.draw(hs.sampled_from(["task"] * 3 + ["instance"]), label="kind")
            right = data.draw(hs.booleans(), label="right person")
            try:
                if kind == "task":
                    action = data.draw(hs.sampled_from(TASK_ACTIONS), label="action")
                    tasks = sorted(rows["tasks"], key=lambda t: (  # an order that does not hang on random ids
                        t["created_at"], t["node_id"], PEOPLE.index(h.names[t["assignee_id"]]), t["state"]))
                    pending = [t for t in tasks if t["state"] == "pending"]
                    pool = pending if (right and pending) else tasks
                    choice = data.draw(hs.integers(0, len(pool)), label="task")
                    if choice == len(pool):
                        task, owner = uuid.uuid4(), None  # no such task
                    else:
                        task, owner = pool[choice]["id"], h.names[pool[choice]["assignee_id"]]
                    who = owner if (right and owner in people) else data.draw(hs.sampled_from(people), label="who")
                    await task_action(h, who, task, action, other, comment=data.draw(hs.booleans(), label="comment"))
                else:
                    action = data.draw(hs.sampled_from(INSTANCE_ACTIONS), label="action")
                    if action == "deactivate":
                        await deactivate(h, h.rt, data.draw(hs.sampled_from([initiator, other]), label="leaves"))
                        deactivated = True
                    else:
                        who = initiator if (right and initiator in people) else \
                            data.draw(hs.sampled_from(people), label="who")
                        await instance_action(h, who, i, action, other, data.draw(hs.integers(1, 6), label="days"))
                event(f"{action}: done")
            except Problem as exc:
                event(f"{action}: {exc.status}")
                assert exc.status in CLEAN, exc
                after = await verified(h, i)
                assert after["instance"]["seq"] == before_seq, "a refused action changed the request"
            rows = await verified(h, i)
            status = rows["instance"]["status"]
            if final is not None:
                assert status == final, f"finished {final}, then became {status}"
            if status in FINAL:
                final = status
                assert not [t for t in rows["tasks"] if t["state"] in fst.OPEN], rows["tasks"]
            if deactivated:
                assert await inactive_with_open_tasks(h) == []
        event(f"before the end: {final or 'running'}")
        ended = await finish_it(h, i)
        assert ended in FINAL and (final is None or ended == final)
    finally:
        await reactivate_everyone(h)



async def test_a_request_cannot_go_back_to_an_initiator_who_left(rt: Runtime, rich: Harness) -> None:
    h = rich
    i = await h.submit("carol", {"Days": 1})
    await deactivate(h, rt, "carol")
    with pytest.raises(Conflict):
        await h.act("dan", i, "send_back", ReturnAction(to="initiator", comment="fix it"))
    with pytest.raises(Conflict):  # no step before: "previous" is the initiator too
        await h.act("dan", i, "send_back", ReturnAction(to="previous", comment="fix it"))
    assert await inactive_with_open_tasks(h) == []
    await h.act("dan", i)
    assert list(await h.pending(i)) == ["jack", "kate", "leo", "mia"]
    await verified(h, i)
    await reactivate_everyone(h)


async def test_someone_added_after_a_before_signer_still_comes_before(rt: Runtime, rich: Harness) -> None:
    """Kate asks Iris first; Iris approves and asks Alice after her: Alice comes before Kate too,
    and Kate's task wakes when Alice approves (it used to wait for ever)."""
    h = rich
    i = await h.submit("carol", {"Days": 1})
    await h.act("dan", i)
    await h.act("kate", i, "add_sign", AddSignAction(position="before", member_ids=[h.ids["iris"]]))
    await h.act("iris", i, "add_sign", AddSignAction(position="after", member_ids=[h.ids["alice"]]))
    assert "kate" not in await h.pending(i)
    await h.act("alice", i)
    assert "kate" in await h.pending(i)
    await verified(h, i)
    assert await finish_it(h, i) == "approved"
