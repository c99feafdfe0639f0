"""`feedline bench`: every scenario bounded in time, each timing set against a ceiling from the same run.

Scenarios that need the engine (fanout.service) or the API process are measured only when those packages are
importable; otherwise the report lists them under "Not measured in this run" with the reason.

The bench writes Redis keys only under its own prefix (``<settings.key_prefix>bench:``) and deletes them; in
Neo4j it creates its own users/tweets in a reserved id range and deletes them at the end. Point it at a
dedicated service instance anyway (the numbers suffer from a concurrently used database).
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neo4j import AsyncDriver
from redis.asyncio import Redis

from feedline.bench import fanout_model, machine, memory, pull_vs_push, redis_ceiling, report


@dataclass(frozen=True)
class BenchSizes:
    fanout_followers: list[int]
    fanout_posts: int
    zadd_requests: int
    read_rate: float
    duration_s: float
    concurrencies: list[int]
    follow_counts: list[int]
    repetitions: int
    celebrity_counts: list[int]
    http_rate: float
    subscribers: int
    live_posts: int

    @classmethod
    def for_run(cls, quick: bool) -> BenchSizes:
        if quick:
            return cls([100, 1000], 2, 20_000, 200.0, 0.5, [1, 16], [5, 25, 100], 15, [0, 5], 50.0, 50, 3)
        return cls(
            [1000, 10_000, 50_000],
            5,
            500_000,
            1000.0,
            5.0,
            [1, 16, 64],
            [5, 25, 100, 400],
            200,
            [0, 5, 20],
            100.0,
            1000,
            20,
        )


async def _clear_prefix(redis: Redis, prefix: str) -> None:
    batch: list[bytes] = []
    async for key in redis.scan_iter(match=f"{prefix}*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            await redis.delete(*batch)
            batch = []
    if batch:
        await redis.delete(*batch)


async def run_bench(
    settings: Any,
    quick: bool,
    out_dir: Path,
    *,
    driver: AsyncDriver | None = None,
    redis: Redis | None = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Run the scenarios against ``settings``' services (or the given clients) and write the report."""
    from graph.driver import open_driver

    say = progress or (lambda message: None)
    own_driver = driver is None
    own_redis = redis is None
    if driver is None:
        driver = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    if redis is None:
        redis = Redis.from_url(settings.redis_url, decode_responses=False)
    prefix = f"{settings.key_prefix}bench:"
    sizes = BenchSizes.for_run(quick)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "quick": quick,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sizes": sizes.__dict__,
        "skipped": {},
    }
    try:
        await _clear_prefix(redis, prefix)
        say("machine")
        results["machine"] = await machine.describe(redis, driver)
        say("ZADD ceiling (redis-benchmark)")
        results["zadd_ceiling"] = await redis_ceiling.zadd_ceiling(
            settings.redis_url, prefix, sizes.zadd_requests
        )
        await _clear_prefix(redis, f"{prefix}rb:")
        say("fan-out")
        results["fanout"] = {
            "source": "Redis-side model of the worker loop (feedline/bench/fanout_model.py)",
            "rows": await fanout_model.measure(
                redis, f"{prefix}fo:", sizes.fanout_followers, sizes.fanout_posts
            ),
        }
        say("raw ZREVRANGE")
        read_key = f"{prefix}read:tl:{{1}}"
        await redis.zadd(read_key, {str((1 << 51) + i): float((1 << 51) + i) for i in range(800)})
        results["zrevrange"] = await redis_ceiling.zrevrange_reads(
            redis,
            read_key,
            rate=sizes.read_rate,
            duration_s=sizes.duration_s,
            concurrencies=sizes.concurrencies,
        )
        say("memory per entry")
        results["memory"] = await memory.bytes_per_entry(redis, prefix)
        say("pull vs push, rebuild")
        results["pull_vs_push"] = await pull_vs_push.measure(
            driver,
            redis,
            prefix,
            sizes.follow_counts,
            sizes.repetitions,
            budget_s=max(2.0, sizes.duration_s * 2),
        )
        await _api_scenarios(settings, sizes, results, say)
    finally:
        await _clear_prefix(redis, prefix)
        if own_redis:
            await redis.aclose()
        if own_driver:
            await driver.close()
    results["elapsed_s"] = time.perf_counter() - started
    report.write(results, Path(out_dir))
    return results


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


async def _api_scenarios(settings: Any, sizes: BenchSizes, results: dict[str, Any], say: Any) -> None:
    """homeTimeline over HTTP and live latency, against a real `feedline serve` + `feedline worker`."""
    from feedline.bench import api_scenarios

    if not (_importable("api.app") and _importable("feedline.worker_main")):
        reason = "API (api.app) or worker (feedline.worker_main) not present in this checkout"
        results["skipped"]["homeTimeline over HTTP"] = reason
        results["skipped"]["post to timeline / websocket subscribers"] = reason
        return
    processes = api_scenarios.ApiProcesses(settings)
    try:
        say("starting API + worker")
        await processes.start()
        say("homeTimeline over HTTP")
        try:
            results["home_timeline"] = await api_scenarios.home_timeline(
                processes.base_url,
                celebrity_counts=sizes.celebrity_counts,
                concurrencies=sizes.concurrencies,
                rate=sizes.http_rate,
                duration_s=sizes.duration_s,
            )
        except Exception as error:  # the report says what failed instead of losing every other figure
            results["skipped"]["homeTimeline over HTTP"] = f"failed: {error!r}"[:500]
        say("live: post to subscribers")
        try:
            results["live"] = await api_scenarios.live_latency(
                processes.base_url, subscribers=sizes.subscribers, posts=sizes.live_posts, timeout_s=60
            )
        except Exception as error:
            results["skipped"]["post to timeline / websocket subscribers"] = f"failed: {error!r}"[:500]
    except Exception as error:
        results["skipped"]["API scenarios"] = f"API/worker failed to start: {error!r}"[:500]
    finally:
        processes.stop()


def run_bench_cli(settings: Any, quick: bool, out_dir: Path) -> dict[str, Any]:
    """`feedline bench`: run with a rich status line, then print where the report is."""
    from rich.console import Console

    console = Console()
    with console.status("benchmarking…") as status:
        results = asyncio.run(
            run_bench(settings, quick, out_dir, progress=lambda m: status.update(f"benchmarking: {m}"))
        )
    console.print(f"wrote {Path(out_dir) / 'REPORT.md'} in {results['elapsed_s']:.1f} s")
    return results
