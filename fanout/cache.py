"""Tweet (tw:) and user (u:) caches: batch reads in one round trip, Neo4j for misses only.

Cache fills use "set if absent" so a slow reader can never overwrite a newer write, in particular the
tombstone a delete leaves behind (a deleted tweet stays hidden even if a read raced the delete).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fanout.context import EngineContext
from graph.convert import from_ms, to_ms
from graph.records import TweetRecord, UserRecord

TWEET_TTL = 24 * 3600
USER_TTL = 60  # counters change with every follow; a short TTL bounds staleness after a racing fill
_TWEET_FIELDS = (b"a", b"x", b"c", b"l", b"d")
_USER_FIELDS = (b"h", b"n", b"b", b"c", b"fc", b"gc", b"tc")


def _tweet_hash(t: TweetRecord) -> list[Any]:
    return ["a", t.author_id, "x", t.text, "c", to_ms(t.created_at), "l", t.like_count, "d", int(t.deleted)]


def _user_hash(u: UserRecord) -> list[Any]:
    fields: list[Any] = ["h", u.handle, "n", u.display_name, "c", to_ms(u.created_at)]
    fields += ["fc", u.follower_count, "gc", u.following_count, "tc", u.tweet_count]
    if u.bio is not None:
        fields += ["b", u.bio]
    return fields


class Caches:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    async def tweets(self, ids: Sequence[int], *, include_deleted: bool = False) -> dict[int, TweetRecord]:
        """Tweets by id: cache first, one Neo4j batch for the misses. Deleted and unknown ids are omitted."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        keys = self.ctx.keys
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            for tid in unique:
                pipe.hmget(keys.tweet(tid), _TWEET_FIELDS)
            rows = await pipe.execute()
        found: dict[int, TweetRecord] = {}
        misses: list[int] = []
        for tid, (a, x, c, likes, d) in zip(unique, rows, strict=True):
            if d is None:
                misses.append(tid)
            elif d == b"0" or include_deleted:
                if a is None:  # a bare tombstone: no content cached
                    continue
                found[tid] = TweetRecord(
                    tid, int(a), x.decode(), from_ms(int(c)), int(likes or 0), deleted=d != b"0"
                )
        if misses:
            loaded = await self.ctx.tweets.by_ids(misses)
            async with self.ctx.redis.pipeline(transaction=False) as pipe:
                for tweet in loaded.values():
                    await self.ctx.store.hset_if_absent_script(
                        keys=[keys.tweet(tweet.id)], args=[TWEET_TTL, *_tweet_hash(tweet)], client=pipe
                    )
                await pipe.execute()
            for tweet in loaded.values():
                if include_deleted or not tweet.deleted:
                    found[tweet.id] = tweet
        return found

    async def put_tweet(self, tweet: TweetRecord) -> None:
        await self.ctx.store.hset_if_absent_script(
            keys=[self.ctx.keys.tweet(tweet.id)], args=[TWEET_TTL, *_tweet_hash(tweet)]
        )

    async def users(self, ids: Sequence[int]) -> dict[int, UserRecord]:
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        keys = self.ctx.keys
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            for uid in unique:
                pipe.hmget(keys.user(uid), _USER_FIELDS)
            rows = await pipe.execute()
        found: dict[int, UserRecord] = {}
        misses: list[int] = []
        for uid, (h, n, b, c, fc, gc, tc) in zip(unique, rows, strict=True):
            if h is None:
                misses.append(uid)
                continue
            found[uid] = UserRecord(
                uid, h.decode(), n.decode(), b.decode() if b is not None else None, from_ms(int(c)),
                int(fc), int(gc), int(tc),
            )  # fmt: skip
        if misses:
            loaded = await self.ctx.users.by_ids(misses)
            async with self.ctx.redis.pipeline(transaction=False) as pipe:
                for user in loaded.values():
                    await self.ctx.store.hset_if_absent_script(
                        keys=[keys.user(user.id)], args=[USER_TTL, *_user_hash(user)], client=pipe
                    )
                await pipe.execute()
            found.update(loaded)
        return found
