"""Latency statistics and load shapes: open loop at a fixed offered rate, closed loop at a concurrency."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

import numpy as np

Op = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Latency:
    count: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def summarize(samples_s: list[float]) -> Latency:
    if not samples_s:
        return Latency(0, float("nan"), float("nan"), float("nan"), float("nan"))
    ms = np.asarray(samples_s) * 1000.0
    return Latency(
        len(ms), float(np.percentile(ms, 50)), float(np.percentile(ms, 99)), float(ms.mean()), float(ms.max())
    )


async def open_loop(op: Op, rate_per_s: float, duration_s: float) -> Latency:
    """Issue ``op`` on a fixed schedule; latency runs from the *scheduled* start (no coordinated omission)."""
    interval = 1.0 / rate_per_s
    samples: list[float] = []
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()

    async def one(scheduled: float) -> None:
        await op()
        samples.append(time.perf_counter() - scheduled)

    i = 0
    while True:
        scheduled = start + i * interval
        if scheduled - start >= duration_s:
            break
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
        i += 1
    await asyncio.gather(*tasks)
    return summarize(samples)


@dataclass(frozen=True)
class Saturation:
    concurrency: int
    requests_per_s: float
    latency: Latency

    def as_dict(self) -> dict[str, object]:
        return {
            "concurrency": self.concurrency,
            "requests_per_s": self.requests_per_s,
            **self.latency.as_dict(),
        }


async def closed_loop(op: Op, concurrency: int, duration_s: float) -> Saturation:
    """``concurrency`` clients each issuing ``op`` back to back for ``duration_s``: throughput at saturation."""
    samples: list[float] = []
    deadline = time.perf_counter() + duration_s

    async def client() -> None:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await op()
            samples.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    return Saturation(concurrency, len(samples) / elapsed, summarize(samples))


async def interleaved(ops: dict[str, Op], repetitions: int, budget_s: float) -> dict[str, Latency]:
    """``sequential`` for several ops taken in turn, one request each per round: a burst of load from
    elsewhere on a shared machine then falls on all of them alike instead of on whichever ran meanwhile."""
    samples: dict[str, list[float]] = {name: [] for name in ops}
    deadline = time.perf_counter() + budget_s
    for _ in range(repetitions):
        for name, op in ops.items():
            t0 = time.perf_counter()
            await op()
            samples[name].append(time.perf_counter() - t0)
        if time.perf_counter() > deadline:
            break
    return {name: summarize(taken) for name, taken in samples.items()}


async def sequential(op: Op, repetitions: int, budget_s: float) -> Latency:
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    for _ in range(repetitions):
        t0 = time.perf_counter()
        await op()
        samples.append(time.perf_counter() - t0)
        if time.perf_counter() > deadline:
            break
    return summarize(samples)
