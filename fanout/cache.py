"""Tweet (tw:) and user (u:) caches: batch reads in one round trip, Neo4j for misses only.

Both caches are one ``_HashCache`` (a Redis hash per record, read with HMGET: a whole batch in one function
call, TimelineStore.read_hashes) configured with their fields, TTL, codec and loader. Cache fills use "set if
absent" so a slow reader can never overwrite a newer write, in particular the tombstone a delete leaves behind
(a deleted tweet stays hidden even if a read raced the delete).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fanout.batch import SharedReads, TickBatcher
from fanout.context import EngineContext
from graph.convert import from_ms, to_ms
from graph.records import TweetRecord, UserRecord

TWEET_TTL = 24 * 3600
USER_TTL = 60  # counters change with every follow; a short TTL bounds staleness after a racing fill

R = TypeVar("R", TweetRecord, UserRecord)
Row = list[bytes | None]
_MISS = object()  # a row that is not cached at all


def _opt(value: int | None) -> int | str:
    return "" if value is None else value


def _tweet_hash(t: TweetRecord) -> list[Any]:
    fields: list[Any] = ["a", t.author_id, "x", t.text, "c", to_ms(t.created_at), "l", t.like_count]
    fields += ["d", int(t.deleted), "rt", _opt(t.reply_to), "ra", _opt(t.reply_to_author)]
    fields += ["ro", _opt(t.repost_of), "oa", _opt(t.repost_of_author), "rc", t.reply_count]
    return [*fields, "pc", t.repost_count]


def _id_or_none(raw: bytes | None) -> int | None:
    return int(raw) if raw else None


def _tweet_from(tid: int, row: Row) -> TweetRecord | object | None:
    """The cached tweet; None when hidden (deleted, or a bare tombstone); _MISS when not cached."""
    a, x, c, likes, d, rt, ra, ro, oa, rc, pc = row
    if d is None:
        return _MISS
    if d != b"0" or a is None or x is None or c is None:
        return None
    if rt is None:
        return _MISS  # cached before replies and reposts existed: read it again
    return TweetRecord(
        tid, int(a), x.decode(), from_ms(int(c)), int(likes or 0), deleted=False,
        reply_to=_id_or_none(rt), reply_to_author=_id_or_none(ra), repost_of=_id_or_none(ro),
        repost_of_author=_id_or_none(oa), reply_count=int(rc or 0), repost_count=int(pc or 0),
    )  # fmt: skip


def _user_hash(u: UserRecord) -> list[Any]:
    fields: list[Any] = ["h", u.handle, "n", u.display_name, "c", to_ms(u.created_at)]
    fields += ["fc", u.follower_count, "gc", u.following_count, "tc", u.tweet_count]
    if u.bio is not None:
        fields += ["b", u.bio]
    return fields


def _user_from(uid: int, row: Row) -> UserRecord | object:
    h, n, b, c, fc, gc, tc = row
    if h is None or n is None or c is None:
        return _MISS
    return UserRecord(
        uid, h.decode(), n.decode(), b.decode() if b is not None else None, from_ms(int(c)),
        int(fc or 0), int(gc or 0), int(tc or 0),
    )  # fmt: skip


@dataclass
class _HashCache(Generic[R]):
    ctx: EngineContext
    key: Callable[[int], str]
    fields: tuple[bytes, ...]
    ttl: int
    to_hash: Callable[[R], list[Any]]
    from_row: Callable[[int, Row], R | object | None]
    load: Callable[[list[int]], Awaitable[dict[int, R]]]
    visible: Callable[[R], bool]
    # The row reads asked while Redis is busy go in one call (the subscribers of one live event reading its
    # author, concurrent pages): each ask is a tuple of ids, answered with their rows. Only the Redis read is
    # batched: a miss's Neo4j read (tens of milliseconds on a cold server) is each get's own, and must not hold
    # up the reads queued behind it.
    reads: TickBatcher[tuple[int, ...], list[Row]] = field(init=False)
    # The Neo4j reads of misses in flight, by id: a get missing an id that another get is already reading waits
    # for that read instead of starting its own (every post drops its author's hash, and each of a live event's
    # subscribers then read the author). Shared per id, not batched: a get never waits for a read of ids it did
    # not ask for.
    loading: SharedReads[int, dict[int, R]] = field(init=False, default_factory=SharedReads)

    def __post_init__(self) -> None:
        self.reads = TickBatcher(self._read_rows)

    async def _read_rows(self, asks: Sequence[tuple[int, ...]]) -> list[list[Row]]:
        unique = list(dict.fromkeys(rid for ask in asks for rid in ask))
        read = await self.ctx.store.read_hashes([self.key(rid) for rid in unique], self.fields)
        rows = dict(zip(unique, read, strict=True))
        return [[rows[rid] for rid in ask] for ask in asks]

    async def get(self, ids: Sequence[int]) -> dict[int, R]:
        """Records by id: cache first, one Neo4j batch for the misses. Hidden and unknown ids are omitted."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        rows = await self.reads.load(tuple(unique))
        found: dict[int, R] = {}
        misses: list[int] = []
        for rid, row in zip(unique, rows, strict=True):
            record = self.from_row(rid, row)
            if record is _MISS:
                misses.append(rid)
            elif record is not None:
                found[rid] = record  # type: ignore[assignment]
        if misses:
            loaded = await self._load_shared(misses)
            found.update((rid, r) for rid in misses if (r := loaded.get(rid)) is not None and self.visible(r))
        return found

    async def _load_shared(self, misses: list[int]) -> dict[int, R]:
        """The missed records (unknown ids omitted): the ids already being read are awaited, the others read in
        one Neo4j batch of this get's, which later gets of those ids share until it is done."""
        reading: dict[int, asyncio.Future[dict[int, R]]] = {}
        fresh: list[int] = []
        for rid in misses:
            future = self.loading.running(rid)
            if future is None:
                fresh.append(rid)
            else:
                reading[id(future)] = future
        if fresh:
            task = self.loading.start(fresh, self._fill(fresh))
            reading[id(task)] = task
        loaded: dict[int, R] = {}
        for future in reading.values():  # shielded: a cancelled get does not cancel the read others share
            loaded.update(await asyncio.shield(future))
        return loaded

    async def _fill(self, ids: list[int]) -> dict[int, R]:
        """Read records from Neo4j and cache them (set if absent)."""
        loaded = await self.load(ids)
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            for rid, record in loaded.items():
                await self.put(rid, record, client=pipe)
            await self.ctx.store.execute(pipe)
        return loaded

    async def put(self, rid: int, record: R, client: Any = None) -> None:
        await self.ctx.store.hset_if_absent(self.key(rid), self.ttl, self.to_hash(record), client=client)


class Caches:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._tweets: _HashCache[TweetRecord] = _HashCache(
            ctx, ctx.keys.tweet, (b"a", b"x", b"c", b"l", b"d", b"rt", b"ra", b"ro", b"oa", b"rc", b"pc"), TWEET_TTL, _tweet_hash, _tweet_from,
            ctx.tweets.by_ids, lambda t: not t.deleted,
        )  # fmt: skip
        self._users: _HashCache[UserRecord] = _HashCache(
            ctx, ctx.keys.user, (b"h", b"n", b"b", b"c", b"fc", b"gc", b"tc"), USER_TTL, _user_hash, _user_from,
            ctx.users.by_ids, lambda u: True,
        )  # fmt: skip

    async def tweets(self, ids: Sequence[int]) -> dict[int, TweetRecord]:
        """Tweets by id: cache first, one Neo4j batch for the misses. Deleted and unknown ids are omitted."""
        return await self._tweets.get(ids)

    async def users(self, ids: Sequence[int]) -> dict[int, UserRecord]:
        return await self._users.get(ids)

    async def put_tweet(self, tweet: TweetRecord) -> None:
        await self._tweets.put(tweet.id, tweet)

    def tombstone(self, pipe: Any, tweet_id: int) -> None:
        """Mark a cached tweet deleted. A tombstone, not a DEL: a read racing the delete cannot re-cache the
        tweet as visible."""
        key = self.ctx.keys.tweet(tweet_id)
        pipe.hset(key, "d", 1)
        pipe.expire(key, TWEET_TTL)

    async def set_like_count(self, pipe: Any, tweet_id: int, likes: int) -> None:
        """Update the like count of a cached tweet (never creates an entry)."""
        await self.ctx.store.hset_if_exists(self.ctx.keys.tweet(tweet_id), ["l", likes], client=pipe)

    async def set_counts(self, pipe: Any, tweet: TweetRecord) -> None:
        """Update the reply and repost counts of a cached tweet (never creates an entry)."""
        fields = ["rc", tweet.reply_count, "pc", tweet.repost_count]
        await self.ctx.store.hset_if_exists(self.ctx.keys.tweet(tweet.id), fields, client=pipe)
