"""The bus over the real Redis and NATS servers: consumer groups share events (each event to one
member of a group, every group gets it), unacknowledged events come back, broadcasts reach all."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from collections.abc import Callable

import pytest

from tack.core.bus import Bus, create_bus
from tack.core.events import Event
from tests.conftest import port_open

BUSES = [
    pytest.param(os.environ.get("TACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
                 marks=pytest.mark.skipif(not port_open(6379), reason="no Redis on 127.0.0.1:6379")),
    pytest.param(os.environ.get("TACK_TEST_NATS_URL", "nats://127.0.0.1:4222"),
                 marks=pytest.mark.skipif(not port_open(4222), reason="no NATS on 127.0.0.1:4222")),
    "memory://",
]


def ev(n: int) -> Event:
    return Event(id=uuid.uuid4(), org_id=uuid.UUID(int=1), type=f"test.bus{uuid.uuid4().hex[:6]}", subject=None,
                 time=dt.datetime.now(dt.UTC), data={"n": n})


async def until(cond: Callable[[], bool], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not cond():
        if loop.time() > end:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("url", BUSES)
async def test_groups_share_and_every_group_gets_each_event(url: str) -> None:
    group = f"test-{uuid.uuid4().hex[:8]}"
    other = f"test-{uuid.uuid4().hex[:8]}"
    a, b = create_bus(url), create_bus(url)
    await a.start()
    await b.start()
    got_a: list[int] = []
    got_b: list[int] = []
    got_other: list[int] = []

    async def on_a(e: Event) -> None:
        got_a.append(e.data["n"])

    async def on_b(e: Event) -> None:
        got_b.append(e.data["n"])

    async def on_other(e: Event) -> None:
        got_other.append(e.data["n"])

    await a.consume(group, on_a)
    if url != "memory://":
        await b.consume(group, on_b)  # the same group in another "process"
    await a.consume(other, on_other)
    await asyncio.sleep(0.3)
    for n in range(20):
        await a.publish(ev(n))
    await until(lambda: len(got_a) + len(got_b) >= 20 and len(got_other) >= 20)
    await asyncio.sleep(0.3)
    assert sorted(got_a + got_b) == list(range(20)), "each event reached the group exactly once"
    assert sorted(got_other) == list(range(20))
    await a.close()
    await b.close()


@pytest.mark.parametrize("url", BUSES)
async def test_a_failed_handler_gets_the_event_again(url: str) -> None:
    bus: Bus = create_bus(url)
    await bus.start()
    group = f"test-{uuid.uuid4().hex[:8]}"
    tries: list[int] = []

    async def flaky(e: Event) -> None:
        tries.append(e.data["n"])
        if len(tries) == 1:
            raise RuntimeError("boom")

    if url.startswith("redis://"):
        import tack.core.bus_redis as br

        br.CLAIM_IDLE_MS, br.CLAIM_EVERY = 200, 0.2  # quick redelivery of an unacknowledged message
    await bus.consume(group, flaky)
    await asyncio.sleep(0.3)
    await bus.publish(ev(1))
    try:
        await until(lambda: len(tries) >= 2, within=20)
    finally:
        if url.startswith("redis://"):
            br.CLAIM_IDLE_MS, br.CLAIM_EVERY = 30_000, 10.0
    assert tries[:2] == [1, 1]
    await bus.close()


@pytest.mark.parametrize("url", BUSES)
async def test_broadcast_reaches_every_listener(url: str) -> None:
    a, b = create_bus(url), create_bus(url)
    await a.start()
    await b.start()
    chan = f"c{uuid.uuid4().hex[:8]}"
    got: list[tuple[str, bytes]] = []

    async def on_a(p: bytes) -> None:
        got.append(("a", p))

    async def on_b(p: bytes) -> None:
        got.append(("b", p))

    await a.listen(chan, on_a)
    await b.listen(chan, on_b)
    await asyncio.sleep(0.3)
    await a.broadcast(chan, b"hello")
    if url == "memory://":
        assert sorted(got) == [("a", b"hello"), ("b", b"hello")] or got == [("a", b"hello")]
    else:
        await until(lambda: len(got) >= 2)
        assert sorted(got) == [("a", b"hello"), ("b", b"hello")]
    await a.close()
    await b.close()
