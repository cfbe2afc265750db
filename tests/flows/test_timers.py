"""Flow timers on a frozen clock: task timeouts (natural and working time) and what they do,
reminders before them, overall deadlines, and firing exactly once at the due time.

Demo org chart: carol -> dan -> bob -> alice; the org's time zone is Asia/Shanghai and its
default calendar Monday to Friday, 09:00-18:00 with a lunch break 12:00-13:00.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tack.core.clock import FrozenClock
from tack.core.jobs import JobRunner
from tack.core.tables import jobs, outbox
from tack.flows import model as m
from tack.flows.calendar import SpecialDay, WorkCalendarIn
from tack.flows.calendar_service import put_calendar
from tack.flows.instances import timeline
from tack.flows.runtime import TIMEOUT_JOB
from tack.flows.tables import flow_events
from tests.conftest import frozen_now
from tests.flows.harness import Harness, approver, flow

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday, 09:00 in Shanghai.
MONDAY_9 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI).astimezone(dt.UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return frozen_now()


@pytest.fixture
async def h(rt: Any, demo: dict[str, Any], clock: FrozenClock) -> Harness:
    clock.set(MONDAY_9)
    return Harness(rt, demo)


def runner(h: Harness, name: str = "w1") -> JobRunner:
    return JobRunner(h.rt.db, h.rt.clock, name=name)


async def run_at(h: Harness, clock: FrozenClock, at: dt.datetime) -> int:
    clock.set(at)
    return await runner(h).drain()


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(dt.UTC)


async def events(h: Harness, instance_id: uuid.UUID, type_: str | None = None) -> list[dict[str, Any]]:
    async with h.tx(None) as ctx:
        q = sa.select(flow_events).where(flow_events.c.org_id == h.org_id, flow_events.c.instance_id == instance_id)
        if type_:
            q = q.where(flow_events.c.type == type_)
        return [dict(r) for r in (await ctx.conn.execute(q.order_by(flow_events.c.seq))).mappings().all()]


async def outbox_of(h: Harness, type_: str) -> list[dict[str, Any]]:
    async with h.tx(None) as ctx:
        rows = (await ctx.conn.execute(sa.select(outbox.c.data).where(
            outbox.c.org_id == h.org_id, outbox.c.type == type_).order_by(outbox.c.id))).scalars().all()
    return list(rows)


async def timer_jobs(h: Harness, task_id: uuid.UUID) -> list[tuple[str, str, dt.datetime]]:
    """(dedupe key, state, due) of the task's timers."""
    async with h.tx(None) as ctx:
        rows = (await ctx.conn.execute(sa.select(jobs.c.dedupe_key, jobs.c.state, jobs.c.due_at).where(
            jobs.c.org_id == h.org_id, jobs.c.dedupe_key.like(f"flowtask:{task_id}:%")).order_by(jobs.c.due_at))).all()
    return [tuple(r) for r in rows]


def timed(action: str, after: float = 4, unit: str = "hours", **kw: Any) -> m.Timeout:
    return m.Timeout(after=after, unit=unit, action=action, **kw)  # type: ignore[arg-type]


# --- what a timeout does --------------------------------------------------------------------------

async def test_auto_approve_fires_at_the_due_time_not_before(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("auto_approve")),
                       approver("n_two", m.Manager(level=2))))
    i = await h.submit("carol")
    task = (await h.pending(i))["dan"]
    [(key, state, due)] = await timer_jobs(h, task)
    assert key == f"flowtask:{task}:timeout" and state == "pending" and due == MONDAY_9 + dt.timedelta(hours=4)
    assert await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=3, minutes=59)) == 0, "not due yet"
    assert list(await h.pending(i)) == ["dan"]
    assert await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=4)) == 1
    assert list(await h.pending(i)) == ["bob"], "approved by the system; the flow went on"
    states = await h.task_states(i)
    assert ("n_mgr", "dan", "approved") in states
    [ev] = await events(h, i, "timed_out")
    assert ev["data"]["action"] == "auto_approve" and ev["actor_id"] is None
    [approved] = await events(h, i, "approved")
    assert approved["actor_name"] == "Tack" and approved["data"]["system"] is True
    async with h.tx("carol") as ctx:
        tl = await timeline(ctx, i)
    assert [e.type for e in tl.items].count("timed_out") == 1
    assert [d["action"] for d in await outbox_of(h, "flow.task.timed_out")] == ["auto_approve"]


async def test_auto_reject(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("auto_reject", 30, "minutes"))))
    i = await h.submit("carol")
    await run_at(h, clock, MONDAY_9 + dt.timedelta(minutes=30))
    assert await h.status(i) == "rejected"
    assert ("n_mgr", "dan", "rejected") in await h.task_states(i)
    assert (await events(h, i, "finished"))[0]["data"] == {"status": "rejected"}


async def test_escalate_to_the_assignees_manager(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("escalate", 2))))
    i = await h.submit("carol")
    await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=2))
    assert list(await h.pending(i)) == ["bob"], "dan's manager"
    assert ("n_mgr", "dan", "transferred") in await h.task_states(i)
    [tr] = await events(h, i, "transferred")
    assert tr["data"]["reason"] == "timeout_escalate" and tr["actor_id"] is None
    # bob's new task has its own clock: he too is escalated when he sits on it
    await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=4))
    assert list(await h.pending(i)) == ["alice"]
    await h.act("alice", i)
    assert await h.status(i) == "approved"


async def test_transfer_to_a_named_member(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("transfer", 1, transfer_to=h.ids["leo"]))))
    i = await h.submit("carol")
    await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=1))
    assert list(await h.pending(i)) == ["leo"]
    [tr] = await events(h, i, "transferred")
    assert tr["data"]["reason"] == "timeout_transfer"


async def test_none_only_marks_it_overdue(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("none", 1))))
    i = await h.submit("carol")
    await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=2))
    assert list(await h.pending(i)) == ["dan"] and await h.status(i) == "running"
    [ev] = await events(h, i, "timed_out")
    assert ev["data"]["action"] == "none"
    async with h.tx(None) as ctx:
        from tack.flows.runtime import load

        run = await load(ctx, i, lock=False)
    assert [t["overdue"] for t in run.state["tasks"].values()] == [True]
    await h.act("dan", i)  # still approvable
    assert await h.status(i) == "approved"


# --- working time -------------------------------------------------------------------------------

async def test_working_hours_skip_the_lunch_break(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("auto_approve", 4, "working_hours"))))
    i = await h.submit("carol")  # Monday 09:00: 09-12 and 13-14
    task = (await h.pending(i))["dan"]
    assert (await timer_jobs(h, task))[0][2] == local("2026-03-02 14:00")
    assert await run_at(h, clock, local("2026-03-02 13:59")) == 0
    assert await h.status(i) == "running"
    await run_at(h, clock, local("2026-03-02 14:00"))
    assert await h.status(i) == "approved"


async def test_working_days_skip_a_holiday_set_in_the_calendar(h: Harness, clock: FrozenClock) -> None:
    async with h.tx("alice") as ctx:
        await put_calendar(ctx, WorkCalendarIn(days=[SpecialDay(day=dt.date(2026, 3, 3), kind="holiday",
                                                                name="Day off")]))
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("auto_reject", 1, "working_days"))))
    clock.set(local("2026-03-02 10:00"))
    i = await h.submit("carol")
    task = (await h.pending(i))["dan"]
    assert (await timer_jobs(h, task))[0][2] == local("2026-03-04 10:00"), "Tuesday is a holiday"
    assert await run_at(h, clock, local("2026-03-03 10:00")) == 0
    assert await run_at(h, clock, local("2026-03-04 09:59")) == 0
    assert await h.status(i) == "running"
    await run_at(h, clock, local("2026-03-04 10:00"))
    assert await h.status(i) == "rejected"


# --- reminders ----------------------------------------------------------------------------------

async def test_reminders_come_before_the_timeout(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("none", 6, reminders=2))))
    i = await h.submit("carol")
    task = (await h.pending(i))["dan"]
    dues = [d for _k, _s, d in await timer_jobs(h, task)]
    assert dues == [MONDAY_9 + dt.timedelta(hours=n) for n in (2, 4, 6)], "spread evenly before the timeout"
    await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=2))
    assert [e["data"]["n"] for e in await events(h, i, "reminded")] == [1]
    await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=5))
    assert [e["data"]["n"] for e in await events(h, i, "reminded")] == [1, 2]
    assert await events(h, i, "timed_out") == []
    await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=6))
    assert len(await events(h, i, "timed_out")) == 1
    reminders = await outbox_of(h, "flow.task.reminder")
    assert [(d["task_id"], d["assignee_id"]) for d in reminders] == [(str(task), str(h.ids["dan"]))] * 2


async def test_done_in_time_cancels_the_timers(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("auto_reject", 4, reminders=1))))
    i = await h.submit("carol")
    task = (await h.pending(i))["dan"]
    assert len(await timer_jobs(h, task)) == 2
    clock.set(MONDAY_9 + dt.timedelta(hours=1))
    await h.act("dan", i)
    assert await h.status(i) == "approved"
    assert await timer_jobs(h, task) == [], "the timeout and its reminder were cancelled"
    assert await run_at(h, clock, MONDAY_9 + dt.timedelta(days=2)) == 0
    assert await h.status(i) == "approved"
    assert await events(h, i, "timed_out") == [] and await events(h, i, "reminded") == []


async def test_a_timer_whose_task_is_gone_does_nothing(h: Harness, clock: FrozenClock) -> None:
    """Even a timer that escaped cancelling (a crash between the two) is harmless."""
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("auto_reject", 1))))
    i = await h.submit("carol")
    task = (await h.pending(i))["dan"]
    await h.act("dan", i)
    from tack.core.jobs import enqueue

    async with h.tx(None) as ctx:
        await enqueue(ctx, TIMEOUT_JOB, {"instance_id": str(i), "task_id": str(task)},
                      due_at=MONDAY_9 + dt.timedelta(hours=1))
    seq = len(await events(h, i))
    assert await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=1)) == 1
    assert len(await events(h, i)) == seq and await h.status(i) == "approved"


# --- firing once --------------------------------------------------------------------------------

async def test_running_twice_fires_once(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("escalate", 1))))
    i = await h.submit("carol")
    clock.set(MONDAY_9 + dt.timedelta(hours=1))
    assert await runner(h, "a").run_due() == 1
    assert await runner(h, "b").run_due() == 0
    assert await runner(h, "a").drain() == 0
    assert len(await events(h, i, "timed_out")) == 1 and list(await h.pending(i)) == ["bob"]


async def test_a_second_claim_after_the_lease_ran_out_does_not_double_it(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("escalate", 1))))
    i = await h.submit("carol")
    clock.set(MONDAY_9 + dt.timedelta(hours=1))
    slow, fast = runner(h, "slow"), runner(h, "fast")
    [row] = await slow.claim()  # claimed, then the worker stalls past its lease
    clock.advance(minutes=6)
    [again] = await fast.claim()
    assert again["id"] == row["id"]
    assert await fast.run_one(again) is True
    assert await slow.run_one(row) is False, "the lease is someone else's now"
    assert len(await events(h, i, "timed_out")) == 1
    assert list(await h.pending(i)) == ["bob"]
    # and the handler itself is idempotent: a redelivery finds the task no longer pending
    from tack.flows.jobs import task_timed_out

    async with h.tx(None) as ctx:
        await task_timed_out(ctx, row["payload"])
    assert len(await events(h, i, "timed_out")) == 1 and list(await h.pending(i)) == ["bob"]


# --- overall deadline ---------------------------------------------------------------------------

async def test_deadline_notifies_who_has_it(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager()), deadline=m.Deadline(after=2, unit="days")))
    i = await h.submit("carol")
    assert await run_at(h, clock, MONDAY_9 + dt.timedelta(days=2) - dt.timedelta(seconds=1)) == 0
    await run_at(h, clock, MONDAY_9 + dt.timedelta(days=2))
    assert await h.status(i) == "running"
    [ev] = await events(h, i, "deadline_passed")
    assert ev["data"] == {"action": "notify"}
    urged = [d for d in await outbox_of(h, "flow.urged") if d.get("deadline")]
    assert [d["member_ids"] for d in urged] == [[str(h.ids["dan"])]]


async def test_deadline_auto_rejects(h: Harness, clock: FrozenClock) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager()), approver("n_two", m.Manager(level=2)),
                       deadline=m.Deadline(after=3, unit="hours", action="auto_reject")))
    i = await h.submit("carol")
    await h.act("dan", i)
    await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=3))
    assert await h.status(i) == "rejected"
    assert await h.pending(i) == {}
    # a request finished before its deadline is left alone
    clock.set(MONDAY_9 + dt.timedelta(hours=4))
    j = await h.submit("carol")
    await h.act("dan", j)
    await h.act("bob", j)
    await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=8))
    assert await h.status(j) == "approved" and await events(h, j, "deadline_passed") == []


async def test_a_transfer_restarts_the_clock_for_the_new_assignee(h: Harness, clock: FrozenClock) -> None:
    from tack.flows.models import AddSignAction, TransferAction

    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("auto_approve", 4)),
                       approver("n_two", m.Manager(level=2))))
    i = await h.submit("carol")
    dan_task = (await h.pending(i))["dan"]
    clock.set(MONDAY_9 + dt.timedelta(hours=3))
    await h.act("dan", i, "transfer", TransferAction(to=h.ids["emma"]))
    assert await timer_jobs(h, dan_task) == [], "dan's timer went with his task"
    assert await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=4)) == 0
    assert list(await h.pending(i)) == ["emma"]
    # emma adds jack before her: her own task waits; jack's runs on its own clock
    clock.set(MONDAY_9 + dt.timedelta(hours=5))
    await h.act("emma", i, "add_sign", AddSignAction(position="before", member_ids=[h.ids["jack"]]))
    assert await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=7)) == 1  # emma's timer: she is waiting, nothing
    assert list(await h.pending(i)) == ["jack"] and await events(h, i, "timed_out") == []
    await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=9))  # jack's: approved for him
    assert list(await h.pending(i)) == ["emma"], "back to emma, with a fresh clock"
    [ev] = await events(h, i, "timed_out")
    assert ev["data"]["task"] != str(dan_task)
    assert await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=12, minutes=59)) == 0
    await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=13))
    assert list(await h.pending(i)) == ["bob"]


async def test_escalation_of_a_delegated_task_goes_to_the_members_manager(h: Harness, clock: FrozenClock) -> None:
    from tack.flows.delegations import create_delegation
    from tack.flows.models import DelegationCreate

    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("escalate", 2))))
    async with h.tx("dan") as ctx:  # dan is away: leo (HR, under alice) stands in
        await create_delegation(ctx, DelegationCreate(delegate_id=h.ids["leo"], starts_at=MONDAY_9,
                                                      ends_at=MONDAY_9 + dt.timedelta(days=5)))
    i = await h.submit("carol")
    assert list(await h.pending(i)) == ["leo"]
    await run_at(h, clock, MONDAY_9 + dt.timedelta(hours=2))
    assert list(await h.pending(i)) == ["bob"], "dan's manager, not the delegate's"


async def test_a_task_shows_when_it_falls_due(h: Harness) -> None:
    await h.setup(flow(approver("n_mgr", m.Manager(), timeout=timed("none", 4))))
    i = await h.submit("carol")
    view = await h.view("dan", i)
    assert view.my_tasks[0].due_at == MONDAY_9 + dt.timedelta(hours=4)
