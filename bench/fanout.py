"""Fan-out benchmark on its own (issue 4): one tweet fanned out by the real FanoutWorker to 1K, 10K and 50K
existing follower timelines, next to `redis-benchmark` pipelined ZADD on the same Redis in the same run.

    .venv/bin/python bench/fanout.py [--quick] [--keep-services]

Starts the benchmark's own Redis and Neo4j (the same ones as `feedline bench`), prints a table and the JSON.
The full `feedline bench` runs the same scenario and puts it in bench/REPORT.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from redis.asyncio import Redis

from feedline import services as local_services
from feedline.bench import _clear_prefix, fanout, redis_ceiling, world
from feedline.settings import get_settings
from graph.driver import open_driver
from graph.schema import apply_schema


async def run(settings: Any, quick: bool) -> dict[str, Any]:
    driver = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    redis = Redis.from_url(settings.redis_url)
    prefix = f"{settings.key_prefix}bench:"
    try:
        await apply_schema(driver)
        await world.cleanup(driver)
        ceiling = await redis_ceiling.zadd_ceiling(settings.redis_url, prefix, 20_000 if quick else 500_000)
        await _clear_prefix(redis, prefix)
        sizes = [100, 1000] if quick else [1000, 10_000, 50_000]
        result = await fanout.measure(driver, redis, f"{prefix}fo:", sizes, 2 if quick else 5, print)
        return {"zadd_ceiling": ceiling, "fanout": result}
    finally:
        await _clear_prefix(redis, prefix)
        await world.cleanup(driver)
        await redis.aclose()
        await driver.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep-services", action="store_true")
    args = parser.parse_args()
    plan = local_services.ServicePlan.for_bench()
    local_services.up(plan, log=print)
    try:
        out = asyncio.run(run(plan.settings(get_settings(), key_prefix="bench:"), args.quick))
    finally:
        if not args.keep_services:
            local_services.down(plan)
    ceiling = out["zadd_ceiling"].get("zadd_per_s") or float("nan")
    print(f"redis-benchmark pipelined ZADD ceiling: {ceiling:,.0f}/s")
    print("followers  fan-out ms  inserts/s  fraction of ceiling")
    for row in out["fanout"]["rows"]:
        print(
            f"{row['followers']:>9,}  {row['median_s'] * 1000:>10.1f}  {row['inserts_per_s']:>9,.0f}  "
            f"{row['inserts_per_s'] / ceiling:>6.2f}"
        )
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
