"""Plain, immutable records that cross layer boundaries (graph -> fanout -> resolvers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    handle: str
    display_name: str
    bio: str | None
    created_at: datetime
    follower_count: int
    following_count: int
    tweet_count: int


@dataclass(frozen=True, slots=True)
class TweetRecord:
    id: int
    author_id: int
    text: str
    created_at: datetime
    like_count: int
    deleted: bool = False
