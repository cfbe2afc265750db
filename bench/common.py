"""Helpers shared by the benchmarks: timing rounds and the RESULT line (see BENCH.md)."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def measure(fn: Callable[[], Awaitable[Any]], *, rounds: int, warmup: int) -> list[float]:
    """Seconds per call for `rounds` calls after `warmup` calls."""
    for _ in range(warmup):
        await fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - t0)
    return times


def report(name: str, subject: str, times: list[float], **extra: Any) -> float:
    ms = [t * 1000 for t in times]
    med = statistics.median(ms)
    print(json.dumps({"bench": name, "subject": subject, "unit": "ms", "min": round(min(ms), 4),
                      "median": round(med, 4), "max": round(max(ms), 4), "rounds": len(ms), **extra}))
    return med


def result(name: str, tack: float, anchor_name: str, anchor: float, unit: str, higher_is_better: bool) -> None:
    ratio = (tack / anchor) if higher_is_better else (anchor / tack)
    print(f"RESULT {name} tack={tack:.4f}{unit} anchor={anchor_name}:{anchor:.4f}{unit} ratio={ratio:.2f}")
