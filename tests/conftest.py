"""Shared fixtures: a private Redis and Neo4j per pytest session, isolation per test.

The services run on ports of their own (``ServicePlan.for_test_slot``), so a running demo is never touched.
``FEEDLINE_TEST_SLOT`` (0..9) picks another set of ports for a second concurrent test session;
``FEEDLINE_TEST_KEEP_SERVICES=1`` leaves them running after the session for faster local iterations.
``FEEDLINE_TEST_REDIS=cluster`` runs the session against a local Redis Cluster (3 primaries + 3 replicas of
Debian's redis-server, ports of the slot's own) instead of one Redis server.

Isolation: Redis by a unique key prefix per test (its keys are deleted afterwards); Neo4j by wiping the
database before each test that asks for the ``neo4j`` fixture.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis
from hypothesis import Phase
from hypothesis import settings as hypothesis_settings
from neo4j import AsyncDriver

from fanout.client import open_redis
from fanout.functions import LIBRARY
from feedline.settings import Settings
from graph.driver import DATABASE, open_driver
from graph.schema import apply_schema
from ops.services import ServicePlan, down, up

# `pytest --hypothesis-profile=no-shrink`: report the first failing example as found (no minutes of shrinking
# with real services), e.g. when checking which tests catch a planted regression.
hypothesis_settings.register_profile("no-shrink", phases=[Phase.explicit, Phase.reuse, Phase.generate])

TEST_SLOT = int(os.environ.get("FEEDLINE_TEST_SLOT", "0"))
KEEP_SERVICES = os.environ.get("FEEDLINE_TEST_KEEP_SERVICES", "") not in ("", "0")
REDIS_MODE = os.environ.get("FEEDLINE_TEST_REDIS", "single")
if REDIS_MODE not in ("single", "cluster"):
    raise ValueError(f"FEEDLINE_TEST_REDIS must be single or cluster, not {REDIS_MODE!r}")
REDIS_CLUSTER = REDIS_MODE == "cluster"


def settings_for(plan: ServicePlan, **overrides: object) -> Settings:
    """Settings that point at ``plan``'s services; never reads a developer's .env."""
    return plan.settings(**{"key_prefix": "test:", **overrides})


@pytest.fixture(scope="session")
def service_plan() -> Iterator[ServicePlan]:
    plan = ServicePlan.for_test_slot(TEST_SLOT, redis_cluster=REDIS_CLUSTER)
    up(plan, log=lambda message: print(f"[test services] {message}"))
    yield plan
    if not KEEP_SERVICES:
        down(plan)


@pytest.fixture(scope="session")
def test_settings(service_plan: ServicePlan) -> Settings:
    return settings_for(service_plan)


@pytest.fixture
def settings(test_settings: Settings) -> Settings:
    """The session settings with a key prefix of this test's own."""
    return test_settings.model_copy(update={"key_prefix": f"t{uuid.uuid4().hex[:10]}:"})


_library_loaded: list[bool] = []


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[aioredis.Redis]:
    client = open_redis(settings.redis_url)  # a RedisCluster under FEEDLINE_TEST_REDIS=cluster
    if not _library_loaded:
        # As the API and the worker do at start: the library of this code, not one an earlier run left.
        await client.function_load(LIBRARY, replace=True)
        _library_loaded.append(True)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{settings.key_prefix}*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
        await client.aclose()


@pytest.fixture(scope="session")
async def neo4j_session_driver(test_settings: Settings) -> AsyncIterator[AsyncDriver]:
    driver = await open_driver(
        test_settings.neo4j_uri, test_settings.neo4j_user, test_settings.neo4j_password
    )
    await apply_schema(driver)
    yield driver
    await driver.close()


async def wipe_graph(driver: AsyncDriver) -> None:
    # CALL ... IN TRANSACTIONS needs an auto-commit transaction, hence session.run.
    async with driver.session(database=DATABASE) as session:
        # Relationships first: detaching a node with thousands of edges in one go exhausts the tx memory pool.
        for statement in (
            "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS",
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS",
        ):
            result = await session.run(statement)
            await result.consume()


@pytest.fixture
async def neo4j(neo4j_session_driver: AsyncDriver) -> AsyncDriver:
    """The test Neo4j, emptied for this test (schema kept)."""
    await wipe_graph(neo4j_session_driver)
    return neo4j_session_driver
