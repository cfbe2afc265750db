"""Two people acting on one approval at the same moment: exactly one wins where only one can,
the other gets a clean 409 (never a 500, never an IntegrityError, never both); where both can
(a countersign, a comment beside an approval) both do, and nothing is lost.

Each move runs in its own transaction, all started together with `asyncio.gather`. On PostgreSQL
they really overlap: every transaction has begun (a barrier waits for all) before any of them
acts. SQLite has one writer, so there they queue; the loser then finds the task already done.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tack.auth import sessions
from tack.core.ctx import Ctx
from tack.core.errors import Conflict
from tack.core.events import Event
from tack.core.ids import new_id
from tack.directory.tables import members
from tack.directory.users import find_user_by_email
from tack.flows import model as m
from tack.flows import runtime
from tack.flows.jobs import member_deactivated, task_timed_out
from tack.flows.models import InstanceComment, ReturnAction, TaskAction, Withdraw
from tack.flows.tables import flow_events
from tack.runtime import Runtime
from tests.flows.harness import Harness, approver, flow
from tests.flows.test_properties import verified

Move = tuple[str | None, Callable[[Ctx], Awaitable[Any]]]  # who (None: the system), what


@pytest.fixture
async def h(rt: Runtime, demo: dict[str, Any]) -> Harness:
    return Harness(rt, demo)


async def race(h: Harness, *moves: Move) -> list[BaseException | None]:
    """Run every move in its own transaction at the same moment; each result is None (it
    committed) or the exception it raised."""
    barrier = asyncio.Barrier(len(moves)) if h.rt.db.is_postgres else None

    async def one(who: str | None, act: Callable[[Ctx], Awaitable[Any]]) -> BaseException | None:
        try:
            async with h.tx(who) as ctx:
                if barrier is not None:  # every transaction is open before anyone acts
                    await ctx.conn.execute(sa.text("SELECT 1"))
                    await barrier.wait()
                await act(ctx)
        except Exception as exc:  # noqa: BLE001 - the caller judges every outcome
            return exc
        return None

    return list(await asyncio.gather(*(one(who, act) for who, act in moves)))


def assert_clean(results: list[BaseException | None], *, winners: int | None) -> None:
    for r in results:
        assert r is None or type(r) is Conflict, repr(r)
    if winners is not None:
        assert sum(r is None for r in results) == winners, results


async def log_types(h: Harness, i: uuid.UUID) -> list[str]:
    async with h.tx(None) as ctx:
        return list((await ctx.conn.execute(sa.select(flow_events.c.type).where(
            flow_events.c.org_id == h.org_id, flow_events.c.instance_id == i).order_by(flow_events.c.seq))).scalars())


def move(h: Harness, what: str, i: uuid.UUID, tasks: dict[str, uuid.UUID]) -> Move:
    verb, who = what.split(":")
    acts: dict[str, Callable[[Ctx], Awaitable[Any]]] = {
        "approve": lambda ctx: runtime.approve(ctx, tasks[who], TaskAction(comment="yes")),
        "reject": lambda ctx: runtime.reject(ctx, tasks[who], TaskAction(comment="no")),
        "return": lambda ctx: runtime.send_back(ctx, tasks[who], ReturnAction(to="initiator", comment="fix")),
        "withdraw": lambda ctx: runtime.withdraw(ctx, i, Withdraw()),
        "comment": lambda ctx: runtime.comment(ctx, i, InstanceComment(text="hello")),
    }
    return who, acts[verb]


# Moves on an or-sign step (Jack or Kate) that is the request's last: whichever lands first ends
# the request or takes it away from the other, so exactly one may succeed.
EXCLUSIVE = [
    ("approve:jack", "approve:kate"),
    ("approve:jack", "approve:jack"),  # a double click
    ("approve:jack", "reject:kate"),
    ("reject:jack", "reject:kate"),
    ("approve:jack", "withdraw:carol"),
    ("reject:jack", "withdraw:carol"),
    ("approve:jack", "return:kate"),
    ("return:jack", "return:kate"),
]


@pytest.mark.parametrize("first,second", EXCLUSIVE, ids=[f"{a}-{b}" for a, b in EXCLUSIVE])
async def test_exactly_one_of_two_wins(h: Harness, first: str, second: str) -> None:
    await h.setup(flow(approver("n_fin", m.Members(member_ids=[h.ids["jack"], h.ids["kate"]]))))
    i = await h.submit("carol")
    tasks = await h.pending(i)
    results = await race(h, move(h, first, i, tasks), move(h, second, i, tasks))
    assert_clean(results, winners=1)
    won = first if results[0] is None else second
    expected = {"approve": "approved", "reject": "rejected", "withdraw": "withdrawn", "return": "running"}
    assert await h.status(i) == expected[won.split(":")[0]]
    types = await log_types(h, i)
    assert sum(t in ("approved", "rejected", "withdrawn", "returned") for t in types) == 1, types
    await verified(h, i)


async def test_five_people_on_one_or_sign_step(h: Harness) -> None:
    people = ["jack", "kate", "leo", "mia", "emma"]
    await h.setup(flow(approver("n_any", m.Members(member_ids=[h.ids[p] for p in people])),
                       approver("n_ceo", m.Members(member_ids=[h.ids["alice"]]))))
    i = await h.submit("carol")
    tasks = await h.pending(i)
    results = await race(h, *(move(h, f"approve:{p}", i, tasks) for p in people))
    assert_clean(results, winners=1)
    assert list(await h.pending(i)) == ["alice"]
    assert (await log_types(h, i)).count("approved") == 1
    await verified(h, i)


async def test_countersigners_at_the_same_moment_all_count(h: Harness) -> None:
    """Nobody's approval is lost to a false conflict: everyone of a countersign step approving
    at once all succeed, and the step completes once."""
    people = ["jack", "kate", "leo"]
    await h.setup(flow(approver("n_all", m.Members(member_ids=[h.ids[p] for p in people]), mode="all")))
    i = await h.submit("carol")
    tasks = await h.pending(i)
    results = await race(h, *(move(h, f"approve:{p}", i, tasks) for p in people),
                         move(h, "comment:carol", i, tasks))
    assert_clean(results, winners=4)
    assert await h.status(i) == "approved"
    types = await log_types(h, i)
    assert types.count("approved") == 3 and types.count("node_completed") == 1 and types.count("finished") == 1
    await verified(h, i)


async def test_different_requests_do_not_block_each_other(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager())))
    started = [await h.submit(p) for p in ("carol", "carol", "frank", "henry", "carol")]
    managers = {"carol": "dan", "frank": "emma", "henry": "grace"}
    moves = []
    for i, who in zip(started, ("carol", "carol", "frank", "henry", "carol"), strict=True):
        moves.append(move(h, f"approve:{managers[who]}", i, await h.pending(i)))
    assert_clean(await race(h, *moves), winners=5)
    for i in started:
        assert await h.status(i) == "approved"


async def test_a_timeout_firing_as_the_approver_approves(h: Harness) -> None:
    """The timer and the person race: the task is approved once, by whichever came first."""
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=m.Timeout(after=1, action="auto_approve")),
                       approver("n_ceo", m.Members(member_ids=[h.ids["alice"]]))))
    i = await h.submit("carol")
    tasks = await h.pending(i)
    fire = (None, lambda ctx: task_timed_out(ctx, {"instance_id": str(i), "task_id": str(tasks["dan"])}))
    assert_clean(await race(h, move(h, "approve:dan", i, tasks), fire), winners=None)
    assert list(await h.pending(i)) == ["alice"]
    assert (await log_types(h, i)).count("approved") == 1
    await verified(h, i)


async def test_a_deactivation_landing_as_the_member_approves(h: Harness) -> None:
    """Dan approves just as an admin deactivates him: his task is either approved by him or passed
    on by the deactivation, never both."""
    await h.setup(flow(approver("n_mgr", m.Manager()), approver("n_ceo", m.Members(member_ids=[h.ids["alice"]]))))
    i = await h.submit("carol")
    tasks = await h.pending(i)
    async with h.tx(None) as ctx:
        await ctx.conn.execute(members.update().where(members.c.org_id == h.org_id, members.c.id == h.ids["dan"])
                               .values(status="inactive"))
    ev = Event(id=new_id(), org_id=h.org_id, type="member.deactivated", subject=str(h.ids["dan"]),
               time=h.rt.clock.now(), data={"id": str(h.ids["dan"])})
    results = await race(h, move(h, "approve:dan", i, tasks), (None, lambda ctx: member_deactivated(ctx, ev)))
    assert_clean(results, winners=None)
    assert list(await h.pending(i)) == ["alice"]
    types = await log_types(h, i)
    assert types.count("approved") + types.count("task_passed") == 1, types
    await verified(h, i)


# --- over HTTP ----------------------------------------------------------------------------------

async def signed_in(rt: Runtime, app: Any, email: str) -> httpx.AsyncClient:
    """A browser of its own (its own cookie jar) on the same app, signed in as `email`."""
    async with rt.db.transaction() as conn:
        user = await find_user_by_email(conn, email)
        assert user is not None
        value, csrf = await sessions.create_session(conn, rt.clock, user["id"], days=1)
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local",
                          headers={"X-CSRF-Token": csrf})
    c.cookies.set(sessions.COOKIE, value)
    return c


async def test_two_browsers_approve_at_once(h: Harness, client: Any) -> None:
    await h.setup(flow(approver("n_fin", m.Members(member_ids=[h.ids["jack"], h.ids["kate"]]))))
    i = await h.submit("carol")
    tasks = await h.pending(i)
    jack = await signed_in(h.rt, client.app, "jack@example.com")
    kate = await signed_in(h.rt, client.app, "kate@example.com")
    base = f"/api/v1/orgs/{h.org_id}"
    try:
        answers = await asyncio.gather(
            jack.post(f"{base}/tasks/{tasks['jack']}/approve", json={"comment": "yes"}),
            kate.post(f"{base}/tasks/{tasks['kate']}/reject", json={"comment": "no"}))
    finally:
        await jack.aclose()
        await kate.aclose()
    codes = sorted(r.status_code for r in answers)
    assert codes == [200, 409], [(r.status_code, r.text) for r in answers]
    loser = next(r for r in answers if r.status_code == 409)
    assert loser.headers["content-type"].startswith("application/problem+json")
    assert loser.json()["status"] == 409
    assert await h.status(i) in ("approved", "rejected")
    await verified(h, i)
