"""Neo4j as a cluster would serve it: a `neo4j://` routing URI, and causal consistency by bookmarks.

Community Edition has no cluster, so what can be tested here is that the routing scheme works end to end
against the one server (it serves its own routing table), that every query of a process shares one bookmark
manager (sessions included), and that a fan-out job carries its write's bookmarks to the worker, which waits
for them (and survives bookmarks the database does not know). That a read on a lagging member then waits is
Neo4j's own guarantee for a query sent with bookmarks; reads going to readers is checked on the source
(tests/unit/graph/test_routing.py). The routing of reads and writes across members cannot be observed with one
server.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from neo4j import AsyncDriver

from fanout.config import EngineConfig
from fanout.jobs import bookmarks_of
from fanout.keys import fanout_shard
from fanout.service import FeedService
from fanout.worker import FanoutWorker
from feedline.settings import Settings
from graph.driver import DATABASE, await_bookmarks, current_bookmarks, open_driver
from graph.pull import pull_home
from tests.engine.conftest import Factory


async def test_a_routing_uri_serves_posts_fan_out_and_reads(
    settings: Settings, neo4j: AsyncDriver, redis: aioredis.Redis
) -> None:
    uri = settings.neo4j_uri.replace("bolt://", "neo4j://")
    assert uri.startswith("neo4j://")
    driver = await open_driver(uri, settings.neo4j_user, settings.neo4j_password)
    try:
        config = EngineConfig(key_prefix=settings.key_prefix, celebrity_threshold=3, worker_id=12)
        service = FeedService(driver, redis, config)
        worker = FanoutWorker(driver, redis, config, "w-routing", page_size=2)
        await worker.ensure_group()
        author = await service.create_user("author", None, "hash")
        readers = [await service.create_user(f"reader{i}", None, "hash") for i in range(3)]
        for reader in readers:
            await service.follow(reader.id, "author")
            await service.read_home(reader.id, 5, None)  # active: fan-out writes their timelines
        posted = [await service.post_tweet(author.id, f"routed {i}") for i in range(3)]
        await worker.drain()
        for reader in readers:
            page = await service.read_home(reader.id, 10, None)
            assert [e.tweet.id for e in page.entries] == [t.id for t in reversed(posted)]
            assert [t.id for t in await pull_home(neo4j, reader.id, None, 10)] == [
                t.id for t in reversed(posted)
            ]
    finally:
        await driver.close()


async def test_sessions_and_execute_query_share_the_process_bookmarks(engine_factory: Factory) -> None:
    svc, _ = engine_factory()
    a = await svc.create_user("alice", None, "hash")
    await svc.create_user("bob", None, "hash")
    before = await current_bookmarks(svc.ctx.driver)
    await svc.follow(a.id, "bob")  # a write in a session (write_single)
    after = await current_bookmarks(svc.ctx.driver)
    assert after and after != before, "the session's commit must move the process's bookmarks"


async def test_a_post_job_carries_the_bookmarks_of_its_write(
    engine_factory: Factory, redis: aioredis.Redis
) -> None:
    svc, _ = engine_factory()
    author = await svc.create_user("author", None, "hash")
    await svc.post_tweet(author.id, "hello")
    held = await current_bookmarks(svc.ctx.driver)
    messages = await redis.xrange(svc.keys.fanout_stream(fanout_shard(author.id)))
    assert len(messages) == 1
    _, fields = messages[0]
    assert bookmarks_of(fields) == held


async def test_the_worker_waits_for_a_job_bookmarks_and_drops_unknown_ones(
    settings: Settings, engine_factory: Factory
) -> None:
    svc, _ = engine_factory()
    author = await svc.create_user("author", None, "hash")
    await svc.post_tweet(author.id, "hello")
    written = await current_bookmarks(svc.ctx.driver)
    # The worker's own driver (another process's, in production): its manager has not seen the write.
    driver = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    try:
        assert await await_bookmarks(driver, written)  # sent with a read, which the database accepted
        # A garbled bookmark (or one of another store) is refused by Neo4j: dropped, and queries go on.
        assert not await await_bookmarks(driver, ["FB:not-a-bookmark"])
        assert "FB:not-a-bookmark" not in await current_bookmarks(driver)
        records, _, _ = await driver.execute_query("RETURN 1 AS one", database_=DATABASE)
        assert records[0]["one"] == 1
    finally:
        await driver.close()


async def test_a_job_with_unknown_bookmarks_is_still_fanned_out(
    engine_factory: Factory, redis: aioredis.Redis
) -> None:
    svc, worker = engine_factory()
    await worker.ensure_group()
    author = await svc.create_user("author", None, "hash")
    reader = await svc.create_user("reader", None, "hash")
    await svc.follow(reader.id, "author")
    await svc.read_home(reader.id, 5, None)
    tweet = await svc.post_tweet(author.id, "hello")
    # Replace the queued message with one whose bookmarks Neo4j does not know.
    stream = svc.keys.fanout_stream(fanout_shard(author.id))
    ((mid, fields),) = await redis.xrange(stream)
    await redis.xdel(stream, mid)
    fields[b"bm"] = b'["FB:not-a-bookmark"]'
    await redis.xadd(stream, fields)
    await worker.drain()
    page = await svc.read_home(reader.id, 5, None)
    assert [e.tweet.id for e in page.entries] == [tweet.id]
