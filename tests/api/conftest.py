"""Fixtures of the functional API tests: real `feedline serve` + `feedline worker` processes per module.

Starting processes costs seconds, so one API and one worker serve all tests of a module under a key prefix
of their own (deleted afterwards). Tests create their own users with unique handles, so they do not depend
on each other; tests that need an empty graph ask for the ``neo4j`` fixture as well.

Trending suggestions are off unless a module sets ``STACK_SUGGESTIONS`` (test_graphql_queries.py, which
tests them): a tweet that fan-out or a backfill lost must be missing from the feed, not suggested.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from fanout.client import open_redis
from feedline.settings import Settings
from tests.api.gqlclient import GENEROUS_LIMITS, Gql, api_settings, delete_prefix
from tests.support.processes import Stack, running_stack

# Low enough that a test makes a celebrity with two follows.
CELEBRITY_THRESHOLD = 2


@pytest.fixture(scope="module")
def stack(test_settings: Settings, request: pytest.FixtureRequest) -> Iterator[Stack]:
    suggestions = getattr(request.module, "STACK_SUGGESTIONS", 0)
    settings = api_settings(test_settings, celebrity_threshold=CELEBRITY_THRESHOLD, suggestions=suggestions)
    worker_env = {"FEEDLINE_WORKER_CLAIM_MIN_IDLE_MS": "2000"}
    with running_stack(settings, api_env=GENEROUS_LIMITS, worker_env=worker_env) as stack:
        api, worker = stack.api, stack.worker
        yield stack
        assert api.alive(), f"the API died during the module:\n{api.output()[-4000:]}"
        assert worker.alive(), f"the worker died during the module:\n{worker.output()[-4000:]}"
        assert "Traceback" not in api.output(), api.output()[-4000:]
    delete_prefix(settings)


@pytest.fixture
async def gql(stack: Stack) -> AsyncIterator[Gql]:
    client = Gql(stack.base_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def redis_client(stack: Stack) -> AsyncIterator[aioredis.Redis]:
    client = open_redis(stack.settings.redis_url)
    try:
        yield client
    finally:
        await client.aclose()
