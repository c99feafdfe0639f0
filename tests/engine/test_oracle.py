"""The hybrid feed equals the pure pull query, whatever happened before (hypothesis).

Random programs of sign-ups, follows, unfollows, posts, deletes, likes, reads, evictions of derived Redis
state (timelines, author lists, celebs/followee sets, everything), worker drains and worker redeliveries
(a message processed by a consumer that dies before XACK, then claimed and processed again) run against
real Neo4j and Redis with a celebrity threshold of 2 (five users), so authors cross it up and down all the time.

Afterwards the worker is drained and, for every user, the LATEST feed walked to the end in pages of 3
(SUGGESTED entries aside) must equal ``pull_home`` exactly: same tweets, same order, nothing twice.
Window: the whole history. The programs post at most 70 tweets, far below the timeline cap (800) and the
author-list cap (1000), so no cap trims anything; caps are covered by test_engine_flows.py.
Labels: CELEBRITY iff the author is (by then) at or above the threshold and is not the viewer.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import redis.asyncio as aioredis
from hypothesis import HealthCheck, event, given, settings, target
from hypothesis import strategies as st
from neo4j import AsyncDriver

from fanout.context import EngineStats
from fanout.service import EngineConfig, FeedService
from fanout.worker import FanoutWorker
from feedline.settings import Settings
from graph.errors import NotFound
from graph.pull import pull_home
from tests.conftest import wipe_graph

THRESHOLD = 2

idx = st.integers(min_value=0, max_value=4)
FOLLOW = st.tuples(st.just("follow"), idx, idx)
UNFOLLOW = st.tuples(st.just("unfollow"), idx, idx)
POST = st.tuples(st.just("post"), idx)
# The first branches are the ones hypothesis starts from and shrinks towards: follows and posts.
OPS = st.lists(
    st.one_of(
        FOLLOW,
        POST,
        FOLLOW,
        UNFOLLOW,
        FOLLOW,
        POST,
        UNFOLLOW,
        FOLLOW,
        UNFOLLOW,
        st.tuples(st.just("delete"), st.integers(0, 50)),
        st.tuples(st.just("like"), idx, st.integers(0, 50)),
        st.tuples(st.just("read"), st.integers(0, 8)),
        st.tuples(st.just("evict"), st.sampled_from(["tl", "ut", "celebs", "fw", "all"]), st.integers(0, 8)),
        st.tuples(st.just("drain")),
        st.tuples(st.just("drain")),
        st.tuples(st.just("redeliver")),
        st.tuples(st.just("redeliver")),
        st.tuples(st.just("signup")),
    ),
    min_size=20,
    max_size=70,
)


async def walk_feed(service: FeedService, viewer: int, page_size: int = 3) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    after = None
    for _ in range(200):
        page = await service.read_home(viewer, page_size, after)
        out += [(e.tweet.id, e.source) for e in page.entries]
        if not page.has_next_page:
            return out
        after = page.end_cursor
    raise AssertionError("feed did not end")


async def redeliver_one(service: FeedService, redis: aioredis.Redis, flaky: FanoutWorker) -> None:
    """A consumer reads one message and processes it but dies before XACK: it stays pending."""
    keys = service.keys
    await flaky.ensure_group()
    reply = await redis.xreadgroup(keys.fanout_group, "flaky", {keys.fanout_stream: ">"}, count=1)
    for _, messages in reply or []:
        for msg_id, fields in messages:
            mid = msg_id.decode()
            if fields[b"kind"] == b"post":
                await flaky.fan_post(mid, int(fields[b"tweet"]), int(fields[b"author"]))
            elif fields[b"kind"] == b"delete":
                await flaky.fan_delete(mid, int(fields[b"tweet"]), int(fields[b"author"]))


async def run_program(
    ops: list[tuple[Any, ...]], driver: AsyncDriver, redis: aioredis.Redis, base: Settings
) -> EngineStats:
    await wipe_graph(driver)
    prefix = f"o{uuid.uuid4().hex[:8]}:"
    config = EngineConfig(
        key_prefix=prefix, celebrity_threshold=THRESHOLD, timeline_ttl_seconds=3600, worker_id=12
    )
    service = FeedService(driver, redis, config)
    # claim_min_idle_ms=0: anything pending (a redelivery) is claimed on the next drain.
    worker = FanoutWorker(driver, redis, config, "main", page_size=2, claim_min_idle_ms=0, claim_every_s=0)
    flaky = FanoutWorker(driver, redis, config, "flaky", page_size=2)
    users: list[tuple[int, str]] = []
    tweets: list[tuple[int, int]] = []  # (tweet id, author id)
    try:
        for n in range(5):
            u = await service.create_user(f"user{n}", None, "h")
            users.append((u.id, u.handle))
        for op in ops:
            kind = op[0]
            if kind == "signup":
                u = await service.create_user(f"user{len(users)}", None, "h")
                users.append((u.id, u.handle))
            elif kind in ("follow", "unfollow"):
                (a, _), (_, b_handle) = users[op[1] % len(users)], users[op[2] % len(users)]
                if users[op[1] % len(users)] == users[op[2] % len(users)]:
                    continue
                await (service.follow if kind == "follow" else service.unfollow)(a, b_handle)
            elif kind == "post":
                author = users[op[1] % len(users)][0]
                t = await service.post_tweet(author, f"tweet {len(tweets)}")
                tweets.append((t.id, author))
            elif kind == "delete" and tweets:
                tid, author = tweets[op[1] % len(tweets)]
                with contextlib.suppress(NotFound):  # already deleted
                    await service.delete_tweet(author, tid)
            elif kind == "like" and tweets:
                with contextlib.suppress(NotFound):  # deleted
                    await service.like(users[op[1] % len(users)][0], tweets[op[2] % len(tweets)][0])
            elif kind == "read":
                await service.read_home(users[op[1] % len(users)][0], 5, None)
            elif kind == "evict":
                uid = users[op[2] % len(users)][0]
                keys = service.keys
                if op[1] == "all":  # Redis lost everything derived (the stream survives)
                    doomed = [
                        k async for k in redis.scan_iter(match=f"{prefix}*") if not k.endswith(b"fanout")
                    ]
                    if doomed:
                        await redis.delete(*doomed)
                else:
                    key = {
                        "tl": keys.timeline,
                        "ut": keys.author_tweets,
                        "celebs": keys.celebs,
                        "fw": keys.followees,
                    }[op[1]](uid)
                    await redis.delete(key)
            elif kind == "drain":
                await worker.drain()
            elif kind == "redeliver":
                await redeliver_one(service, redis, flaky)
        await worker.drain()
        pending = await redis.xpending(service.keys.fanout_stream, service.keys.fanout_group)
        assert pending["pending"] == 0

        counts = {
            u.id: u.follower_count for u in (await service.ctx.users.by_ids([u for u, _ in users])).values()
        }
        for uid, handle in users:
            feed = await walk_feed(service, uid)
            ids = [tid for tid, source in feed if source != "SUGGESTED"]
            expected = [t.id for t in await pull_home(driver, uid, None, 10_000)]
            assert ids == expected, f"feed of {handle} differs from pull_home"
            assert len({tid for tid, _ in feed}) == len(feed), "duplicate entry"
            authors = {t.id: t.author_id for t in (await service.tweets_by_ids(ids)).values()}
            for tid, source in feed:
                if source == "SUGGESTED":
                    continue
                author = authors[tid]
                celeb = author != uid and counts[author] >= THRESHOLD
                assert source == ("CELEBRITY" if celeb else "TIMELINE"), (handle, tid, source)
        return worker.stats
    finally:
        doomed = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if doomed:
            await redis.delete(*doomed)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
async def test_hybrid_feed_equals_pull_home(
    ops: list[tuple[Any, ...]], neo4j: AsyncDriver, redis: aioredis.Redis, settings: Settings
) -> None:
    stats = await run_program(ops, neo4j, redis, settings)
    event(f"threshold crossings: up {min(stats.crossings_up, 2)}+, down {min(stats.crossings_down, 2)}+")
    event(f"redelivered messages claimed: {min(stats.messages_claimed, 2)}+")
    target(float(stats.crossings_up + 2 * stats.crossings_down + stats.messages_claimed))
