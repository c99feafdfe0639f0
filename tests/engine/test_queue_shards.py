"""The fan-out queue in FANOUT_SHARDS streams (issue 10, item 5): a job goes to its author's shard, a worker
reads and claims on every shard, a lost group is recreated per shard, and the metrics sum over the shards."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import redis.asyncio as aioredis

from api.metrics import queue_counts
from fanout import jobs
from fanout.keys import FANOUT_SHARDS, fanout_shard
from fanout.service import FeedService
from fanout.store import encode_id
from fanout.worker import FanoutWorker
from graph.records import UserRecord
from tests.engine.conftest import Factory

Engine = tuple[FeedService, FanoutWorker]


async def authors_in_every_shard(svc: FeedService, fan: UserRecord) -> dict[int, UserRecord]:
    """One author per shard (users are signed up until every shard has one), each followed by ``fan``."""
    by_shard: dict[int, UserRecord] = {}
    for i in range(200):
        if len(by_shard) == FANOUT_SHARDS:
            break
        author = await svc.create_user(f"author{i}", None, "h")
        if fanout_shard(author.id) not in by_shard:
            by_shard[fanout_shard(author.id)] = author
            await svc.follow(fan.id, author.handle)
    assert len(by_shard) == FANOUT_SHARDS, "authors should spread over every shard"
    return by_shard


async def stream_jobs(redis: aioredis.Redis, stream: str) -> list[jobs.Job]:
    messages: Any = await redis.xrange(stream)
    return [jobs.decode(fields) for _, fields in messages]


async def pending(redis: aioredis.Redis, svc: FeedService) -> list[int]:
    return [int((await redis.xpending(s, svc.keys.fanout_group))["pending"]) for s in svc.keys.fanout_streams]


async def test_one_authors_jobs_land_in_one_shard_in_order(engine: Engine, redis: aioredis.Redis) -> None:
    svc, _ = engine
    author = await svc.create_user("author", None, "h")
    posted = [await svc.post_tweet(author.id, f"post {i}") for i in range(3)]
    await svc.delete_tweet(author.id, posted[1].id)
    shard = fanout_shard(author.id)
    for k, stream in enumerate(svc.keys.fanout_streams):
        queued = await stream_jobs(redis, stream)
        if k != shard:
            assert queued == [], k
            continue
        assert [(type(j).__name__, getattr(j, "tweet_id", None)) for j in queued] == [
            ("PostJob", posted[0].id),
            ("PostJob", posted[1].id),
            ("PostJob", posted[2].id),
            ("DeleteJob", posted[1].id),
        ]
        assert all(j.author_id == author.id for j in queued)


async def test_a_worker_drains_every_shard(engine: Engine, redis: aioredis.Redis) -> None:
    svc, worker = engine
    fan = await svc.create_user("fan", None, "h")
    by_shard = await authors_in_every_shard(svc, fan)
    await svc.read_home(fan.id, 1, None)  # warm: fan-out writes the fan's timeline
    await worker.drain()
    posted = {shard: await svc.post_tweet(a.id, f"from shard {shard}") for shard, a in by_shard.items()}
    for shard, stream in enumerate(svc.keys.fanout_streams):
        assert await redis.xlen(stream) >= 1, f"shard {shard} got its author's post"
    await worker.drain()
    assert await pending(redis, svc) == [0] * FANOUT_SHARDS
    held = await svc.ctx.store.in_timeline(fan.id, [t.id for t in posted.values()])
    assert held == {t.id for t in posted.values()}
    length, pending_total, lag = await queue_counts(redis, svc.keys)
    assert (pending_total, lag) == (0, 0) and length >= FANOUT_SHARDS


async def test_a_message_left_pending_in_any_shard_is_claimed_by_another_worker(
    engine_factory: Factory, redis: aioredis.Redis
) -> None:
    svc, rescuer = engine_factory(claim_min_idle_ms=0, claim_every_s=0)
    fan = await svc.create_user("fan", None, "h")
    by_shard = await authors_in_every_shard(svc, fan)
    await svc.read_home(fan.id, 1, None)
    await rescuer.drain()
    killed = {}
    for shard, author in by_shard.items():
        tweet = await svc.post_tweet(author.id, f"left pending in shard {shard}")
        # A consumer reads it and dies before XACK.
        reply: Any = await redis.xreadgroup(
            svc.keys.fanout_group, "killed", {svc.keys.fanout_stream(shard): ">"}, count=10
        )
        assert [len(messages) for _, messages in reply] == [1]
        killed[shard] = tweet.id
    assert await pending(redis, svc) == [1] * FANOUT_SHARDS
    assert await rescuer.drain() == FANOUT_SHARDS
    assert rescuer.stats.messages_claimed == FANOUT_SHARDS
    assert await pending(redis, svc) == [0] * FANOUT_SHARDS
    for shard, tweet_id in killed.items():
        assert await redis.zscore(svc.keys.timeline(fan.id), encode_id(tweet_id)) is not None, shard


async def test_a_lost_group_is_recreated_on_every_shard(engine: Engine, redis: aioredis.Redis) -> None:
    """What FLUSHALL does to the queue (every stream, and so its group, gone) while the worker runs: each
    shard's loop recreates its group and goes on."""
    svc, worker = engine
    fan = await svc.create_user("fan", None, "h")
    by_shard = await authors_in_every_shard(svc, fan)
    await svc.read_home(fan.id, 1, None)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop, block_ms=100))
    try:
        first = [await svc.post_tweet(a.id, "before") for a in by_shard.values()]
        await wait_held(svc, fan.id, {t.id for t in first})
        for stream in svc.keys.fanout_streams:
            await redis.delete(stream)  # the group goes with the stream
        later = [await svc.post_tweet(a.id, "after the flush") for a in by_shard.values()]
        await wait_held(svc, fan.id, {t.id for t in later})
        for stream in svc.keys.fanout_streams:
            groups = await redis.xinfo_groups(stream)
            assert [g["name"] for g in groups] == [svc.keys.fanout_group.encode()], stream
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running, 10)


async def wait_held(svc: FeedService, uid: int, ids: set[int], within: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while await svc.ctx.store.in_timeline(uid, sorted(ids)) != ids:
        assert loop.time() < deadline, "fan-out did not reach the timeline"
        await asyncio.sleep(0.05)


async def test_queue_metrics_sum_over_the_shards(engine: Engine, redis: aioredis.Redis) -> None:
    svc, worker = engine
    fan = await svc.create_user("fan", None, "h")
    by_shard = await authors_in_every_shard(svc, fan)
    for stream in svc.keys.fanout_streams:
        await redis.delete(stream)  # the follows' reconcile checks queued nothing; start from empty
    for author in by_shard.values():
        await svc.post_tweet(author.id, "queued")
    # No group yet: every message waits.
    assert await queue_counts(redis, svc.keys) == (FANOUT_SHARDS, 0, FANOUT_SHARDS)
    await worker.ensure_group()
    for shard in (0, FANOUT_SHARDS - 1):  # a consumer takes the messages of two shards and dies
        await redis.xreadgroup(
            svc.keys.fanout_group, "killed", {svc.keys.fanout_stream(shard): ">"}, count=10
        )
    assert await queue_counts(redis, svc.keys) == (FANOUT_SHARDS, 2, FANOUT_SHARDS - 2)


async def test_the_worker_reuses_only_a_not_celebrity_answer(engine_factory: Factory) -> None:
    """``celebmode`` read per message is cached in-process for the answer "not a celebrity" only (a stale one
    fans out as before a switch up); "celebrity" is read fresh, so a switch down is seen at once."""
    svc, worker = engine_factory(threshold=100)
    author = await svc.create_user("author", None, "h")
    mode = svc.keys.celebrity_mode
    assert not await worker._is_celebrity(author.id)
    await svc.redis.sadd(mode, str(author.id))
    assert not await worker._is_celebrity(author.id), "reused within the TTL"
    worker._not_celebrity.clear()  # as the TTL ending, or a reconcile run by this worker
    assert await worker._is_celebrity(author.id)
    await svc.redis.srem(mode, str(author.id))
    assert not await worker._is_celebrity(author.id), "a celebrity answer is never reused"


async def test_a_reconcile_run_by_the_worker_forgets_its_cached_answer(
    engine_factory: Factory, redis: aioredis.Redis
) -> None:
    svc, worker = engine_factory(threshold=2)
    star = await svc.create_user("star", None, "h")
    fans = [await svc.create_user(f"fan{i}", None, "h") for i in range(2)]
    await svc.post_tweet(star.id, "before")
    await worker.drain()
    assert not await worker._is_celebrity(star.id)  # cached: not a celebrity
    for fan in fans:
        await svc.follow(fan.id, "star")  # the second follow reaches the threshold: a reconcile is queued
    await worker.drain()
    assert await redis.sismember(svc.keys.celebrity_mode, str(star.id))
    assert star.id not in worker._not_celebrity
    assert await worker._is_celebrity(star.id)


async def test_a_post_catches_up_a_crossing_whose_reconcile_job_was_lost(
    engine_factory: Factory, redis: aioredis.Redis
) -> None:
    """The mode's safety net (FanoutWorker._check_follower_count, run beside the walk): a post by an author
    whose follower count crossed the threshold with no reconcile queued (the job lost, as in a flush of the
    stream) queues one, and the worker then switches the author to fan-out on read."""
    svc, worker = engine_factory(threshold=2)
    await worker.ensure_group()
    star = await svc.create_user("star", None, "h")
    fans = [await svc.create_user(f"fan{i}", None, "h") for i in range(2)]
    for fan in fans:
        await svc.follow(fan.id, "star")  # the second follow reaches the threshold: a reconcile is queued
    # ... and lost.
    lost = 0
    for shard in range(FANOUT_SHARDS):
        stream = svc.keys.fanout_stream(shard)
        for message_id, fields in await redis.xrange(stream):
            if isinstance(jobs.decode(fields), jobs.CelebJob):
                lost += await redis.xdel(stream, message_id)
    assert lost == 1
    await redis.delete(svc.keys.reconcile_pending(star.id))
    assert not await redis.sismember(svc.keys.celebrity_mode, str(star.id))
    tweet = await svc.post_tweet(star.id, "still fanned out on write")
    await worker.drain()
    assert await redis.sismember(svc.keys.celebrity_mode, str(star.id)), "the post queued the reconcile"
    for fan in fans:  # and the post itself reached both followers, before or after the switch
        page = await svc.read_home(fan.id, 5, None)
        assert tweet.id in [entry.tweet.id for entry in page.entries]
