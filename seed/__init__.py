"""`feedline seed`: generate a deterministic world and load it (see seed/world.py for the model, seed/load.py for
the loaders)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from neo4j import AsyncDriver
from redis.asyncio import Redis

from fanout.client import open_redis
from seed.load import graph_is_empty, hash_password, import_applies, load, populate_redis, seed_by_import
from seed.social import add_conversations
from seed.world import DEMO_HANDLE, DEMO_PASSWORD, Progress, SeedResult, generate, resolve_plan


async def seed(
    driver: AsyncDriver,
    redis: Redis | None,
    *,
    preset: str | None = "demo",
    users: int | None = None,
    avg_follows: int | None = None,
    celebrities: int | None = None,
    tweets_per_user: float | None = None,
    seed: int = 42,
    key_prefix: str = "fl:",
    celebrity_threshold: int = 50_000,
    progress: Progress | None = None,
    password_hash: str | None = None,
    require_empty: bool = True,
) -> SeedResult:
    """Generate and load a world; the graph must be empty (seeding twice would duplicate handles)."""
    if require_empty and not await graph_is_empty(driver):
        raise RuntimeError("the graph already has users; seed only into an empty database")
    plan = resolve_plan(preset, users, avg_follows, celebrities, tweets_per_user)
    t0 = time.perf_counter()
    world = generate(plan, seed=seed, celebrity_threshold=celebrity_threshold)
    generate_s = time.perf_counter() - t0
    seconds = {"generate": generate_s}
    seconds.update(
        await load(driver, world, password_hash=password_hash or hash_password(), progress=progress)
    )
    added = 0
    if preset == "demo":
        # Some users reply, repost, mute and block, so that these features show on the demo's first login.
        t1 = time.perf_counter()
        social = await add_conversations(driver, seed=seed, viewer_handle=DEMO_HANDLE)
        added = social.replies + social.reposts
        seconds["conversations"] = time.perf_counter() - t1
    if redis is not None:
        await populate_redis(redis, world, key_prefix=key_prefix)
    result = SeedResult.of(world, seconds)
    return dataclasses.replace(result, tweets=result.tweets + added)


def run_seed_cli(
    settings: Any,
    preset: str | None,
    users: int | None,
    avg_follows: int | None,
    celebrities: int | None,
    seed_value: int,
) -> SeedResult:
    """`feedline seed`: open clients from settings, seed with rich progress bars, print a summary."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from graph.driver import open_driver
    from graph.schema import apply_schema

    console = Console()
    if preset is None or (users is not None and preset == "demo"):
        preset = "custom" if users is not None else "demo"

    async def main() -> SeedResult:
        driver = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
        redis = open_redis(settings.redis_url)
        try:
            await apply_schema(driver)
            with Progress(
                TextColumn("{task.description:>8}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as bars:
                tasks: dict[str, Any] = {}

                def report(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bars.add_task(stage, total=total)
                    bars.update(tasks[stage], completed=done)

                size = resolve_plan(preset, users, avg_follows, celebrities)
                service_plan = import_applies(settings, size.users * size.avg_follows)
                if service_plan is not None and await graph_is_empty(driver):
                    console.print("large world into an empty local Neo4j: loading with neo4j-admin import")
                    return await seed_by_import(
                        settings,
                        service_plan,
                        redis,
                        preset=preset,
                        users=users,
                        avg_follows=avg_follows,
                        celebrities=celebrities,
                        seed_value=seed_value,
                        progress=report,
                    )
                return await seed(
                    driver,
                    redis,
                    preset=preset,
                    users=users,
                    avg_follows=avg_follows,
                    celebrities=celebrities,
                    seed=seed_value,
                    key_prefix=settings.key_prefix,
                    celebrity_threshold=settings.celebrity_threshold,
                    progress=report,
                )
        finally:
            await redis.aclose()
            await driver.close()

    try:
        result = asyncio.run(main())
    except RuntimeError as error:  # e.g. a non-empty graph: say so without a traceback
        console.print(f"[red]seed failed:[/red] {error}")
        raise SystemExit(1) from error
    console.print(
        f"seeded {result.users:,} users, {result.follows:,} follows, {result.tweets:,} tweets, "
        f"{result.likes:,} likes; celebrities (>= {settings.celebrity_threshold} followers): "
        f"{', '.join(result.celebrities) or 'none'}; follows loaded at {result.follows_per_second:,.0f}/s; "
        f"log in as {DEMO_HANDLE} / {DEMO_PASSWORD}"
    )
    return result
