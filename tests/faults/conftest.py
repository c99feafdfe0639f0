"""Fault tests: real `feedline serve` and `feedline worker` processes on the test services, a fault injected
under load, and afterwards every feed compared with the pull oracle.

Each test starts its own processes under a key prefix of its own; faults that hit the whole Redis (FLUSHALL,
a restart) only ever touch this session's private test services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from feedline.settings import Settings
from tests.api.gqlclient import GENEROUS_LIMITS, Gql, api_settings, delete_prefix
from tests.support.processes import Stack, running_stack

FAST_WORKER = {"FEEDLINE_WORKER_CLAIM_MIN_IDLE_MS": "2000"}


@pytest.fixture
def stack(test_settings: Settings, neo4j: object) -> Iterator[Stack]:
    settings = api_settings(test_settings)
    with running_stack(settings, api_env=GENEROUS_LIMITS, worker_env=FAST_WORKER) as stack:
        yield stack
    delete_prefix(settings)


@pytest.fixture
async def gql(stack: Stack) -> AsyncIterator[Gql]:
    client = Gql(stack.base_url)
    try:
        yield client
    finally:
        await client.aclose()
