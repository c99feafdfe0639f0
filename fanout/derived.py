"""Rebuilders of derived Redis state: every key can be recomputed from Neo4j when it is missing.

- ``tl:{uid}``: newest ids of the viewer and of the ordinary accounts they follow; single-flight (SET NX PX
  lock + BUILDING marker) so concurrent first reads rebuild once and fan-out during the rebuild is kept. The
  ids come from those accounts' author lists (``ut:``) by a two-round merge, or from one Neo4j query when
  Redis lost many of the lists (see ``Derived.ordinary_ids``).
- ``ut:{uid}``: the author's newest ids.
- ``celebs:{uid}`` / ``fw:{uid}``: celebrity followees / all followees, with a sentinel member so an empty
  set still exists.
- ``trending``: recent tweets by score (fanout/ranking.py; written through the store).

The store (fanout/store.py) does every write; this module decides what to rebuild and from which query.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fanout.batch import SharedReads
from fanout.context import EngineContext, now_ms
from fanout.store import SET_SENTINEL, TRENDING_CAP, decode_ids
from graph.errors import NotFound
from graph.pull import pull_ordinary_ids

LOCK_MS = 5_000
WAIT_STEP_S = 0.01
TRENDING_REBUILD_WINDOW_MS = 3 * 24 * 3600 * 1000
# A timeline rebuild reads at least this many of the newest ids of each author list first (ordinary_ids).
FIRST_READ_MIN = 8
# More author lists missing than this (Redis flushed or restarted empty): the rebuild asks Neo4j for the ids
# in one query instead of rebuilding every list first (one query per list).
MISSING_LISTS_AT_MOST = 16


def decode_id_set(members: Iterable[Any]) -> set[int]:
    return {int(m) for m in members if m != SET_SENTINEL}


def lists_to_read_further(
    heads: Mapping[int, Sequence[int]], first: int, limit: int
) -> tuple[int | None, list[tuple[int, int]]]:
    """After reading the newest ``first`` ids of every list (``heads``, each newest first): the floor that the
    newest ``limit`` of all the lists stand on or above (the ``limit``-th newest id read; None when fewer were
    read), and the lists that may hold more ids above it, each with the last id read from it. Every id of the
    newest ``limit`` is then either read already or above the floor in one of those lists, below its last id
    read: the floor is at most the true ``limit``-th newest id, and a list holds ids below its last read only
    when that read was full."""
    read = heapq.nlargest(limit, itertools.chain.from_iterable(heads.values()))
    floor = read[-1] if len(read) == limit else None
    further = [
        (author, ids[-1])
        for author, ids in heads.items()
        if len(ids) >= first and (floor is None or ids[-1] > floor)
    ]
    return floor, further


def newest_ids(lists: Iterable[Sequence[int]], limit: int) -> list[int]:
    """The newest ``limit`` ids of all the lists together (each id in one list), newest first."""
    return heapq.nlargest(limit, itertools.chain.from_iterable(lists))


class Derived:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.missing_lists_at_most = MISSING_LISTS_AT_MOST
        self._trending: SharedReads[None, None] = SharedReads()

    # --- celebrity mode ---------------------------------------------------------------------------------
    async def celebrity_mode(self) -> list[int]:
        return sorted(decode_id_set(await self.ctx.redis.smembers(self.ctx.keys.celebrity_mode)))

    # --- timelines --------------------------------------------------------------------------------------
    async def ensure_timeline(self, uid: int) -> None:
        """Make sure ``tl:uid`` is built; rebuild it (once across concurrent callers) if not."""
        store = self.ctx.store
        token = uuid.uuid4().hex
        while True:
            state = await store.begin_timeline_rebuild(uid, token, LOCK_MS)
            if state == 0:
                return
            if state == 1:
                break
            # Someone else is rebuilding: wait for them (begin_rebuild takes over if their lock expires).
            await asyncio.sleep(WAIT_STEP_S)
        try:
            ids = await self.ordinary_ids(uid)
            if not ids and await self.ctx.users.by_id(uid) is None:
                await store.drop_timeline(uid)
                raise NotFound("unknown user")
            await store.write_timeline(uid, ids)
            self.ctx.stats.timeline_rebuilds += 1
        finally:
            await store.end_timeline_rebuild(uid, token)

    async def ordinary_ids(self, uid: int) -> list[int]:
        """The ids a rebuilt timeline holds: the newest ``timeline_cap`` tweets (reposts included, deleted ones
        not) of the viewer and of the accounts they follow that are fanned out on write, as graph/pull.py's
        ``pull_ordinary_ids`` queries them (tests/engine/test_rebuild.py compares the two).

        From the author lists in Redis: the newest few ids of each list, then, of the lists that may hold
        more of the newest, what lies above the floor of those read (``lists_to_read_further``): two
        pipelines, where the Neo4j query reads every tweet of every followee (400 followees of 200 tweets:
        80,000 tweets for 800 ids). From that query when more than MISSING_LISTS_AT_MOST lists are missing."""
        cfg = self.ctx.config
        mode = await self.celebrity_mode()
        followees = await self.ctx.follows.ordinary_followee_ids(uid, cfg.celebrity_threshold, mode)
        authors = list(dict.fromkeys([uid, *followees]))
        limit = cfg.timeline_cap
        first = max(FIRST_READ_MIN, -(-2 * limit // len(authors)))
        heads = await self._list_heads(authors, first)
        if heads is None:
            return await pull_ordinary_ids(self.ctx.driver, uid, cfg.celebrity_threshold, mode, limit)
        floor, further = lists_to_read_further(heads, first, limit)
        if not further:
            return newest_ids(heads.values(), limit)
        keys, store = self.ctx.keys, self.ctx.store
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            for author, last in further:
                store.queue_between(pipe, keys.author_tweets(author), floor, last, limit)
            more = [decode_ids(reply) for reply in await pipe.execute()]
        return newest_ids([*heads.values(), *more], limit)

    async def _list_heads(self, authors: list[int], first: int) -> dict[int, list[int]] | None:
        """The newest ``first`` ids of each author's list (lists missing rebuilt first); None when more than
        ``missing_lists_at_most`` are missing, or some are still missing after their rebuild."""
        heads, missing = await self._read_heads(authors, first)
        if not missing:
            return heads
        if len(missing) > self.missing_lists_at_most:
            return None
        await self.ensure_author_lists(missing)
        rebuilt, still_missing = await self._read_heads(missing, first)
        return None if still_missing else heads | rebuilt

    async def _read_heads(self, authors: list[int], first: int) -> tuple[dict[int, list[int]], list[int]]:
        """(the heads of the lists that exist, the authors whose list does not)."""
        heads: dict[int, list[int]] = {}
        missing: list[int] = []
        for author, head in zip(authors, await self.ctx.store.author_heads(authors, first), strict=True):
            if head is None:
                missing.append(author)
            else:
                heads[author] = head
        return heads, missing

    # --- author lists -----------------------------------------------------------------------------------
    async def rebuild_author_list(self, author_id: int) -> None:
        ids = await self.ctx.tweets.recent_ids(author_id, self.ctx.config.author_list_cap)
        await self.ctx.store.write_author_list(author_id, ids)
        self.ctx.stats.author_list_rebuilds += 1

    async def ensure_author_lists(self, author_ids: list[int]) -> None:
        if not author_ids:
            return
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            for a in author_ids:
                pipe.exists(self.ctx.keys.author_tweets(a))
            present = await pipe.execute()
        missing = [a for a, p in zip(author_ids, present, strict=True) if not p]
        await asyncio.gather(*(self.rebuild_author_list(a) for a in missing))

    async def author_recent_ids(self, author_id: int, limit: int) -> list[int]:
        """Newest ids of an author from ut: (rebuilt if missing), newest first."""
        if not await self.ctx.redis.exists(self.ctx.keys.author_tweets(author_id)):
            await self.rebuild_author_list(author_id)
        return await self.ctx.store.author_recent(author_id, limit)

    # --- follow-derived sets ----------------------------------------------------------------------------
    async def build_celebs(self, uid: int) -> set[int]:
        cfg = self.ctx.config
        ids = await self.ctx.follows.celebrity_followee_ids(
            uid, cfg.celebrity_threshold, await self.celebrity_mode()
        )
        key = self.ctx.keys.celebs(uid)
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            pipe.sadd(key, SET_SENTINEL, *[str(i) for i in ids])
            pipe.expire(key, cfg.timeline_ttl_seconds)
            await pipe.execute()
        self.ctx.stats.celebs_rebuilds += 1
        return set(ids)

    async def celebs(self, uid: int) -> set[int]:
        members = await self.ctx.redis.smembers(self.ctx.keys.celebs(uid))
        return decode_id_set(members) if members else await self.build_celebs(uid)

    async def build_followees(self, uid: int) -> None:
        ids = await self.ctx.follows.followee_ids(uid)
        key = self.ctx.keys.followees(uid)
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            pipe.sadd(key, SET_SENTINEL, *[str(i) for i in ids])
            pipe.expire(key, self.ctx.config.timeline_ttl_seconds)
            await pipe.execute()
        self.ctx.stats.followees_rebuilds += 1

    async def build_hidden(self, uid: int) -> set[int]:
        """(Re)write ``mu:{uid}`` from the graph: accounts ``uid`` mutes or blocks or is blocked by."""
        ids = await self.ctx.follows.hidden_ids(uid)
        await self._write_set(self.ctx.keys.hidden(uid), ids, replace=True)
        return set(ids)

    async def build_no_reposts(self, uid: int) -> set[int]:
        """(Re)write ``nr:{uid}`` from the graph: followees whose reposts ``uid`` does not want."""
        ids = await self.ctx.follows.no_repost_ids(uid)
        await self._write_set(self.ctx.keys.no_reposts(uid), ids, replace=True)
        return set(ids)

    async def _write_set(self, key: str, ids: list[int], *, replace: bool) -> None:
        # MULTI: a reader never sees the set deleted and not yet refilled (it would rebuild it once more).
        async with self.ctx.redis.pipeline(transaction=replace) as pipe:
            if replace:
                pipe.delete(key)
            pipe.sadd(key, SET_SENTINEL, *[str(i) for i in ids])
            pipe.expire(key, self.ctx.config.timeline_ttl_seconds)
            await pipe.execute()

    async def follows_which(self, uid: int, author_ids: list[int]) -> set[int]:
        """Which of ``author_ids`` ``uid`` follows (from fw:, rebuilt if missing)."""
        if not author_ids:
            return set()
        key = self.ctx.keys.followees(uid)
        for _ in range(2):
            flags = await self.ctx.redis.smismember(key, [SET_SENTINEL, *[str(a) for a in author_ids]])
            if flags[0]:
                return {a for a, f in zip(author_ids, flags[1:], strict=True) if f}
            await self.build_followees(uid)
        return set()

    # --- trending ---------------------------------------------------------------------------------------
    async def ensure_trending(self) -> None:
        """Rebuild the trending list if Redis lost it. The callers of one process share a rebuild in flight: a
        thousand subscriptions starting at once each found it missing and ran the Neo4j query."""
        if await self.ctx.store.trending_exists():
            return
        await self._trending.read(None, self._rebuild_trending)

    async def _rebuild_trending(self) -> None:
        rows = await self.ctx.tweets.recent_scored(now_ms() - TRENDING_REBUILD_WINDOW_MS, TRENDING_CAP)
        await self.ctx.store.fill_trending(rows)
