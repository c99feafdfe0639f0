"""Map Cypher projections onto records. Queries project with USER_FIELDS / TWEET_FIELDS so the shapes match."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, LiteralString

from graph.records import TweetRecord, UserRecord

# Map projections (Cypher literals, concatenated at import time, never with data).
USER_FIELDS: LiteralString = (
    "{.id, .handle, .displayName, .bio, createdAt: u.createdAt.epochMillis, "
    ".followerCount, .followingCount, .tweetCount}"
)
TWEET_FIELDS: LiteralString = (
    "{.id, author: a.id, .text, createdAt: t.createdAt.epochMillis, .likeCount, .deleted, .replyTo, "
    ".replyToAuthor, .repostOf, .repostOfAuthor, replyCount: coalesce(t.replyCount, 0), "
    "repostCount: coalesce(t.repostCount, 0)}"
)


def from_ms(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def user_from(row: dict[str, Any]) -> UserRecord:
    return UserRecord(
        id=int(row["id"]),
        handle=row["handle"],
        display_name=row.get("displayName") or row["handle"],
        bio=row.get("bio") or None,
        created_at=from_ms(int(row["createdAt"])),
        follower_count=int(row.get("followerCount") or 0),
        following_count=int(row.get("followingCount") or 0),
        tweet_count=int(row.get("tweetCount") or 0),
    )


def tweet_from(row: dict[str, Any]) -> TweetRecord:
    return TweetRecord(
        id=int(row["id"]),
        author_id=int(row["author"]),
        text=row["text"],
        created_at=from_ms(int(row["createdAt"])),
        like_count=int(row.get("likeCount") or 0),
        deleted=bool(row.get("deleted")),
        reply_to=_opt_int(row.get("replyTo")),
        reply_to_author=_opt_int(row.get("replyToAuthor")),
        repost_of=_opt_int(row.get("repostOf")),
        repost_of_author=_opt_int(row.get("repostOfAuthor")),
        reply_count=int(row.get("replyCount") or 0),
        repost_count=int(row.get("repostCount") or 0),
    )


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)
