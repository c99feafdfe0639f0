"""Engine fixtures: a FeedService and a FanoutWorker on the test services, under the test's key prefix.

Trending suggestions are off unless a test asks for them (``suggestions=50``): in a small test world every
viewer is a newcomer, and suggestions would put a tweet that fan-out or a backfill lost back into the feed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import redis.asyncio as aioredis
from neo4j import AsyncDriver

from fanout.context import EngineStats
from fanout.service import EngineConfig, FeedService
from fanout.worker import FanoutWorker
from feedline.settings import Settings

Factory = Callable[..., tuple[FeedService, FanoutWorker]]


@pytest.fixture
def engine_factory(settings: Settings, neo4j: AsyncDriver, redis: aioredis.Redis) -> Factory:
    def make(
        threshold: int = 3,
        cap: int = 800,
        author_cap: int = 1000,
        page_size: int = 2,
        ttl: int = 3600,
        suggestions: int = 0,
        **worker_kw: object,
    ):
        config = EngineConfig(
            key_prefix=settings.key_prefix,
            celebrity_threshold=threshold,
            timeline_cap=cap,
            author_list_cap=author_cap,
            timeline_ttl_seconds=ttl,
            worker_id=11,
            suggestions=suggestions,
        )
        service = FeedService(neo4j, redis, config)
        worker = FanoutWorker(neo4j, redis, config, "w-test", page_size=page_size, **worker_kw)  # type: ignore[arg-type]
        return service, worker

    return make


@pytest.fixture
def engine(engine_factory: Factory) -> tuple[FeedService, FanoutWorker]:
    return engine_factory()


class PageBudget(asyncio.Event):
    """A stop request that fires once a worker has written ``pages`` more follower pages: the worker sees
    it after a page, as it would see SIGTERM, and returns with the message pending and checkpointed."""

    def __init__(self, stats: EngineStats, pages: int) -> None:
        super().__init__()
        self.stats = stats
        self.at = stats.fanout_pages + pages

    def is_set(self) -> bool:
        return self.stats.fanout_pages >= self.at
