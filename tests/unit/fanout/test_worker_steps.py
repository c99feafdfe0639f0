"""fanout/worker.py's ``concurrently``: a message's independent steps at once, failing like a single step."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from fanout.worker import concurrently


async def test_the_results_come_in_the_order_of_the_steps() -> None:
    async def after(seconds: float, value: str) -> str:
        await asyncio.sleep(seconds)
        return value

    assert await concurrently(after(0.02, "slow"), after(0, "fast")) == ["slow", "fast"]


async def test_the_steps_run_at_once() -> None:
    started: list[str] = []
    both = asyncio.Event()

    async def step(name: str) -> None:
        started.append(name)
        if len(started) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), 1)  # would time out if the steps ran in turn

    await concurrently(step("a"), step("b"))


async def test_the_first_failure_is_raised_as_it_is_and_cancels_the_others() -> None:
    cancelled = asyncio.Event()

    async def failing() -> None:
        await asyncio.sleep(0)
        raise RedisConnectionError("redis went away")

    async def waiting() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    # Not an ExceptionGroup: the worker's handlers of Redis and Neo4j errors see the error itself.
    with pytest.raises(RedisConnectionError):
        await concurrently(waiting(), failing())
    assert cancelled.is_set()
