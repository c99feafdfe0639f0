"""A timeline rebuild's ids from the author lists in Redis (Derived.ordinary_ids) equal those of Neo4j's query
(graph/pull.py's pull_ordinary_ids), the ordinary path: with every list present, with a few lists missing
(rebuilt first) and with most of them missing (the Neo4j query itself). A small timeline cap makes one busy
author's list need the second round."""

from __future__ import annotations

import redis.asyncio as aioredis
from neo4j import AsyncDriver

from fanout.service import FeedService
from graph.pull import pull_ordinary_ids
from tests.engine.conftest import Factory

CAP = 10
THRESHOLD = 3


async def expected(svc: FeedService, neo4j: AsyncDriver, viewer: int) -> list[int]:
    mode = await svc.derived.celebrity_mode()
    return await pull_ordinary_ids(neo4j, viewer, THRESHOLD, mode, CAP)


async def test_the_rebuild_from_author_lists_equals_the_neo4j_query(
    engine_factory: Factory, neo4j: AsyncDriver, redis: aioredis.Redis
) -> None:
    svc, worker = engine_factory(threshold=THRESHOLD, cap=CAP)
    await worker.ensure_group()
    viewer = await svc.create_user("viewer", None, "h")
    authors = [await svc.create_user(f"author{i}", None, "h") for i in range(6)]
    star = await svc.create_user("star", None, "h")  # a celebrity: not in the viewer's stored timeline
    fans = [await svc.create_user(f"fan{i}", None, "h") for i in range(2)]
    for author in [*authors, star]:
        await svc.follow(viewer.id, author.handle)
    for fan in fans:
        await svc.follow(fan.id, "star")
    posts = [await svc.post_tweet(a.id, f"older {a.handle}") for a in authors for _ in range(2)]
    await svc.post_tweet(star.id, "famous")
    await svc.post_tweet(viewer.id, "my own")
    await svc.repost(authors[1].id, posts[0].id)  # a repost is a tweet of the reposter's list
    await svc.post_tweet(authors[2].id, "a reply", reply_to=posts[4].id)
    await svc.delete_tweet(authors[3].id, posts[6].id)  # deleted: in neither
    for i in range(12):  # the busiest author holds the newest entries: their list is read twice
        await svc.post_tweet(authors[0].id, f"busy {i}")
    await worker.drain()
    assert await redis.sismember(svc.keys.celebrity_mode, str(star.id))

    want = await expected(svc, neo4j, viewer.id)
    assert len(want) == CAP
    assert await svc.derived.ordinary_ids(viewer.id) == want

    # A few lists lost: rebuilt from Neo4j, then merged.
    await redis.delete(svc.keys.author_tweets(authors[0].id), svc.keys.author_tweets(viewer.id))
    assert await svc.derived.ordinary_ids(viewer.id) == want
    assert await redis.exists(svc.keys.author_tweets(authors[0].id))

    # A flush: too many lists to rebuild one by one (more than MISSING_LISTS_AT_MOST; fewer here); the Neo4j
    # query answers.
    lost = [svc.keys.author_tweets(a.id) for a in [viewer, *authors]]
    await redis.delete(*lost)
    svc.derived.missing_lists_at_most = 2
    assert await svc.derived.ordinary_ids(viewer.id) == want
    assert not await redis.exists(*lost), "the fallback reads Neo4j and rebuilds no list"

    # And the timeline a first read rebuilds is the same.
    await redis.delete(svc.keys.timeline(viewer.id))
    await svc.derived.ensure_timeline(viewer.id)
    assert await svc.ctx.store.read_below(svc.keys.timeline(viewer.id), None, CAP + 5) == want
