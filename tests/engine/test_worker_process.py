"""`feedline worker` as a real process: a SIGKILL in the middle of a large fan-out loses nothing and
duplicates nothing; SIGTERM finishes the current page and exits cleanly; two workers share the stream.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
from neo4j import AsyncDriver

from api.hub import LiveHub
from fanout.keys import FANOUT_GROUP, fanout_shard
from fanout.service import FeedService
from fanout.store import BUILT, LIVE_LOG_TTL_S, encode_id
from feedline.app import engine_config
from feedline.settings import Settings
from graph.driver import DATABASE
from tests.support.processes import running, start_worker

FOLLOWERS = 20_000
PAGE = 20  # followers per round trip: a fan-out of 1,000 pages, long enough to be killed in the middle


async def author_with_warm_followers(
    svc: FeedService, driver: AsyncDriver, redis: aioredis.Redis, count: int
) -> tuple[int, list[int]]:
    """An author with ``count`` followers (bulk-created in Neo4j) whose timelines exist in Redis and who are
    live (a subscription started: their inserts are logged and published, FeedService.watch_live)."""
    author = await svc.create_user("bigauthor", None, "hash")
    base = author.id + 1_000_000
    ids = list(range(base, base + count))
    async with driver.session(database=DATABASE) as session:
        for start in range(0, count, 5000):
            await session.run(
                "MATCH (a:User {id: $author}) UNWIND $ids AS id "
                "CREATE (f:User {id: id, handle: 'f' + id, handleLower: 'f' + id, displayName: 'f', "
                "  displayNameLower: 'f', bio: '', passwordHash: 'x', followerCount: 0, followingCount: 1, "
                "  tweetCount: 0, createdAt: datetime(), lastActiveAt: datetime()})-[:FOLLOWS {since: 0}]->(a)",
                author=author.id,
                ids=ids[start : start + 5000],
            )
        await session.run("MATCH (a:User {id: $author}) SET a.followerCount = $n", author=author.id, n=count)
    async with redis.pipeline(transaction=False) as pipe:
        for f in ids:
            pipe.zadd(svc.keys.timeline(f), {BUILT: 0})
            pipe.set(svc.keys.live_generation(f), time.time_ns() // 1000, ex=LIVE_LOG_TTL_S)
        await pipe.execute()
    return author.id, ids


async def progress_key(svc: FeedService, redis: aioredis.Redis, author: int) -> str:
    """The checkpoint key of the newest message on the author's queue shard (the post just made)."""
    shard = fanout_shard(author)
    [(message_id, _)] = await redis.xrevrange(svc.keys.fanout_stream(shard), count=1)
    return svc.keys.fanout_progress(shard, message_id.decode())


async def wait_until(predicate: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_sigkill_mid_fanout_then_another_worker_finishes_exactly_once(
    settings: Settings, neo4j: AsyncDriver, redis: aioredis.Redis
) -> None:
    svc = FeedService(neo4j, redis, engine_config(settings))
    author, followers = await author_with_warm_followers(svc, neo4j, redis, FOLLOWERS)
    keys = svc.keys
    env = {"FEEDLINE_WORKER_PAGE_SIZE": str(PAGE), "FEEDLINE_WORKER_CLAIM_MIN_IDLE_MS": "300"}

    # Every live NEW event published on a follower's timeline channel, counted per channel.
    # Live channels are shard channels (no pattern subscriptions): the API's hub subscribes to each, on the
    # node that owns it.
    published: Counter[bytes] = Counter()
    sentinel = keys.live_timeline(0).encode()
    hub = LiveHub(redis, max_queue=10 * FOLLOWERS)
    channels = [keys.live_timeline(u) for u in [0, author, *followers]]
    subscription = hub.subscriber()  # held: a collected context manager would run its exit (unsubscribe)
    sub = await subscription.__aenter__()
    try:
        for start in range(0, len(channels), 1000):  # each add waits for its acknowledgements (a 5 s bound)
            await sub.add(channels[start : start + 1000])

        sentinel_heard = asyncio.Event()

        async def listen() -> None:
            while True:
                channel, _ = await sub.get()
                published[channel.encode()] += 1
                if channel.encode() == sentinel:
                    sentinel_heard.set()

        listener = asyncio.create_task(listen())
        first = start_worker(settings, name="doomed", **env)
        with running(first):
            tweet = await svc.post_tweet(author, "to twenty thousand timelines")

            progress = await progress_key(svc, redis, author)

            async def some_pages_done() -> bool:
                return bool(await redis.exists(progress))

            await wait_until(some_pages_done, 30, "the first pages of the fan-out")
            first.kill()  # SIGKILL: no clean-up, the message stays pending with a checkpoint
        member = encode_id(tweet.id)
        async with redis.pipeline(transaction=False) as pipe:
            for f in followers:
                pipe.zscore(keys.timeline(f), member)
            done_before = sum(score is not None for score in await pipe.execute())
        assert 0 < done_before < FOLLOWERS, "the worker must have died in the middle of the fan-out"
        stream = keys.fanout_stream(fanout_shard(author))
        pending = await redis.xpending(stream, FANOUT_GROUP)
        assert pending["pending"] == 1

        second = start_worker(settings, name="rescuer", **env)
        with running(second):

            async def nothing_pending() -> bool:
                return (await redis.xpending(stream, FANOUT_GROUP))["pending"] == 0

            await wait_until(nothing_pending, 60, "the rescuer to claim and finish the message")
        assert "Traceback" not in second.output(), second.output()

        async with redis.pipeline(transaction=False) as pipe:
            for f in followers:
                pipe.zrange(keys.timeline(f), 0, -1)
            timelines = await pipe.execute()
        # Exactly once: every timeline is the marker plus this one tweet, nothing missing, nothing else.
        assert all(sorted(t) == sorted([BUILT, member]) for t in timelines)
        assert not await redis.exists(progress), "the checkpoint is removed with the acknowledgement"
        # ... and every follower was told exactly once: no page's live events were published twice. Everything
        # published before the sentinel (after the XACK) reaches the subscriber before it on one server; on a
        # cluster, events come from each node's own connection, so the sentinel (one node) can overtake the
        # others': also wait until every follower's channel was heard, then a moment for any duplicate.
        await redis.spublish(sentinel.decode(), b"end")
        await asyncio.wait_for(sentinel_heard.wait(), 30)

        async def every_follower_heard() -> bool:
            return sum(1 for u in followers if published[keys.live_timeline(u).encode()]) == FOLLOWERS

        await wait_until(every_follower_heard, 30, "every follower's live event")
        await asyncio.sleep(0.5)
    finally:
        if "listener" in locals():
            listener.cancel()
        await subscription.__aexit__(None, None, None)
        await hub.aclose()  # also when the test fails: no reader task left behind
    del published[sentinel]
    del published[keys.live_timeline(author).encode()]  # the author's own NEW, from post_tweet
    assert len(published) == FOLLOWERS and set(published.values()) == {1}, Counter(published.values())


async def test_sigterm_finishes_the_current_page_and_exits(
    settings: Settings, neo4j: AsyncDriver, redis: aioredis.Redis
) -> None:
    svc = FeedService(neo4j, redis, engine_config(settings))
    author, followers = await author_with_warm_followers(svc, neo4j, redis, 5_000)
    keys = svc.keys
    worker = start_worker(settings, name="polite", FEEDLINE_WORKER_PAGE_SIZE=str(PAGE))
    with running(worker):
        tweet = await svc.post_tweet(author, "hello")

        progress = await progress_key(svc, redis, author)

        async def started() -> bool:
            return bool(await redis.exists(progress))

        await wait_until(started, 30, "the fan-out to start")
        code = worker.stop(timeout=20)
    assert code == 0, worker.output()
    assert "stopped" in worker.output()
    member = encode_id(tweet.id)
    async with redis.pipeline(transaction=False) as pipe:
        for f in followers:
            pipe.zscore(keys.timeline(f), member)
        done = sum(score is not None for score in await pipe.execute())
    # Whole pages only: the checkpoint says how far it got, and exactly that many timelines hold the tweet.
    last_done = int(await redis.get(progress))
    assert done == sum(1 for f in followers if f <= last_done)
    assert done % PAGE == 0 and 0 < done < len(followers)


async def test_two_workers_share_the_stream(
    settings: Settings, neo4j: AsyncDriver, redis: aioredis.Redis
) -> None:
    svc = FeedService(neo4j, redis, engine_config(settings))
    reader = await svc.create_user("reader", None, "hash")
    authors = [await svc.create_user(f"writer{i}", None, "hash") for i in range(4)]
    for a in authors:
        await svc.follow(reader.id, a.handle)
    await svc.read_home(reader.id, 1, None)  # warm timeline
    one, two = start_worker(settings, name="one"), start_worker(settings, name="two")
    with running(one, two):
        posted = {(await svc.post_tweet(authors[i % 4].id, f"post {i}")).id for i in range(40)}

        async def all_arrived() -> bool:
            stored = await svc.ctx.store.read_below(svc.keys.timeline(reader.id), None, 100)
            return set(stored) == posted

        await wait_until(all_arrived, 30, "every post to reach the reader")
        codes = [one.stop(timeout=20), two.stop(timeout=20)]
    assert codes == [0, 0], one.output() + two.output()
    # Each worker says how many messages it acknowledged as it stops: both took part, and together they
    # did every post exactly once.
    done = {}
    for proc, name in ((one, "one"), (two, "two")):
        match = re.search(rf"fan-out worker {name} stopped \((\d+) messages done\)", proc.output())
        assert match, proc.output()
        done[name] = int(match.group(1))
    assert done["one"] > 0 and done["two"] > 0, done
    assert done["one"] + done["two"] == len(posted), done
