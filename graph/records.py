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
    # A reply: the tweet replied to and its author (the author is copied onto the reply so that the replies
    # rule needs no second lookup in fan-out, reads or the pull oracle).
    reply_to: int | None = None
    reply_to_author: int | None = None
    # A repost (its own tweet, empty text): the original and its author.
    repost_of: int | None = None
    repost_of_author: int | None = None
    reply_count: int = 0
    repost_count: int = 0
