"""Calls made while the backend is busy, answered together by one call of a batch function.

A live event reaches every subscriber of an API process within a few hundred milliseconds, and each
subscriber's task then asks Redis the same kind of question about itself (is the author hidden from me? do I
like this tweet?); concurrent homeTimeline requests each ask for their viewer's flags. One round trip each was
the largest share of the API's CPU per delivered event (the socket write, the pool, the timeout of every
command); one pipeline for all of them costs one write. Which calls go together: those of one loop turn, and
those made while the previous batch was being fetched, so batches grow with the load by themselves (alone, a
call goes on the next turn; under load, with whatever arrived during one round trip). This is DataLoader's
batching without its cache, for the engine (which does not depend on the GraphQL layer): an answer is never
kept past the batch that fetched it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TickBatcher(Generic[K, V]):
    """``await batcher.load(key)``: the keys asked for in one loop turn, or while the previous batch was being
    fetched, go to ``fetch`` together, which returns their answers in order. One fetch at a time. A failed
    fetch fails every load of its batch, and only those."""

    def __init__(self, fetch: Callable[[Sequence[K]], Awaitable[Sequence[V]]]) -> None:
        self._fetch = fetch
        self._pending: list[tuple[K, asyncio.Future[V]]] = []
        self._draining = False

    async def load(self, key: K) -> V:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V] = loop.create_future()
        self._pending.append((key, future))
        if not self._draining:
            self._draining = True
            task = asyncio.ensure_future(self._drain())
            task.add_done_callback(
                lambda t: None if t.cancelled() else t.exception()
            )  # retrieved: no warning
        return await future

    async def _drain(self) -> None:
        """Fetch what is pending, then what arrived meanwhile, until nothing is left."""
        try:
            await asyncio.sleep(0)  # the rest of this loop turn's loads join the first batch
            while self._pending:
                batch, self._pending = self._pending, []
                await self._run(batch)
        finally:
            self._draining = False
            for _, future in self._pending:  # only if this task itself was cancelled (a shutdown)
                if not future.done():
                    future.cancel()
            self._pending = []

    async def _run(self, batch: list[tuple[K, asyncio.Future[V]]]) -> None:
        try:
            values = await self._fetch([key for key, _ in batch])
            if len(values) != len(batch):
                raise RuntimeError(f"batch fetch answered {len(values)} values for {len(batch)} keys")
        except BaseException as exc:
            for _, future in batch:
                if not future.done():
                    if isinstance(exc, Exception):
                        future.set_exception(exc)
                    else:
                        future.cancel()
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), value in zip(batch, values, strict=True):
            if not future.done():  # its caller was cancelled meanwhile
                future.set_result(value)


class SharedReads(Generic[K, V]):
    """Reads in flight by key: a caller asking for a key that is being read awaits that read instead of starting
    its own (a thousand subscriptions starting at once, each finding the trending list missing; a live event's
    subscribers reading its author). Unlike TickBatcher nothing waits for a read it did not ask for, and an
    answer is never kept past its read. A read runs as its own task, so a cancelled caller does not cancel it
    for the others; a failed read fails those waiting on it, and the next caller reads again."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    def running(self, key: K) -> asyncio.Future[V] | None:
        return self._running.get(key)

    def start(self, keys: Sequence[K], read: Awaitable[V]) -> asyncio.Future[V]:
        """Run ``read`` as the read of ``keys`` (those not being read already) until it is done."""
        task = asyncio.ensure_future(read)
        self._running.update(dict.fromkeys(keys, task))

        def done(finished: asyncio.Future[V]) -> None:
            if not finished.cancelled():
                finished.exception()  # retrieved: no warning when every caller was cancelled
            for key in keys:
                if self._running.get(key) is finished:
                    del self._running[key]

        task.add_done_callback(done)
        return task

    async def read(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        """The answer of the read of ``key`` in flight, or of ``read()`` started now."""
        future = self._running.get(key)
        if future is None:
            future = self.start([key], read())
        return await asyncio.shield(future)
