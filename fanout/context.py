"""Everything the engine's parts share: clients, the timeline store (which owns key names and scripts),
repositories, the id generator and counters."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from neo4j import AsyncDriver

from fanout.client import RedisClient
from fanout.config import EngineConfig
from fanout.keys import Keys
from fanout.store import TimelineStore
from graph.driver import current_bookmarks
from graph.follows import FollowRepo
from graph.ids import IdGenerator
from graph.outbox import OutboxRepo
from graph.tweets import TweetRepo
from graph.users import UserRepo


@dataclass
class EngineStats:
    """In-process counters (exported by the API's /metrics; asserted by tests)."""

    timeline_rebuilds: int = 0
    author_list_rebuilds: int = 0
    celebs_rebuilds: int = 0
    followees_rebuilds: int = 0
    fanout_inserts: int = 0
    fanout_pages: int = 0
    messages_done: int = 0
    messages_claimed: int = 0
    jobs_relayed: int = 0
    crossings_up: int = 0
    crossings_down: int = 0


@dataclass
class EngineContext:
    driver: AsyncDriver
    redis: RedisClient
    config: EngineConfig
    keys: Keys = field(init=False)
    store: TimelineStore = field(init=False)
    ids: IdGenerator = field(init=False)
    users: UserRepo = field(init=False)
    follows: FollowRepo = field(init=False)
    tweets: TweetRepo = field(init=False)
    outbox: OutboxRepo = field(init=False)
    stats: EngineStats = field(default_factory=EngineStats)

    def __post_init__(self) -> None:
        self.store = TimelineStore(self.redis, self.config)
        self.keys = self.store.keys
        self.ids = IdGenerator(self.config.worker_id)
        self.users = UserRepo(self.driver, self.ids)
        self.follows = FollowRepo(self.driver)
        self.tweets = TweetRepo(self.driver, self.ids)
        self.outbox = OutboxRepo(self.driver)

    async def bookmarks(self) -> list[str]:
        """This process's Neo4j bookmarks, for a fan-out job that must see what it has written."""
        return await current_bookmarks(self.driver)


def now_ms() -> int:
    return time.time_ns() // 1_000_000
