"""The approval scenarios an administrator tries before trusting us: every assignee rule,
mode, action and the rules for empty and repeated approvers, on both databases.

Demo org chart: carol -> dan (Backend head) -> bob (CTO, Engineering head) -> alice (CEO);
frank -> emma -> bob; henry -> grace (Sales head) -> alice; roles Finance (jack, kate),
HR (leo, mia), Director (bob, grace, jack).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tack.core.errors import Conflict, Forbidden, ValidationFailed
from tack.directory.tables import roles
from tack.flows import model as m
from tack.flows import runtime
from tack.flows.models import AddSignAction, ReturnAction, TaskAction, TransferAction, Withdraw
from tests.flows.harness import Harness, approver, flow


@pytest.fixture
async def h(rt: Any, demo: dict[str, Any]) -> Harness:
    return Harness(rt, demo)


async def role_id(h: Harness, name: str) -> Any:
    async with h.tx(None) as ctx:
        return (await ctx.conn.execute(sa.select(roles.c.id).where(roles.c.org_id == h.org_id,
                                                                   roles.c.name == name))).scalar_one()


async def test_direct_manager_approves(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(level=1))))
    i = await h.submit("carol")
    assert await h.status(i) == "running"
    assert list(await h.pending(i)) == ["dan"]
    await h.act("dan", i)
    assert await h.status(i) == "approved"
    view = await h.view("carol", i)
    assert view.status == "approved" and [s.state for s in view.steps] == ["done", "done"]


async def test_manager_levels_up_and_department_heads(h: Harness) -> None:
    await h.setup(flow(approver("n_two", m.Manager(level=2)), approver("n_head", m.DepartmentHead(level=2))))
    i = await h.submit("carol")
    assert list(await h.pending(i)) == ["bob"]  # carol -> dan -> bob
    await h.act("bob", i)
    assert list(await h.pending(i)) == ["bob"]  # Backend's parent: Engineering, headed by bob
    await h.act("bob", i)
    assert await h.status(i) == "approved"


async def test_manager_chain_to_a_level_goes_one_after_another(h: Harness) -> None:
    await h.setup(flow(approver("n_chain", m.ManagerChain(up_to_level=3))))
    i = await h.submit("carol")
    for who in ("dan", "bob", "alice"):
        assert list(await h.pending(i)) == [who]
        await h.act(who, i)
    assert await h.status(i) == "approved"


async def test_manager_chain_until_a_role(h: Harness) -> None:
    director = await role_id(h, "Director")
    await h.setup(flow(approver("n_chain", m.ManagerChain(until_role_id=director))))
    i = await h.submit("carol")
    await h.act("dan", i)
    await h.act("bob", i)  # bob holds Director: the chain stops with him
    assert await h.status(i) == "approved"


async def test_role_within_the_initiators_department(h: Harness) -> None:
    director = await role_id(h, "Director")
    await h.setup(flow(approver("n_dir", m.Role(role_id=director, within_initiator_department=True))))
    i = await h.submit("carol")  # Backend is under Engineering? No: only Backend and below count
    assert await h.pending(i) == {}  # nobody in Backend holds Director: auto-passed
    assert await h.status(i) == "approved"
    i2 = await h.submit("henry")
    assert await h.status(i2) == "approved"


async def test_countersign_needs_everyone(h: Harness) -> None:
    finance = await role_id(h, "Finance")
    await h.setup(flow(approver("n_fin", m.Role(role_id=finance), mode="all")))
    i = await h.submit("carol")
    assert set(await h.pending(i)) == {"jack", "kate"}
    await h.act("jack", i)
    assert await h.status(i) == "running" and list(await h.pending(i)) == ["kate"]
    await h.act("kate", i)
    assert await h.status(i) == "approved"


async def test_or_sign_needs_anyone_and_cancels_the_rest(h: Harness) -> None:
    finance = await role_id(h, "Finance")
    await h.setup(flow(approver("n_fin", m.Role(role_id=finance), mode="any")))
    i = await h.submit("carol")
    await h.act("kate", i)
    assert await h.status(i) == "approved"
    assert ("n_fin", "jack", "cancelled") in await h.task_states(i)


async def test_sequential_members_in_order(h: Harness) -> None:
    await h.setup(flow(approver("n_seq", m.Members(member_ids=[h.ids["leo"], h.ids["jack"]]), mode="sequential")))
    i = await h.submit("carol")
    assert list(await h.pending(i)) == ["leo"]
    await h.act("leo", i)
    assert list(await h.pending(i)) == ["jack"]
    await h.act("jack", i)
    assert await h.status(i) == "approved"


async def test_self_select_and_initiator_and_member_field(h: Harness) -> None:
    await h.setup(flow(approver("n_pick", m.SelfSelect()), approver("n_backup", m.FormField(field_id="f_who00001")),
                       m.HandlerNode(id="n_me", name="Confirm", assignees=[m.Initiator()])))
    with pytest.raises(ValidationFailed) as e:
        await h.submit("carol")
    assert e.value.errors[0].path == "$.selections.n_pick"
    i = await h.submit("carol", {"Days": 2, "Backup": str(h.ids["frank"])}, selections={"n_pick": [h.ids["mia"]]})
    await h.act("mia", i)
    await h.act("frank", i)
    await h.act("carol", i, "handle")
    assert await h.status(i) == "approved"


async def test_condition_branches_by_days(h: Harness) -> None:
    cond = m.ConditionNode(id="n_days", branches=[
        m.Branch(id="b_long", name="Long", condition="Days > 3", nodes=[approver("n_chain", m.ManagerChain(up_to_level=2))]),
        m.Branch(id="b_else", name="Otherwise", default=True, nodes=[approver("n_mgr", m.Manager())])])
    await h.setup(flow(cond, m.CcNode(id="n_cc", name="Team", assignees=[m.Members(member_ids=[h.ids["emma"]])])))
    short = await h.submit("carol", {"Days": 2})
    await h.act("dan", short)
    assert await h.status(short) == "approved"
    long = await h.submit("carol", {"Days": 5})
    await h.act("dan", long)
    await h.act("bob", long)
    assert await h.status(long) == "approved"
    view = await h.view("emma", long)  # CC'd: may read it
    assert view.status == "approved"


async def test_parallel_branches_join(h: Harness) -> None:
    par = m.ParallelNode(id="n_par", branches=[
        m.Branch(id="b_fin", name="Finance", nodes=[approver("n_jack", m.Members(member_ids=[h.ids["jack"]]))]),
        m.Branch(id="b_hr", name="HR", nodes=[approver("n_leo", m.Members(member_ids=[h.ids["leo"]]))])])
    await h.setup(flow(par, approver("n_ceo", m.Members(member_ids=[h.ids["alice"]]))))
    i = await h.submit("carol")
    assert set(await h.pending(i)) == {"jack", "leo"}
    await h.act("leo", i)
    assert list(await h.pending(i)) == ["jack"]
    await h.act("jack", i)
    assert list(await h.pending(i)) == ["alice"]
    await h.act("alice", i)
    assert await h.status(i) == "approved"


async def test_reject_ends_it(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager()), approver("n_two", m.Manager(level=2))))
    i = await h.submit("carol")
    with pytest.raises(ValidationFailed):
        await h.act("dan", i, "reject", TaskAction())
    await h.act("dan", i, "reject", TaskAction(comment="No"))
    assert await h.status(i) == "rejected"
    assert await h.pending(i) == {}


async def test_empty_assignee_rules(h: Harness) -> None:
    # alice has no manager: by the flow's rule the step goes to a named member
    await h.setup(flow(approver("n_mgr", m.Manager(), empty=m.EmptyAssignee(action="member",
                                                                          member_id=h.ids["leo"]))))
    i = await h.submit("alice")
    assert list(await h.pending(i)) == ["leo"]


async def test_auto_pass_initiator_and_dedupe(h: Harness) -> None:
    await h.setup(flow(approver("n_own", m.Members(member_ids=[h.ids["carol"]])),
                       approver("n_first", m.Manager()), approver("n_again", m.Manager()),
                       auto_pass_initiator=True, dedupe="keep_first"))
    i = await h.submit("carol")
    assert list(await h.pending(i)) == ["dan"]  # carol's own step passed by itself
    await h.act("dan", i)
    assert await h.status(i) == "approved"  # dan again at n_c: passed (keep first)


async def test_return_to_previous_and_initiator_then_resubmit(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager()), approver("n_two", m.Manager(level=2))))
    i = await h.submit("carol")
    await h.act("dan", i)
    await h.act("bob", i, "send_back", ReturnAction(to="previous", comment="check"))
    assert list(await h.pending(i)) == ["dan"]
    await h.act("dan", i)
    await h.act("bob", i, "send_back", ReturnAction(to="initiator", comment="fix the dates"))
    assert list(await h.pending(i)) == ["carol"]
    async with h.tx("carol") as ctx:
        from tack.flows.models import Resubmit

        await runtime.resubmit(ctx, i, Resubmit(data={"Days": 3}))
    assert list(await h.pending(i)) == ["bob"]  # continues from the step that returned it
    await h.act("bob", i)
    assert await h.status(i) == "approved"


async def test_transfer_and_add_sign(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager())))
    i = await h.submit("carol")
    await h.act("dan", i, "transfer", TransferAction(to=h.ids["emma"]))
    assert list(await h.pending(i)) == ["emma"]
    await h.act("emma", i, "add_sign", AddSignAction(position="before", member_ids=[h.ids["jack"]]))
    assert list(await h.pending(i)) == ["jack"]
    await h.act("jack", i)
    assert list(await h.pending(i)) == ["emma"]
    await h.act("emma", i, "add_sign", AddSignAction(position="after", member_ids=[h.ids["leo"]]))
    assert list(await h.pending(i)) == ["leo"]
    await h.act("leo", i)
    assert await h.status(i) == "approved"


async def test_withdraw_rules(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager()), approver("n_two", m.Manager(level=2)),
                       withdraw="until_first_action"))
    i = await h.submit("carol")
    async with h.tx("dan") as ctx:
        with pytest.raises(Forbidden):
            await runtime.withdraw(ctx, i, Withdraw())
    await h.act("dan", i)
    async with h.tx("carol") as ctx:
        with pytest.raises(Conflict):
            await runtime.withdraw(ctx, i, Withdraw())
    i2 = await h.submit("carol")
    async with h.tx("carol") as ctx:
        await runtime.withdraw(ctx, i2, Withdraw(comment="not needed"))
    assert await h.status(i2) == "withdrawn"


async def test_acting_twice_is_a_conflict(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager())))
    i = await h.submit("carol")
    task = (await h.pending(i))["dan"]
    async with h.tx("dan") as ctx:
        await runtime.approve(ctx, task, TaskAction())
    async with h.tx("dan") as ctx:
        with pytest.raises(Conflict):
            await runtime.approve(ctx, task, TaskAction())
    async with h.tx("emma") as ctx:
        with pytest.raises((Forbidden, Conflict)):
            await runtime.approve(ctx, task, TaskAction())
