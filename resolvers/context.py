"""Per-request context: the viewer, the engine facade and per-request DataLoaders (batching per tick)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from auth.passwords import hash_password, verify_password
from auth.tokens import TokenStore
from fanout.service import FeedService
from graph.errors import BadInput, NotFound, Unauthenticated
from graph.records import TweetRecord, UserRecord
from resolvers.limits import check_first
from resolvers.live import LiveChannels, timeline_events
from resolvers.types import (
    AuthPayload,
    FeedOrder,
    FeedSource,
    HomeTimelineConnection,
    HomeTimelineEdge,
    PageInfo,
    Tweet,
    TweetConnection,
    TweetEdge,
    User,
    UserConnection,
    UserEdge,
)


def parse_id(raw: str) -> int:
    """IDs are decimal strings of 53-bit snowflakes."""
    if not raw.isdigit() or len(raw) > 16:
        raise BadInput("id must be a decimal string")
    return int(raw)


@dataclass
class RequestContext:
    service: FeedService
    tokens: TokenStore
    viewer_id: int | None = None
    token: str | None = None
    # Rate limiting hook: called as `await rate_limit(action, viewer_id)`; None disables it.
    rate_limit: Any = None
    # The pub/sub hub shared by the process (subscriptions only; api.hub.LiveHub).
    hub: LiveChannels | None = None
    # Set by strawberry from the websocket connection_init payload.
    connection_params: Any = None
    # A token was sent but is forged, revoked or expired: viewer-aware operations answer UNAUTHENTICATED.
    bad_token: bool = False
    # Websocket connections only: closes the connection with (code, reason), e.g. for a too slow client.
    close_connection: Callable[[int, str], Awaitable[None]] | None = None
    _loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.users = DataLoader(self._load_users)
        self.tweets = DataLoader(self._load_tweets)
        self.follows_flags = DataLoader(self._load_follow_flags)
        self.liked = DataLoader(self._load_liked)

    def clear_loaders(self) -> None:
        """Forget what the loaders cached. A websocket connection keeps one context for its whole life: without
        this its events and operations would show users and flags as they were when first loaded (and the
        caches would grow for as long as the connection lives)."""
        for loader in (self.users, self.tweets, self.follows_flags, self.liked):
            loader.clear_all()

    # --- loaders (one engine call per batch) ---
    async def _load_users(self, ids: Sequence[int]) -> list[UserRecord | None]:
        found = await self.service.users_by_ids(list(ids))
        return [found.get(i) for i in ids]

    async def _load_tweets(self, ids: Sequence[int]) -> list[TweetRecord | None]:
        found = await self.service.tweets_by_ids(list(ids))
        return [found.get(i) for i in ids]

    async def _load_follow_flags(self, ids: Sequence[int]) -> list[tuple[bool, bool]]:
        assert self.viewer_id is not None
        follows, followed_by = await self.service.follow_flags(self.viewer_id, list(ids))
        return [(i in follows, i in followed_by) for i in ids]

    async def _load_liked(self, ids: Sequence[int]) -> list[bool]:
        assert self.viewer_id is not None
        liked = await self.service.liked_flags(self.viewer_id, list(ids))
        return [i in liked for i in ids]

    # --- helpers ---
    def require_viewer(self) -> int:
        if self.bad_token:
            raise Unauthenticated("invalid or expired token")
        if self.viewer_id is None:
            raise Unauthenticated("sign in required")
        return self.viewer_id

    def _prime_user(self, record: UserRecord) -> User:
        self.users.prime(record.id, record)
        return User(record=record)

    async def _check_rate(self, action: str, key: str) -> None:
        if self.rate_limit is not None:
            await self.rate_limit(action, key)

    async def load_user(self, user_id: int) -> User:
        record = await self.users.load(user_id)
        if record is None:
            raise NotFound("user not found")
        return User(record=record)

    async def viewer_follows(self, user_id: int) -> bool:
        if self.viewer_id is None or user_id == self.viewer_id:
            return False
        return (await self.follows_flags.load(user_id))[0]

    async def follows_viewer(self, user_id: int) -> bool:
        if self.viewer_id is None or user_id == self.viewer_id:
            return False
        return (await self.follows_flags.load(user_id))[1]

    async def viewer_has_liked(self, tweet_id: int) -> bool:
        if self.viewer_id is None:
            return False
        return await self.liked.load(tweet_id)

    # --- queries ---
    async def viewer_user(self) -> User | None:
        if self.bad_token:
            raise Unauthenticated("invalid or expired token")
        if self.viewer_id is None:
            return None
        record = await self.users.load(self.viewer_id)
        return User(record=record) if record is not None else None

    async def user_by_handle(self, handle: str) -> User | None:
        record = await self.service.user_by_handle(handle)
        return self._prime_user(record) if record is not None else None

    async def tweet_by_id(self, raw_id: str) -> Tweet | None:
        record = await self.tweets.load(parse_id(raw_id))
        return Tweet(record=record) if record is not None else None

    async def home_timeline(
        self, first: int | None, after: str | None, order: FeedOrder | None
    ) -> HomeTimelineConnection:
        count = check_first(first, 20)
        viewer = self.require_viewer()
        page = await self.service.read_home(
            viewer, count, after, "TOP" if order == FeedOrder.TOP else "LATEST"
        )
        edges = [
            HomeTimelineEdge(cursor=e.cursor, node=Tweet(record=e.tweet), source=FeedSource(e.source))
            for e in page.entries
        ]
        return HomeTimelineConnection(
            edges=edges, page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor)
        )

    async def author_tweets(self, user_id: int, first: int | None, after: str | None) -> TweetConnection:
        page = await self.service.author_tweets(user_id, check_first(first, 20), after)
        return TweetConnection(
            edges=[TweetEdge(cursor=c, node=Tweet(record=t)) for t, c in page.items],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )

    async def _user_connection(self, page: Any) -> UserConnection:
        return UserConnection(
            edges=[UserEdge(cursor=c, node=self._prime_user(u)) for u, c in page.items],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            total_count=page.total_count or 0,
        )

    async def followers(self, user_id: int, first: int | None, after: str | None) -> UserConnection:
        return await self._user_connection(
            await self.service.followers(user_id, check_first(first, 20), after)
        )

    async def following(self, user_id: int, first: int | None, after: str | None) -> UserConnection:
        return await self._user_connection(
            await self.service.following(user_id, check_first(first, 20), after)
        )

    async def search_users(self, query: str, first: int | None) -> list[User]:
        return [self._prime_user(u) for u in await self.service.search_users(query, check_first(first, 10))]

    async def suggested_users(self, first: int | None) -> list[User]:
        count = check_first(first, 10)
        viewer = self.require_viewer()
        return [self._prime_user(u) for u in await self.service.suggested_users(viewer, count)]

    async def trending(self, first: int | None) -> list[Tweet]:
        return [Tweet(record=t) for t in await self.service.trending(check_first(first, 20))]

    # --- mutations ---
    async def sign_up(self, handle: str, password: str, display_name: str | None) -> AuthPayload:
        await self._check_rate("signUp", handle.lower())
        password_hash = await hash_password(password)
        user = await self.service.create_user(handle, display_name, password_hash)
        return AuthPayload(token=await self.tokens.issue(user.id), user=self._prime_user(user))

    async def log_in(self, handle: str, password: str) -> AuthPayload:
        await self._check_rate("logIn", handle.lower())
        found = await self.service.credentials(handle)
        if found is None or not await verify_password(found[1], password):
            raise Unauthenticated("wrong handle or password")
        user = found[0]
        return AuthPayload(token=await self.tokens.issue(user.id), user=self._prime_user(user))

    async def log_out(self) -> bool:
        self.require_viewer()
        assert self.token is not None
        return await self.tokens.revoke(self.token)

    async def update_profile(self, display_name: str | None, bio: str | None) -> User:
        viewer = self.require_viewer()
        if display_name is None and bio is None:
            return await self.load_user(viewer)
        record = await self.service.update_profile(viewer, display_name, bio)
        self.users.prime(record.id, record, force=True)  # replaces a load made earlier in this request
        return User(record=record)

    async def post_tweet(self, text: str) -> Tweet:
        viewer = self.require_viewer()
        await self._check_rate("postTweet", str(viewer))
        return Tweet(record=await self.service.post_tweet(viewer, text))

    async def delete_tweet(self, raw_id: str) -> strawberry.ID:
        viewer = self.require_viewer()
        await self.service.delete_tweet(viewer, parse_id(raw_id))
        return strawberry.ID(raw_id)

    async def follow(self, handle: str) -> User:
        return self._prime_user(await self.service.follow(self.require_viewer(), handle))

    async def unfollow(self, handle: str) -> User:
        return self._prime_user(await self.service.unfollow(self.require_viewer(), handle))

    async def like_tweet(self, raw_id: str) -> Tweet:
        return Tweet(record=await self.service.like(self.require_viewer(), parse_id(raw_id)))

    async def unlike_tweet(self, raw_id: str) -> Tweet:
        return Tweet(record=await self.service.unlike(self.require_viewer(), parse_id(raw_id)))

    async def home_timeline_events(self, after: str | None) -> AsyncIterator[Any]:
        viewer = self.require_viewer()
        if self.hub is None:
            raise RuntimeError("subscriptions need the API's live hub in the context")
        async for event in timeline_events(self.service, self.hub, viewer, after, self.close_connection):
            self.clear_loaders()  # each event is resolved afresh (batched within the event)
            yield event
