"""Stand-ins for the engine and the token store, enough for the resolvers' pure logic (no Redis, no Neo4j)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from auth.tokens import TokenStore
from fanout.service import FeedService
from graph.records import TweetRecord, UserRecord
from resolvers.context import RequestContext

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def user(user_id: int, handle: str | None = None, followers: int = 0) -> UserRecord:
    return UserRecord(
        id=user_id,
        handle=handle or f"user{user_id}",
        display_name=f"User {user_id}",
        bio=None,
        created_at=WHEN,
        follower_count=followers,
        following_count=0,
        tweet_count=0,
    )


class FakeEngine:
    """Records the batches it is asked for; knows users 1..9, who follow user 1, and tweets 100..109."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[int]]] = []

    async def users_by_ids(self, ids: Sequence[int]) -> dict[int, UserRecord]:
        self.calls.append(("users", list(ids)))
        return {i: user(i) for i in ids if 1 <= i <= 9}

    async def tweets_by_ids(self, ids: Sequence[int]) -> dict[int, TweetRecord]:
        self.calls.append(("tweets", list(ids)))
        return {}

    async def follow_flags(self, viewer_id: int, other_ids: Sequence[int]) -> tuple[set[int], set[int]]:
        self.calls.append(("follow_flags", list(other_ids)))
        follows = {i for i in other_ids if viewer_id == 1}
        return follows, set()

    async def liked_flags(self, viewer_id: int, tweet_ids: Sequence[int]) -> set[int]:
        self.calls.append(("liked", list(tweet_ids)))
        return {i for i in tweet_ids if i % 2 == 0}

    async def read_home(self, *args: object) -> Any:
        raise AssertionError("the engine was asked for a home timeline")

    async def suggested_users(self, *args: object) -> Any:
        raise AssertionError("the engine was asked for suggestions")


class FakeTokens:
    def __init__(self, known: dict[str, int]) -> None:
        self.known = known
        self.revoked: list[str] = []

    async def resolve(self, token: str) -> int | None:
        return self.known.get(token)

    async def revoke(self, token: str) -> bool:
        self.revoked.append(token)
        return self.known.pop(token, None) is not None


def context(engine: Any = None, tokens: Any = None, transport: Any = "http", **kwargs: Any) -> RequestContext:
    return RequestContext(
        cast(FeedService, engine or FakeEngine()),
        cast(TokenStore, tokens or FakeTokens({})),
        transport=transport,
        **kwargs,
    )
