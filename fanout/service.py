"""FeedService: the engine's facade for the API (INTERFACE.md) and the write flows of DESIGN.md §3.

Neo4j is written first (the source of truth); Redis state is derived afterwards and every piece of it can
be rebuilt, so a crash between the two loses nothing that a rebuild cannot restore. Redis is written only
through the timeline store (fanout/store.py) and the caches; fan-out jobs are encoded by fanout/jobs.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Literal

from neo4j import AsyncDriver

from fanout import cursors
from fanout.batch import TickBatcher
from fanout.cache import Caches
from fanout.client import RedisClient
from fanout.config import EngineConfig
from fanout.context import EngineContext, EngineStats, now_ms
from fanout.derived import Derived, decode_id_set
from fanout.feed import FeedReader
from fanout.jobs import DeleteJob, PostJob, RepairJob, outbox
from fanout.keys import Keys
from fanout.live import CELEBS_CHANGED, LiveLog, LiveWatch, tweet_event
from fanout.pages import FeedEntry, FeedPage, FeedSource, Page
from fanout.pulled import read_pulled
from fanout.transitions import request_reconcile
from fanout.viewer_flags import ScoreReads, ViewerLikes, ViewerReposts
from graph.convert import to_ms
from graph.errors import BadInput, Forbidden, NotFound
from graph.outbox import OutboxJob
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
        # live_state_lost of every subscription checking at the same moment, in one pipeline.
        self._liveness: TickBatcher[tuple[int, LiveWatch | None], bool | Exception] = TickBatcher(
            self._states_lost
        )
        flag_reads = ScoreReads(self.ctx)  # a page's likes and reposts in one pipeline
        self.likes = ViewerLikes(self.ctx, reads=flag_reads)
        self.reposts = ViewerReposts(self.ctx, reads=flag_reads)

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

    async def post_tweet(
        self, author_id: int, text: str, idempotency_key: str | None = None, reply_to: int | None = None
    ) -> TweetRecord:
        """The tweet and its fan-out job are committed together (the outbox); queueing the job here is the fast
        path, and the worker's relay queues it if this process or Redis fails before it does. A retry with the
        same ``idempotency_key`` returns the first attempt's tweet and creates nothing. ``reply_to``: a reply
        (NotFound / Forbidden as TweetRepo.post; the job names the author replied to, for the replies rule)."""
        tweet_id, job_id = self.ctx.ids.next_id(), self.ctx.ids.next_id()
        reply_to_author = None
        if reply_to is not None:
            parent = (await self.ctx.tweets.by_ids([reply_to])).get(reply_to)
            if parent is None or parent.deleted or parent.repost_of is not None:
                raise NotFound("the tweet replied to does not exist or is deleted")
            reply_to_author = parent.author_id  # an author never changes: the transaction re-checks the rest
        job = PostJob(tweet_id, author_id, reply_to_author)
        tweet, created = await self.ctx.tweets.post(
            author_id,
            text,
            tweet_id=tweet_id,
            job=outbox(job_id, job),
            idempotency_key=idempotency_key,
            reply_to=reply_to,
        )
        if not created:
            return tweet  # a retry: the first attempt's job is in the outbox (relayed if not queued)
        await self._own_post(tweet, job_id, job, engagement=0, refresh=reply_to)
        return tweet

    @contextlib.asynccontextmanager
    async def _repairable(self, *user_ids: int, handle: str | None) -> AsyncIterator[OutboxJob]:
        """The outbox entry of a write (follow, mute, block, like and their undoing) whose Redis follow-up the
        caller does next, inside this block: marked done when the block ends, else (the process or Redis
        failed after the commit) the worker's relay queues it, and the worker drops the derived state of the
        users it names, which reads then rebuild from Neo4j (fanout/jobs.py: RepairJob)."""
        job_id, job = self.ctx.ids.next_id(), RepairJob(user_ids, handle)
        yield outbox(job_id, job)
        await self.ctx.store.mark_queued(job_id, job)  # only if the block did not raise

    async def _own_post(
        self, tweet: TweetRecord, job_id: int, job: PostJob, *, engagement: int | None, refresh: int | None
    ) -> None:
        """What the API does right after a post or repost commits: the author's own lists, trending (an
        original), the job on the stream, the author's own live event; ``refresh``: a tweet whose cached
        counters changed (the one replied to or reposted)."""
        keys, store, author_id = self.keys, self.ctx.store, tweet.author_id
        bookmarks = await self.ctx.bookmarks()  # the worker's walk must see this post (and earlier follows)
        async with self.redis.pipeline(transaction=False) as pipe:
            await store.add_own_tweet(pipe, author_id, tweet.id)  # first reply: the author list's
            if engagement is not None:
                store.add_trending(pipe, tweet.id, to_ms(tweet.created_at), engagement)
            pipe.delete(keys.user(author_id))
            if refresh is not None:
                pipe.delete(keys.tweet(refresh))  # refilled from Neo4j with the new counts
            await store.enqueue_once(job_id, job, client=pipe, bookmarks=bookmarks)
            event = tweet_event("NEW", tweet.id, author_id, "TIMELINE", job.original)
            await store.publish_own(author_id, event, pipe)
            author_list_added, *_ = await store.execute(pipe)
        await self.caches.put_tweet(tweet)
        if int(author_list_added) < 0:  # the author list was evicted: rebuild (includes this tweet)
            await self.derived.rebuild_author_list(author_id)

    async def repost(self, user_id: int, tweet_id: int) -> TweetRecord:
        """Repost the original of ``tweet_id`` (idempotent); returns the original. Forbidden across a block."""
        original_id, original_author, blocked, mine = await self.ctx.tweets.repost_target(user_id, tweet_id)
        if blocked:
            raise Forbidden("a block stands between you and the author")
        if mine is None:
            repost_id, job_id = self.ctx.ids.next_id(), self.ctx.ids.next_id()
            job = PostJob(repost_id, user_id, None, original_id)
            created = await self.ctx.tweets.repost(
                user_id, original_id, original_author, repost_id, outbox(job_id, job)
            )
            if created is not None:
                await self._own_post(created, job_id, job, engagement=None, refresh=original_id)
                await self.reposts.changed(user_id, original_id, True, None)  # None: at once
                await self._engagement_changed(original_id)
        return await self._fresh(original_id)

    async def unrepost(self, user_id: int, tweet_id: int) -> TweetRecord:
        """Delete the user's repost of the original of ``tweet_id`` (idempotent); returns the original."""
        original_id, _, _, mine = await self.ctx.tweets.repost_target(user_id, tweet_id)
        if mine is not None:
            with contextlib.suppress(NotFound):  # a concurrent unrepost deleted it first
                await self.delete_tweet(user_id, int(mine), original=original_id)
            await self.redis.delete(self.keys.tweet(original_id))
            await self._engagement_changed(original_id)
        return await self._fresh(original_id)

    async def _fresh(self, tweet_id: int) -> TweetRecord:
        tweet = (await self.ctx.tweets.by_ids([tweet_id])).get(tweet_id)
        if tweet is None or tweet.deleted:
            raise NotFound("no such tweet")
        return tweet

    async def _engagement_changed(self, tweet_id: int) -> None:
        tweet = await self._fresh(tweet_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            await self.caches.set_counts(pipe, tweet)
            await self.caches.set_like_count(pipe, tweet.id, tweet.like_count)
            engagement = tweet.like_count + tweet.repost_count
            self.ctx.store.add_trending(pipe, tweet.id, to_ms(tweet.created_at), engagement)
            await self.ctx.store.execute(pipe)

    async def replies(
        self, viewer_id: int | None, tweet_id: int, first: int, after: str | None
    ) -> Page[TweetRecord]:
        """Direct replies, oldest first, without those by accounts the viewer mutes or blocks or is blocked by."""
        after_id = cursors.parse_author(after) if after is not None else 0
        hidden = sorted(await self.hidden_from(viewer_id)) if viewer_id is not None else []
        tweets = await self.ctx.tweets.replies(tweet_id, after_id, first + 1, hidden)
        items = [(t, cursors.author(t.id)) for t in tweets[:first]]
        return Page(items, len(tweets) > first, items[-1][1] if items else after, None)

    async def hidden_from(self, viewer_id: int) -> set[int]:
        """Accounts the viewer mutes or blocks or is blocked by (``mu:``, rebuilt if missing)."""
        members = await self.redis.smembers(self.keys.hidden(viewer_id))
        return decode_id_set(members) if members else await self.derived.build_hidden(viewer_id)

    async def blocked_among(self, viewer_id: int, other_ids: Sequence[int]) -> set[int]:
        """Those of ``other_ids`` the viewer blocks or is blocked by (hidden from each other's profiles and
        search results)."""
        return await self.ctx.follows.blocked_among(viewer_id, other_ids)

    async def reposted_flags(self, viewer_id: int, tweet_ids: Sequence[int]) -> set[int]:
        return await self.reposts.flags(viewer_id, tweet_ids)

    async def relation_flags(
        self, viewer_id: int, other_ids: Sequence[int]
    ) -> dict[int, tuple[bool, bool, bool]]:
        return await self.ctx.follows.relation_flags(viewer_id, other_ids)

    async def delete_tweet(self, actor_id: int, tweet_id: int, original: int | None = None) -> None:
        """Soft-delete a tweet (``original``: it is a repost of that tweet, named in its DELETED events)."""
        job_id = self.ctx.ids.next_id()
        if original is None:
            found = (await self.ctx.tweets.by_ids([tweet_id])).get(tweet_id)
            original = found.repost_of if found is not None else None
        job = DeleteJob(tweet_id, actor_id, original)  # only the author may delete: the actor is the author
        author_id = await self.ctx.tweets.soft_delete(actor_id, tweet_id, outbox(job_id, job))
        keys, store = self.keys, self.ctx.store
        bookmarks = await self.ctx.bookmarks()
        async with self.redis.pipeline(transaction=False) as pipe:
            self.caches.tombstone(pipe, tweet_id)
            store.remove_own_tweet(pipe, author_id, tweet_id)
            store.remove_trending(pipe, tweet_id)
            pipe.delete(keys.user(author_id))
            await store.enqueue_once(job_id, job, client=pipe, bookmarks=bookmarks)
            if original is not None:  # a repost: its author no longer has one of the original
                await self.reposts.changed(author_id, original, False, pipe)
            event = tweet_event("DELETED", tweet_id, author_id, "TIMELINE", original)
            await store.publish_many([keys.live_timeline(author_id)], event, pipe)
            await store.execute(pipe)

    async def like(self, user_id: int, tweet_id: int) -> TweetRecord:
        async with self._repairable(user_id, handle=None) as job:
            tweet = await self.ctx.tweets.like(user_id, tweet_id, now_ms(), job)
            await self._likes_changed(user_id, tweet, liked=True)
            return tweet

    async def unlike(self, user_id: int, tweet_id: int) -> TweetRecord:
        async with self._repairable(user_id, handle=None) as job:
            tweet = await self.ctx.tweets.unlike(user_id, tweet_id, job)
            await self._likes_changed(user_id, tweet, liked=False)
            return tweet

    async def _likes_changed(self, user_id: int, tweet: TweetRecord, *, liked: bool) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            await self.likes.changed(user_id, tweet.id, liked, pipe)
            await self.caches.set_like_count(pipe, tweet.id, tweet.like_count)
            engagement = tweet.like_count + tweet.repost_count
            self.ctx.store.add_trending(pipe, tweet.id, to_ms(tweet.created_at), engagement)
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
    async def follow(self, follower_id: int, followee_handle: str, show_reposts: bool = True) -> UserRecord:
        """Idempotent; also sets whether the followee's reposts show (``nr:``). Forbidden across a block."""
        async with self._repairable(follower_id, handle=followee_handle) as job:
            change = await self.ctx.follows.follow(follower_id, followee_handle, now_ms(), show_reposts, job)
            followee = change.followee
            keys, cfg, store, a = self.keys, self.config, self.ctx.store, followee.id
            if change.was_showing is not None and change.was_showing != show_reposts:
                await self._show_reposts_changed(follower_id, a, show_reposts)
            if not change.changed:
                return followee
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
                    if not in_mode:  # ahead of the switch: a drop back before it must take this out again
                        pipe.set(keys.celebs_early(a), b"1", ex=cfg.timeline_ttl_seconds)
                await store.execute(pipe)
            if not show_reposts:
                await self._set_no_reposts(follower_id, a, False)
            if not in_mode:
                # Fanned out on write: merge the followee's recent tweets into the follower's timeline now.
                recent = await self.derived.author_recent_ids(a, cfg.timeline_cap)
                await store.backfill([follower_id], recent)
            # Replies to the followee by accounts the follower follows were skipped by fan-out (the replies rule:
            # the follower did not follow the account replied to); they belong in the timeline now.
            replies = await self.ctx.tweets.replies_to_by_followees(follower_id, a, cfg.timeline_cap)
            await store.backfill([follower_id], replies)
            await request_reconcile(self.ctx, a, followee.follower_count)
            return followee

    async def _set_no_reposts(self, follower_id: int, followee_id: int, show: bool) -> None:
        key = self.keys.no_reposts(follower_id)
        if show:
            await self.redis.srem(key, str(followee_id))
        else:
            await self.ctx.store.sadd_if_exists(key, str(followee_id))

    async def _show_reposts_changed(self, follower_id: int, followee_id: int, show: bool) -> None:
        """An existing follow's showReposts changed: ``nr:`` first (reads and live events filter by it), then
        the followee's reposts that can be in the follower's timeline (at or above its oldest entry) leave it
        with a DELETED live event each, or (``show``) their newest come back (those the cap keeps) with a NEW
        one each. A celebrity's are not stored (the read merges them): their events are published as they
        stand."""
        await self._set_no_reposts(follower_id, followee_id, show)
        async with self.redis.pipeline(transaction=False) as pipe:
            self.ctx.store.queue_oldest(pipe, follower_id)
            pipe.sismember(self.keys.celebrity_mode, str(followee_id))
            oldest, in_mode = await pipe.execute()
        min_id = self.ctx.store.oldest_id(oldest)
        if show:  # the newest ones: the timeline's oldest entry may be newer than what a purge took out
            since = (
                (min_id or 0) if in_mode else 0
            )  # a celebrity's were never purged: as far as the feed goes
            rows = await self.ctx.tweets.ids_since(followee_id, since, self.config.timeline_cap)
        elif min_id is not None:
            rows = await self.ctx.tweets.ids_since(followee_id, min_id, PURGE_LIMIT)
        else:
            return  # nothing stored
        reposts = [(tid, orig) for tid, orig in rows if orig is not None]
        if show and reposts:
            live = await self.caches.tweets([tid for tid, _ in reposts])
            reposts = [(tid, orig) for tid, orig in reposts if tid in live]
        if not reposts:
            return
        kind: Literal["NEW", "DELETED"] = "NEW" if show else "DELETED"
        source: Literal["TIMELINE", "CELEBRITY"] = "CELEBRITY" if in_mode else "TIMELINE"
        events = [(tid, tweet_event(kind, tid, followee_id, source, orig)) for tid, orig in reposts]
        if in_mode:
            async with self.redis.pipeline(transaction=False) as pipe:
                for _, payload in events:
                    await self.ctx.store.publish_many([self.keys.live_timeline(follower_id)], payload, pipe)
                await self.ctx.store.execute(pipe)
        elif show:
            await self.ctx.store.restore(follower_id, events)
        else:
            await self.ctx.store.purge(follower_id, events)

    async def unfollow(self, follower_id: int, followee_handle: str) -> UserRecord:
        async with self._repairable(follower_id, handle=followee_handle) as job:
            change = await self.ctx.follows.unfollow(follower_id, followee_handle, job=job)
            if change.changed:
                await self._follow_removed(follower_id, change.followee)
            return change.followee

    async def _follow_removed(self, follower_id: int, followee: UserRecord) -> None:
        """Redis after a follow was deleted (unfollow, block): the sets, and the followee's entries purged
        from the follower's timeline with a DELETED live event for each (an open client drops them)."""
        keys, store, a = self.keys, self.ctx.store, followee.id
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.delete(keys.user(follower_id))
            pipe.delete(keys.user(a))
            pipe.srem(keys.followees(follower_id), str(a))
            pipe.srem(keys.celebs(follower_id), str(a))
            pipe.srem(keys.no_reposts(follower_id), str(a))
            store.queue_oldest(pipe, follower_id)
            _, _, _, left_celebs, _, oldest = await pipe.execute()
        if left_celebs:
            await store.publish_many([keys.live_timeline(follower_id)], CELEBS_CHANGED)
        await self._purge_author(follower_id, a, store.oldest_id(oldest))
        await request_reconcile(self.ctx, a, followee.follower_count)

    async def _purge_author(self, uid: int, author_id: int, min_id: int | None) -> None:
        """Take the author's tweets that can be in ``uid``'s timeline (ids at or above its oldest entry ``min_id``)
        out of it, publishing a DELETED live event for each one that was there."""
        if min_id is None:
            return
        rows = await self.ctx.tweets.ids_since(author_id, min_id, PURGE_LIMIT)
        events = [(tid, tweet_event("DELETED", tid, author_id, "TIMELINE", orig)) for tid, orig in rows]
        await self.ctx.store.purge(uid, events)

    # --- mutes and blocks -------------------------------------------------------------------------------
    async def mute(self, user_id: int, handle: str) -> UserRecord:
        async with self._repairable(user_id, handle=handle) as job:
            change = await self.ctx.follows.mute(user_id, handle, now_ms(), job)
            if change.changed:
                # Fan-out skips them and reads filter them from now on.
                await self.derived.build_hidden(user_id)
                # What is stored leaves too, with DELETED events so that an open client drops it at once (reads
                # filter it anyway; unmute brings it back).
                async with self.redis.pipeline(transaction=False) as pipe:
                    self.ctx.store.queue_oldest(pipe, user_id)
                    (oldest,) = await pipe.execute()
                await self._purge_author(user_id, change.other.id, self.ctx.store.oldest_id(oldest))
            return change.other

    async def unmute(self, user_id: int, handle: str) -> UserRecord:
        async with self._repairable(user_id, handle=handle) as job:
            change = await self.ctx.follows.unmute(user_id, handle, job)
            if change.changed:
                hidden = await self.derived.build_hidden(user_id)
                other = change.other.id
                in_mode = bool(await self.redis.sismember(self.keys.celebrity_mode, str(other)))
                if other not in hidden and not in_mode and await self.derived.follows_which(user_id, [other]):
                    # Fan-out skipped their posts meanwhile (and the mute purged the stored ones): bring them back,
                    # each with a NEW live event (an open client gets them as a reload would).
                    recent = await self.derived.author_recent_ids(other, self.config.timeline_cap)
                    events = [(tid, tweet_event("NEW", tid, other, "TIMELINE")) for tid in recent]
                    await self.ctx.store.restore(user_id, events)
            return change.other

    async def block(self, user_id: int, handle: str) -> UserRecord:
        async with self._repairable(user_id, handle=handle) as job:
            change = await self.ctx.follows.block(user_id, handle, now_ms(), job)
            other = change.other
            if change.changed:
                await asyncio.gather(self.derived.build_hidden(user_id), self.derived.build_hidden(other.id))
                me = (await self.ctx.users.by_ids([user_id])).get(user_id)
                if change.dropped:
                    await self._follow_removed(user_id, other)
                if change.lost and me is not None:
                    await self._follow_removed(other.id, me)
                return (await self.ctx.users.by_ids([other.id])).get(other.id, other)
            return other

    async def unblock(self, user_id: int, handle: str) -> UserRecord:
        async with self._repairable(user_id, handle=handle) as job:
            change = await self.ctx.follows.unblock(user_id, handle, job)
            if change.changed:
                await asyncio.gather(
                    self.derived.build_hidden(user_id), self.derived.build_hidden(change.other.id)
                )
            return change.other

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

    async def watch_live(self, viewer_id: int) -> LiveWatch:
        """Mark a live subscription's Redis state as present and learn its live log generation; pass the
        watch to live_state_lost."""
        token = uuid.uuid4().hex[:16]
        await self.ctx.redis.set(self.keys.live_watch(viewer_id, token), b"1", ex=LIVE_WATCH_TTL_S)
        return LiveWatch(token, await self.ctx.store.live_generation(viewer_id))

    async def unwatch_live(self, viewer_id: int, watch: LiveWatch) -> None:
        await self.ctx.redis.delete(self.keys.live_watch(viewer_id, watch.token))

    async def live_state_lost(self, viewer_id: int, watch: LiveWatch | None = None) -> bool:
        """True when a live subscriber's timeline is gone, or its watch mark (watch_live) or live log
        generation is (Redis lost its data: FLUSHALL, a restart without persistence): fan-out skips users
        without a timeline, so events of that moment were never published to the subscriber, even if a read
        has rebuilt the timeline since. The subscriptions of a process check at the same moments
        (resolvers/live.py): their checks share one pipeline."""
        lost = await self._liveness.load((viewer_id, watch))
        if isinstance(lost, Exception):  # this check's node failed; the batch's other checks stand
            raise lost
        return lost

    async def _states_lost(self, checks: Sequence[tuple[int, LiveWatch | None]]) -> list[bool | Exception]:
        spans = []  # each check's replies: [exists, then (watch refreshed, ..., generation)]
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            for viewer_id, watch in checks:
                start = len(pipe)
                pipe.exists(self.keys.timeline(viewer_id))
                if watch is not None:
                    pipe.expire(self.keys.live_watch(viewer_id, watch.token), LIVE_WATCH_TTL_S)
                    self.ctx.store.queue_live_generation(pipe, viewer_id)
                spans.append((start, len(pipe)))
            # On a cluster the pipeline spans nodes: a failed node fails only the checks it holds.
            replies = await pipe.execute(raise_on_error=False)
        lost: list[bool | Exception] = []
        for (_, watch), (start, end) in zip(checks, spans, strict=True):
            failed = next((r for r in replies[start:end] if isinstance(r, Exception)), None)
            if failed is not None:
                lost.append(failed)
                continue
            exists, *rest = replies[start:end]
            if watch is None:
                lost.append(not exists)
                continue
            watched, generation = rest[0], rest[-1]
            same = self.ctx.store.generation_of(generation) == watch.generation
            lost.append(not (exists and watched and same))
        return lost

    # --- the home feed ----------------------------------------------------------------------------------
    async def read_home(
        self, viewer_id: int, first: int, after: str | None, order: Literal["LATEST", "TOP"] = "LATEST"
    ) -> FeedPage:
        if order not in ("LATEST", "TOP"):
            raise BadInput("order must be LATEST or TOP")
        if self.config.feed_mode == "pull":  # benchmarks only: the baseline through the same API path
            return await read_pulled(self.driver, viewer_id, first, after, order)
        read = self.reader.read_latest if order == "LATEST" else self.reader.read_top
        return await read(viewer_id, first, after)  # also touches lastActiveAt (at most hourly)

    async def replay(self, viewer_id: int, after: str, limit: int = 100) -> list[FeedEntry]:
        return await self.reader.replay(viewer_id, after, limit)

    async def live_log(self, viewer_id: int) -> LiveLog:
        """Tweet id -> live position of the viewer's recent live inserts, and the log's generation (see
        Keys.live_log, Keys.live_generation)."""
        return await self.ctx.store.live_log(viewer_id)

    async def replay_live_inserts(self, viewer_id: int, ids: list[int]) -> list[FeedEntry]:
        return await self.reader.replay_live_inserts(viewer_id, ids)

    async def shown_original(self, viewer_id: int, original_id: int) -> FeedEntry | None:
        """The entry through which the viewer's feed shows ``original_id`` now (by itself, or with the repost it
        first appears with), or None (live events after a repost left the feed)."""
        return await self.reader.shown_original(viewer_id, original_id)

    async def live_entry(
        self, viewer_id: int, tweet: TweetRecord, source: FeedSource, screened: bool = False
    ) -> FeedEntry | None:
        """The feed entry a live NEW event stands for, or None when the feed's rules hide it from the viewer
        (``screened``: the event's fan-out found its author neither muted nor blocked, LiveEvent.screened)."""
        return await self.reader.live_entry(viewer_id, tweet, source, screened)
