"""Single server against Redis Cluster in one run: the engine's Redis work timed on both, as ratios.

``python -m bench.cluster_ratio --single redis://… --cluster redis+cluster://…`` times, on each:
- a fan-out page: one tweet into 1,000 warm follower timelines (``TimelineStore.fan_in``: one function call
  on a single server, one per node on a cluster), with a live payload as the worker sends;
- a home-timeline page read: ``read_below`` of 20 entries from an 800-entry timeline (one ZRANGE).
Both run sequentially in this process, alternating single and cluster rounds so that machine noise hits both
alike. Keys live under a prefix of their own and are deleted afterwards. Neo4j, GraphQL and HTTP are left
out on purpose: they do not change with the Redis topology.

The ratio printed is single-server time / cluster time (below 1: the cluster is slower per call).

It writes 1,000 full timelines and 40 pages of inserts: point it at services of its own (or the bench's),
not a test session's, whose append-only file then takes long to load on the next restart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from typing import Any

from fanout.client import open_redis
from fanout.config import EngineConfig
from fanout.store import TimelineStore

FOLLOWERS = 1000
TIMELINE = 800


async def _setup(url: str, prefix: str) -> tuple[Any, TimelineStore]:
    redis = open_redis(url)
    store = TimelineStore(redis, EngineConfig(key_prefix=prefix))
    await store.load_functions()
    ids = list(range(1_000_000, 1_000_000 + TIMELINE))
    for uid in range(1, FOLLOWERS + 1):
        await store.write_timeline(uid, ids)
    return redis, store


async def _fan_out_ms(store: TimelineStore, tweet_id: int) -> float:
    started = time.perf_counter()
    await store.fan_in(range(1, FOLLOWERS + 1), tweet_id, live_payload=b'{"kind":"NEW"}')
    return (time.perf_counter() - started) * 1000


async def _read_ms(store: TimelineStore, uid: int) -> float:
    started = time.perf_counter()
    await store.read_below(store.keys.timeline(uid), None, 20)
    return (time.perf_counter() - started) * 1000


async def _cleanup(redis: Any, prefix: str) -> None:
    keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
    for start in range(0, len(keys), 500):
        await redis.delete(*keys[start : start + 500])
    await redis.aclose()


async def measure(single_url: str, cluster_url: str, rounds: int = 40, reads: int = 500) -> dict[str, Any]:
    prefix = f"ratio{uuid.uuid4().hex[:8]}:"
    stores = {
        name: await _setup(url, prefix) for name, url in (("single", single_url), ("cluster", cluster_url))
    }
    fan: dict[str, list[float]] = {"single": [], "cluster": []}
    read: dict[str, list[float]] = {"single": [], "cluster": []}
    try:
        for n in range(rounds):
            for name, (_, store) in stores.items():
                fan[name].append(await _fan_out_ms(store, 2_000_000 + n))
        for n in range(reads):
            for name, (_, store) in stores.items():
                read[name].append(await _read_ms(store, 1 + n % FOLLOWERS))
    finally:
        for redis, _ in stores.values():
            await _cleanup(redis, prefix)
    out: dict[str, Any] = {}
    for what, samples in (("fan_out_page_1000_ms", fan), ("read_20_of_800_ms", read)):
        single, cluster = statistics.median(samples["single"]), statistics.median(samples["cluster"])
        out[what] = {
            "single": round(single, 3),
            "cluster": round(cluster, 3),
            "ratio": round(single / cluster, 2),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", required=True, help="redis://host:port of a single server")
    parser.add_argument("--cluster", required=True, help="redis+cluster://host:port,... of a cluster")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.single, args.cluster, args.rounds)), indent=2))


if __name__ == "__main__":
    main()
