"""FLUSHALL under post and read load (defects 1 and 2 of issue 11): the worker recreates its consumer group
and keeps fanning out, without a traceback per retry; afterwards every feed equals the pull oracle; and no
session is lost (sessions live in Neo4j, Redis only caches them)."""

from __future__ import annotations

import asyncio

from neo4j import AsyncDriver

from fanout.client import open_redis
from tests.api.gqlclient import Gql, eventually
from tests.faults.load import Load, build_world, wait_feeds_match_oracle
from tests.support.processes import Stack


async def test_flushall_under_load_loses_no_post(stack: Stack, gql: Gql, neo4j: AsyncDriver) -> None:
    world = await build_world(gql)
    load = Load(gql, world)
    load.start()
    redis = open_redis(stack.settings.redis_url)
    try:
        await eventually(lambda: asyncio.sleep(0.2, len(load.posted) >= 10), within=30, what="posts before")
        await redis.flushall()
        before = len(load.posted)
        await eventually(
            lambda: asyncio.sleep(0.2, len(load.posted) >= before + 20),
            within=30,
            what="posts after the flush",
        )
    finally:
        await load.stop()
        await redis.aclose()
    await wait_feeds_match_oracle(gql, neo4j, world)
    assert stack.worker.alive(), stack.worker.output()[-4000:]
    log = stack.worker.output()
    assert "recreating it" in log, log[-4000:]
    assert log.count("Traceback") <= 1, log[-4000:]
    # Nobody was logged out: every request after the flush still authenticated with its first token.
    assert load.relogins == 0 and load.errors["UNAUTHENTICATED"] == 0, load.errors
