"""Approval-flow events reach the notification center through the `notify-flows` consumer, once
however often they are delivered."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import sqlalchemy as sa

import tack.notifications.consumers  # noqa: F401 - registers notify-flows
from tack.core.bus import MemoryBus
from tack.core.consumers import consumers, process_once
from tack.core.events import Event, emit
from tack.core.relay import relay_once
from tack.core.tables import outbox, processed_events
from tack.notifications.tables import notifications
from tack.runtime import Runtime
from tests.directory.conftest import system_ctx

INSTANCE = uuid.UUID("01900000-0000-7000-8000-000000000001")


def member(demo: dict[str, Any], name: str) -> str:
    return str(demo["members"][f"{name}@example.com"])


def assigned(demo: dict[str, Any], assignee: str, kind: str = "approve") -> dict[str, Any]:
    return {"task_id": str(uuid.uuid4()), "instance_id": str(INSTANCE), "assignee_id": member(demo, assignee),
            "node_id": "n_manager", "node_name": "Manager", "kind": kind, "form_id": str(uuid.uuid4()),
            "app_id": str(uuid.uuid4()), "title": "Leave request", "initiator_id": member(demo, "carol"),
            "initiator_name": "Carol Wang"}


async def emit_event(rt: Runtime, demo: dict[str, Any], type: str, data: dict[str, Any]) -> Event:
    async with system_ctx(rt, demo["org_id"]) as ctx:
        return await emit(ctx, type, str(INSTANCE), data)


async def rows(rt: Runtime) -> list[dict[str, Any]]:
    async with rt.db.transaction(write=False) as conn:
        return [dict(r) for r in (await conn.execute(sa.select(notifications).order_by(
            notifications.c.member_id, notifications.c.kind))).mappings()]


async def test_an_assigned_task_notifies_its_assignee_once(rt: Runtime, demo: dict[str, Any]) -> None:
    c = consumers.get("notify-flows")
    bus = MemoryBus()
    delivered: list[uuid.UUID] = []

    async def deliver(ev: Event) -> None:
        await process_once(rt.db, rt.clock, c, ev)
        delivered.append(ev.id)

    await bus.consume("notify-flows", deliver)
    async with rt.db.transaction() as conn:  # the demo's own events are not this test's business
        await conn.execute(outbox.update().values(published_at=rt.clock.now()))
    ev = await emit_event(rt, demo, "flow.task.assigned", assigned(demo, "dan"))
    assert await relay_once(rt.db, bus, rt.clock) == 1
    # delivered again: the relay crashed after publishing, before marking it published
    async with rt.db.transaction() as conn:
        await conn.execute(outbox.update().where(outbox.c.id == ev.id).values(published_at=None))
    assert await relay_once(rt.db, bus, rt.clock) == 1
    for _ in range(100):
        if len(delivered) == 2:
            break
        await asyncio.sleep(0.01)
    assert delivered == [ev.id, ev.id]
    await bus.close()

    # and once more after the consumer's receipt was purged: the table's own key still holds
    async with rt.db.transaction() as conn:
        await conn.execute(processed_events.delete())
    assert await process_once(rt.db, rt.clock, c, ev) is True

    [n] = await rows(rt)
    assert n["member_id"] == uuid.UUID(member(demo, "dan")) and n["kind"] == "flow.task_assigned"
    assert n["title"] == "Carol Wang's Leave request needs your approval"
    assert n["body"] == "Step: Manager"
    assert n["link"] == f"/approvals/{INSTANCE}" and n["subject"] == str(INSTANCE)
    assert n["source_event_id"] == ev.id and n["read_at"] is None


async def test_each_flow_event_tells_the_right_people(rt: Runtime, demo: dict[str, Any]) -> None:
    c = consumers.get("notify-flows")
    by = {"by_id": member(demo, "alice"), "by_name": "Alice Chen"}
    events = [
        ("flow.task.assigned", assigned(demo, "emma", kind="handle")),
        ("flow.task.assigned", assigned(demo, "carol", kind="resubmit")),
        ("flow.instance.finished", {"instance_id": str(INSTANCE), "status": "approved", "title": "Leave request",
                                    "initiator_id": member(demo, "carol")}),
        ("flow.instance.finished", {"instance_id": str(INSTANCE), "status": "withdrawn", "title": "Leave request",
                                    "initiator_id": member(demo, "carol")}),
        ("flow.urged", {"instance_id": str(INSTANCE), "member_ids": [member(demo, "dan"), member(demo, "bob")],
                        "title": "Leave request", **by}),
        ("flow.commented", {"instance_id": str(INSTANCE), "mentions": [member(demo, "bob"), member(demo, "alice")],
                            "text": "Please check the dates", "title": "Leave request", **by}),
        ("flow.cc", {"instance_id": str(INSTANCE), "member_ids": [member(demo, "wang.fang")], "title": "请假",
                     **by}),
        ("flow.task.reminder", {"task_id": str(uuid.uuid4()), "instance_id": str(INSTANCE),
                                "assignee_id": member(demo, "dan"), "title": "Leave request"}),
        ("flow.urged", {"instance_id": "not-an-id", "member_ids": [member(demo, "dan")], "title": "x"}),
        ("flow.cc", {"instance_id": str(INSTANCE), "title": "no member_ids"}),
    ]
    for type, data in events:
        ev = await emit_event(rt, demo, type, data)
        await process_once(rt.db, rt.clock, c, ev)  # malformed events are skipped, not retried forever
    names = {uuid.UUID(v): k.split("@")[0] for k, v in demo["members"].items()}
    got = sorted((names[n["member_id"]], n["kind"], n["title"], n["body"]) for n in await rows(rt))
    assert got == [
        ("bob", "flow.mentioned", "Alice Chen mentioned you on Leave request", "Please check the dates"),
        ("bob", "flow.urged", "Alice Chen is waiting for you: Leave request", ""),
        ("carol", "flow.approved", "Your Leave request was approved", ""),
        ("carol", "flow.returned", "Your request was returned to you: Leave request", "Step: Manager"),
        ("dan", "flow.reminder", "Reminder: Leave request is waiting for you", ""),
        ("dan", "flow.urged", "Alice Chen is waiting for you: Leave request", ""),
        ("emma", "flow.task_assigned", "Carol Wang's Leave request needs you to handle it", "Step: Manager"),
        ("wang.fang", "flow.cc", "Alice Chen抄送给您：请假", ""),  # in her own language
    ]

