"""GraphQL object types mirroring /work/shared/schema.graphql (the public contract) field for field."""

from __future__ import annotations

from enum import Enum
from typing import cast

import strawberry

from fanout.pages import FeedPage, Page
from graph.records import TweetRecord, UserRecord
from resolvers.info import Info
from resolvers.limits import cursor_arg
from resolvers.scalars import DateTime


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, page: FeedPage | Page[TweetRecord] | Page[UserRecord]) -> PageInfo:
        return cls(has_next_page=page.has_next_page, end_cursor=page.end_cursor)


@strawberry.enum(description="How an entry reached the home timeline.")
class FeedSource(Enum):
    TIMELINE = strawberry.enum_value(
        "TIMELINE", description="Precomputed: fanned out on write (or rebuilt) into the viewer's timeline."
    )
    CELEBRITY = strawberry.enum_value(
        "CELEBRITY", description="Merged at read time from a followed celebrity's recent tweets."
    )
    SUGGESTED = strawberry.enum_value(
        "SUGGESTED", description="Suggested (trending) content for a viewer who follows too few accounts yet."
    )


@strawberry.enum
class FeedOrder(Enum):
    LATEST = strawberry.enum_value("LATEST", description="Newest first.")
    TOP = strawberry.enum_value("TOP", description="Ranked by recency and engagement.")


@strawberry.enum
class TimelineEventKind(Enum):
    NEW = strawberry.enum_value("NEW", description="A tweet entered the viewer's home timeline.")
    DELETED = strawberry.enum_value(
        "DELETED", description="A tweet left the viewer's home timeline (deleted, or its author unfollowed)."
    )


@strawberry.type
class User:
    # The fields without logic are plain attributes, filled once by ``of``: strawberry resolves those by
    # attribute access, where a method field goes through its whole resolver machinery (argument parsing,
    # an Info object, extension wrappers) for every user of every page (issue 13's profile).
    record: strawberry.Private[UserRecord]
    id: strawberry.ID
    handle: str
    display_name: str
    bio: str | None
    created_at: DateTime
    follower_count: int
    following_count: int
    tweet_count: int

    @classmethod
    def of(cls, record: UserRecord) -> User:
        return cls(
            record=record,
            id=strawberry.ID(str(record.id)),
            handle=record.handle,
            display_name=record.display_name,
            bio=record.bio,
            created_at=DateTime(record.created_at),
            follower_count=record.follower_count,
            following_count=record.following_count,
            tweet_count=record.tweet_count,
        )

    @strawberry.field(
        description="True when followerCount is at or above the server's celebrity threshold (fan-out on read)."
    )
    def is_celebrity(self, info: Info) -> bool:
        return info.context.people.is_celebrity(self.record)

    @strawberry.field(description="Whether the signed-in viewer follows this user; false when anonymous.")
    async def viewer_follows(self, info: Info) -> bool:
        return await info.context.loaders.viewer_follows(self.record.id)

    @strawberry.field(description="Whether this user follows the signed-in viewer; false when anonymous.")
    async def follows_viewer(self, info: Info) -> bool:
        return await info.context.loaders.follows_viewer(self.record.id)

    @strawberry.field(description="The user's own tweets, newest first.")
    async def tweets(
        self, info: Info, first: int | None = 20, after: str | None = strawberry.UNSET
    ) -> TweetConnection:
        return await info.context.feeds.by_author(self.record.id, first, cursor_arg(after))

    @strawberry.field(description="Who follows this user, most recent first.")
    async def followers(
        self, info: Info, first: int | None = 20, after: str | None = strawberry.UNSET
    ) -> UserConnection:
        return await info.context.people.followers(self.record.id, first, cursor_arg(after))

    @strawberry.field(description="Whom this user follows, most recent first.")
    async def following(
        self, info: Info, first: int | None = 20, after: str | None = strawberry.UNSET
    ) -> UserConnection:
        return await info.context.people.following(self.record.id, first, cursor_arg(after))

    @strawberry.field(
        description=(
            "Whether the signed-in viewer mutes this user (their posts and reposts are hidden from the "
            "viewer's feeds)."
        )
    )
    async def viewer_mutes(self, info: Info) -> bool:
        return (await info.context.loaders.relation(self.record.id))[0]

    @strawberry.field(description="Whether the signed-in viewer blocks this user.")
    async def viewer_blocks(self, info: Info) -> bool:
        return (await info.context.loaders.relation(self.record.id))[1]

    @strawberry.field(
        description=(
            "Whether the viewer's home feed shows this user's reposts (a setting of the follow; true when "
            "not following)."
        )
    )
    async def viewer_shows_reposts(self, info: Info) -> bool:
        return (await info.context.loaders.relation(self.record.id))[2]


@strawberry.type
class Tweet:
    # Plain attributes where there is no logic, as for User.
    record: strawberry.Private[TweetRecord]
    id: strawberry.ID
    text: str
    created_at: DateTime
    like_count: int
    reply_count: int
    repost_count: int

    @classmethod
    def of(cls, record: TweetRecord) -> Tweet:
        return cls(
            record=record,
            id=strawberry.ID(str(record.id)),
            text=record.text,
            created_at=DateTime(record.created_at),
            like_count=record.like_count,
            reply_count=record.reply_count,
            repost_count=record.repost_count,
        )

    # author, viewerHasLiked, viewerHasReposted and repostedBy are not async: a list resolver that loaded them
    # ahead (Loaders.prefetch) gets their values at once, and graphql-core completes the item with no task;
    # otherwise they return the loader's awaitable, which graphql-core awaits as an async resolver's result
    # (hence the casts: the annotation is the schema's type, the awaitable is graphql-core's business).
    @strawberry.field
    def author(self, info: Info) -> User:
        return cast(User, info.context.loaders.user_now(self.record.author_id))

    @strawberry.field(description="Whether the signed-in viewer has liked this tweet; false when anonymous.")
    def viewer_has_liked(self, info: Info) -> bool:
        return cast(bool, info.context.loaders.liked_now(self.record.id))

    @strawberry.field(
        description=(
            "The tweet this one replies to; null for a top-level tweet, or when that tweet is deleted or "
            "hidden from the viewer."
        )
    )
    def in_reply_to(self, info: Info) -> Tweet | None:
        if self.record.reply_to is None:
            return None  # at once, as most tweets: no coroutine for graphql-core to await
        return cast(Tweet, info.context.feeds.visible_tweet(self.record.reply_to))

    @strawberry.field(
        description="Whether the signed-in viewer has reposted this tweet; false when anonymous."
    )
    def viewer_has_reposted(self, info: Info) -> bool:
        return cast(bool, info.context.loaders.reposted_now(self.record.id))

    @strawberry.field(
        description=(
            "Direct replies, oldest first, without those by accounts the viewer mutes or blocks or is "
            "blocked by."
        )
    )
    async def replies(
        self, info: Info, first: int | None = 20, after: str | None = strawberry.UNSET
    ) -> TweetConnection:
        return await info.context.feeds.replies(self.record.id, first, cursor_arg(after))


@strawberry.type
class TweetEdge:
    cursor: str
    node: Tweet


@strawberry.type
class TweetConnection:
    edges: list[TweetEdge]
    page_info: PageInfo


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class HomeTimelineEdge:
    cursor: str
    node: Tweet = strawberry.field(description="Always an original tweet (never a repost wrapper).")
    source: FeedSource
    reposted_by_id: strawberry.Private[int | None] = None

    @strawberry.field(
        description=(
            "Who reposted `node` into this feed; null when it arrived as an original. Each original appears once."
        )
    )
    def reposted_by(self, info: Info) -> User | None:
        if self.reposted_by_id is None:
            return None
        return cast(User, info.context.loaders.user_now(self.reposted_by_id))


@strawberry.type
class HomeTimelineConnection:
    edges: list[HomeTimelineEdge]
    page_info: PageInfo


@strawberry.type
class AuthPayload:
    token: str
    user: User


@strawberry.type
class TimelineEvent:
    kind: TimelineEventKind
    tweet_id: strawberry.ID
    tweet: Tweet | None = strawberry.field(description="The hydrated tweet for NEW events; null for DELETED.")
    cursor: str = strawberry.field(description="Pass as `after` when resubscribing to resume without gaps.")
    source: FeedSource
    reposted_by_id: strawberry.Private[int | None] = None

    @strawberry.field(description="Who reposted the tweet into the viewer's feed; null for an original.")
    def reposted_by(self, info: Info) -> User | None:  # not async: see Tweet.author
        if self.reposted_by_id is None:
            return None
        return cast(User, info.context.loaders.user_now(self.reposted_by_id))
