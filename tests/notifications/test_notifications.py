"""The notification center: members are told things, read only their own, and mark them read;
an event's notification is written once however often it is delivered."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from tack.core.ctx import Actor, Ctx
from tack.core.errors import Forbidden, ValidationFailed
from tack.directory.tables import members
from tack.notifications import service
from tack.notifications.models import MarkRead
from tack.notifications.tables import notifications
from tack.runtime import Runtime
from tests.access.helpers import Org
from tests.api.helpers import make_token
from tests.directory.conftest import system_ctx


def member(demo: dict[str, Any], name: str) -> uuid.UUID:
    return uuid.UUID(demo["members"][f"{name}@example.com"])


async def tell(rt: Runtime, demo: dict[str, Any], names: list[str], n: int = 1, *,
               event: uuid.UUID | None = None, kind: str = "flow.task_assigned") -> list[uuid.UUID]:
    told: list[uuid.UUID] = []
    async with system_ctx(rt, demo["org_id"]) as ctx:
        for i in range(n):
            told += await service.notify(ctx, [member(demo, x) for x in names], kind=kind, title=f"Leave request {i}",
                                         body="Step: Manager", link=f"/approvals/{uuid.UUID(int=i)}",
                                         subject=str(uuid.UUID(int=i)), source_event_id=event)
    return told


async def test_notify_list_and_mark_read(client: AsyncTestClient[Any], rt: Runtime, demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    assert await tell(rt, demo, ["carol", "frank", "carol"], 3) == [member(demo, "carol"), member(demo, "frank")] * 3
    carol = await org.as_("carol")
    r = await carol.get(f"{org.base}/notifications")
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["unread"] == 3 and page["next_cursor"] is None
    assert [n["title"] for n in page["items"]] == ["Leave request 2", "Leave request 1", "Leave request 0"]
    first = page["items"][0]
    assert first["kind"] == "flow.task_assigned" and first["link"] == f"/approvals/{uuid.UUID(int=2)}"
    assert first["body"] == "Step: Manager" and first["read_at"] is None
    assert (await carol.get(f"{org.base}/notifications/unread-count")).json() == {"unread": 3}

    r = await carol.post(f"{org.base}/notifications/read", {"ids": [first["id"]]})
    assert r.status_code == 200, r.text
    assert r.json() == {"marked": 1, "unread": 2}
    assert (await carol.post(f"{org.base}/notifications/read", {"ids": [first["id"]]})).json() == {
        "marked": 0, "unread": 2}, "marking again changes nothing"
    unread = (await carol.get(f"{org.base}/notifications", params={"unread": "true"})).json()
    assert [n["title"] for n in unread["items"]] == ["Leave request 1", "Leave request 0"]
    everything = (await carol.get(f"{org.base}/notifications")).json()
    assert everything["items"][0]["read_at"] is not None and everything["unread"] == 2

    assert (await carol.post(f"{org.base}/notifications/read", {"all": True})).json() == {"marked": 2, "unread": 0}
    assert (await carol.get(f"{org.base}/notifications", params={"unread": "true"})).json()["items"] == []
    frank = await org.as_("frank")
    assert (await frank.get(f"{org.base}/notifications")).json()["unread"] == 3, "frank's are his own"


async def test_nobody_sees_or_marks_anyone_elses(client: AsyncTestClient[Any], rt: Runtime,
                                                 demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    await tell(rt, demo, ["carol"], 2)
    carol = await org.as_("carol")
    ids = [n["id"] for n in (await carol.get(f"{org.base}/notifications")).json()["items"]]
    for name in ("frank", "alice"):  # alice owns the organization: still not hers to read
        other = await org.as_(name)
        page = (await other.get(f"{org.base}/notifications")).json()
        assert page == {"items": [], "next_cursor": None, "unread": 0}
        assert (await other.post(f"{org.base}/notifications/read", {"ids": ids})).json() == {"marked": 0, "unread": 0}
        assert (await other.post(f"{org.base}/notifications/read", {"all": True})).json()["marked"] == 0
    assert (await (await org.as_("carol")).get(f"{org.base}/notifications")).json()["unread"] == 2

    # an organization token is nobody: it has no notifications
    token = await make_token(await org.as_("alice"), org.id, kind="organization", scopes=["org:read"])
    client.cookies.clear()
    r = await client.get(f"{org.base}/notifications", headers={"Authorization": f"Bearer {token['token']}"})
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_bad_requests_get_clear_answers(client: AsyncTestClient[Any], rt: Runtime,
                                              demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    carol = await org.as_("carol")
    for body in ({}, {"ids": [], "all": True}, {"all": False}):
        r = await carol.post(f"{org.base}/notifications/read", body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["errors"][0]["path"] == "$.ids"
    assert (await carol.post(f"{org.base}/notifications/read", {"ids": ["nope"]})).status_code == 400
    assert (await carol.post(f"{org.base}/notifications/read", {"ids": [], "x": 1})).status_code == 400
    r = await carol.get(f"{org.base}/notifications", params={"cursor": "garbage"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "cursor"
    assert (await carol.get(f"{org.base}/notifications", params={"limit": 0})).status_code == 400


async def test_pages_follow_the_cursor(client: AsyncTestClient[Any], rt: Runtime, demo: dict[str, Any]) -> None:
    org = Org(client, demo)
    await tell(rt, demo, ["carol"], 7)  # the same clock second: the id breaks the tie
    carol = await org.as_("carol")
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = (await carol.get(f"{org.base}/notifications", params={"limit": 3, **({"cursor": cursor} if cursor else {})})
                ).json()
        seen += [n["title"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Leave request {i}" for i in range(6, -1, -1)]


async def test_duplicates_inactive_and_strangers_are_skipped(rt: Runtime, demo: dict[str, Any]) -> None:
    event = uuid.uuid4()
    assert await tell(rt, demo, ["carol", "frank"], event=event) == [member(demo, "carol"), member(demo, "frank")]
    assert await tell(rt, demo, ["carol", "frank"], event=event) == [], "the same event notifies once"
    assert await tell(rt, demo, ["carol"], event=event, kind="flow.cc") == [member(demo, "carol")], \
        "another kind of notification about the same event is another notification"
    async with system_ctx(rt, demo["org_id"]) as ctx:
        await ctx.conn.execute(members.update().where(members.c.id == member(demo, "frank")).values(status="inactive"))
        told = await service.notify(ctx, [member(demo, "frank"), uuid.uuid4(), member(demo, "dan")],
                                    kind="flow.cc", title="x" * 500, link="/approvals/1")
        assert told == [member(demo, "dan")], "inactive members and strangers are not told"
        title = (await ctx.conn.execute(sa.select(notifications.c.title).where(
            notifications.c.member_id == member(demo, "dan")))).scalar_one()
        assert len(title) == 200 and title.endswith("…")
        with pytest.raises(ValidationFailed):
            await service.notify(ctx, [member(demo, "dan")], kind="flow.cc", title="x", link="https://evil.example")
        assert await service.notify(ctx, [], kind="flow.cc", title="x", link="/x") == []
        n = (await ctx.conn.execute(sa.select(sa.func.count()).select_from(notifications))).scalar_one()
    assert n == 4


async def test_other_organizations_never_mix(rt: Runtime, demo: dict[str, Any]) -> None:
    """A member id given in the wrong organization tells nobody."""
    other_org = uuid.uuid4()
    async with rt.db.transaction() as conn:
        ctx = Ctx(org_id=other_org, actor=Actor.system(), conn=conn, clock=rt.clock)
        assert await service.notify(ctx, [member(demo, "carol")], kind="flow.cc", title="x", link="/x") == []
    async with system_ctx(rt, demo["org_id"], write=False) as sys_ctx:
        carol = Ctx(org_id=sys_ctx.org_id, conn=sys_ctx.conn, clock=rt.clock,
                    actor=Actor(kind="user", name="Carol", member_id=member(demo, "carol")))
        assert (await service.list_notifications(carol)).items == []
        service_token = Ctx(org_id=sys_ctx.org_id, conn=sys_ctx.conn, clock=rt.clock,
                            actor=Actor(kind="token", name="t", admin_role="admin", scopes=frozenset({"org:read"})))
        with pytest.raises(Forbidden):
            await service.unread_count(service_token)
        with pytest.raises(Forbidden):
            await service.mark_read(service_token, MarkRead(all=True))
