"""Redis bytes per timeline entry for a full (capped) timeline of snowflake ids."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

SNOWFLAKE_BASE = 1 << 51  # a realistic magnitude: ~ a year of milliseconds << 12


async def bytes_per_entry(
    redis: Redis, key_prefix: str, *, entries: int = 800, timelines: int = 20
) -> dict[str, Any]:
    keys = [f"{key_prefix}mem:tl:{{{i}}}" for i in range(timelines)]
    total = 0
    for n, key in enumerate(keys):
        ids = [SNOWFLAKE_BASE + n * 10_000_000 + i * 4099 for i in range(entries)]
        await redis.zadd(key, {str(i): float(i) for i in ids})
        total += int(await redis.memory_usage(key, samples=0) or 0)
    encoding = await redis.object("encoding", keys[0])
    config = await redis.config_get("zset-max-listpack-*")
    await redis.delete(*keys)
    # Alternative layout: all scores 0 and the id as an 8-byte big-endian member, so members sort by id
    # lexicographically (ZRANGE ... BYLEX REV pages by cursor); the score entry shrinks to one byte.
    compact = 0
    for n, key in enumerate(keys):
        ids = [SNOWFLAKE_BASE + n * 10_000_000 + i * 4099 for i in range(entries)]
        await redis.zadd(key, {i.to_bytes(8, "big"): 0.0 for i in ids})
        compact += int(await redis.memory_usage(key, samples=0) or 0)
    await redis.delete(*keys)
    return {
        "entries_per_timeline": entries,
        "bytes_per_entry": total / (timelines * entries),
        "bytes_per_entry_binary_lex": compact / (timelines * entries),
        "encoding": encoding.decode() if isinstance(encoding, bytes) else encoding,
        "config": {
            k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
            for k, v in config.items()
        },
    }
