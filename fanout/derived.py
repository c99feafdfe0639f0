"""Rebuilders of derived Redis state: every key can be recomputed from Neo4j when it is missing.

- ``tl:{uid}``: newest ids of the viewer and of the ordinary accounts they follow; single-flight (SET NX PX
  lock + BUILDING marker) so concurrent first reads rebuild once and fan-out during the rebuild is kept.
- ``ut:{uid}``: the author's newest ids.
- ``celebs:{uid}`` / ``fw:{uid}``: celebrity followees / all followees, with a sentinel member so an empty
  set still exists.
- ``trending``: recent tweets by score.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Iterable
from typing import Any

from fanout.context import EngineContext, now_ms
from graph.errors import NotFound
from graph.pull import pull_ordinary_ids

SET_SENTINEL = b"-"
LOCK_MS = 5_000
WAIT_STEP_S = 0.01
TRENDING_CAP = 1000
TRENDING_REBUILD_WINDOW_MS = 3 * 24 * 3600 * 1000


def engagement_score(created_ms: int, likes: int) -> float:
    """Recency in hours plus 2·log2(1 + likes): 3 likes are worth 4 hours of freshness."""
    return created_ms / 3_600_000 + 2.0 * math.log2(1 + max(0, likes))


def decode_id_set(members: Iterable[Any]) -> set[int]:
    return {int(m) for m in members if m != SET_SENTINEL}


class Derived:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    # --- celebrity mode ---------------------------------------------------------------------------------
    async def celebrity_mode(self) -> list[int]:
        return sorted(decode_id_set(await self.ctx.redis.smembers(self.ctx.keys.celebrity_mode)))

    # --- timelines --------------------------------------------------------------------------------------
    async def ensure_timeline(self, uid: int) -> None:
        """Make sure ``tl:uid`` is built; rebuild it (once across concurrent callers) if not."""
        keys, cfg = self.ctx.keys, self.ctx.config
        tl, lock = keys.timeline(uid), keys.timeline_lock(uid)
        token = uuid.uuid4().hex
        while True:
            state = await self.ctx.store.begin_rebuild(tl, lock, token, LOCK_MS, cfg.timeline_ttl_seconds)
            if state == 0:
                return
            if state == 1:
                break
            # Someone else is rebuilding: wait for them (begin_rebuild takes over if their lock expires).
            await asyncio.sleep(WAIT_STEP_S)
        try:
            mode = await self.celebrity_mode()
            ids = await pull_ordinary_ids(
                self.ctx.driver, uid, cfg.celebrity_threshold, mode, cfg.timeline_cap
            )
            if not ids and await self.ctx.users.by_id(uid) is None:
                await self.ctx.redis.delete(tl)
                raise NotFound("unknown user")
            await self.ctx.store.write_built(tl, ids, cfg.timeline_cap, cfg.timeline_ttl_seconds)
            self.ctx.stats.timeline_rebuilds += 1
        finally:
            if await self.ctx.redis.get(lock) == token.encode():
                await self.ctx.redis.delete(lock)

    # --- author lists -----------------------------------------------------------------------------------
    async def rebuild_author_list(self, author_id: int) -> None:
        cfg = self.ctx.config
        ids = await self.ctx.tweets.recent_ids(author_id, cfg.author_list_cap)
        await self.ctx.store.write_built(
            self.ctx.keys.author_tweets(author_id), ids, cfg.author_list_cap, cfg.timeline_ttl_seconds
        )
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
        key = self.ctx.keys.author_tweets(author_id)
        if not await self.ctx.redis.exists(key):
            await self.rebuild_author_list(author_id)
        return await self.ctx.store.read_below(key, None, limit)

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
        key = self.ctx.keys.trending
        if await self.ctx.redis.exists(key):
            return
        rows = await self.ctx.tweets.recent_scored(now_ms() - TRENDING_REBUILD_WINDOW_MS, TRENDING_CAP)
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {SET_SENTINEL: float("inf")})  # marks "built"; filtered on read
            if rows:
                pipe.zadd(key, {str(tid): engagement_score(ms, likes) for tid, ms, likes in rows})
            await pipe.execute()

    def add_trending(self, pipe: object, tweet_id: int, created_ms: int, likes: int) -> None:
        key = self.ctx.keys.trending
        pipe.zadd(key, {str(tweet_id): engagement_score(created_ms, likes)})  # type: ignore[attr-defined]
        pipe.zremrangebyrank(key, 0, -(TRENDING_CAP + 2))  # type: ignore[attr-defined]
