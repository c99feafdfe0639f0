"""Issue 14's rules inside the engine: the fan-out page function reads the follower's mu: and fw: sets in its
own slot (one call per page on one server, one per node on a cluster), trending ranks by engagement velocity
(reposts count), and the TOP order uses the same velocity."""

from __future__ import annotations

import asyncio

from fanout.service import FeedService
from fanout.store import decode_ids
from fanout.worker import FanoutWorker
from graph.ids import IdGenerator
from tests.engine.conftest import Factory


async def test_the_fan_out_page_skips_muting_followers_and_replies_they_must_not_get(
    engine: tuple[FeedService, FanoutWorker],
) -> None:
    svc, _ = engine
    store, keys, redis = svc.ctx.store, svc.keys, svc.redis
    author, replied_to = 7_000, 7_001
    followers = list(range(1, 301))  # on a cluster: ~300 slots, several nodes
    for f in followers:
        await store.write_timeline(f, [])
    muters = set(followers[::3])
    followers_of_replied = set(followers[::2])
    for f in followers:
        await redis.sadd(keys.hidden(f), "-", *([str(author)] if f in muters else []))
        await redis.sadd(
            keys.followees(f), "-", str(author), *([str(replied_to)] if f in followers_of_replied else [])
        )
    # A post: everyone but the muters.
    assert await store.fan_in(followers, 111, author_id=author) == len(set(followers) - muters)
    # A reply to ``replied_to``: only those who follow them too (and do not mute the author).
    got = await store.fan_in(followers, 112, author_id=author, reply_to_author=replied_to)
    assert got == len(followers_of_replied - muters)
    # A reply to oneself (a thread): like a post.
    assert await store.fan_in(followers, 113, author_id=author, reply_to_author=author) == len(
        set(followers) - muters
    )
    for f in (1, 2, 3, 4, 6):
        held = decode_ids(await redis.zrange(keys.timeline(f), 0, -1))
        want = [] if f in muters else [111, *([112] if f in followers_of_replied else []), 113]
        assert held == want, f
    # A follower whose sets are missing (evicted) gets everything: the read path applies the rules then.
    await redis.delete(keys.hidden(3), keys.followees(3))
    assert await store.fan_in([3], 114, author_id=author, reply_to_author=replied_to) == 1


async def test_trending_ranks_by_engagement_velocity_and_reposts_count(engine_factory: Factory) -> None:
    svc, worker = engine_factory()
    author, fan, other = [await svc.create_user(h, None, "h") for h in ("author", "fan", "other")]
    reposted = await svc.post_tweet(author.id, "reposted once")
    liked = await svc.post_tweet(author.id, "liked twice")
    fresh = await svc.post_tweet(author.id, "fresh, nobody cares")
    await svc.like(fan.id, liked.id)
    await svc.like(other.id, liked.id)
    await svc.repost(fan.id, reposted.id)
    await worker.drain()
    assert [t.id for t in await svc.trending(3)] == [liked.id, reposted.id, fresh.id]
    # Time decay: a tweet liked twice a day ago ranks below one liked once just now, not one liked a hundred
    # times (the set stores trending_score; a read ranks by velocity at its own time).
    store, day = svc.ctx.store, 86_400_000
    created = int(liked.created_at.timestamp() * 1000)
    old, new = IdGenerator(3, lambda: created - day).next_id(), IdGenerator(3, lambda: created).next_id()
    await store.fill_trending([(old, created - day, 2), (new, created, 1)], replace=True)
    assert await store.trending_ids(2, now_ms=created + 60_000) == [new, old]
    await store.fill_trending([(old, created - day, 100), (new, created, 1)], replace=True)
    assert await store.trending_ids(2, now_ms=created + 60_000) == [old, new]
    # The TOP order of the home feed uses the same velocity.
    await svc.follow(other.id, "author")
    page = await svc.read_home(other.id, 10, None, "TOP")
    assert [e.tweet.id for e in page.entries] == [liked.id, reposted.id, fresh.id]


async def test_live_entries_of_one_event_for_many_subscribers_match_each_asked_alone(
    engine: tuple[FeedService, FanoutWorker],
) -> None:
    """The API asks live_entry for every subscriber that got an event at once; their mute checks then share a
    pipeline (fanout/batch.py). Each answer is the one the viewer gets when asked alone: hidden for those who
    mute or block the author, shown for the others, and read from Neo4j for a viewer whose mu: set is not
    built (on a cluster: viewers on every node)."""
    svc, _ = engine
    author = await svc.create_user("poster", None, "h")
    viewers = [await svc.create_user(f"viewer{i}", None, "h") for i in range(12)]
    muting = {v.id for v in viewers[::3]}
    blocking = {viewers[1].id}
    for v in viewers:
        await svc.follow(v.id, "poster")
        if v.id in muting:
            await svc.mute(v.id, "poster")
        if v.id in blocking:
            await svc.block(v.id, "poster")
    await svc.redis.delete(svc.keys.hidden(viewers[3].id))  # a muting viewer whose mu: set is not built
    tweet = await svc.post_tweet(author.id, "one event for everyone")
    together = await asyncio.gather(*(svc.live_entry(v.id, tweet, "TIMELINE") for v in viewers))
    alone = [await svc.live_entry(v.id, tweet, "TIMELINE") for v in viewers]
    shown = [e is not None for e in together]
    assert shown == [e is not None for e in alone]
    assert shown == [v.id not in muting | blocking for v in viewers]
    assert all(e.tweet.id == tweet.id for e in together if e is not None)
