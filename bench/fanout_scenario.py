"""Fan-out with the real engine: one tweet posted through FeedService, fanned out by FanoutWorker.

For each size N an author with N followers is created in Neo4j and every follower gets a warm (existing)
timeline in Redis. Each repetition posts one tweet with ``FeedService.post_tweet`` (Neo4j write, author list,
XADD) and times ``FanoutWorker.drain()``: XREADGROUP, follower pages streamed from Neo4j, one Lua call per
page (insert + trim + live publish), checkpoint, XACK. ``inserts_per_s`` = N / drain time; it is compared with
`redis-benchmark` pipelined ZADD measured on the same Redis in the same run.

The same walk is also split into its two halves so the report can say where the time goes: paging the
follower ids out of Neo4j alone, and the Lua inserts alone (ids already in memory).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from neo4j import AsyncDriver
from redis.asyncio import Redis

from bench.world import World
from fanout.config import EngineConfig
from fanout.service import FeedService
from fanout.store import BUILT, TimelineStore, encode_id
from fanout.worker import DEFAULT_PAGE_SIZE, FanoutWorker

WARM_ENTRIES = 10  # entries already in each follower's timeline (plus the BUILT marker)


async def _warm(redis: Redis, service: FeedService, followers: list[int], ids: list[int]) -> None:
    members = {BUILT: 0.0, **{encode_id(i): 0.0 for i in ids[:WARM_ENTRIES]}}
    for start in range(0, len(followers), 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for f in followers[start : start + 1000]:
                pipe.zadd(service.keys.timeline(f), members)
            await pipe.execute()


async def measure(
    driver: AsyncDriver,
    redis: Redis,
    key_prefix: str,
    follower_counts: list[int],
    posts: int,
    say: Any = None,
) -> dict[str, Any]:
    say = say or (lambda m: None)
    config = EngineConfig(key_prefix=key_prefix, celebrity_threshold=10**9)  # nobody is a celebrity here
    service = FeedService(driver, redis, config)
    worker = FanoutWorker(driver, redis, config, f"bench-{uuid.uuid4().hex[:6]}")
    world = World(driver)
    biggest = max(follower_counts)
    say(f"fan-out: creating {biggest:,} followers")
    followers = await world.users(biggest, "f")
    authors = await world.users(len(follower_counts), "a")
    for author, n in zip(authors, follower_counts, strict=True):
        await world.follow([(f, author) for f in followers[:n]])
    await world.fix_counters()
    history = await world.tweets(authors[:1], WARM_ENTRIES)
    await _warm(redis, service, followers, history)
    await worker.ensure_group()
    await worker.drain()
    rows = []
    for author, n in zip(authors, follower_counts, strict=True):
        say(f"fan-out: {n:,} followers")
        samples: list[float] = []
        inserted = 0
        await service.post_tweet(author, "fan-out bench warm-up")  # untimed: query plans, caches
        await worker.drain()
        stats0 = await redis.info("commandstats")
        for p in range(posts):
            await service.post_tweet(author, f"fan-out bench {p}")
            before = worker.stats.fanout_inserts
            t0 = time.perf_counter()
            await worker.drain()
            samples.append(time.perf_counter() - t0)
            inserted = worker.stats.fanout_inserts - before
        redis_side = command_profile(stats0, await redis.info("commandstats"), n * posts)
        # The two halves of the walk, timed apart: Neo4j follower paging, then the Lua inserts.
        t0 = time.perf_counter()
        pages = [p async for p in worker.ctx.follows.follower_id_pages(author, DEFAULT_PAGE_SIZE, -1)]
        paging_s = time.perf_counter() - t0
        tweet_id = worker.ctx.ids.next_id()
        t0 = time.perf_counter()
        for page in pages:
            await worker.ctx.store.fan_in(page, tweet_id)
        lua_s = time.perf_counter() - t0
        samples.sort()
        median = samples[len(samples) // 2]
        rows.append(
            {
                "variant": "engine",
                "followers": n,
                "posts": posts,
                "inserted_last": inserted,
                "median_s": median,
                "best_s": samples[0],
                "inserts_per_s": n / median,
                "neo4j_paging_s": paging_s,
                "lua_inserts_s": lua_s,
                "lua_inserts_per_s": n / lua_s if lua_s else float("nan"),
                "redis_commands_per_insert": redis_side,
            }
        )
    return {
        "source": "real engine: FeedService.post_tweet + FanoutWorker.drain (fanout/worker.py, fanout/store.py)",
        "page_size": DEFAULT_PAGE_SIZE,
        "rows": rows,
    }


def command_profile(before: dict[str, Any], after: dict[str, Any], inserts: int) -> list[dict[str, Any]]:
    """Where Redis spent its time during the timed fan-outs, per follower insert: each command's calls and
    microseconds (INFO commandstats counts the commands a function runs too, and the FCALL's own line holds
    them all), busiest first. On a shared Redis other clients' commands would be in it: the bench's is its own."""
    rows = []
    for name, stats in after.items():
        old = before.get(name, {"calls": 0, "usec": 0})
        calls, usec = stats["calls"] - old["calls"], stats["usec"] - old["usec"]
        if calls > 0:
            command = name.removeprefix("cmdstat_")
            rows.append({"command": command, "calls": calls / inserts, "us": usec / inserts})
    return sorted(rows, key=lambda r: -r["us"])


RULE_VARIANTS = (
    ("no sets (evicted mu:/fw:)", False, False),
    ("post, mu: + fw: present", True, False),
    ("reply, mu: + fw: present", True, True),
)


async def measure_rules(
    redis: Redis, key_prefix: str, followers: int = 5000, rounds: int = 5
) -> dict[str, Any]:
    """Per-insert cost of the fan-out rules (issue 14) in the page function alone: the same pages of warm
    timelines written with the follower's ``mu:`` and ``fw:`` sets absent (the rules read two missing keys),
    present for a post (one SISMEMBER on ``mu:``), and present for a reply (plus the ``fw:`` lookup of the
    replies rule). Each follower's sets hold 50 members, like a user who follows and mutes a few dozen
    accounts. Median of ``rounds`` walks of DEFAULT_PAGE_SIZE pages; every insert is new (a fresh tweet id)."""
    config = EngineConfig(key_prefix=key_prefix)
    store = TimelineStore(redis, config)
    keys = store.keys
    ids = list(range(1, followers + 1))
    author, replied_to = 10**9, 10**9 + 1
    members = [str(10**8 + i) for i in range(49)]
    # One range of followers per variant, set up once; the rounds then alternate between the variants so that
    # a busy machine's drift spreads over all of them alike.
    ranges = [[v * followers + i for i in ids] for v in range(len(RULE_VARIANTS))]
    for (_, with_sets, _), group in zip(RULE_VARIANTS, ranges, strict=True):
        for start in range(0, followers, 1000):
            async with redis.pipeline(transaction=False) as pipe:
                for f in group[start : start + 1000]:
                    pipe.delete(keys.timeline(f), keys.hidden(f), keys.followees(f))
                    pipe.zadd(keys.timeline(f), {BUILT: 0.0})
                    if with_sets:
                        pipe.sadd(keys.hidden(f), "-", *members)
                        pipe.sadd(keys.followees(f), "-", str(replied_to), *members)
                await pipe.execute()
    samples: list[list[float]] = [[] for _ in RULE_VARIANTS]
    tweet = 10**12
    for _ in range(rounds):
        for v, ((name, _, reply), group) in enumerate(zip(RULE_VARIANTS, ranges, strict=True)):
            tweet += 1
            t0 = time.perf_counter()
            inserted = 0
            for start in range(0, followers, DEFAULT_PAGE_SIZE):
                inserted += await store.fan_in(
                    group[start : start + DEFAULT_PAGE_SIZE],
                    tweet,
                    author_id=author,
                    reply_to_author=replied_to if reply else None,
                )
            samples[v].append(time.perf_counter() - t0)
            assert inserted == followers, (name, inserted)
    rows = []
    for (name, _, _), times in zip(RULE_VARIANTS, samples, strict=True):
        times.sort()
        median = times[len(times) // 2]
        rows.append(
            {
                "variant": name,
                "followers": followers,
                "median_s": median,
                "us_per_insert": median / followers * 1e6,
            }
        )
    return {
        "source": "TimelineStore.fan_in (fl_fan_in), pages of DEFAULT_PAGE_SIZE, warm timelines",
        "rows": rows,
    }
