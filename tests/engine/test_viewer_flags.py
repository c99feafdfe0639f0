"""viewerHasLiked and viewerHasReposted from Redis (fanout/viewer_flags.py) against the ordinary path, Neo4j's
answer for the same ids.

Random programs of likes and unlikes (reposts and unreposts, deletes of a repost), evictions of the set and
FLUSHes, with a small cache so that the floor (ids older than what the set covers go to Neo4j) is crossed;
and the race a fill must lose: a write that lands between the fill's version read and its write.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import AsyncDriver

from fanout.service import FeedService
from fanout.store import encode_id
from fanout.viewer_flags import ViewerLikes, ViewerReposts, ViewerTweetSet
from fanout.worker import FanoutWorker
from graph.records import UserRecord
from tests.conftest import wipe_graph
from tests.engine.conftest import Factory
from tests.engine.test_engine_flows import recorded_user_loads, users

TWEETS = 8
CACHED = 2  # fewer than the tweets: the set holds the newest members and Neo4j answers below its floor


@dataclass(frozen=True)
class Kind:
    """One of the viewer's sets: how to build it, write it through the service, and ask Neo4j directly."""

    name: str
    make: Callable[..., ViewerTweetSet]
    recent: str  # the TweetRepo method a fill reads
    add: Callable[[FeedService, int, int], Awaitable[Any]]
    remove: Callable[[FeedService, int, int], Awaitable[Any]]
    ordinary: Callable[[FeedService, int, list[int]], Awaitable[set[int]]]
    install: Callable[[FeedService, ViewerTweetSet], None]


async def _delete_repost(svc: FeedService, viewer: int, tweet: int) -> None:
    """Delete the viewer's repost of ``tweet`` with deleteTweet (not unrepost), if there is one."""
    _, _, _, mine = await svc.ctx.tweets.repost_target(viewer, tweet)
    if mine is not None:
        await svc.delete_tweet(viewer, int(mine))


LIKES = Kind(
    "likes",
    ViewerLikes,
    "recent_likes",
    lambda svc, v, t: svc.like(v, t),
    lambda svc, v, t: svc.unlike(v, t),
    lambda svc, v, ids: svc.ctx.tweets.liked(v, ids),
    lambda svc, s: setattr(svc, "likes", s),
)
REPOSTS = Kind(
    "reposts",
    ViewerReposts,
    "recent_reposts",
    lambda svc, v, t: svc.repost(v, t),
    lambda svc, v, t: svc.unrepost(v, t),
    lambda svc, v, ids: svc.ctx.tweets.reposted(v, ids),
    lambda svc, s: setattr(svc, "reposts", s),
)
KINDS = pytest.mark.parametrize("kind", [LIKES, REPOSTS], ids=lambda k: k.name)


def flags_of(svc: FeedService, kind: Kind) -> Callable[[int, list[int]], Awaitable[set[int]]]:
    return svc.liked_flags if kind is LIKES else svc.reposted_flags


ADD = st.tuples(st.just("add"), st.integers(0, TWEETS - 1))
OPS = st.lists(
    st.one_of(
        ADD,  # additions weigh more than the rest, so that programs often hold more than the cache
        ADD,
        ADD,
        st.tuples(st.just("remove"), st.integers(0, TWEETS - 1)),
        st.tuples(st.just("delete"), st.integers(0, TWEETS - 1)),  # reposts: deleteTweet of the repost
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


async def check(kind: Kind, cached: ViewerTweetSet, svc: FeedService, viewer: int, tweets: list[int]) -> None:
    expected = await kind.ordinary(svc, viewer, tweets)  # the ordinary path
    assert await cached.flags(viewer, tweets) == expected
    for subset in (tweets[:3], tweets[-2:], tweets[::3]):
        assert await cached.flags(viewer, subset) == expected & set(subset)


@KINDS
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
async def test_flags_from_redis_equal_neo4j(
    kind: Kind, ops: list[tuple[Any, ...]], engine_factory: Factory, neo4j: AsyncDriver, redis: aioredis.Redis
) -> None:
    await wipe_graph(neo4j)
    svc, _ = engine_factory()
    await redis.delete(*[k async for k in redis.scan_iter(match=f"{svc.keys.prefix}*")] or ["-"])
    cached = kind.make(svc.ctx, cached=CACHED)
    kind.install(svc, cached)
    viewer, tweets = await world(svc)
    for op in ops:
        if op[0] == "add":
            await kind.add(svc, viewer, tweets[op[1]])
        elif op[0] == "remove":
            await kind.remove(svc, viewer, tweets[op[1]])
        elif op[0] == "delete" and kind is REPOSTS:
            await _delete_repost(svc, viewer, tweets[op[1]])
        elif op[0] == "evict":  # as TTL expiry or a FLUSHALL would
            await redis.delete(cached.key(viewer))
        elif op[0] == "check":
            await check(kind, cached, svc, viewer, tweets)
    await check(kind, cached, svc, viewer, tweets)


@KINDS
async def test_members_below_the_floor_are_asked_of_neo4j(
    kind: Kind, engine: Any, redis: aioredis.Redis
) -> None:
    svc, _ = engine
    viewer, tweets = await world(svc)
    members = set(tweets[:5])
    for t in members:
        await kind.add(svc, viewer, t)
    cached = kind.make(svc.ctx, cached=2)
    assert await cached.flags(viewer, tweets) == members
    assert await redis.zscore(cached.key(viewer), b"") == tweets[3]  # the floor: the 2nd newest member
    assert await cached.flags(viewer, tweets[:2]) == set(tweets[:2])  # only below the floor


@KINDS
async def test_the_set_serves_reads_without_neo4j_once_built(
    kind: Kind, engine: Any, redis: aioredis.Redis
) -> None:
    svc, _ = engine
    viewer, tweets = await world(svc)
    flags = flags_of(svc, kind)
    await kind.add(svc, viewer, tweets[1])
    assert await flags(viewer, tweets) == {tweets[1]}  # fills the set
    key = kind.make(svc.ctx).key(viewer)
    assert await redis.zscore(key, b"") == 0  # built, covering every id (fewer members than the cache holds)
    await kind.add(svc, viewer, tweets[5])  # a built set is updated by the write itself
    assert await redis.zscore(key, encode_id(tweets[5])) == 0
    await kind.remove(svc, viewer, tweets[1])
    assert await redis.zscore(key, encode_id(tweets[1])) is None
    real = getattr(svc.ctx.tweets, kind.recent)

    async def no_neo4j(*_: Any) -> list[int]:
        raise AssertionError("the built set must answer")

    setattr(svc.ctx.tweets, kind.recent, no_neo4j)
    try:
        assert await flags(viewer, tweets) == {tweets[5]}
    finally:
        setattr(svc.ctx.tweets, kind.recent, real)


@KINDS
async def test_a_fill_that_raced_a_write_is_dropped(kind: Kind, engine: Any, redis: aioredis.Redis) -> None:
    """A write lands after the fill read the version and Neo4j but before it writes: the fill must not write
    a set that lacks it (it would say "not liked" or "not reposted" until the set expires)."""
    svc, _ = engine
    viewer, tweets = await world(svc)
    cached = kind.make(svc.ctx)
    real_recent = getattr(svc.ctx.tweets, kind.recent)

    async def recent_then_a_write(viewer_id: int, limit: int) -> list[int]:
        snapshot = await real_recent(viewer_id, limit)  # the fill's Neo4j read, before the write commits
        await kind.add(svc, viewer, tweets[2])  # commits and bumps the version (the set is not built yet)
        return snapshot

    setattr(svc.ctx.tweets, kind.recent, recent_then_a_write)
    try:
        assert await cached.flags(viewer, tweets) == set()  # answered from the fill's own (older) read
    finally:
        setattr(svc.ctx.tweets, kind.recent, real_recent)
    assert await redis.zscore(cached.key(viewer), b"") is None  # the stale fill was not written
    assert await cached.flags(viewer, tweets) == {tweets[2]}  # the next read fills it right
    assert await redis.zscore(cached.key(viewer), b"") == 0


async def test_deleting_a_repost_clears_the_flag(engine: Any) -> None:
    """deleteTweet of a repost (not unrepost) is an unrepost too: the built set loses the original."""
    svc, _ = engine
    viewer, tweets = await world(svc)
    await svc.repost(viewer, tweets[0])
    assert await svc.reposted_flags(viewer, tweets) == {tweets[0]}
    await _delete_repost(svc, viewer, tweets[0])
    assert await svc.reposted_flags(viewer, tweets) == set()
    assert await svc.ctx.tweets.reposted(viewer, tweets) == set()


async def test_flags_and_cached_records_asked_together_answer_as_each_asked_alone(
    engine: tuple[FeedService, FanoutWorker],
) -> None:
    """The first read of concurrent flag asks goes in one pipeline (ScoreReads), and the Redis reads of
    concurrent cache gets in one call (a live event's subscribers): each answer is the one asked alone, a
    record missing from the cache included."""
    svc, _ = engine
    author = await svc.create_user("flagged_author", None, "h")
    viewers = [await svc.create_user(f"flagger{i}", None, "h") for i in range(6)]
    tweets = [await svc.post_tweet(author.id, f"t{i}") for i in range(3)]
    for i, v in enumerate(viewers):
        for t in tweets[: i % 4]:
            await svc.like(v.id, t.id)
        if i % 2:
            await svc.repost(v.id, tweets[0].id)
    await svc.redis.delete(svc.keys.likes(viewers[5].id))  # one set not built: filled from Neo4j
    ids = [t.id for t in tweets]
    together = await asyncio.gather(
        *(svc.liked_flags(v.id, ids) for v in viewers), *(svc.reposted_flags(v.id, ids) for v in viewers)
    )
    alone = [await svc.liked_flags(v.id, ids) for v in viewers] + [
        await svc.reposted_flags(v.id, ids) for v in viewers
    ]
    assert together == alone
    assert together[:6] == [{t.id for t in tweets[: i % 4]} for i in range(6)]
    # Misses: the author's hash is read from Neo4j once for every concurrent get, and each viewer's own by the
    # get that asks it, beside the author's read (not after it).
    await svc.redis.delete(svc.keys.user(author.id), *(svc.keys.user(v.id) for v in viewers))
    loads = recorded_user_loads(svc.caches)
    got = await asyncio.gather(*(svc.users_by_ids([author.id, v.id]) for v in viewers))
    assert sorted(loads) == sorted([[author.id, viewers[0].id], *([v.id] for v in viewers[1:])])
    assert [set(g) for g in got] == [{author.id, v.id} for v in viewers]
    assert all(g[author.id] == got[0][author.id] for g in got)
    assert got == [await svc.users_by_ids([author.id, v.id]) for v in viewers]
    assert len(loads) == len(viewers), "cached by the first reads"


async def test_a_shared_miss_read_outlives_the_get_that_started_it(
    engine: tuple[FeedService, FanoutWorker],
) -> None:
    """Cancelling the get whose Neo4j read another get shares does not cancel that read; a failed read fails
    every get that shares it, and the next get reads again."""
    svc, _ = engine
    author = await svc.create_user("shared_miss", None, "h")
    await svc.redis.delete(svc.keys.user(author.id))
    real_load = svc.caches._users.load
    gate = asyncio.Event()
    failing = True

    async def load(ids: list[int]) -> dict[int, UserRecord]:
        await gate.wait()
        if failing:
            raise ConnectionError("neo4j went away")
        return await real_load(ids)

    svc.caches._users = dataclasses.replace(svc.caches._users, load=load)
    first = asyncio.ensure_future(svc.users_by_ids([author.id]))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(svc.users_by_ids([author.id]))
    await asyncio.sleep(0.01)
    first.cancel()
    gate.set()
    with pytest.raises(ConnectionError):
        await second
    assert first.cancelled()
    failing = False
    assert (await svc.users_by_ids([author.id]))[author.id].handle == "shared_miss"
    assert svc.caches._users.loading.running(author.id) is None
