"""Fan-out inserts/s: one new tweet pushed into the timelines of N followers that all have a warm timeline.

This models the worker's inner loop (pipelined ZADD + cap + TTL per follower, pages of 1,000 followers, one
round trip per page) directly on Redis, so it measures the Redis side of fan-out; the follower paging from
Neo4j is measured separately by the engine's own bench (bench/fanout.py) when present.
"""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

PAGE = 1000
CAP = 800
TTL = 30 * 24 * 3600


def _tl(key_prefix: str, uid: int) -> str:
    return f"{key_prefix}tl:{{{uid}}}"


async def _warm(redis: Redis, key_prefix: str, followers: int) -> None:
    for start in range(0, followers, PAGE):
        async with redis.pipeline(transaction=False) as pipe:
            for uid in range(start, min(start + PAGE, followers)):
                pipe.zadd(_tl(key_prefix, uid), {"1": 1.0})
            await pipe.execute()


async def fan_out_once(redis: Redis, key_prefix: str, followers: int, tweet_id: int) -> None:
    member = {str(tweet_id): float(tweet_id)}
    for start in range(0, followers, PAGE):
        async with redis.pipeline(transaction=False) as pipe:
            for uid in range(start, min(start + PAGE, followers)):
                key = _tl(key_prefix, uid)
                pipe.zadd(key, member)
                pipe.zremrangebyrank(key, 0, -(CAP + 1))
                pipe.expire(key, TTL)
            await pipe.execute()


# One script call per page: the per-follower commands run inside Redis, the client packs only key names.
_LUA_PAGE = """
local id = ARGV[1]
for i = 1, #KEYS do
  local k = KEYS[i]
  if redis.call('EXISTS', k) == 1 then
    redis.call('ZADD', k, id, id)
    redis.call('ZREMRANGEBYRANK', k, 0, -(tonumber(ARGV[2]) + 1))
    redis.call('EXPIRE', k, ARGV[3])
  end
end
return #KEYS
"""


async def fan_out_lua(redis: Redis, key_prefix: str, followers: int, tweet_id: int) -> None:
    script = redis.register_script(_LUA_PAGE)
    for start in range(0, followers, PAGE):
        keys = [_tl(key_prefix, uid) for uid in range(start, min(start + PAGE, followers))]
        await script(keys=keys, args=[tweet_id, CAP, TTL])


async def measure(
    redis: Redis, key_prefix: str, follower_counts: list[int], posts: int
) -> list[dict[str, Any]]:
    results = []
    for variant, fan_out in (("pipeline", fan_out_once), ("lua", fan_out_lua)):
        for n in follower_counts:
            await _warm(redis, key_prefix, n)
            samples = []
            for p in range(posts):
                t0 = time.perf_counter()
                await fan_out(redis, key_prefix, n, (1 << 40) + p)
                samples.append(time.perf_counter() - t0)
            best = min(samples)
            median = sorted(samples)[len(samples) // 2]
            results.append(
                {
                    "variant": variant,
                    "followers": n,
                    "posts": posts,
                    "median_s": median,
                    "best_s": best,
                    "inserts_per_s": n / median,
                }
            )
            await _clear(redis, key_prefix, n)
    return results


async def _clear(redis: Redis, key_prefix: str, followers: int) -> None:
    for start in range(0, followers, PAGE):
        await redis.delete(*[_tl(key_prefix, uid) for uid in range(start, min(start + PAGE, followers))])
