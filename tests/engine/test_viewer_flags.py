"""viewerHasLiked from Redis (fanout/likes.py) against the ordinary path, Neo4j's answer for the same ids.

Random programs of likes, unlikes, evictions of the set and FLUSHes, with a small cache so that the floor (ids
older than what the set covers go to Neo4j) is crossed; and the race a fill must lose: a like or unlike
that lands between the fill's version read and its write.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import AsyncDriver

from fanout.likes import ViewerLikes
from fanout.service import FeedService
from fanout.store import encode_id
from tests.conftest import wipe_graph
from tests.engine.conftest import Factory
from tests.engine.test_engine_flows import users

TWEETS = 8
CACHED = 2  # fewer than the tweets: the set holds the newest likes and Neo4j answers below its floor

LIKE = st.tuples(st.just("like"), st.integers(0, TWEETS - 1))
OPS = st.lists(
    st.one_of(
        LIKE,  # likes weigh more than the rest, so that programs often hold more likes than the cache
        LIKE,
        LIKE,
        st.tuples(st.just("unlike"), st.integers(0, TWEETS - 1)),
        st.tuples(st.just("check")),
        st.tuples(st.just("evict")),
    ),
    min_size=1,
    max_size=30,
)


async def world(svc: FeedService) -> tuple[int, list[int]]:
    viewer, author = await users(svc, "viewer", "author")
    tweets = [(await svc.post_tweet(author.id, f"t{i}")).id for i in range(TWEETS)]
    return viewer.id, tweets


async def check(likes: ViewerLikes, svc: FeedService, viewer: int, tweets: list[int]) -> None:
    expected = await svc.ctx.tweets.liked(viewer, tweets)  # the ordinary path
    assert await likes.flags(viewer, tweets) == expected
    for subset in (tweets[:3], tweets[-2:], tweets[::3]):
        assert await likes.flags(viewer, subset) == expected & set(subset)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
async def test_liked_flags_from_redis_equal_neo4j(
    ops: list[tuple[Any, ...]], engine_factory: Factory, neo4j: AsyncDriver, redis: aioredis.Redis
) -> None:
    await wipe_graph(neo4j)
    svc, _ = engine_factory()
    await redis.delete(*[k async for k in redis.scan_iter(match=f"{svc.keys.prefix}*")] or ["-"])
    svc.likes = likes = ViewerLikes(svc.ctx, cached=CACHED)
    viewer, tweets = await world(svc)
    for op in ops:
        if op[0] == "like":
            await svc.like(viewer, tweets[op[1]])
        elif op[0] == "unlike":
            await svc.unlike(viewer, tweets[op[1]])
        elif op[0] == "evict":  # as TTL expiry or a FLUSHALL would
            await redis.delete(svc.keys.likes(viewer))
        else:
            await check(likes, svc, viewer, tweets)
    await check(likes, svc, viewer, tweets)


async def test_likes_below_the_floor_are_asked_of_neo4j(engine: Any, redis: aioredis.Redis) -> None:
    svc, _ = engine
    viewer, tweets = await world(svc)
    liked = set(tweets[:5])
    for t in liked:
        await svc.like(viewer, t)
    likes = ViewerLikes(svc.ctx, cached=2)
    assert await likes.flags(viewer, tweets) == liked
    assert await redis.zscore(svc.keys.likes(viewer), b"") == tweets[3]  # the floor: the 2nd newest like
    assert await likes.flags(viewer, tweets[:2]) == set(tweets[:2])  # only below the floor


async def test_the_set_serves_reads_without_neo4j_once_built(engine: Any, redis: aioredis.Redis) -> None:
    svc, _ = engine
    viewer, tweets = await world(svc)
    await svc.like(viewer, tweets[1])
    assert await svc.liked_flags(viewer, tweets) == {tweets[1]}  # fills the set
    key = svc.keys.likes(viewer)
    assert await redis.zscore(key, b"") == 0  # built, covering every id (fewer likes than the cache holds)
    await svc.like(viewer, tweets[5])  # a built set is updated by the write itself
    assert await redis.zscore(key, encode_id(tweets[5])) == 0
    await svc.unlike(viewer, tweets[1])
    assert await redis.zscore(key, encode_id(tweets[1])) is None
    assert await svc.liked_flags(viewer, tweets) == {tweets[5]}


async def test_a_fill_that_raced_a_like_is_dropped(engine: Any, redis: aioredis.Redis) -> None:
    """A like lands after the fill read the version and Neo4j but before it writes: the fill must not write
    a set that lacks that like (it would say "not liked" until the set expires)."""
    svc, _ = engine
    viewer, tweets = await world(svc)
    likes = ViewerLikes(svc.ctx)
    real_recent = svc.ctx.tweets.recent_likes

    async def recent_then_a_like(viewer_id: int, limit: int) -> list[int]:
        snapshot = await real_recent(viewer_id, limit)  # the fill's Neo4j read, before the like commits
        await svc.like(viewer, tweets[2])  # commits and bumps the version (the set is not built yet)
        return snapshot

    svc.ctx.tweets.recent_likes = recent_then_a_like  # type: ignore[method-assign]
    try:
        assert await likes.flags(viewer, tweets) == set()  # answered from the fill's own (older) read
    finally:
        svc.ctx.tweets.recent_likes = real_recent  # type: ignore[method-assign]
    assert await redis.zscore(svc.keys.likes(viewer), b"") is None  # the stale fill was not written
    assert await likes.flags(viewer, tweets) == {tweets[2]}  # the next read fills it right
    assert await redis.zscore(svc.keys.likes(viewer), b"") == 0
