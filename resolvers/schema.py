"""The strawberry schema: Query, Mutation and Subscription roots, and the printed SDL."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from graph.errors import FeedlineError
from resolvers.context import RequestContext
from resolvers.errors import BACKEND_DOWN, CLIENT_MISTAKES, CodedErrors
from resolvers.execution import FeedlineExecutionContext
from resolvers.info import Info, selected_names
from resolvers.limits import cursor_arg, limit_extensions
from resolvers.metrics import OperationMetrics
from resolvers.operations import HttpOperationSelection
from resolvers.ratelimits import RequestGuards
from resolvers.scalars import DATETIME_SCALAR, DateTime
from resolvers.types import (
    AuthPayload,
    FeedOrder,
    HomeTimelineConnection,
    TimelineEvent,
    Tweet,
    User,
)

SUBSCRIPTION_DESCRIPTION = (
    "Live events of the signed-in viewer's home timeline. Requires authentication.\n"
    "With `after`, first replays (oldest first) the NEW entries newer than that cursor, then continues live,\n"
    "so a client that reconnects misses nothing."
)


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user, or null when anonymous.")
    async def viewer(self, info: Info) -> User | None:
        return await info.context.people.signed_in()

    @strawberry.field
    async def user(self, info: Info, handle: str) -> User | None:
        return await info.context.people.by_handle(handle)

    @strawberry.field
    async def tweet(self, info: Info, id: strawberry.ID) -> Tweet | None:
        return await info.context.feeds.tweet(id)

    @strawberry.field(description="The signed-in viewer's hybrid home feed. Requires authentication.")
    async def home_timeline(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = strawberry.UNSET,
        order: FeedOrder | None = FeedOrder.LATEST,
    ) -> HomeTimelineConnection:
        return await info.context.feeds.home(first, cursor_arg(after), order, selected_names(info))

    @strawberry.field(
        description="Users whose handle or display name starts with the query, most followed first."
    )
    async def search_users(self, info: Info, query: str, first: int | None = 10) -> list[User]:
        return await info.context.people.search(query, first)

    @strawberry.field(
        description=(
            "Accounts the viewer may want to follow (followed by people the viewer follows). "
            "Requires authentication."
        )
    )
    async def suggested_users(self, info: Info, first: int | None = 10) -> list[User]:
        return await info.context.people.suggested(first)

    @strawberry.field(description="Recent tweets ranked by engagement.")
    async def trending(self, info: Info, first: int | None = 20) -> list[Tweet]:
        return await info.context.feeds.trending(first)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def sign_up(
        self, info: Info, handle: str, password: str, display_name: str | None = strawberry.UNSET
    ) -> AuthPayload:
        return await info.context.accounts.sign_up(handle, password, display_name or None)

    @strawberry.mutation
    async def log_in(self, info: Info, handle: str, password: str) -> AuthPayload:
        return await info.context.accounts.log_in(handle, password)

    @strawberry.mutation(description="Revokes the token used for this request.")
    async def log_out(self, info: Info) -> bool:
        return await info.context.accounts.log_out()

    @strawberry.mutation(
        description=(
            "Changes the viewer's own profile; omitted arguments stay as they are. "
            "displayName 1..50, bio 0..160 characters."
        )
    )
    async def update_profile(
        self,
        info: Info,
        display_name: str | None = strawberry.UNSET,
        bio: str | None = strawberry.UNSET,
    ) -> User:
        return await info.context.accounts.update_profile(_given(display_name), _given(bio))

    @strawberry.mutation(
        description=(
            "With `inReplyTo`, a reply: NOT_FOUND when that tweet does not exist or is deleted, FORBIDDEN when its "
            "author\nblocks the viewer or is blocked by them. A reply reaches a follower's home only if the "
            "follower also follows\nthe account replied to (or is it); a reply to oneself (a thread) always does."
        )
    )
    async def post_tweet(
        self, info: Info, text: str, in_reply_to: strawberry.ID | None = strawberry.UNSET
    ) -> Tweet:
        return await info.context.writer.post_tweet(text, in_reply_to or None)

    @strawberry.mutation(
        description=(
            "Idempotent. Reposting a repost reposts its original. Returns the original tweet. FORBIDDEN across a "
            "block."
        )
    )
    async def repost(self, info: Info, id: strawberry.ID) -> Tweet:
        return await info.context.writer.repost(id)

    @strawberry.mutation(description="Idempotent. Returns the original tweet.")
    async def unrepost(self, info: Info, id: strawberry.ID) -> Tweet:
        return await info.context.writer.unrepost(id)

    @strawberry.mutation(description="Only the author may delete. Returns the id of the deleted tweet.")
    async def delete_tweet(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        return await info.context.writer.delete_tweet(id)

    @strawberry.mutation(
        description=(
            "Idempotent; also sets whether this account's reposts show in the viewer's home. FORBIDDEN across a "
            "block."
        )
    )
    async def follow(self, info: Info, handle: str, show_reposts: bool | None = True) -> User:
        return await info.context.writer.follow(handle, show_reposts is not False)

    @strawberry.mutation(description="Idempotent. Returns the unfollowed user.")
    async def unfollow(self, info: Info, handle: str) -> User:
        return await info.context.writer.unfollow(handle)

    @strawberry.mutation(
        description=(
            "Idempotent. Hides the user's posts and reposts from the viewer's feeds at once, without unfollowing."
        )
    )
    async def mute(self, info: Info, handle: str) -> User:
        return await info.context.writer.mute(handle)

    @strawberry.mutation(description="Idempotent.")
    async def unmute(self, info: Info, handle: str) -> User:
        return await info.context.writer.unmute(handle)

    @strawberry.mutation(
        description=(
            "Idempotent. Also removes follows both ways; neither account then sees the other's posts, replies or "
            "profile tweets."
        )
    )
    async def block(self, info: Info, handle: str) -> User:
        return await info.context.writer.block(handle)

    @strawberry.mutation(description="Idempotent. Follows removed by the block are not restored.")
    async def unblock(self, info: Info, handle: str) -> User:
        return await info.context.writer.unblock(handle)

    @strawberry.mutation(description="Idempotent.")
    async def like_tweet(self, info: Info, id: strawberry.ID) -> Tweet:
        return await info.context.writer.like(id)

    @strawberry.mutation(description="Idempotent.")
    async def unlike_tweet(self, info: Info, id: strawberry.ID) -> Tweet:
        return await info.context.writer.unlike(id)


def _given(value: str | None) -> str | None:
    """An omitted (UNSET) or null argument: leave the field as it is."""
    return None if value is None or value is strawberry.UNSET else value


@strawberry.type
class Subscription:
    @strawberry.subscription(description=SUBSCRIPTION_DESCRIPTION)
    async def home_timeline_events(
        self, info: Info, after: str | None = strawberry.UNSET
    ) -> AsyncGenerator[TimelineEvent, None]:
        async for event in info.context.feeds.events(cursor_arg(after), selected_names(info)):
            yield event


class FreshLoaders(SchemaExtension):
    """Each operation starts with empty DataLoader caches: a websocket connection shares one context between
    all its operations, which must not see each other's (possibly stale) loads."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, RequestContext):
            context.loaders.clear()
        yield


class FeedlineSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only unexpected errors: domain errors and invalid documents are the client's business and
        would otherwise put a stack trace in the server log for every wrong password or bad cursor; an
        outage of Redis or Neo4j is logged by CodedErrors as one warning per error, without a trace."""
        unexpected = [
            e
            for e in errors
            if e.original_error is not None
            and not isinstance(
                e.original_error, (FeedlineError, GraphQLError, *CLIENT_MISTAKES, *BACKEND_DOWN)
            )
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = FeedlineSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[
        OperationMetrics,
        FreshLoaders,
        *limit_extensions(),
        HttpOperationSelection,
        RequestGuards,
        CodedErrors,
    ],
    config=StrawberryConfig(scalar_map={DateTime: DATETIME_SCALAR}),
    execution_context_class=FeedlineExecutionContext,  # plain fields at once; live memory stays flat
)


def print_sdl() -> str:
    """The schema as SDL, ending with one newline (what /work/main/schema.graphql holds)."""
    return schema.as_str().rstrip("\n") + "\n"
