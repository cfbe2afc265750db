"""A closed-loop HTTP/1.1 load generator: N keep-alive connections, each sending its next
request as soon as the previous answer has arrived, for a fixed time.

The default client speaks HTTP/1.1 over asyncio streams with requests encoded once up front,
so it costs the shared CPU far less per request than a general client would (on a two-core
machine the load generator competes with the server it measures; the cheaper it is, the less
it flatters the slower server). `client="httpx"` runs the same loop through httpx, as a
cross-check.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def encode(self, host: str, port: int) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}:{port}",
                 f"Content-Length: {len(self.body)}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class LoadResult:
    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, of the expected answers only
    failures: list[str] = field(default_factory=list)  # first bodies of unexpected answers
    expected: int = 201
    server_cpu_ms: float | None = None  # the server's CPU time per expected answer, when measured

    @property
    def ok(self) -> int:
        return self.statuses[self.expected]

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        ms = sorted(t * 1000 for t in self.latencies) or [0.0]
        return {"per_second": round(self.per_second, 1), "ok": self.ok,
                "other": sum(n for s, n in self.statuses.items() if s != self.expected),
                "p50_ms": round(statistics.median(ms), 2), "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * .99))], 2)}


async def closed_loop(host: str, port: int, requests: list[Request], *, concurrency: int, seconds: float,
                      expected: int = 201, client: str = "raw", start: int = 0) -> LoadResult:
    """Send `requests` in turn (cycling, from index `start`) over `concurrency` connections for
    `seconds`. Requests in flight at the deadline are awaited and counted: every acknowledged
    write is in the result, so a benchmark can compare it with the rows stored."""
    order = itertools.count(start)
    result = LoadResult(seconds=0.0, expected=expected)
    deadline = time.perf_counter() + seconds
    t0 = time.perf_counter()
    if client == "httpx":
        await _httpx_loop(host, port, requests, order, result, concurrency, deadline)
    else:
        wire = [r.encode(host, port) for r in requests]
        await asyncio.gather(*(_raw_worker(host, port, wire, order, result, deadline) for _ in range(concurrency)))
    result.seconds = time.perf_counter() - t0
    return result


async def _raw_worker(host: str, port: int, wire: list[bytes], order: itertools.count[int], result: LoadResult,
                      deadline: float) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    n = len(wire)
    try:
        while time.perf_counter() < deadline:
            payload = wire[next(order) % n]
            t = time.perf_counter()
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length, close = _length_and_close(head)
            body = await reader.readexactly(length) if length else b""
            _note(result, status, time.perf_counter() - t, body)
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def _length_and_close(head: bytes) -> tuple[int, bool]:
    length: int | None = None
    close = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
        elif name == b"transfer-encoding":
            raise RuntimeError("chunked answers are not supported by the raw client; use --client httpx")
    return length or 0, close


def _note(result: LoadResult, status: int, seconds: float, body: bytes) -> None:
    result.statuses[status] += 1
    if status == result.expected:
        result.latencies.append(seconds)
    elif len(result.failures) < 5:
        result.failures.append(f"{status}: {body[:500].decode(errors='replace')}")


async def _httpx_loop(host: str, port: int, requests: list[Request], order: itertools.count[int],
                      result: LoadResult, concurrency: int, deadline: float) -> None:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}", limits=limits, timeout=60) as client:
        async def worker() -> None:
            n = len(requests)
            while time.perf_counter() < deadline:
                r = requests[next(order) % n]
                t = time.perf_counter()
                resp = await client.request(r.method, r.path, headers=r.headers, content=r.body)
                _note(result, resp.status_code, time.perf_counter() - t, resp.content)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
