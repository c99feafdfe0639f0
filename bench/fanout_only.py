"""`feedline bench --fanout-only`: one tweet fanned out by the real FanoutWorker to 1K, 10K and 50K existing
follower timelines, next to `redis-benchmark` pipelined ZADD on the same Redis in the same run.

Prints a table and the JSON; the full `feedline bench` runs the same scenario and puts it in bench/REPORT.md.
"""

from __future__ import annotations

import json
from typing import Any

from bench import _clear_prefix, fanout_scenario, load_functions, redis_ceiling, world
from fanout.client import open_redis
from graph.driver import open_driver
from graph.schema import apply_schema


async def run(settings: Any, quick: bool) -> dict[str, Any]:
    driver = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    redis = open_redis(settings.redis_url)
    prefix = f"{settings.key_prefix}bench:"
    try:
        await apply_schema(driver)
        await load_functions(redis, prefix)
        await world.cleanup(driver)
        ceiling = await redis_ceiling.zadd_ceiling(settings.redis_url, prefix, 20_000 if quick else 500_000)
        await _clear_prefix(redis, prefix)
        sizes = [100, 1000] if quick else [1000, 10_000, 50_000]
        result = await fanout_scenario.measure(driver, redis, f"{prefix}fo:", sizes, 2 if quick else 5, print)
        return {"zadd_ceiling": ceiling, "fanout": result}
    finally:
        await _clear_prefix(redis, prefix)
        await world.cleanup(driver)
        await redis.aclose()
        await driver.close()


def print_table(out: dict[str, Any]) -> None:
    ceiling = out["zadd_ceiling"].get("zadd_per_s") or float("nan")
    print(f"redis-benchmark pipelined ZADD ceiling: {ceiling:,.0f}/s")
    print("followers  fan-out ms  inserts/s  fraction of ceiling")
    for row in out["fanout"]["rows"]:
        print(
            f"{row['followers']:>9,}  {row['median_s'] * 1000:>10.1f}  {row['inserts_per_s']:>9,.0f}  "
            f"{row['inserts_per_s'] / ceiling:>6.2f}"
        )
    print(json.dumps(out, indent=2, default=str))
