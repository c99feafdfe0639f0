"""TickBatcher: the loads of one loop turn are fetched together, in order; a failure fails that batch only.
SharedReads: a read in flight is shared by key, and only while in flight."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from fanout.batch import SharedReads, TickBatcher


class Recorder:
    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on

    async def fetch(self, keys: Sequence[int]) -> list[int]:
        self.batches.append(list(keys))
        await asyncio.sleep(0)
        if self.fail_on in keys:
            raise ConnectionError("backend down")
        return [k * 10 for k in keys]


async def test_loads_of_one_turn_are_one_fetch_answered_in_order() -> None:
    rec = Recorder()
    batcher = TickBatcher(rec.fetch)
    assert await asyncio.gather(*(batcher.load(k) for k in (3, 1, 2))) == [30, 10, 20]
    assert rec.batches == [[3, 1, 2]]
    assert await batcher.load(4) == 40  # a later turn: a batch of its own
    assert rec.batches == [[3, 1, 2], [4]]


async def test_a_failed_fetch_fails_its_batch_and_not_the_next() -> None:
    rec = Recorder(fail_on=2)
    batcher = TickBatcher(rec.fetch)
    results = await asyncio.gather(batcher.load(1), batcher.load(2), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert await batcher.load(5) == 50


async def test_a_cancelled_load_leaves_the_others_answered() -> None:
    rec = Recorder()
    batcher = TickBatcher(rec.fetch)
    first = asyncio.ensure_future(batcher.load(1))
    second = asyncio.ensure_future(batcher.load(2))
    await asyncio.sleep(0)  # both queued, the fetch not yet answered
    first.cancel()
    assert await second == 20
    with pytest.raises(asyncio.CancelledError):
        await first
    assert rec.batches == [[1, 2]]


async def test_a_fetch_answering_the_wrong_number_of_values_fails_the_batch() -> None:
    async def short(keys: Sequence[int]) -> list[int]:
        return [0]

    batcher = TickBatcher(short)
    results = await asyncio.gather(batcher.load(1), batcher.load(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


async def test_loads_made_while_a_fetch_is_under_way_go_together_in_the_next() -> None:
    """Under load (a live event reaching subscribers over several turns), batches grow with what arrives
    during one round trip, instead of a fetch per turn; one fetch at a time."""
    started, release = asyncio.Event(), asyncio.Event()
    batches: list[list[int]] = []
    in_flight = 0

    async def slow(keys: Sequence[int]) -> list[int]:
        nonlocal in_flight
        in_flight += 1
        assert in_flight == 1
        batches.append(list(keys))
        started.set()
        await release.wait()
        in_flight -= 1
        return [k + 1 for k in keys]

    batcher = TickBatcher(slow)
    first = asyncio.ensure_future(batcher.load(1))
    await started.wait()
    later = []
    for k in (2, 3, 4):  # one per turn, while the first fetch waits
        later.append(asyncio.ensure_future(batcher.load(k)))
        await asyncio.sleep(0)
    release.set()
    assert await first == 2 and await asyncio.gather(*later) == [3, 4, 5]
    assert batches == [[1], [2, 3, 4]]


async def test_a_read_in_flight_is_shared_and_not_kept_after() -> None:
    reads: list[str] = []
    gate = asyncio.Event()

    async def read() -> int:
        reads.append("read")
        await gate.wait()
        return len(reads)

    shared: SharedReads[str, int] = SharedReads()
    waiting = [asyncio.ensure_future(shared.read("k", read)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiting) == [1, 1, 1]
    assert reads == ["read"]
    assert shared.running("k") is None
    assert await shared.read("k", read) == 2  # done: the next caller reads again


async def test_a_cancelled_caller_leaves_the_read_to_the_others_and_a_failure_fails_them() -> None:
    gate = asyncio.Event()
    outcome: list[BaseException | int] = [ConnectionError("down")]

    async def read() -> int:
        await gate.wait()
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    shared: SharedReads[str, int] = SharedReads()
    first = asyncio.ensure_future(shared.read("k", read))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(shared.read("k", read))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    gate.set()
    with pytest.raises(ConnectionError):
        await second
    assert first.cancelled()
    outcome[0] = 7
    assert await shared.read("k", read) == 7


async def test_one_read_started_for_several_keys_answers_each() -> None:
    shared: SharedReads[int, dict[int, str]] = SharedReads()
    gate = asyncio.Event()

    async def read() -> dict[int, str]:
        await gate.wait()
        return {1: "a", 2: "b"}

    task = shared.start([1, 2], read())
    assert shared.running(1) is task and shared.running(2) is task and shared.running(3) is None
    gate.set()
    assert await shared.read(2, read) == {1: "a", 2: "b"}
    assert shared.running(1) is None and shared.running(2) is None
