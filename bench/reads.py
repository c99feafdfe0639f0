"""Read time vs follows with the real engine, rebuild of an evicted timeline, and bytes per timeline entry.

For each follow count K a viewer follows K ordinary authors (20 tweets each, created in Neo4j). Three reads of
the newest 20 entries are timed sequentially, in process (no HTTP), on the same data:
- ``pull``: ``graph.pull.pull_home`` (pure fan-out-on-read, the baseline);
- ``engine``: ``FeedService.read_home`` (the hybrid read: state pipeline, ZRANGE, hydration from the cache,
  follow filter);
- ``redis``: one raw ``ZRANGE ... BYLEX REV LIMIT 0 20`` on the same timeline key (the floor/ceiling).

Rebuild: a viewer following as many accounts (REBUILD_TWEETS_PER_AUTHOR tweets each) is evicted (its ``tl:``,
``celebs:`` and ``fw:`` keys deleted, as TTL expiry does) and ``read_home`` is timed: it rebuilds the timeline (single-flight) and then reads. The
authors' lists (``ut:``) are built first, as their posts build them in a running service (the bench writes
the tweets into Neo4j directly): the rebuild merges them. The rebuild's Neo4j query (``pull_ordinary_ids``,
what it used before and still does when Redis lost most of the lists) is timed on the same viewer.
Memory: ``MEMORY USAGE`` of the full (800-entry) timelines the engine built, divided by their entries.
"""

from __future__ import annotations

import time
from typing import Any

from neo4j import AsyncDriver
from redis.asyncio import Redis

from bench.stats import sequential, summarize
from bench.world import World
from fanout.config import EngineConfig
from fanout.service import FeedService
from fanout.store import MEMBER_LEN, TOP_BOUND
from graph.pull import pull_home, pull_ordinary_ids

TWEETS_PER_AUTHOR = 20
REBUILD_TWEETS_PER_AUTHOR = 200


async def measure(
    driver: AsyncDriver,
    redis: Redis,
    key_prefix: str,
    follow_counts: list[int],
    repetitions: int,
    budget_s: float,
    say: Any = None,
) -> dict[str, Any]:
    say = say or (lambda m: None)
    config = EngineConfig(key_prefix=key_prefix, celebrity_threshold=10**9)
    service = FeedService(driver, redis, config)
    world = World(driver)
    most = max(follow_counts)
    say(f"reads: {most} authors x {TWEETS_PER_AUTHOR} tweets")
    viewers = await world.follow_ladder(follow_counts, TWEETS_PER_AUTHOR)

    rows = []
    for viewer, k in zip(viewers, follow_counts, strict=True):
        say(f"reads: {k} follows")
        key = service.keys.timeline(viewer)

        async def pull(viewer: int = viewer) -> object:
            return await pull_home(driver, viewer, None, 20)

        async def engine(viewer: int = viewer) -> object:
            return await service.read_home(viewer, 20, None)

        async def raw(key: str = key) -> object:
            return await redis.zrange(key, TOP_BOUND, b"-", desc=True, bylex=True, offset=0, num=20)

        first = await engine()  # builds the timeline and warms the tweet cache: steady state from here
        assert len(first.entries) == 20, "the bench world must give every viewer a full first page"  # type: ignore[attr-defined]
        await pull()
        pull_lat = await sequential(pull, repetitions, budget_s)
        engine_lat = await sequential(engine, repetitions, budget_s)
        raw_lat = await sequential(raw, repetitions, budget_s)
        rows.append(
            {
                "follows": k,
                "pull": pull_lat.as_dict(),
                "engine": engine_lat.as_dict(),
                "redis": raw_lat.as_dict(),
                "speedup_p50": pull_lat.p50_ms / engine_lat.p50_ms,
                "raw_speedup_p50": pull_lat.p50_ms / raw_lat.p50_ms,
                "engine_vs_raw_p50": raw_lat.p50_ms / engine_lat.p50_ms,
            }
        )

    # Rebuild of an evicted user following as many accounts as the most-following viewer above, each with
    # REBUILD_TWEETS_PER_AUTHOR tweets (goal 5's world: what a rebuild reads grows with them in Neo4j).
    say(f"rebuild: {most} authors x {REBUILD_TWEETS_PER_AUTHOR} tweets")
    [viewer] = await world.follow_ladder([most], REBUILD_TWEETS_PER_AUTHOR)
    evict = [service.keys.timeline(viewer), service.keys.celebs(viewer), service.keys.followees(viewer)]
    await service.derived.ensure_author_lists(await service.ctx.follows.followee_ids(viewer))
    samples: list[float] = []
    only_rebuild: list[float] = []
    neo4j_query: list[float] = []
    deadline = time.perf_counter() + budget_s
    for _ in range(max(5, repetitions // 4)):
        await redis.delete(*evict)
        t0 = time.perf_counter()
        page = await service.read_home(viewer, 20, None)
        samples.append(time.perf_counter() - t0)
        await redis.delete(evict[0])
        t0 = time.perf_counter()
        await service.derived.ensure_timeline(viewer)
        only_rebuild.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await pull_ordinary_ids(driver, viewer, config.celebrity_threshold, [], config.timeline_cap)
        neo4j_query.append(time.perf_counter() - t0)
        if time.perf_counter() > deadline:
            break
    entries = int(await redis.zcard(evict[0])) - 1  # minus the BUILT marker
    rebuild = {
        "follows": most,
        "tweets_per_author": REBUILD_TWEETS_PER_AUTHOR,
        "entries": entries,
        "first_page": len(page.entries),
        **summarize(samples).as_dict(),
        "timeline_only": summarize(only_rebuild).as_dict(),
        "neo4j_query": summarize(neo4j_query).as_dict(),
    }

    # Bytes per entry of the full timelines the engine wrote (800 ids + the BUILT marker).
    say("memory")
    full = [service.keys.timeline(v) for v, k in zip(viewers, follow_counts, strict=True)]
    total_bytes = total_entries = 0
    encoding = ""
    for key in full:
        n = int(await redis.zcard(key))
        if n < config.timeline_cap:
            continue
        total_bytes += int(await redis.memory_usage(key, samples=0) or 0)
        total_entries += n - 1
        raw_enc = await redis.object("encoding", key)
        encoding = raw_enc.decode() if isinstance(raw_enc, bytes) else str(raw_enc)
    listpack = await redis.config_get("zset-max-listpack-*")
    memory = {
        "timelines": sum(1 for _ in full),
        "entries": total_entries,
        "bytes_per_entry": total_bytes / total_entries if total_entries else float("nan"),
        "member_bytes": MEMBER_LEN,
        "encoding": encoding,
        "config": {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in listpack.items()
        },
    }
    return {"rows": rows, "rebuild": rebuild, "memory": memory}
