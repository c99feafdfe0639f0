"""Fault tests: real `feedline serve` and `feedline worker` processes on the test services, a fault injected
under load, and afterwards every feed compared with the pull oracle.

Each test starts its own processes under a key prefix of its own; faults that hit the whole Redis (FLUSHALL,
a restart) only ever touch this session's private test services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from feedline.settings import Settings
from tests.api.gqlclient import GENEROUS_LIMITS, Gql, api_settings, delete_prefix
from tests.support.processes import Proc, running, start_api, start_worker

FAST_WORKER = {"FEEDLINE_WORKER_CLAIM_MIN_IDLE_MS": "2000"}


@dataclass
class Stack:
    settings: Settings
    api: Proc
    worker: Proc

    @property
    def base_url(self) -> str:
        assert self.api.base_url is not None
        return self.api.base_url


@pytest.fixture
def stack(test_settings: Settings, neo4j: object) -> Iterator[Stack]:
    settings = api_settings(test_settings)
    api = start_api(settings, port=None, **GENEROUS_LIMITS)
    try:
        worker = start_worker(settings, **FAST_WORKER)
    except BaseException:
        api.stop()
        raise
    with running(api, worker):
        yield Stack(settings, api, worker)
    delete_prefix(settings)


@pytest.fixture
async def gql(stack: Stack) -> AsyncIterator[Gql]:
    client = Gql(stack.base_url)
    try:
        yield client
    finally:
        await client.aclose()
