"""Bulk load: a seed world of 100K users and 10M follows into an empty Neo4j, timed.

The path `feedline seed` takes for a large world into the local Neo4j (seed/load.py ``admin_import``): the
generated arrays written as CSV, then `neo4j-admin database import full` with the database stopped, then the
database started again. The figure of the goal ("10M follows imported") is CSV + import: generated arrays to
every node and edge stored. Generating the world and restarting the database are reported beside it.

It runs on a Neo4j of its own (``.feedline/bench-import/``, started here and deleted afterwards), not on the
bench's: the import replaces the whole database, and the bench's other scenarios and later runs must not
find ten million edges in theirs. The imported counts are read back and checked before the figure counts.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from typing import Any

from graph.driver import DATABASE, open_driver
from ops import services
from seed.load import admin_import, hash_password
from seed.world import PRESETS, SeedPlan, generate

# The seed's `medium` world with enough follows per user for ten million (10,066,639 with seed 42).
TEN_MILLION = dataclasses.replace(PRESETS["medium"], avg_follows=113)
QUICK_WORLD = SeedPlan(users=2_000, avg_follows=20, celebrities=2, tweets_per_user=2, likes_per_tweet=1.0)
IMPORT_STATE = "import"


PORT_OFFSET = 5  # test slots' ports are 10 apart: +5 falls between two slots, and beside the bench's


def import_plan(beside: services.ServicePlan) -> services.ServicePlan:
    """The throwaway Neo4j of the import, beside ``beside``'s (the bench's, or a test slot's): same sizes,
    ports and a directory of its own."""
    return dataclasses.replace(
        beside,
        state_dir=beside.state_dir.parent / f"{beside.state_dir.name}-{IMPORT_STATE}",
        redis_port=beside.redis_port + PORT_OFFSET,  # not started: the import needs Neo4j only
        neo4j_bolt_port=beside.neo4j_bolt_port + PORT_OFFSET,
        neo4j_http_port=beside.neo4j_http_port + PORT_OFFSET,
    )


async def measure(bench: services.ServicePlan, quick: bool, say: Any) -> dict[str, Any]:
    plan = import_plan(bench)
    world_plan = QUICK_WORLD if quick else TEN_MILLION
    say(f"bulk import: generating {world_plan.users:,} users")
    t0 = time.perf_counter()
    world = generate(world_plan, seed=42, celebrity_threshold=50_000)
    generate_s = time.perf_counter() - t0
    follows = len(world.follow_src)
    services.start_neo4j(plan, lambda message: None)
    try:
        say(f"bulk import: {follows:,} follows with neo4j-admin")
        seconds = admin_import(plan, world, hash_password())
        driver = await open_driver(plan.neo4j_uri, "neo4j", plan.neo4j_password)
        try:
            records, _, _ = await driver.execute_query(
                "MATCH (u:User) WITH count(u) AS users MATCH ()-[f:FOLLOWS]->() RETURN users, count(f) AS follows",
                database_=DATABASE,
            )
        finally:
            await driver.close()
    finally:
        services.stop_neo4j(plan)
        shutil.rmtree(plan.state_dir, ignore_errors=True)
    stored = records[0]
    if stored["follows"] != follows or stored["users"] != world_plan.users:
        raise RuntimeError(
            f"imported {dict(stored)}, generated {follows} follows of {world_plan.users} users"
        )
    return {
        "users": world_plan.users,
        "follows": follows,
        "tweets": len(world.tweet_ids),
        "likes": len(world.like_user),
        "generate_s": generate_s,
        "csv_s": seconds["csv"],
        "import_s": seconds["import"],
        "restart_s": seconds["restart"],
        "follows_s": seconds["csv"] + seconds["import"],
        "phases": {k.removeprefix("phase: "): v for k, v in seconds.items() if k.startswith("phase: ")},
    }
