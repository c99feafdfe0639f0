"""Calls made in one turn of the event loop, answered together by one call of a batch function.

A live event reaches every subscriber of an API process at the same moment, and each subscriber's task then
asks Redis the same kind of question about itself (is the author hidden from me?). One round trip each was the
largest share of the API's CPU per delivered event (the socket write, the pool, the timeout of every command);
one pipeline for all of them costs one write. This is DataLoader's batching without its cache, for the engine
(which does not depend on the GraphQL layer): an answer is never kept past the batch that fetched it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TickBatcher(Generic[K, V]):
    """``await batcher.load(key)``: the keys asked for in one loop turn go to ``fetch`` together, which returns
    their answers in order. A failed fetch fails every load of its batch."""

    def __init__(self, fetch: Callable[[Sequence[K]], Awaitable[Sequence[V]]]) -> None:
        self._fetch = fetch
        self._pending: list[tuple[K, asyncio.Future[V]]] = []

    async def load(self, key: K) -> V:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._dispatch)
        self._pending.append((key, future))
        return await future

    def _dispatch(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.ensure_future(self._run(batch))
        task.add_done_callback(lambda t: None if t.cancelled() else t.exception())  # retrieved: no warning

    async def _run(self, batch: list[tuple[K, asyncio.Future[V]]]) -> None:
        try:
            values = await self._fetch([key for key, _ in batch])
            if len(values) != len(batch):
                raise RuntimeError(f"batch fetch answered {len(values)} values for {len(batch)} keys")
        except BaseException as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), value in zip(batch, values, strict=True):
            if not future.done():  # its caller was cancelled meanwhile
                future.set_result(value)
