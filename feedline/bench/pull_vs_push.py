"""Read time vs follows: the pure pull query on Neo4j against a precomputed Redis timeline, same data.

Builds its own small graph (users with ids in a reserved range and `bench_`-less handles under a unique
prefix), so it never touches other data in the database; everything it creates is deleted at the end.
Also times the rebuild of an evicted timeline (pull the latest 800 tweets of the followed accounts, write
the sorted set) for the largest follow count.
"""

from __future__ import annotations

from typing import Any, LiteralString

from neo4j import AsyncDriver
from redis.asyncio import Redis

from feedline.bench.stats import sequential
from graph.driver import DATABASE

BASE_ID = (1 << 52) + 7_000_000  # far above any snowflake issued before ~2090: no clash with real users
TWEETS_PER_AUTHOR = 20

_CREATE: LiteralString = """
CREATE (v:User {id: $viewer, handle: $vh, handleLower: toLower($vh), displayName: 'bench viewer',
                displayNameLower: 'bench viewer', followerCount: 0, followingCount: size($authors),
                tweetCount: 0, createdAt: datetime(), lastActiveAt: datetime(), bench: true})
WITH v
UNWIND $authors AS a
CREATE (u:User {id: a.id, handle: a.h, handleLower: toLower(a.h), displayName: a.h, displayNameLower: a.h,
                followerCount: 1, followingCount: 0, tweetCount: size(a.tweets), createdAt: datetime(),
                lastActiveAt: datetime(), bench: true})
CREATE (v)-[:FOLLOWS {since: datetime()}]->(u)
WITH u, a
UNWIND a.tweets AS tid
CREATE (u)-[:POSTED]->(:Tweet {id: tid, text: 'bench', createdAt: datetime(), likeCount: 0, deleted: false, bench: true})
"""
PULL_QUERY: LiteralString = """
MATCH (:User {id: $viewer})-[:FOLLOWS]->(:User)-[:POSTED]->(t:Tweet)
WHERE NOT t.deleted
RETURN t.id AS id ORDER BY t.id DESC LIMIT $limit
"""
_CLEANUP: LiteralString = """
MATCH (u:User) WHERE u.id >= $lo AND u.id < $hi
OPTIONAL MATCH (u)-[:POSTED]->(t:Tweet)
DETACH DELETE u, t
"""


async def _build(driver: AsyncDriver, viewer: int, follows: int, tag: str) -> list[int]:
    authors = []
    tweet_ids = []
    for i in range(follows):
        aid = viewer + 1 + i
        tids = [
            BASE_ID + 10_000_000 + (viewer - BASE_ID) * 100_000 + i * TWEETS_PER_AUTHOR + k
            for k in range(TWEETS_PER_AUTHOR)
        ]
        tweet_ids += tids
        authors.append({"id": aid, "h": f"b{tag}{i}", "tweets": tids})
    await driver.execute_query(_CREATE, viewer=viewer, vh=f"b{tag}v", authors=authors, database_=DATABASE)
    return tweet_ids


async def measure(
    driver: AsyncDriver,
    redis: Redis,
    key_prefix: str,
    follow_counts: list[int],
    repetitions: int,
    budget_s: float,
) -> dict[str, Any]:
    rows = []
    rebuild: dict[str, Any] = {}
    try:
        for n, follows in enumerate(follow_counts):
            viewer = BASE_ID + n * 10_000
            tweet_ids = await _build(driver, viewer, follows, f"{n}x")
            key = f"{key_prefix}pull:tl:{{{viewer}}}"
            newest = sorted(tweet_ids)[-800:]
            await redis.zadd(key, {str(t): float(t) for t in newest})

            async def pull(viewer: int = viewer) -> object:
                return await driver.execute_query(PULL_QUERY, viewer=viewer, limit=20, database_=DATABASE)

            async def push(key: str = key) -> object:
                return await redis.zrevrangebyscore(key, "+inf", "-inf", start=0, num=20)

            await pull()  # warm the query plan and page cache
            pull_lat = await sequential(pull, repetitions, budget_s)
            push_lat = await sequential(push, repetitions, budget_s)
            rows.append(
                {
                    "follows": follows,
                    "pull": pull_lat.as_dict(),
                    "redis": push_lat.as_dict(),
                    "speedup_p50": pull_lat.p50_ms / push_lat.p50_ms,
                }
            )
            if follows == max(follow_counts):

                async def rebuild_once(viewer: int = viewer, key: str = key) -> None:
                    records, _, _ = await driver.execute_query(
                        PULL_QUERY, viewer=viewer, limit=800, database_=DATABASE
                    )
                    async with redis.pipeline(transaction=True) as pipe:
                        pipe.delete(key)
                        pipe.zadd(key, {str(r["id"]): float(r["id"]) for r in records})
                        pipe.expire(key, 30 * 24 * 3600)
                        await pipe.execute()

                lat = await sequential(rebuild_once, max(3, repetitions // 5), budget_s)
                rebuild = {
                    "follows": follows,
                    "entries": min(800, follows * TWEETS_PER_AUTHOR),
                    **lat.as_dict(),
                }
            await redis.delete(key)
    finally:
        await driver.execute_query(_CLEANUP, lo=BASE_ID, hi=BASE_ID + (1 << 40), database_=DATABASE)
    return {"rows": rows, "rebuild": rebuild}
