"""The flows of DESIGN.md §3 one by one, against real Redis and Neo4j (the oracle test mixes them randomly).

Celebrity threshold 3 unless a test says otherwise; worker pages of 2 followers so every fan-out spans pages.
Trending suggestions are off (engine_factory) except in the test about them, so a tweet that fan-out, a
backfill or a rebuild lost is missing from the feed instead of coming back through trending.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import redis.asyncio as aioredis
from neo4j import AsyncDriver

from api.hub import LiveHub
from fanout.cache import Caches
from fanout.config import EngineConfig
from fanout.keys import fanout_shard
from fanout.live import cursor_for, decode_event
from fanout.ranking import engagement_from, trending_score, velocity
from fanout.service import FeedService
from fanout.store import BUILT, TRENDING_CAP, TRENDING_SHARDS, TimelineStore, encode_id
from fanout.worker import FanoutWorker
from feedline.settings import Settings
from graph.ids import min_id_at, timestamp_ms
from graph.pull import pull_home
from graph.records import UserRecord
from tests.engine.conftest import Factory, PageBudget

Engine = tuple[FeedService, FanoutWorker]


async def users(svc: FeedService, *handles: str) -> list[UserRecord]:
    return [await svc.create_user(h, None, "hash") for h in handles]


def recorded_user_loads(caches: Caches) -> list[list[int]]:
    """The ids of each Neo4j read of ``caches``' user cache (its misses) from now on: the cache loads through
    the loader bound when it was made, replaced here by one that records."""
    real_load = caches._users.load
    loads: list[list[int]] = []

    async def load(ids: list[int]) -> dict[int, UserRecord]:
        loads.append(ids)
        return await real_load(ids)

    caches._users = dataclasses.replace(caches._users, load=load)
    return loads


async def feed_ids(svc: FeedService, viewer: int, page_size: int = 50) -> list[int]:
    """The viewer's LATEST feed walked to the end (suggestions are off: every entry comes from the timeline
    or a celebrity's author list)."""
    out: list[int] = []
    after = None
    while True:
        page = await svc.read_home(viewer, page_size, after)
        assert all(e.source != "SUGGESTED" for e in page.entries)
        out += [e.tweet.id for e in page.entries]
        if not page.has_next_page:
            return out
        after = page.end_cursor


async def oracle(driver: AsyncDriver, viewer: int, limit: int = 10_000) -> list[int]:
    return [t.id for t in await pull_home(driver, viewer, None, limit)]


async def test_pagination_while_tweets_arrive_has_no_duplicate_and_no_gap(
    engine_factory: Factory, neo4j: AsyncDriver
) -> None:
    svc, worker = engine_factory(threshold=3)
    viewer, author, celeb, *fans = await users(svc, "viewer", "author", "celeb", "fan1", "fan2")
    await svc.follow(viewer.id, "author")
    for fan in (viewer, *fans):
        await svc.follow(fan.id, "celeb")  # 3 followers: a celebrity, merged on read
    await worker.drain()
    before = []
    for i in range(30):
        before.append((await svc.post_tweet(author.id if i % 3 else celeb.id, f"old {i}")).id)
    await worker.drain()

    seen: list[int] = []
    after = None
    while True:
        page = await svc.read_home(viewer.id, 7, after)
        seen += [e.tweet.id for e in page.entries]
        # New tweets from both kinds of author land between pages.
        await svc.post_tweet(author.id, "new ordinary")
        await svc.post_tweet(celeb.id, "new celebrity")
        await worker.drain()
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert len(seen) == len(set(seen)), "duplicate across pages"
    assert seen == sorted(before, reverse=True), "a page skipped or repeated an entry"


async def test_concurrent_first_reads_rebuild_once(
    engine_factory: Factory, redis: aioredis.Redis, neo4j: AsyncDriver
) -> None:
    svc, worker = engine_factory()
    viewer, *authors = await users(svc, "viewer", "author1", "author2", "author3")
    for a in authors:
        await svc.follow(viewer.id, a.handle)
        await svc.post_tweet(a.id, f"hi from {a.handle}")
    await worker.drain()
    await redis.delete(svc.keys.timeline(viewer.id))  # evicted
    rebuilds = svc.stats.timeline_rebuilds

    pages = await asyncio.gather(*(svc.read_home(viewer.id, 10, None) for _ in range(12)))

    assert svc.stats.timeline_rebuilds == rebuilds + 1
    first = [e.tweet.id for e in pages[0].entries]
    assert first == await oracle(neo4j, viewer.id) and len(first) == 3, "the rebuild restores the timeline"
    assert all([e.tweet.id for e in p.entries] == first for p in pages)
    stored = await svc.ctx.store.read_below(svc.keys.timeline(viewer.id), None, 100)
    assert stored == first, "the rebuilt timeline is stored, not only served"


async def test_evicted_timeline_is_skipped_by_fanout_and_rebuilt_on_return(
    engine_factory: Factory, redis: aioredis.Redis, neo4j: AsyncDriver
) -> None:
    svc, worker = engine_factory(ttl=1)
    viewer, author = await users(svc, "viewer", "author")
    await svc.follow(viewer.id, "author")
    await svc.read_home(viewer.id, 10, None)
    tl = svc.keys.timeline(viewer.id)
    assert 0 < await redis.ttl(tl) <= 1

    deadline = time.monotonic() + 5
    while await redis.exists(tl):  # the user goes cold: Redis expires the timeline
        assert time.monotonic() < deadline, "timeline did not expire"
        await asyncio.sleep(0.1)
    tweet = await svc.post_tweet(author.id, "while you were away")
    await worker.drain()
    assert not await redis.exists(tl), "fan-out must skip cold users"

    rebuilds = svc.stats.timeline_rebuilds
    assert await feed_ids(svc, viewer.id) == [tweet.id] == await oracle(neo4j, viewer.id)
    assert svc.stats.timeline_rebuilds == rebuilds + 1


async def test_follow_backfills_and_unfollow_purges(engine_factory: Factory, redis: aioredis.Redis) -> None:
    svc, worker = engine_factory()
    viewer, author, other = await users(svc, "viewer", "author", "other")
    await svc.follow(viewer.id, "other")
    own = [(await svc.post_tweet(author.id, f"a{i}")).id for i in range(3)]
    kept = (await svc.post_tweet(other.id, "stays")).id
    await worker.drain()
    assert await feed_ids(svc, viewer.id) == [kept]

    await svc.follow(viewer.id, "author")  # no worker run: the follow itself backfills
    raw = await svc.ctx.store.read_below(svc.keys.timeline(viewer.id), None, 100)
    assert raw == sorted([*own, kept], reverse=True), (
        "the follow merges the author's tweets into the timeline"
    )
    assert await feed_ids(svc, viewer.id) == sorted([*own, kept], reverse=True)

    await svc.unfollow(viewer.id, "author")
    raw = await svc.ctx.store.read_below(svc.keys.timeline(viewer.id), None, 100)
    assert raw == [kept], "the unfollowed author's tweets must leave the stored timeline"
    assert await feed_ids(svc, viewer.id) == [kept]


async def test_delete_removes_everywhere_and_emits_deleted_events(
    engine_factory: Factory, redis: aioredis.Redis
) -> None:
    svc, worker = engine_factory(threshold=2)
    fan, other, author, celeb = await users(svc, "fan", "other", "author", "celeb")
    await svc.follow(fan.id, "author")
    await svc.follow(fan.id, "celeb")
    await svc.follow(other.id, "celeb")  # celeb reaches the threshold of 2
    await worker.drain()
    plain = await svc.post_tweet(author.id, "ordinary")
    star = await svc.post_tweet(celeb.id, "famous")
    await worker.drain()
    assert await feed_ids(svc, fan.id) == [star.id, plain.id]

    hub = LiveHub(redis)  # live channels are shard channels: the API's hub subscribes on the right nodes
    try:
        async with hub.subscriber([svc.keys.live_timeline(fan.id), svc.keys.live_author(celeb.id)]) as sub:
            await svc.delete_tweet(author.id, plain.id)
            await svc.delete_tweet(celeb.id, star.id)
            await worker.drain()
            events = [decode_event((await asyncio.wait_for(sub.get(), 5))[1]) for _ in range(2)]
    finally:
        await hub.aclose()
    assert {(e.kind, e.tweet_id, e.source) for e in events} == {
        ("DELETED", plain.id, "TIMELINE"),
        ("DELETED", star.id, "CELEBRITY"),
    }
    assert await feed_ids(svc, fan.id) == []
    assert await svc.ctx.store.read_below(svc.keys.timeline(fan.id), None, 10) == []
    assert star.id not in await svc.ctx.store.read_below(svc.keys.author_tweets(celeb.id), None, 10)
    assert await svc.tweets_by_ids([plain.id, star.id]) == {}


async def test_threshold_crossing_up_and_down_never_hides_a_tweet(
    engine_factory: Factory, neo4j: AsyncDriver
) -> None:
    svc, worker = engine_factory(threshold=3)
    author, f1, f2, f3 = await users(svc, "author", "fan1", "fan2", "fan3")
    for f in (f1, f2):
        await svc.follow(f.id, "author")
    await worker.drain()
    posted = [(await svc.post_tweet(author.id, "before")).id]
    await worker.drain()

    async def reader(stop: asyncio.Event, must_see: list[int], during: int, done_at: int) -> int:
        """Reads the followers' feeds over and over while the worker switches the author's mode.

        Every tweet posted before the crossing must be in every read; the one posted during it must be too
        as soon as the worker has acknowledged its message (``done_at`` messages done), whichever mode the
        author is in by then."""
        reads = 0
        while not stop.is_set():
            for f in (f1, f2):
                processed = worker.stats.messages_done >= done_at  # read before the feed: then it must show
                ids = set(await feed_ids(svc, f.id))
                assert set(must_see) <= ids, f"tweet missing from {f.handle}'s feed during the crossing"
                if processed:
                    assert during in ids, f"the tweet posted during the crossing is missing for {f.handle}"
                reads += 1
            await asyncio.sleep(0)
        return reads

    for crossing, change in (("up", svc.follow), ("down", svc.unfollow)):
        await change(f3.id, "author")  # the 3rd follower crosses up; unfollowing crosses back down
        during = (await svc.post_tweet(author.id, f"during {crossing}")).id
        # Queued: the crossing job, then the post.
        done_at = worker.stats.messages_done + 2
        stop = asyncio.Event()
        reading = asyncio.create_task(reader(stop, list(posted), during, done_at))
        await worker.drain()
        stop.set()
        assert await reading > 0
        assert worker.stats.messages_done >= done_at
        posted.append(during)
        for f in (f1, f2, f3):
            assert await feed_ids(svc, f.id) == await oracle(neo4j, f.id), (crossing, f.handle)
        for f in (f1, f2):
            assert await feed_ids(svc, f.id) == sorted(posted, reverse=True), (crossing, f.handle)
        posted.append((await svc.post_tweet(author.id, f"after {crossing}")).id)
        await worker.drain()
        for f in (f1, f2):
            assert await feed_ids(svc, f.id) == await oracle(neo4j, f.id) == sorted(posted, reverse=True)
    assert worker.stats.crossings_up == 1
    assert worker.stats.crossings_down == 1


async def test_celebrity_tweets_are_not_written_per_follower(
    engine_factory: Factory, redis: aioredis.Redis
) -> None:
    svc, worker = engine_factory(threshold=2)
    celeb, f1, f2 = await users(svc, "celeb", "fan1", "fan2")
    for f in (f1, f2):
        await svc.follow(f.id, "celeb")
        await svc.read_home(f.id, 5, None)  # timelines exist (warm users)
    await worker.drain()
    tweet = await svc.post_tweet(celeb.id, "to the masses")
    await worker.drain()
    for f in (f1, f2):
        assert await svc.ctx.store.read_below(svc.keys.timeline(f.id), None, 10) == []
        page = await svc.read_home(f.id, 5, None)
        assert [(e.tweet.id, e.source) for e in page.entries] == [(tweet.id, "CELEBRITY")]


async def test_caps_trim_timelines_and_author_lists(engine_factory: Factory, redis: aioredis.Redis) -> None:
    svc, worker = engine_factory(cap=5, author_cap=7)
    viewer, author, *quiet = await users(svc, "viewer", "author", *(f"quiet{i}" for i in range(5)))
    for handle in ["author", *(q.handle for q in quiet)]:  # enough follows not to get newcomer suggestions
        await svc.follow(viewer.id, handle)
    await svc.read_home(viewer.id, 5, None)
    ids = [(await svc.post_tweet(author.id, f"t{i}")).id for i in range(12)]
    await worker.drain()
    assert await svc.ctx.store.read_below(svc.keys.timeline(viewer.id), None, 100) == ids[::-1][:5]
    assert await svc.ctx.store.read_below(svc.keys.author_tweets(author.id), None, 100) == ids[::-1][:7]
    assert await redis.zscore(svc.keys.timeline(viewer.id), BUILT) is not None  # markers are never trimmed
    assert await feed_ids(svc, viewer.id, page_size=2) == ids[::-1][:5]


async def test_split_trending_ranks_as_one_set(redis: aioredis.Redis, settings: Settings) -> None:
    """trending is split in parts by tweet id; the merged reads equal the ranking of one set kept to the cap
    (by engagement velocity at the moment of the read), after a fill, an add, a removal, and with a part lost
    (the set then reads as not built)."""
    store = TimelineStore(redis, EngineConfig(key_prefix=settings.key_prefix))
    start = 1_750_000_000_000
    # Real snowflakes (the velocity reads a tweet's age from its id), a few per millisecond.
    rows = [(min_id_at(start + (i * 7919) % 100_000) + i % 4, start + (i * 7919) % 100_000, (i * 31) % 50)
            for i in range(1500)]  # fmt: skip
    await store.fill_trending(rows)
    oracle = {tid: trending_score(ms, likes) for tid, ms, likes in rows}
    now = start + 3_600_000

    def best(count: int) -> list[int]:
        kept = sorted(oracle.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:TRENDING_CAP]
        ranked = sorted(
            (
                (velocity(timestamp_ms(t), engagement_from(score, timestamp_ms(t)), now), t)
                for t, score in kept
            ),
            reverse=True,
        )
        return [tid for _, tid in ranked[:count]]

    assert await store.trending_exists()
    assert await store.trending_ids(50, now) == best(50)
    assert await store.trending_ids(5000, now) == best(5000)  # the cap, not more
    assert len({store.trending_key(tid) for tid, _, _ in rows}) == TRENDING_SHARDS
    top = best(1)[0]
    fresh = min_id_at(now - 60_000)
    async with redis.pipeline(transaction=False) as pipe:
        store.add_trending(pipe, fresh, now - 60_000, 1000)
        store.remove_trending(pipe, top)
        await pipe.execute()
    oracle[fresh] = trending_score(now - 60_000, 1000)
    del oracle[top]
    assert (await store.trending_ids(20, now))[0] == fresh
    assert top not in await store.trending_ids(TRENDING_CAP, now)
    assert await store.trending_ids(TRENDING_CAP, now) == best(TRENDING_CAP)
    await redis.delete(settings.key_prefix + "trending:{t1}")
    assert not await store.trending_exists()


async def test_new_user_gets_trending_suggestions_then_their_follows(engine_factory: Factory) -> None:
    svc, worker = engine_factory(suggestions=50)
    star, liker = await users(svc, "star", "liker")
    liked = await svc.post_tweet(star.id, "liked a lot")
    plain = await svc.post_tweet(star.id, "not liked")
    await svc.like(liker.id, liked.id)
    await worker.drain()

    newcomer = (await users(svc, "newcomer"))[0]
    page = await svc.read_home(newcomer.id, 10, None)
    assert [(e.tweet.id, e.source) for e in page.entries][:2] == [
        (plain.id, "SUGGESTED"),
        (liked.id, "SUGGESTED"),
    ]
    trending = await svc.trending(2)
    assert [t.id for t in trending] == [liked.id, plain.id], "likes outrank recency by a few minutes"

    await svc.follow(newcomer.id, "star")
    page = await svc.read_home(newcomer.id, 10, None)
    assert {(e.tweet.id, e.source) for e in page.entries} == {(liked.id, "TIMELINE"), (plain.id, "TIMELINE")}

    # Labelled by the source it came from, not by its author: a followed author's tweet that the timeline
    # lost (here: removed by hand) and that only trending still has is SUGGESTED, never TIMELINE.
    await svc.redis.zrem(svc.keys.timeline(newcomer.id), encode_id(plain.id))
    page = await svc.read_home(newcomer.id, 10, None)
    assert {(e.tweet.id, e.source) for e in page.entries} == {(liked.id, "TIMELINE"), (plain.id, "SUGGESTED")}
    assert [e.source for e in await svc.replay(newcomer.id, cursor_for(liked.id))] == ["SUGGESTED"]


async def test_suggestions_can_be_turned_off(engine_factory: Factory) -> None:
    svc, worker = engine_factory(suggestions=0)
    star = (await users(svc, "star"))[0]
    await svc.post_tweet(star.id, "trending")
    await worker.drain()
    newcomer = (await users(svc, "newcomer"))[0]
    assert (await svc.read_home(newcomer.id, 10, None)).entries == []


async def test_top_order_pages_are_consistent_while_likes_move(engine_factory: Factory) -> None:
    svc, worker = engine_factory()
    viewer, author = await users(svc, "viewer", "author")
    await svc.follow(viewer.id, "author")
    ids = [(await svc.post_tweet(author.id, f"t{i}")).id for i in range(9)]
    await svc.like(viewer.id, ids[0])  # the oldest, liked: ranks above its age
    await worker.drain()
    seen: list[int] = []
    after = None
    while True:
        page = await svc.read_home(viewer.id, 4, after, order="TOP")
        seen += [e.tweet.id for e in page.entries]
        await svc.like(viewer.id, ids[-1 - len(seen) // 4])  # scores move between pages
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)
    assert seen.index(ids[0]) < seen.index(ids[1]), "a liked tweet outranks a slightly newer unliked one"


async def test_replay_returns_what_was_missed_oldest_first(engine_factory: Factory) -> None:
    svc, worker = engine_factory()
    viewer, author = await users(svc, "viewer", "author")
    await svc.follow(viewer.id, "author")
    first = await svc.post_tweet(author.id, "seen")
    await worker.drain()
    cursor = (await svc.read_home(viewer.id, 1, None)).entries[0].cursor
    missed = [(await svc.post_tweet(author.id, f"missed {i}")).id for i in range(3)]
    await worker.drain()
    replayed = await svc.replay(viewer.id, cursor)
    assert [(e.tweet.id, e.source) for e in replayed] == [(i, "TIMELINE") for i in missed]
    assert first.id not in {e.tweet.id for e in replayed}
    # Read from the stored timeline (fanned out), which was built before the misses were posted.
    assert await svc.ctx.store.read_below(svc.keys.timeline(viewer.id), None, 10) == [*missed[::-1], first.id]


async def test_a_live_subscriber_who_never_read_still_gets_fanned_out_events(
    engine_factory: Factory, redis: aioredis.Redis
) -> None:
    svc, worker = engine_factory(threshold=2)
    newcomer, author, celeb, other = await users(svc, "newcomer", "author", "celeb", "other")
    for handle in ("author", "celeb"):
        await svc.follow(newcomer.id, handle)
    await svc.follow(other.id, "celeb")
    await worker.drain()
    assert not await redis.exists(svc.keys.timeline(newcomer.id)), "signed up and followed, never read"

    celebs = await svc.prepare_live(newcomer.id)
    assert celebs == {celeb.id}
    await svc.watch_live(newcomer.id)  # as the subscription does (resolvers/live.py), before it subscribes
    hub = LiveHub(redis)
    try:
        async with hub.subscriber([svc.keys.live_timeline(newcomer.id)]) as sub:
            tweet = await svc.post_tweet(author.id, "live")
            await worker.drain()
            try:
                _, data = await asyncio.wait_for(sub.get(), 5)
            except TimeoutError:
                raise AssertionError("fan-out skipped the subscriber's timeline") from None
    finally:
        await hub.aclose()
    assert decode_event(data).tweet_id == tweet.id


async def test_reading_touches_last_active_at_most_hourly(
    engine_factory: Factory, neo4j: AsyncDriver
) -> None:
    svc, _ = engine_factory()
    (reader,) = await users(svc, "reader")

    async def last_active() -> object:
        records, _, _ = await neo4j.execute_query(
            "MATCH (u:User {id: $id}) RETURN u.lastActiveAt AS at", id=reader.id
        )
        return records[0]["at"]

    created = await last_active()
    await asyncio.sleep(0.01)
    await svc.read_home(reader.id, 5, None)
    await svc.reader.drain()  # the write runs beside the read, which does not wait for it
    touched = await last_active()
    assert touched > created
    await asyncio.sleep(0.01)
    await svc.read_home(reader.id, 5, None)
    await svc.reader.drain()
    assert await last_active() == touched, "a second read within the hour must not write to Neo4j"


async def test_a_read_does_not_wait_for_the_last_active_write(
    engine_factory: Factory, neo4j: AsyncDriver
) -> None:
    """The read after a log-in is the one the viewer waits for: lastActiveAt is written beside it, not before."""
    svc, _ = engine_factory()
    (reader,) = await users(svc, "reader")
    # Hold a write lock on the user node: the touch blocks behind it, the read must not.
    async with neo4j.session() as session:
        tx = await session.begin_transaction()
        try:
            await tx.run("MATCH (u:User {id: $id}) SET u.bio = 'locked'", id=reader.id)
            page = await asyncio.wait_for(svc.read_home(reader.id, 5, None), timeout=5)
            assert page.entries == []
            assert svc.reader.touches_under_way == 1, (
                "the lastActiveAt write should still be waiting for the lock"
            )
        finally:
            await tx.rollback()
    await svc.reader.drain()


async def test_a_takeover_resumes_at_the_checkpoint(engine_factory: Factory, redis: aioredis.Redis) -> None:
    """A consumer stops after one page of a three-page walk; the next one claims the message and walks only
    the two pages left (inserts are idempotent, so a walk from the start would look right in Redis: the page
    count is what tells)."""
    svc, rescuer = engine_factory(threshold=100, page_size=2, claim_min_idle_ms=0, claim_every_s=0)
    _, stopped = engine_factory(threshold=100, page_size=2)
    author, *fans = await users(svc, "author", *(f"fan{i}" for i in range(6)))
    for fan in fans:
        await svc.follow(fan.id, "author")
        await svc.read_home(fan.id, 1, None)  # warm
    tweet = await svc.post_tweet(author.id, "three pages")
    await stopped.ensure_group()
    [(_, [(msg_id, fields)])] = await redis.xreadgroup(
        svc.keys.fanout_group, "stopped", {svc.keys.fanout_stream(fanout_shard(author.id)): ">"}, count=1
    )
    assert fields[b"tweet"] == str(tweet.id).encode()
    stopped._stop = PageBudget(stopped.stats, 1)  # a stop request (as on SIGTERM) seen after the 1st page
    assert not await stopped.fan_post(msg_id.decode(), tweet.id, author.id), "stopped with pages left"
    assert stopped.stats.fanout_pages == 1
    has_it = [await redis.zscore(svc.keys.timeline(f.id), encode_id(tweet.id)) is not None for f in fans]
    assert sum(has_it) == 2

    assert await rescuer.drain() == 1
    assert rescuer.stats.messages_claimed == 1
    assert rescuer.stats.fanout_pages == 2, (
        "the takeover must resume after the checkpoint, not from the start"
    )
    for f in fans:
        assert await svc.ctx.store.read_below(svc.keys.timeline(f.id), None, 5) == [tweet.id]


async def test_concurrent_first_reads_share_one_trending_rebuild(engine_factory: Factory) -> None:
    """Redis lost trending and many new users read at once (a thousand subscriptions starting after a
    restart): one Neo4j query rebuilds it for all of them, and each feed shows the trending tweet."""
    svc, _ = engine_factory(suggestions=50)
    author, *readers = await users(svc, "trendsetter", *(f"newcomer{i}" for i in range(8)))
    hot = await svc.post_tweet(author.id, "hot")
    await svc.redis.delete(*(svc.keys.trending(shard) for shard in range(TRENDING_SHARDS)))
    real = svc.ctx.tweets.recent_scored
    queries = 0

    async def recent_scored(*args: Any) -> Any:
        nonlocal queries
        queries += 1
        await asyncio.sleep(0.05)  # a Neo4j read takes a while: the other readers arrive meanwhile
        return await real(*args)

    svc.ctx.tweets.recent_scored = recent_scored  # type: ignore[method-assign]
    try:
        pages = await asyncio.gather(*(svc.read_home(r.id, 20, None) for r in readers))
    finally:
        svc.ctx.tweets.recent_scored = real  # type: ignore[method-assign]
    assert queries == 1
    assert all([(e.tweet.id, e.source) for e in page.entries] == [(hot.id, "SUGGESTED")] for page in pages)


async def test_fan_out_checks_the_author_count_once_a_minute_not_per_post(engine: Engine) -> None:
    """The per-message safety net of the mode (the author's follower count against it) reads the author at
    most once per COUNT_CHECK_EVERY_S: every post drops the author's cached hash, so each read is a Neo4j
    query (issue 13: it was one per message, on the message's critical path)."""
    svc, worker = engine
    author, fan = await users(svc, "author", "fan")
    await svc.follow(fan.id, "author")
    await svc.read_home(fan.id, 10, None)  # the fan's timeline exists: fan-out writes to it
    loads = recorded_user_loads(worker.caches)
    await svc.post_tweet(author.id, "checked")
    await worker.drain()
    assert loads == [[author.id]], "the first post of the author checks the count (its cached hash dropped)"
    posted = [(await svc.post_tweet(author.id, f"t{i}")).id for i in range(3)]
    await worker.drain()
    assert loads == [[author.id]], "no other read within the minute"
    assert (await feed_ids(svc, fan.id))[:3] == posted[::-1]
    worker._count_checked[author.id] = 0.0  # as the minute ending
    await svc.post_tweet(author.id, "checked again")
    await worker.drain()
    assert loads == [[author.id], [author.id]]
