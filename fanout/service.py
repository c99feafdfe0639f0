"""FeedService: the engine's facade for the API (INTERFACE.md) and the write flows of DESIGN.md §3.

Neo4j is written first (the source of truth); Redis state is derived afterwards and every piece of it can
be rebuilt, so a crash between the two loses nothing that a rebuild cannot restore. Redis is written only
through the timeline store (fanout/store.py) and the caches; fan-out jobs are encoded by fanout/jobs.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from neo4j import AsyncDriver

from fanout import cursors
from fanout.cache import Caches
from fanout.client import RedisClient
from fanout.config import EngineConfig
from fanout.context import EngineContext, EngineStats, now_ms
from fanout.derived import Derived
from fanout.feed import FeedReader
from fanout.jobs import DeleteJob, PostJob, outbox
from fanout.keys import Keys
from fanout.likes import ViewerLikes
from fanout.live import CELEBS_CHANGED, tweet_event
from fanout.pages import FeedEntry, FeedPage, Page
from fanout.transitions import request_reconcile
from graph.convert import to_ms
from graph.errors import BadInput
from graph.records import TweetRecord, UserRecord

__all__ = ["EngineConfig", "FeedService"]

PURGE_LIMIT = 5000
# A live subscription's watch mark outlives several of its checks (resolvers/live.py: every 5 s).
LIVE_WATCH_TTL_S = 120


class FeedService:
    def __init__(self, driver: AsyncDriver, redis: RedisClient, config: EngineConfig) -> None:
        self.ctx = EngineContext(driver, redis, config)
        self.driver = driver
        self.redis = redis
        self.config = config
        self.keys: Keys = self.ctx.keys
        self.caches = Caches(self.ctx)
        self.derived = Derived(self.ctx)
        self.reader = FeedReader(self.ctx, self.caches, self.derived)
        self.likes = ViewerLikes(self.ctx)

    @property
    def stats(self) -> EngineStats:
        return self.ctx.stats

    # --- users ------------------------------------------------------------------------------------------
    async def create_user(self, handle: str, display_name: str | None, password_hash: str) -> UserRecord:
        return await self.ctx.users.create(handle, display_name, password_hash)

    async def credentials(self, handle: str) -> tuple[UserRecord, str] | None:
        return await self.ctx.users.credentials(handle)

    async def replace_password_hash(self, user_id: int, old: str, new: str) -> None:
        await self.ctx.users.replace_password_hash(user_id, old, new)

    async def user_by_handle(self, handle: str) -> UserRecord | None:
        return await self.ctx.users.by_handle(handle)

    async def users_by_ids(self, ids: Sequence[int]) -> dict[int, UserRecord]:
        return await self.caches.users(ids)

    async def update_profile(self, user_id: int, display_name: str | None, bio: str | None) -> UserRecord:
        """Neo4j first, then drop the cached user hash so every reader sees the new name and bio (a fill
        racing with this is bounded by the cache's short TTL, as for counters)."""
        user = await self.ctx.users.update_profile(user_id, display_name, bio)
        await self.redis.delete(self.keys.user(user_id))
        return user

    def is_celebrity(self, user: UserRecord) -> bool:
        return user.follower_count >= self.config.celebrity_threshold

    async def search_users(self, query: str, first: int) -> list[UserRecord]:
        return await self.ctx.users.search(query, first)

    async def suggested_users(self, viewer_id: int, first: int) -> list[UserRecord]:
        return await self.ctx.follows.suggestions(viewer_id, first)

    # --- tweets -----------------------------------------------------------------------------------------
    async def tweets_by_ids(self, ids: Sequence[int]) -> dict[int, TweetRecord]:
        return await self.caches.tweets(ids)

    async def post_tweet(self, author_id: int, text: str, idempotency_key: str | None = None) -> TweetRecord:
        """The tweet and its fan-out job are committed together (the outbox); queueing the job here is the fast
        path, and the worker's relay queues it if this process or Redis fails before it does. A retry with the
        same ``idempotency_key`` returns the first attempt's tweet and creates nothing."""
        tweet_id, job_id = self.ctx.ids.next_id(), self.ctx.ids.next_id()
        job = PostJob(tweet_id, author_id)
        tweet, created = await self.ctx.tweets.post(
            author_id, text, tweet_id=tweet_id, job=outbox(job_id, job), idempotency_key=idempotency_key
        )
        if not created:
            return tweet  # a retry: the first attempt's job is in the outbox (relayed if not queued)
        keys, store = self.keys, self.ctx.store
        async with self.redis.pipeline(transaction=False) as pipe:
            await store.add_own_tweet(pipe, author_id, tweet.id)  # first reply: the author list's
            store.add_trending(pipe, tweet.id, to_ms(tweet.created_at), 0)
            pipe.delete(keys.user(author_id))
            await store.enqueue_once(job_id, job, client=pipe)
            event = tweet_event("NEW", tweet.id, author_id, "TIMELINE")
            await store.publish_many([keys.live_timeline(author_id)], event, pipe)
            author_list_added, *_ = await store.execute(pipe)
        await self.caches.put_tweet(tweet)
        if int(author_list_added) < 0:  # the author list was evicted: rebuild (includes this tweet)
            await self.derived.rebuild_author_list(author_id)
        return tweet

    async def delete_tweet(self, actor_id: int, tweet_id: int) -> None:
        job_id = self.ctx.ids.next_id()
        job = DeleteJob(tweet_id, actor_id)  # only the author may delete: the actor is the author
        author_id = await self.ctx.tweets.soft_delete(actor_id, tweet_id, outbox(job_id, job))
        keys, store = self.keys, self.ctx.store
        async with self.redis.pipeline(transaction=False) as pipe:
            self.caches.tombstone(pipe, tweet_id)
            store.remove_own_tweet(pipe, author_id, tweet_id)
            store.remove_trending(pipe, tweet_id)
            pipe.delete(keys.user(author_id))
            await store.enqueue_once(job_id, job, client=pipe)
            event = tweet_event("DELETED", tweet_id, author_id, "TIMELINE")
            await store.publish_many([keys.live_timeline(author_id)], event, pipe)
            await store.execute(pipe)

    async def like(self, user_id: int, tweet_id: int) -> TweetRecord:
        tweet = await self.ctx.tweets.like(user_id, tweet_id, now_ms())
        await self._likes_changed(user_id, tweet, liked=True)
        return tweet

    async def unlike(self, user_id: int, tweet_id: int) -> TweetRecord:
        tweet = await self.ctx.tweets.unlike(user_id, tweet_id)
        await self._likes_changed(user_id, tweet, liked=False)
        return tweet

    async def _likes_changed(self, user_id: int, tweet: TweetRecord, *, liked: bool) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            await self.likes.changed(user_id, tweet.id, liked, pipe)
            await self.caches.set_like_count(pipe, tweet.id, tweet.like_count)
            self.ctx.store.add_trending(pipe, tweet.id, to_ms(tweet.created_at), tweet.like_count)
            await self.ctx.store.execute(pipe)

    async def liked_flags(self, viewer_id: int, tweet_ids: Sequence[int]) -> set[int]:
        return await self.likes.flags(viewer_id, tweet_ids)

    async def trending(self, first: int) -> list[TweetRecord]:
        await self.derived.ensure_trending()
        ids = await self.ctx.store.trending_ids(2 * first + 10)
        tweets = await self.caches.tweets(ids)
        return [tweets[i] for i in ids if i in tweets][:first]

    async def author_tweets(self, user_id: int, first: int, after: str | None) -> Page[TweetRecord]:
        before = cursors.parse_author(after) if after is not None else 1 << 53
        tweets, total = await self.ctx.tweets.by_author(user_id, before, first + 1)
        page = tweets[:first]
        items = [(t, cursors.author(t.id)) for t in page]
        return Page(items, len(tweets) > first, items[-1][1] if items else after, total)

    # --- follows ----------------------------------------------------------------------------------------
    async def follow(self, follower_id: int, followee_handle: str) -> UserRecord:
        change = await self.ctx.follows.follow(follower_id, followee_handle, now_ms())
        followee = change.followee
        if not change.changed:
            return followee
        keys, cfg, store, a = self.keys, self.config, self.ctx.store, followee.id
        in_mode = bool(await self.redis.sismember(keys.celebrity_mode, str(a)))
        celebrity = in_mode or followee.follower_count >= cfg.celebrity_threshold
        async with self.redis.pipeline(transaction=False) as pipe:
            # One DEL per key: two users' keys lie in two cluster slots.
            pipe.delete(keys.user(follower_id))
            pipe.delete(keys.user(a))
            await store.sadd_if_exists(keys.followees(follower_id), str(a), client=pipe)
            if celebrity:
                await store.sadd_if_exists(keys.celebs(follower_id), str(a), client=pipe)
                await store.publish_many([keys.live_timeline(follower_id)], CELEBS_CHANGED, pipe)
            await store.execute(pipe)
        if not in_mode:
            # Fanned out on write: merge the followee's recent tweets into the follower's timeline now.
            recent = await self.derived.author_recent_ids(a, cfg.timeline_cap)
            await store.backfill([follower_id], recent)
        await request_reconcile(self.ctx, a, followee.follower_count)
        return followee

    async def unfollow(self, follower_id: int, followee_handle: str) -> UserRecord:
        change = await self.ctx.follows.unfollow(follower_id, followee_handle)
        followee = change.followee
        if not change.changed:
            return followee
        keys, store, a = self.keys, self.ctx.store, followee.id
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.delete(keys.user(follower_id))
            pipe.delete(keys.user(a))
            pipe.srem(keys.followees(follower_id), str(a))
            pipe.srem(keys.celebs(follower_id), str(a))
            store.queue_oldest(pipe, follower_id)
            _, _, _, left_celebs, oldest = await pipe.execute()
        if left_celebs:
            await store.publish_many([keys.live_timeline(follower_id)], CELEBS_CHANGED)
        min_id = store.oldest_id(oldest)
        if min_id is not None:
            # Purge the followee's tweets that can be in the timeline (ids at or above its oldest entry).
            await store.purge(follower_id, await self.ctx.tweets.ids_since(a, min_id, PURGE_LIMIT))
        await request_reconcile(self.ctx, a, followee.follower_count)
        return followee

    async def followers(self, user_id: int, first: int, after: str | None) -> Page[UserRecord]:
        rows, total = await self.ctx.follows.followers_page(
            user_id, first + 1, cursors.parse_follow(after) if after is not None else None
        )
        return self._edge_page(rows, first, after, total)

    async def following(self, user_id: int, first: int, after: str | None) -> Page[UserRecord]:
        rows, total = await self.ctx.follows.following_page(
            user_id, first + 1, cursors.parse_follow(after) if after is not None else None
        )
        return self._edge_page(rows, first, after, total)

    @staticmethod
    def _edge_page(
        rows: list[tuple[UserRecord, int]], first: int, after: str | None, total: int
    ) -> Page[UserRecord]:
        items = [(u, cursors.follow(since, u.id)) for u, since in rows[:first]]
        return Page(items, len(rows) > first, items[-1][1] if items else after, total)

    async def follow_flags(self, viewer_id: int, other_ids: Sequence[int]) -> tuple[set[int], set[int]]:
        return await self.ctx.follows.flags(viewer_id, other_ids)

    async def followed_celebrities(self, viewer_id: int) -> set[int]:
        return await self.derived.celebs(viewer_id)

    async def prepare_live(self, viewer_id: int) -> set[int]:
        """Get a live subscriber ready; returns the celebrities whose author channel they must listen to.

        A subscriber is an active user: their timeline is built here if it is missing, because fan-out skips
        users without one (cold users) and so would never publish to them.
        """
        return (await self.reader.view_state(viewer_id)).celebs

    async def watch_live(self, viewer_id: int) -> str:
        """Mark a live subscription's Redis state as present; pass the token to live_state_lost."""
        token = uuid.uuid4().hex[:16]
        await self.ctx.redis.set(self.keys.live_watch(viewer_id, token), b"1", ex=LIVE_WATCH_TTL_S)
        return token

    async def unwatch_live(self, viewer_id: int, token: str) -> None:
        await self.ctx.redis.delete(self.keys.live_watch(viewer_id, token))

    async def live_state_lost(self, viewer_id: int, watch: str | None = None) -> bool:
        """True when a live subscriber's timeline is gone, or its watch mark (watch_live) is (Redis lost its
        data: FLUSHALL, a restart without persistence): fan-out skips users without a timeline, so events of
        that moment were never published to the subscriber, even if a read has rebuilt the timeline since."""
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            pipe.exists(self.keys.timeline(viewer_id))
            if watch is not None:
                pipe.expire(self.keys.live_watch(viewer_id, watch), LIVE_WATCH_TTL_S)
            replies = await pipe.execute()
        return not all(replies)

    # --- the home feed ----------------------------------------------------------------------------------
    async def read_home(
        self, viewer_id: int, first: int, after: str | None, order: Literal["LATEST", "TOP"] = "LATEST"
    ) -> FeedPage:
        if order not in ("LATEST", "TOP"):
            raise BadInput("order must be LATEST or TOP")
        read = self.reader.read_latest if order == "LATEST" else self.reader.read_top
        return await read(viewer_id, first, after)  # also touches lastActiveAt (at most hourly)

    async def replay(self, viewer_id: int, after: str, limit: int = 100) -> list[FeedEntry]:
        return await self.reader.replay(viewer_id, after, limit)

    async def live_log(self, viewer_id: int) -> dict[int, int]:
        """Tweet id -> live position of the viewer's recent live inserts (see Keys.live_log)."""
        return await self.ctx.store.live_log(viewer_id)

    async def replay_live_inserts(self, viewer_id: int, ids: list[int]) -> list[FeedEntry]:
        return await self.reader.replay_live_inserts(viewer_id, ids)
