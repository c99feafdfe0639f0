"""The services resolvers call, one per concern, each holding only what it needs of the request.

- Accounts: who the viewer is (bearer tokens) and signUp / logIn / logOut.
- People: users: the viewer, profiles, follower lists, search, suggestions.
- Feeds: what the viewer reads: the home timeline and its live events, an author's tweets, trending.
- Writer: what the viewer writes: tweets, follows, likes.

Each checks the viewer and the arguments, calls the engine (fanout.service.FeedService) and returns GraphQL
types, priming the request's loaders with the users it got.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import strawberry

from auth.passwords import hash_password, needs_rehash, verify_password
from auth.tokens import TokenStore
from fanout.pages import Page
from fanout.service import FeedService
from graph.errors import Unauthenticated
from graph.records import UserRecord
from resolvers.limits import check_first, parse_id
from resolvers.live import CloseConnection, LiveChannels, timeline_events
from resolvers.loaders import Loaders
from resolvers.types import (
    AuthPayload,
    FeedOrder,
    FeedSource,
    HomeTimelineConnection,
    HomeTimelineEdge,
    PageInfo,
    TimelineEvent,
    Tweet,
    TweetConnection,
    TweetEdge,
    User,
    UserConnection,
    UserEdge,
)
from resolvers.viewer import Viewer

RateLimit = Callable[[str, str], Awaitable[None]]
"""Awaited as `rate_limit(action, subject)` before a limited action; raises RateLimited when over."""


async def no_rate_limit(action: str, subject: str) -> None:
    """Nothing is limited (the API passes its Redis-backed limiter instead)."""


@dataclass(frozen=True)
class Accounts:
    service: FeedService
    tokens: TokenStore
    viewer: Viewer
    loaders: Loaders
    rate_limit: RateLimit

    async def authenticate(self, token: str) -> bool:
        """Make the token's user the viewer. False, and the viewer marked as holding a bad token, when the
        token is forged, revoked or expired."""
        viewer_id = await self.tokens.resolve(token)
        if viewer_id is None:
            self.viewer.bad_token = True
            return False
        self.viewer.sign_in(viewer_id, token)
        return True

    async def sign_up(self, handle: str, password: str, display_name: str | None) -> AuthPayload:
        await self.rate_limit("signUp", handle.lower())
        password_hash = await hash_password(password)
        return await self._session(await self.service.create_user(handle, display_name, password_hash))

    async def log_in(self, handle: str, password: str) -> AuthPayload:
        await self.rate_limit("logIn", handle.lower())
        found = await self.service.credentials(handle)
        if found is None:
            raise Unauthenticated("wrong handle or password")
        user, stored = found
        # The session is written while the password is verified (and deleted if it is wrong).
        token = await self.tokens.issue_if(user.id, verify_password(stored, password))
        if token is None:
            raise Unauthenticated("wrong handle or password")
        if needs_rehash(stored):  # made with older parameters: upgrade it while we hold the password
            await self.service.replace_password_hash(user.id, stored, await hash_password(password))
        return self._payload(token, user)

    async def log_out(self) -> bool:
        """Revokes the token of this request."""
        self.viewer.require()
        assert self.viewer.token is not None
        return await self.tokens.revoke(self.viewer.token)

    async def update_profile(self, display_name: str | None, bio: str | None) -> User:
        """The viewer's profile with the given fields changed (None leaves a field as it is)."""
        viewer_id = self.viewer.require()
        if display_name is None and bio is None:
            return await self.loaders.user(viewer_id)
        record = await self.service.update_profile(viewer_id, display_name, bio)
        self.loaders.users.prime(
            record.id, record, force=True
        )  # replaces a load made earlier in this request
        return User.of(record)

    async def _session(self, user: UserRecord) -> AuthPayload:
        return self._payload(await self.tokens.issue(user.id), user)

    def _payload(self, token: str, user: UserRecord) -> AuthPayload:
        return AuthPayload(token=token, user=self.loaders.prime_user(user))


@dataclass(frozen=True)
class People:
    service: FeedService
    viewer: Viewer
    loaders: Loaders

    def is_celebrity(self, user: UserRecord) -> bool:
        return self.service.is_celebrity(user)

    async def signed_in(self) -> User | None:
        """The viewer's user; None when anonymous."""
        viewer_id = self.viewer.optional()
        if viewer_id is None:
            return None
        record = await self.loaders.users.load(viewer_id)
        return User.of(record) if record is not None else None

    async def by_handle(self, handle: str) -> User | None:
        record = await self.service.user_by_handle(handle)
        return self.loaders.prime_user(record) if record is not None else None

    async def followers(self, user_id: int, first: int | None, after: str | None) -> UserConnection:
        return self._connection(await self.service.followers(user_id, check_first(first, 20), after))

    async def following(self, user_id: int, first: int | None, after: str | None) -> UserConnection:
        return self._connection(await self.service.following(user_id, check_first(first, 20), after))

    async def search(self, query: str, first: int | None) -> list[User]:
        found = await self.service.search_users(query, check_first(first, 10))
        viewer_id = self.viewer.optional()
        if viewer_id is not None and found:  # a block hides each account from the other
            blocked = await self.service.blocked_among(viewer_id, [u.id for u in found])
            found = [u for u in found if u.id not in blocked]
        return [self.loaders.prime_user(u) for u in found]

    async def suggested(self, first: int | None) -> list[User]:
        count = check_first(first, 10)
        found = await self.service.suggested_users(self.viewer.require(), count)
        return [self.loaders.prime_user(u) for u in found]

    def _connection(self, page: Page[UserRecord]) -> UserConnection:
        return UserConnection(
            edges=[UserEdge(cursor=c, node=self.loaders.prime_user(u)) for u, c in page.items],
            page_info=PageInfo.of(page),
            total_count=page.total_count or 0,
        )


@dataclass(frozen=True)
class Feeds:
    service: FeedService
    viewer: Viewer
    loaders: Loaders
    # The process's pub/sub hub (subscriptions only; api.hub.LiveHub).
    hub: LiveChannels | None
    # Websocket connections only: closes the connection with (code, reason), e.g. for a too slow client.
    close_connection: CloseConnection | None

    async def home(
        self,
        first: int | None,
        after: str | None,
        order: FeedOrder | None,
        selected: frozenset[str] = frozenset(),
    ) -> HomeTimelineConnection:
        """A page of the home feed; ``selected``: the field names the operation asks of it (info.selected_names),
        whose loads the page makes ahead, in one batch each (Loaders.prefetch)."""
        count = check_first(first, 20)
        page = await self.service.read_home(
            self.viewer.require(), count, after, "TOP" if order == FeedOrder.TOP else "LATEST"
        )
        await self.loaders.prefetch(
            selected, [e.tweet for e in page.entries], [e.reposted_by for e in page.entries]
        )
        edges = [
            HomeTimelineEdge(
                cursor=e.cursor,
                node=Tweet.of(e.tweet),
                source=FeedSource(e.source),
                reposted_by_id=e.reposted_by,
            )
            for e in page.entries
        ]
        return HomeTimelineConnection(edges=edges, page_info=PageInfo.of(page))

    async def by_author(self, author_id: int, first: int | None, after: str | None) -> TweetConnection:
        count = check_first(first, 20)
        viewer_id = self.viewer.optional()
        if viewer_id is not None and await self.service.blocked_among(viewer_id, [author_id]):
            # A block hides each account's tweets from the other's view of their profile.
            return TweetConnection(edges=[], page_info=PageInfo(has_next_page=False, end_cursor=after))
        page = await self.service.author_tweets(author_id, count, after)
        return TweetConnection(
            edges=[TweetEdge(cursor=c, node=Tweet.of(t)) for t, c in page.items],
            page_info=PageInfo.of(page),
        )

    async def trending(self, first: int | None) -> list[Tweet]:
        return [Tweet.of(t) for t in await self.service.trending(check_first(first, 20))]

    async def visible_tweet(self, tweet_id: int) -> Tweet | None:
        """A tweet unless it is deleted, a repost wrapper, or by an account hidden from the viewer."""
        record = await self.loaders.tweets.load(tweet_id)
        if record is None or record.repost_of is not None:
            return None
        viewer_id = self.viewer.optional()
        if viewer_id is not None and record.author_id in await self.service.hidden_from(viewer_id):
            return None
        return Tweet.of(record)

    async def replies(self, tweet_id: int, first: int | None, after: str | None) -> TweetConnection:
        page = await self.service.replies(self.viewer.optional(), tweet_id, check_first(first, 20), after)
        return TweetConnection(
            edges=[TweetEdge(cursor=c, node=Tweet.of(t)) for t, c in page.items],
            page_info=PageInfo.of(page),
        )

    async def tweet(self, raw_id: str) -> Tweet | None:
        record = await self.loaders.tweets.load(parse_id(raw_id))
        return Tweet.of(record) if record is not None else None

    async def events(
        self, after: str | None, selected: frozenset[str] = frozenset()
    ) -> AsyncIterator[TimelineEvent]:
        """The viewer's live home-timeline events, each resolved afresh: what ``selected`` (the field names the
        subscription asks, info.selected_names) needs of the event's tweet is loaded ahead, as for a page
        (Loaders.prefetch); the loads of a process's subscribers that got the same event go together (the
        engine's batchers)."""
        viewer_id = self.viewer.require()
        if self.hub is None:
            raise RuntimeError("subscriptions need the API's live hub in the context")
        async for event in timeline_events(self.service, self.hub, viewer_id, after, self.close_connection):
            self.loaders.clear()
            if event.tweet is not None:
                await self.loaders.prefetch(selected, [event.tweet.record], [event.reposted_by_id])
            yield event


@dataclass(frozen=True)
class Writer:
    service: FeedService
    viewer: Viewer
    loaders: Loaders
    rate_limit: RateLimit
    # The request's `Idempotency-Key` header: a retried postTweet with the same key creates nothing twice.
    idempotency_key: str | None = None

    async def post_tweet(self, text: str, in_reply_to: str | None = None) -> Tweet:
        viewer_id = self.viewer.require()
        reply_to = parse_id(in_reply_to) if in_reply_to is not None else None
        await self.rate_limit("postTweet", str(viewer_id))
        return Tweet.of(
            await self.service.post_tweet(viewer_id, text, self.idempotency_key, reply_to=reply_to)
        )

    async def repost(self, raw_id: str) -> Tweet:
        viewer_id = self.viewer.require()
        tweet_id = parse_id(raw_id)
        await self.rate_limit("postTweet", str(viewer_id))  # a repost is a post: the same budget
        return Tweet.of(await self.service.repost(viewer_id, tweet_id))

    async def unrepost(self, raw_id: str) -> Tweet:
        return Tweet.of(await self.service.unrepost(self.viewer.require(), parse_id(raw_id)))

    async def mute(self, handle: str) -> User:
        return self.loaders.prime_user(await self.service.mute(self.viewer.require(), handle))

    async def unmute(self, handle: str) -> User:
        return self.loaders.prime_user(await self.service.unmute(self.viewer.require(), handle))

    async def block(self, handle: str) -> User:
        return self.loaders.prime_user(await self.service.block(self.viewer.require(), handle))

    async def unblock(self, handle: str) -> User:
        return self.loaders.prime_user(await self.service.unblock(self.viewer.require(), handle))

    async def delete_tweet(self, raw_id: str) -> strawberry.ID:
        """Only the author may delete; returns the id of the deleted tweet."""
        await self.service.delete_tweet(self.viewer.require(), parse_id(raw_id))
        return strawberry.ID(raw_id)

    async def follow(self, handle: str, show_reposts: bool = True) -> User:
        return self.loaders.prime_user(await self.service.follow(self.viewer.require(), handle, show_reposts))

    async def unfollow(self, handle: str) -> User:
        return self.loaders.prime_user(await self.service.unfollow(self.viewer.require(), handle))

    async def like(self, raw_id: str) -> Tweet:
        return Tweet.of(await self.service.like(self.viewer.require(), parse_id(raw_id)))

    async def unlike(self, raw_id: str) -> Tweet:
        return Tweet.of(await self.service.unlike(self.viewer.require(), parse_id(raw_id)))
