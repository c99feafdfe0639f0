"""`feedline bench`: every scenario bounded in time, each timing set against a ceiling from the same run.

Scenarios (all on the real engine and API): fan-out with FanoutWorker (bench/fanout_scenario.py; alone: `feedline bench --fanout-only`), reads and
rebuild and memory with FeedService (reads.py), homeTimeline over HTTP and live websocket latency against
`feedline serve` + `feedline worker` processes (api_scenarios.py), and homeTimeline against the same request
served by a pull-mode `feedline serve` (pull_vs_hybrid.py). A scenario that fails is listed under "Not
measured in this run" with the reason instead of losing the other figures.

The bench writes Redis keys only under its own prefix (``<settings.key_prefix>bench:``) and deletes them; in
Neo4j its nodes carry a ``:BenchData`` label and are deleted at the end (bench/world.py). Point it at
a dedicated service instance anyway (`feedline bench` starts its own).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neo4j import AsyncDriver
from redis.asyncio import Redis

from bench import (
    api_scenarios,
    fanout_scenario,
    import_scenario,
    machine,
    reads,
    redis_ceiling,
    report,
    world,
)
from fanout.client import open_redis
from fanout.config import EngineConfig
from fanout.store import TimelineStore
from feedline.settings import Settings


@dataclass(frozen=True)
class BenchSizes:
    fanout_followers: list[int]
    fanout_posts: int
    zadd_requests: int
    duration_s: float
    concurrencies: list[int]
    follow_counts: list[int]
    repetitions: int
    celebrity_counts: list[int]
    http_rate: float
    subscribers: int
    live_posts: int
    wide_follows: int
    api_processes: int
    pull_follow_counts: list[int]  # hybrid vs pull mode: followed authors (200 tweets each) per viewer

    @classmethod
    def for_run(cls, quick: bool) -> BenchSizes:
        if quick:
            return cls(
                [100, 1000], 2, 20_000, 0.5, [1, 16], [5, 25, 100], 15, [0, 5], 50.0, 50, 3, 100, 1, [5, 25]
            )
        return cls(
            [1000, 10_000, 50_000],
            5,
            500_000,
            5.0,
            [1, 16, 64],
            [5, 25, 100, 400],
            200,
            [0, 5, 20],
            100.0,  # offered rate for the open loop: about half of what two API processes sustain here
            1000,
            20,
            400,
            API_PROCESSES,
            [25, 100, 400],  # the world at the top: 400 followed authors x 200 tweets
        )


API_PROCESSES = 2  # `feedline serve` processes in the full run (stateless: any number can serve)


async def _clear_prefix(redis: Redis, prefix: str) -> None:
    batch: list[bytes] = []
    async for key in redis.scan_iter(match=f"{prefix}*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            await redis.delete(*batch)
            batch = []
    if batch:
        await redis.delete(*batch)


async def load_functions(redis: Redis, prefix: str) -> None:
    """Load this code's Redis Functions library, as the API and the worker do when they start. The bench's
    in-process scenarios call the library without starting either, and Redis persists a loaded library: the
    bench's Redis would otherwise run the one an older checkout loaded (a changed function's keys and
    arguments then fail, e.g. WRONGTYPE)."""
    await TimelineStore(redis, EngineConfig(key_prefix=prefix)).load_functions()


SCENARIOS = ("fanout", "reads", "api")


async def run_bench(
    settings: Any,
    quick: bool,
    out_dir: Path,
    *,
    driver: AsyncDriver | None = None,
    redis: Redis | None = None,
    progress: Any = None,
    only: tuple[str, ...] = SCENARIOS,
    import_beside: Any = None,
) -> dict[str, Any]:
    """Run the scenarios against ``settings``' services (or the given clients) and write the report; with
    ``import_beside`` (the bench's ServicePlan), the bulk import too, on a Neo4j of its own beside it."""
    from graph.driver import open_driver
    from graph.schema import apply_schema

    say = progress or (lambda message: None)
    own_driver = driver is None
    own_redis = redis is None
    if driver is None:
        driver = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    if redis is None:
        redis = open_redis(settings.redis_url)
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
        await apply_schema(driver)
        await load_functions(redis, prefix)
        await _clear_prefix(redis, prefix)
        await world.cleanup(driver)
        say("machine")
        results["machine"] = await machine.describe(redis, driver)
        # Reads first: they also warm a freshly started Neo4j (JIT, page cache) before fan-out is timed.
        if "reads" in only:
            results["reads"] = await reads.measure(
                driver,
                redis,
                f"{prefix}rd:",
                sizes.follow_counts,
                sizes.repetitions,
                budget_s=max(2.0, sizes.duration_s * 2),
                say=say,
            )
            await _clear_prefix(redis, f"{prefix}rd:")
        if "fanout" in only:
            say("ZADD ceiling (redis-benchmark)")
            results["zadd_ceiling"] = await redis_ceiling.zadd_ceiling(
                settings.redis_url, prefix, sizes.zadd_requests
            )
            await _clear_prefix(redis, f"{prefix}rb:")
            results["fanout"] = await fanout_scenario.measure(
                driver, redis, f"{prefix}fo:", sizes.fanout_followers, sizes.fanout_posts, say
            )
            await _clear_prefix(redis, f"{prefix}fo:")
            say("fan-out rules (mutes, replies) per insert")
            results["fanout_rules"] = await fanout_scenario.measure_rules(
                redis, f"{prefix}fr:", followers=1000 if quick else 5000
            )
            await _clear_prefix(redis, f"{prefix}fr:")
        if "api" in only:
            await api_scenarios.run(
                settings,
                driver,
                redis,
                prefix,
                concurrencies=sizes.concurrencies,
                celebrity_counts=sizes.celebrity_counts,
                rate=sizes.http_rate,
                duration_s=sizes.duration_s,
                repetitions=sizes.repetitions,
                subscribers=sizes.subscribers,
                posts=sizes.live_posts,
                wide_follows=sizes.wide_follows,
                pull_follow_counts=sizes.pull_follow_counts,
                api_processes=sizes.api_processes,
                results=results,
                say=say,
            )
    finally:
        say("cleaning up")
        await _clear_prefix(redis, prefix)
        await world.cleanup(driver)
        if own_redis:
            await redis.aclose()
        if own_driver:
            await driver.close()
    if import_beside is not None and only == SCENARIOS:
        results["import"] = await import_scenario.measure(import_beside, quick, say)
    else:
        results["skipped"]["bulk import"] = "run by `feedline bench` only (it starts a Neo4j of its own)"
    results["elapsed_s"] = time.perf_counter() - started
    if only == SCENARIOS:
        report.write(results, Path(out_dir))
    return results


def run_bench_cli(
    base: Settings,
    *,
    quick: bool,
    out_dir: Path,
    keep_services: bool,
    fanout_only: bool,
    cluster: bool = False,
) -> None:
    """`feedline bench`: on Redis and Neo4j instances of its own (`.feedline/bench/`, never the demo's data),
    with a rich status line; stops them at the end unless ``keep_services``."""
    from rich.console import Console

    from bench import fanout_only as only
    from ops import services

    console = Console()
    plan = services.ServicePlan.for_bench()
    with console.status("starting the benchmark's Redis and Neo4j…"):
        services.up(plan, log=lambda message: console.print(f"[dim]·[/dim] {message}"))
    settings = plan.settings(base, key_prefix="bench:")
    if cluster:
        run_cluster_cli(plan, settings, quick=quick, out_dir=out_dir, keep_services=keep_services)
        return
    try:
        if fanout_only:
            only.print_table(asyncio.run(only.run(settings, quick)))
            return
        with console.status("benchmarking…") as status:
            results = asyncio.run(
                run_bench(
                    settings,
                    quick,
                    out_dir,
                    progress=lambda m: status.update(f"benchmarking: {m}"),
                    import_beside=plan,
                )
            )
        console.print(f"wrote {Path(out_dir) / 'REPORT.md'} in {results['elapsed_s']:.1f} s")
    finally:
        if not keep_services:
            services.down(plan)


CLUSTER_BASE_PORT = 16720  # the bench's local cluster (test slots use 16600-16699)


def run_cluster_cli(
    plan: Any, settings: Settings, *, quick: bool, out_dir: Path, keep_services: bool
) -> None:
    """`feedline bench --cluster`: the bench's single Redis and a local cluster of its own, side by side."""
    import dataclasses

    from rich.console import Console

    from bench import cluster_api
    from graph.driver import open_driver
    from graph.schema import apply_schema
    from ops import services

    console = Console()
    cluster_plan = dataclasses.replace(plan, redis_cluster=True, redis_cluster_base_port=CLUSTER_BASE_PORT)
    with console.status("starting the benchmark's Redis Cluster…"):
        services.start_redis_cluster(
            cluster_plan, log=lambda message: console.print(f"[dim]·[/dim] {message}")
        )

    async def run(status: Any) -> dict[str, Any]:
        driver = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
        try:
            await apply_schema(driver)
            return await cluster_api.compare(
                settings, cluster_plan.redis_url, driver, quick=quick,
                say=lambda m: status.update(f"benchmarking: {m}"),
            )  # fmt: skip
        finally:
            await driver.close()

    try:
        with console.status("benchmarking…") as status:
            results = asyncio.run(run(status))
        path = cluster_api.write_report(results, out_dir)
        console.print(path.read_text())
        console.print(f"wrote {path}")
    finally:
        if not keep_services:
            services.stop_redis_cluster(cluster_plan)
            services.down(plan)
