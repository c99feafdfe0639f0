"""The timeline store: the one owner of the feed data in Redis, as Mastodon's FeedManager is.

It alone knows the key names (through fanout/keys.py), the Redis Functions library (fanout/functions.py)
and how to call it on one server or a cluster, the caps and how trimming works, the
member encoding, the fan-out queue's shards and length and the ``trending`` set and its score (fanout/ranking.py). The
worker, FeedService, the feed reader and the seed call its methods with user and tweet ids; none of them
builds a key, calls a function or repeats the ``cap + 1`` rule (the cap plus the BUILT marker) itself.

Layout (why: memory). A member is the tweet id as 8 bytes big-endian and every score is 0, so members sort
by id lexicographically and pages are ``ZRANGE key (<id> - BYLEX REV LIMIT 0 n``. In listpack encoding an
entry then costs ~12 bytes (10 for the member, 2 for the integer score 0) instead of ~20 with decimal
member + score; the first byte of a 53-bit id is < 0x20, so a member never parses as an integer.

Two marker members sort above every id (first byte 0xfe / 0xff) and are never trimmed:
- ``BUILT`` is in every built timeline and author list, so an empty one still "exists" (no rebuild per read).
- ``BUILDING`` is in a timeline while it is rebuilt: fan-out writes land in it (the key exists) and readers
  wait for the marker to go, so a tweet fanned out during a rebuild is never lost.
"""

from __future__ import annotations

import struct
import time
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

from redis.crc import key_slot
from redis.exceptions import RedisError, ResponseError

from fanout import functions as fn
from fanout import jobs
from fanout.client import RedisClient, is_cluster
from fanout.config import EngineConfig
from fanout.keys import Keys, fanout_shard
from fanout.live import LiveLog
from fanout.ranking import engagement_from, trending_score, velocity
from graph.ids import timestamp_ms
from graph.telemetry import trace_fields

BUILT = b"\xfe"
BUILDING = b"\xff"
_ID = struct.Struct(">Q")
MEMBER_LEN = _ID.size
TOP_BOUND = b"(\xfe"  # exclusive upper bound below both markers
SET_SENTINEL = b"-"  # member of every built id set (celebs:, fw:, trending) so an empty one still exists
TRENDING_CAP = 1000
# The trending set is split in parts by tweet id (Keys.trending): each part keeps its own best TRENDING_CAP,
# so the merged best ``count`` of all parts is exactly the best ``count`` of one unsplit set.
TRENDING_SHARDS = 4
STREAM_MAXLEN = 1_000_000  # approximate cap of each fan-out stream shard
# A follower's live log (Keys.live_log): the last LIVE_LOG_CAP live inserts with their positions, kept a day
# (a client resuming later than that, or after more events, is replayed by id alone).
LIVE_LOG_CAP = 400
LIVE_LOG_TTL_S = 86_400

# Long enough for the relay to have marked the job relayed (seconds, or the length of a worker outage); short
# enough that a marker per post costs little memory. Past it, a job the API queued while no worker ran for an
# hour may be queued once more by the relay: timeline inserts are idempotent (only a celebrity post would be
# published to its author channel twice).
QUEUED_MARKER_TTL_S = 3600


def is_function_missing(exc: Exception) -> bool:
    """The library is not loaded on the node that answered (restart without data, a fresh primary)."""
    return "function not found" in str(exc).lower()


def encode_id(tweet_id: int) -> bytes:
    return _ID.pack(tweet_id)


def decode_ids(members: Iterable[Any]) -> list[int]:
    """Ids of the members that are ids (markers skipped), in the given order."""
    return [_ID.unpack(m)[0] for m in members if len(m) == MEMBER_LEN]


def below(before_id: int | None) -> bytes:
    """Exclusive upper lex bound for ids < before_id (None: everything below the markers)."""
    return TOP_BOUND if before_id is None else b"(" + encode_id(before_id)


def above(after_id: int) -> bytes:
    return b"(" + encode_id(after_id)


class TimelineStore:
    """Every read and write of the feed data, by user and tweet id; the caps come from the EngineConfig.

    A method that takes ``client`` runs on it when it is a pipeline (the call is only queued: then it
    returns 0 and its count is among the results of ``store.execute(pipeline)``), otherwise at once on the
    store's connection.

    On Redis Cluster a page of followers is written with one call per node (its keys passed as arguments,
    several slots of that node), falling back to one call per slot group (``slot_groups``: declared keys of
    one slot) for a node whose call failed; the page's count is returned only when every group has answered
    (the worker's checkpoint waits for it). Every other call touches keys of one slot.
    """

    def __init__(self, redis: RedisClient, config: EngineConfig) -> None:
        self.redis = redis
        self.keys = Keys(config.key_prefix)
        self.timeline_cap = config.timeline_cap
        self.author_list_cap = config.author_list_cap
        self.ttl_seconds = config.timeline_ttl_seconds
        self.clustered = is_cluster(redis)
        # fl_fan_in's last args: where a timeline key's hash tag starts (1-based, as Lua counts) and the heads
        # of the follower keys Lua puts that tag after.
        self._fan_in_heads: list[Any] = [
            len(Keys.head(self.keys.timeline(0))) + 1,
            *(Keys.head(k) for k in (self.keys.live_log(0), self.keys.hidden(0), self.keys.followees(0))),
        ]
        self._cluster: Any = redis  # the cluster client's own API (slot map), only used when ``clustered``
        # Function calls queued on a pipeline, by position, so ``execute`` can run one again by itself when
        # it answered "Function not found" (the pipeline's other commands are not repeated).
        self._queued: weakref.WeakKeyDictionary[Any, list[tuple[int, str, list[Any], list[Any]]]] = (
            weakref.WeakKeyDictionary()
        )

    # --- the Functions library (fanout/functions.py) ---------------------------------------------------
    async def load_functions(self) -> None:
        """FUNCTION LOAD REPLACE the library (on every primary of a cluster). At the start of the API and
        the worker; again by any call that finds it missing."""
        await self.redis.function_load(fn.LIBRARY, replace=True)

    async def _fcall(self, name: str, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        try:
            return await self.redis.fcall(name, len(keys), *keys, *args)
        except ResponseError as exc:
            if not is_function_missing(exc):
                raise
        await self.load_functions()
        return await self.redis.fcall(name, len(keys), *keys, *args)

    async def _call(self, name: str, keys: Sequence[Any], args: Sequence[Any], client: Any) -> int:
        """Call a function now and return its count, or (``client`` = a pipeline) only queue it: then 0, and
        the count comes from ``execute(pipeline)``."""
        if client is None:
            return int(await self._fcall(name, keys, args))
        self._queued.setdefault(client, []).append((len(client), name, list(keys), list(args)))
        client.fcall(name, len(keys), *keys, *args)
        return 0

    async def execute(self, pipe: Any) -> list[Any]:
        """Execute a pipeline that store methods queued function calls on; use it instead of
        ``pipe.execute()``. A call that found the library missing is repeated alone after loading it."""
        calls = self._queued.pop(pipe, [])
        results: list[Any] = await pipe.execute(raise_on_error=False)
        for position, name, keys, args in calls:
            reply = results[position]
            if isinstance(reply, ResponseError) and is_function_missing(reply):
                results[position] = await self._fcall(name, keys, args)
        for reply in results:
            if isinstance(reply, Exception):
                raise reply
        return results

    def slot_groups(self, keys: Sequence[str]) -> list[list[str]]:
        """``keys`` split so that each group lies in one cluster slot (one group on a single server)."""
        if not self.clustered:
            return [list(keys)]
        groups: dict[int, list[str]] = {}
        for key in keys:
            groups.setdefault(key_slot(key.encode()), []).append(key)
        return list(groups.values())

    async def _page_call(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> int:
        """Apply a page function to every key of a page; returns the summed count once every call answered.

        One server: one call. A cluster: one call per node (the ``_node`` variant, fanout/functions.py), all
        nodes at once; the groups of a node whose call failed (a slot moved, a failover, the library missing)
        are then written with one call per slot, which redis-py routes and redirects (MOVED/ASK) itself."""
        groups = self.slot_groups(keys)
        if len(groups) == 1:
            return int(await self._fcall(name, groups[0], args))
        await self._cluster.initialize()  # the slot map (a no-op once the client has it)
        by_node: dict[str, list[list[str]]] = {}
        for group in groups:
            by_node.setdefault(self._cluster.get_node_from_key(group[0]).name, []).append(group)
        node_groups = list(by_node.values())
        retry: list[list[str]] = []
        total = 0
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for gs in node_groups:
                    node_keys = [k for g in gs for k in g]
                    pipe.fcall(f"{name}_node", 1, node_keys[0], len(node_keys), *node_keys, *args)
                replies = await pipe.execute(raise_on_error=False)
        except RedisError:  # the pipeline as a whole failed (a node unreachable): every group again
            replies = [None] * len(node_groups)
        for gs, reply in zip(node_groups, replies, strict=True):
            if reply is None or isinstance(reply, Exception):
                retry.extend(gs)
            else:
                total += int(reply)
        if retry:
            async with self.redis.pipeline(transaction=False) as pipe:
                for group in retry:
                    await self._call(name, group, args, pipe)
                total += sum(int(r) for r in await self.execute(pipe))
        return total

    async def publish_many(self, channels: Sequence[str], payload: bytes, client: Any = None) -> None:
        """SPUBLISH one payload on many live channels: one call per slot group, queued on ``client`` (a
        pipeline, even a cluster's) or run now in one pipeline."""
        groups = self.slot_groups(channels) if channels else []
        if client is not None or len(groups) <= 1:
            for group in groups:
                await self._call(fn.PUBLISH, group, [payload], client)
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for group in groups:
                await self._call(fn.PUBLISH, group, [payload], pipe)
            await self.execute(pipe)

    # --- fan-out: one round trip per page of followers ------------------------------------------------
    def _live_args(self, live_payload: bytes) -> list[Any]:
        # Lua derives a follower's live channel from its timeline key (see Keys.live_prefix).
        return [live_payload, self.keys.live_prefix, len(self.keys.prefix)]

    async def fan_in(
        self,
        follower_ids: Sequence[int],
        tweet_id: int,
        *,
        live_payload: bytes = b"",
        author_id: int = 0,
        reply_to_author: int | None = None,
    ) -> int:
        """Insert one tweet into every existing timeline of the page, trimmed to the cap, and publish
        ``live_payload`` to each follower it was new to; returns the inserts once every slot group of the
        page has answered. Cold followers are skipped, and so are those who must not get it: they mute or
        block ``author_id`` or are blocked by them (``mu:``), or it replies to ``reply_to_author`` whom they
        neither are nor follow (``fw:``; the replies rule)."""
        if not follower_ids:
            return 0
        # One key per follower, its timeline: Lua derives the follower's live log and the two sets the rules
        # read from its hash tag (one slot), so the rules cost no round trip and the client packs a quarter of
        # the keys.
        keys = [self.keys.timeline(f) for f in follower_ids]
        args = [
            encode_id(tweet_id),
            self.timeline_cap + 1,
            *self._live_args(live_payload),
            LIVE_LOG_CAP,
            LIVE_LOG_TTL_S,
            str(author_id),
            "" if reply_to_author is None else str(reply_to_author),
            *self._fan_in_heads,
        ]
        return await self._page_call(fn.FAN_IN, keys, args)

    async def fan_out_remove(
        self, follower_ids: Sequence[int], tweet_id: int, *, live_payload: bytes = b""
    ) -> int:
        """Remove one tweet from the page's timelines, publishing ``live_payload`` where it was; returns
        the removals."""
        if not follower_ids:
            return 0
        keys = [self.keys.timeline(f) for f in follower_ids]
        return await self._page_call(
            fn.FAN_OUT_REMOVE, keys, [encode_id(tweet_id), *self._live_args(live_payload)]
        )

    async def backfill(self, follower_ids: Sequence[int], newest_first_ids: Sequence[int]) -> int:
        """Merge an author's newest ids into the page's existing timelines (only those that survive the cap)."""
        if not follower_ids or not newest_first_ids:
            return 0
        keys = [self.keys.timeline(f) for f in follower_ids]
        args: list[Any] = [self.timeline_cap + 1, *(encode_id(t) for t in newest_first_ids)]
        return await self._page_call(fn.BACKFILL, keys, args)

    # --- the author's own lists -----------------------------------------------------------------------
    async def add_own_tweet(
        self, pipe: Any, author_id: int, tweet_id: int, *, live_event: bytes | None = None
    ) -> None:
        """Queue a new tweet into the author's list and own timeline (where they exist). With ``live_event``
        (the worker's redo of a post whose API writes may have failed) the own timeline's insert is a live
        insert of the author's, logged and published as ``restore`` does, so that their client gets it even
        below a newer id. The first reply is the author list's: -1 when it does not exist (the caller
        rebuilds it)."""
        member = encode_id(tweet_id)
        await self._call(
            fn.MERGE_IF_EXISTS, [self.keys.author_tweets(author_id)], [self.author_list_cap + 1, member], pipe
        )
        if live_event is not None:
            await self.restore(author_id, [(tweet_id, live_event)], client=pipe)
            return
        await self._call(
            fn.MERGE_IF_EXISTS, [self.keys.timeline(author_id)], [self.timeline_cap + 1, member], pipe
        )

    def remove_own_tweet(self, pipe: Any, author_id: int, tweet_id: int) -> None:
        member = encode_id(tweet_id)
        pipe.zrem(self.keys.author_tweets(author_id), member)
        pipe.zrem(self.keys.timeline(author_id), member)

    # --- rebuilds ------------------------------------------------------------------------------------
    async def begin_timeline_rebuild(self, uid: int, token: str, lock_ms: int) -> int:
        """0 = the timeline is built, 1 = the caller rebuilds it (lock taken, BUILDING set), 2 = someone else is."""
        keys = [self.keys.timeline(uid), self.keys.timeline_lock(uid)]
        return await self._call(fn.BEGIN_REBUILD, keys, [token, lock_ms, self.ttl_seconds], None)

    async def end_timeline_rebuild(self, uid: int, token: str) -> None:
        """Release the rebuild lock if it is still ours."""
        lock = self.keys.timeline_lock(uid)
        if await self.redis.get(lock) == token.encode():
            await self.redis.delete(lock)

    async def timeline_exists(self, uid: int) -> bool:
        return bool(await self.redis.exists(self.keys.timeline(uid)))

    async def drop_timeline(self, uid: int) -> None:
        await self.redis.delete(self.keys.timeline(uid))

    async def write_timeline(self, uid: int, tweet_ids: Sequence[int]) -> None:
        await self._write(self.keys.timeline(uid), tweet_ids, self.timeline_cap)

    async def write_author_list(self, author_id: int, tweet_ids: Sequence[int]) -> None:
        await self._write(self.keys.author_tweets(author_id), tweet_ids, self.author_list_cap)

    async def _write(self, key: str, tweet_ids: Sequence[int], cap: int) -> None:
        args: list[Any] = [cap + 1, self.ttl_seconds, *(encode_id(t) for t in tweet_ids)]
        await self._call(fn.WRITE_BUILT, [key], args, None)

    # --- reads ---------------------------------------------------------------------------------------
    async def read_below(self, key: str, before_id: int | None, limit: int) -> list[int]:
        members = await self.redis.zrange(
            key, below(before_id), b"-", desc=True, bylex=True, offset=0, num=limit
        )
        return decode_ids(members)

    async def live_log(self, uid: int) -> LiveLog:
        """The viewer's live log (tweet id -> its live position, seq) and its generation, for a subscription's
        resume. The log is read first: a loss between the two reads shows as another generation, or none."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrange(self.keys.live_log(uid), 0, -1, withscores=True)
            pipe.get(self.keys.live_generation(uid))
            rows, generation = await pipe.execute()
        positions = {_ID.unpack(m)[0]: int(score) for m, score in rows if len(m) == MEMBER_LEN}
        return LiveLog(self.generation_of(generation), positions)

    async def live_generation(self, uid: int) -> int:
        """The generation of the viewer's live log, written now if it has none (Keys.live_generation)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.live_generation(uid), time.time_ns() // 1000, nx=True)
            self.queue_live_generation(pipe, uid)
            *_, generation = await pipe.execute()
        return int(generation)

    def queue_live_generation(self, pipe: Any, uid: int) -> None:
        """Queue a read of the viewer's live log generation, its TTL refreshed as every logged insert does: the
        last reply is the generation (None: there is none); ``generation_of`` decodes it."""
        key = self.keys.live_generation(uid)
        pipe.expire(key, LIVE_LOG_TTL_S)
        pipe.get(key)

    @staticmethod
    def generation_of(reply: bytes | None) -> int | None:
        return None if reply is None else int(reply)

    async def publish_own(self, uid: int, payload: bytes, client: Any) -> None:
        """Queue the author's own NEW event on their live channel, carrying their live log's generation (the
        own insert is not a fan-out: it has no live position)."""
        keys = [self.keys.live_timeline(uid), self.keys.live_generation(uid)]
        await self._call(fn.PUBLISH_OWN, keys, [payload, LIVE_LOG_TTL_S], client)

    async def in_timeline(self, uid: int, tweet_ids: Sequence[int]) -> set[int]:
        """Those of ``tweet_ids`` that the viewer's timeline holds."""
        if not tweet_ids:
            return set()
        members: list[Any] = [encode_id(t) for t in tweet_ids]
        scores = await self.redis.zmscore(self.keys.timeline(uid), members)
        return {t for t, score in zip(tweet_ids, scores, strict=True) if score is not None}

    async def author_recent(self, author_id: int, limit: int) -> list[int]:
        """The newest ids of an author's list, newest first (the list must exist)."""
        return await self.read_below(self.keys.author_tweets(author_id), None, limit)

    @staticmethod
    def queue_range(pipe: Any, key: str, bound: int | None, limit: int, *, ascending: bool) -> None:
        """Queue a page of a timeline or author list: ids above ``bound`` oldest first, or below it (None:
        from the top) newest first. The reply decodes with ``decode_ids``."""
        if ascending:
            assert bound is not None
            pipe.zrange(key, above(bound), TOP_BOUND, bylex=True, offset=0, num=limit)
        else:
            TimelineStore.queue_between(pipe, key, None, bound, limit)

    async def author_heads(self, author_ids: Sequence[int], first: int) -> list[list[int] | None]:
        """The newest ``first`` ids of each author's list, newest first; None for a list that does not exist
        (an author list always holds its BUILT marker, read with the ids). One call on a single server; on a
        cluster, where the lists lie in many slots, one read each in a pipeline."""
        keys = [self.keys.author_tweets(a) for a in author_ids]
        count = first + 2  # the markers sort above the ids
        if self.clustered:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.zrange(key, b"+", b"-", desc=True, bylex=True, offset=0, num=count)
                replies = await pipe.execute()
        else:
            replies = await self._fcall(fn.HEADS, keys, [count]) if keys else []
        return [decode_ids(reply)[:first] if BUILT in reply[:2] else None for reply in replies]

    async def read_hashes(self, keys: Sequence[str], fields: Sequence[bytes]) -> list[list[bytes | None]]:
        """HMGET of ``fields`` in each hash: one call on a single server (fl_hashes); on a cluster, where the
        hashes lie in many slots, one HMGET each in a pipeline."""
        if not keys:
            return []
        if self.clustered:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hmget(key, fields)
                return list(await pipe.execute())
        return list(await self._fcall(fn.HASHES, keys, fields))

    async def read_scores(
        self, asks: Sequence[tuple[str, Sequence[bytes]]]
    ) -> list[list[float | None] | Exception]:
        """ZMSCORE of each (sorted set, members): one call on a single server (fl_scores); on a cluster one
        ZMSCORE each in a pipeline, where a key whose node failed answers its exception and the others stand."""
        if not asks:
            return []
        if self.clustered:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key, members in asks:
                    pipe.zmscore(key, list(members))
                return list(await pipe.execute(raise_on_error=False))
        args: list[Any] = []
        for _, members in asks:
            args += [len(members), *members]
        rows = await self._fcall(fn.SCORES, [key for key, _ in asks], args)
        return [[None if score is None else float(score) for score in row] for row in rows]

    @staticmethod
    def queue_between(pipe: Any, key: str, low: int | None, high: int | None, limit: int) -> None:
        """Queue ids strictly between ``low`` and ``high`` of a timeline or author list (None: no bound; the
        markers are never read), newest first, at most ``limit``. The reply decodes with ``decode_ids``."""
        pipe.zrange(
            key, below(high), b"-" if low is None else above(low), desc=True, bylex=True, offset=0, num=limit
        )

    def queue_oldest(self, pipe: Any, uid: int) -> None:
        """Queue a read of the oldest entry of a timeline; ``oldest_id`` decodes the reply."""
        pipe.zrange(self.keys.timeline(uid), 0, 0)

    @staticmethod
    def oldest_id(reply: list[bytes]) -> int | None:
        ids = decode_ids(reply)
        return ids[0] if ids else None

    async def purge(self, uid: int, tweets: Sequence[tuple[int, bytes]]) -> int:
        """Remove (tweet id, DELETED payload) entries from a timeline (unfollow, block), publishing the payload
        of each one that was there on the owner's live channel; returns the removals."""
        if not tweets:
            return 0
        args: list[Any] = [self.keys.live_timeline(uid)]
        for tid, payload in tweets:
            args += [encode_id(tid), payload]
        return await self._call(fn.PURGE, [self.keys.timeline(uid)], args, None)

    async def restore(self, uid: int, tweets: Sequence[tuple[int, bytes]], client: Any = None) -> int:
        """Put (tweet id, NEW payload) entries, newest first, back into an existing timeline (unmute,
        showReposts back on): those that survive the cap, each one added published as a live insert (logged
        in the live log with its position, as fan-out does); returns the inserts (``client``: only queued on
        that pipeline, see ``_call``)."""
        if not tweets:
            return 0
        keys = [self.keys.timeline(uid), self.keys.live_log(uid)]
        args: list[Any] = [self.timeline_cap + 1, self.keys.live_timeline(uid), LIVE_LOG_CAP, LIVE_LOG_TTL_S]
        for tid, payload in sorted(tweets, reverse=True):
            args += [encode_id(tid), payload]
        return await self._call(fn.RESTORE, keys, args, client)

    # --- sets and caches that are only updated once built ---------------------------------------------
    async def sadd_if_exists(self, key: str, member: str, client: Any = None) -> int:
        return await self._call(fn.SADD_IF_EXISTS, [key], [member], client)

    async def hset_if_absent(self, key: str, ttl: int, fields: list[Any], client: Any = None) -> int:
        """Fill a cache entry only if absent, so a slow reader never overwrites a newer write."""
        return await self._call(fn.HSET_IF_ABSENT, [key], [ttl, *fields], client)

    async def hset_if_exists(self, key: str, fields: list[Any], client: Any = None) -> int:
        return await self._call(fn.HSET_IF_EXISTS, [key], fields, client)

    # --- a viewer's likes and reposts sets (fanout/viewer_flags.py) -------------------------------------
    async def id_set_change(
        self, keys: tuple[str, str], tweet_id: int, added: bool, version_ttl: int, client: Any
    ) -> None:
        """Bump the set's version (``keys``: the set, its version; one user's: one slot) and, if the set is
        built, add or remove the tweet."""
        await self._call(
            fn.IDSET_CHANGE, list(keys), ["+" if added else "-", encode_id(tweet_id), version_ttl], client
        )

    async def id_set_fill(
        self, keys: tuple[str, str], version: bytes | None, ttl: int, floor: int, ids: list[int]
    ) -> bool:
        """Write the built set unless a write of its owner bumped the version since it was read."""
        args = [version or b"", ttl, floor, *(encode_id(i) for i in ids)]
        return bool(await self._call(fn.IDSET_FILL, list(keys), args, None))

    # --- trending (split in TRENDING_SHARDS parts by tweet id) --------------------------------------
    def trending_key(self, tweet_id: int) -> str:
        return self.keys.trending(tweet_id % TRENDING_SHARDS)

    def add_trending(self, pipe: Any, tweet_id: int, created_ms: int, likes: int) -> None:
        key = self.trending_key(tweet_id)
        pipe.zadd(key, {str(tweet_id): trending_score(created_ms, likes)})
        pipe.zremrangebyrank(key, 0, -(TRENDING_CAP + 2))  # the cap plus the sentinel

    def remove_trending(self, pipe: Any, tweet_id: int) -> None:
        pipe.zrem(self.trending_key(tweet_id), str(tweet_id))

    async def trending_exists(self) -> bool:
        """Every part is built (a part lost alone, e.g. with its node's data, rebuilds the whole set)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard in range(TRENDING_SHARDS):
                pipe.exists(self.keys.trending(shard))
            return all(await pipe.execute())

    async def fill_trending(self, rows: Iterable[tuple[int, int, int]], *, replace: bool = False) -> None:
        """Build every part of ``trending`` from (tweet id, created ms, likes) rows: the TRENDING_CAP best by
        score (the best of all parts together), and the sentinel that marks each part built. ``replace``
        drops what was there first (a fresh seed)."""
        scored = sorted(((trending_score(ms, likes), tid) for tid, ms, likes in rows), reverse=True)
        parts: list[dict[str, float]] = [{} for _ in range(TRENDING_SHARDS)]
        for score, tid in scored[:TRENDING_CAP]:
            parts[tid % TRENDING_SHARDS][str(tid)] = score
        for shard, members in enumerate(parts):
            key = self.keys.trending(shard)
            # One part per transaction: a cluster's MULTI holds keys of one slot only.
            async with self.redis.pipeline(transaction=replace) as pipe:
                if replace:
                    pipe.delete(key)
                pipe.zadd(key, {SET_SENTINEL: float("inf")})  # marks "built"; filtered on read
                if members:
                    pipe.zadd(key, members)
                await pipe.execute()

    async def trending_ids(self, count: int, now_ms: int | None = None) -> list[int]:
        """The ``count`` best trending ids by engagement velocity now, best first (fewer if the set is
        smaller); ties (no engagement yet) newest first. Every part is small (TRENDING_CAP in all): read whole,
        merged, ranked at this moment."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard in range(TRENDING_SHARDS):
                pipe.zrevrange(self.keys.trending(shard), 0, -1, withscores=True)
            replies: list[list[tuple[bytes, float]]] = await pipe.execute()
        now = int(time.time() * 1000) if now_ms is None else now_ms
        ranked: list[tuple[float, int]] = []
        for member, score in (row for reply in replies for row in reply):
            if member == SET_SENTINEL:
                continue
            tid = int(member)
            created = timestamp_ms(tid)
            ranked.append((velocity(created, engagement_from(score, created), now), tid))
        ranked.sort(reverse=True)
        return [tid for _, tid in ranked[:count]]

    # --- the fan-out queue (FANOUT_SHARDS streams; a job goes to its author's) ----------------------------
    def enqueue(self, client: Any, job: jobs.Job, bookmarks: Sequence[str] = ()) -> Any:
        """XADD a fan-out job to its author's shard on ``client`` (a pipeline, or the store's connection: then
        await the result). The message carries the current trace context when tracing is on (the worker
        continues the trace), and ``bookmarks``: the Neo4j writes the worker must see (graph/driver.py)."""
        fields = trace_fields(jobs.encode(job, bookmarks))
        stream = self.keys.fanout_stream(fanout_shard(job.author_id))
        return client.xadd(stream, fields, maxlen=STREAM_MAXLEN, approximate=True)

    async def mark_queued(self, job_id: int, job: jobs.Job) -> None:
        """Mark outbox entry ``job_id`` as queued without queueing it: the API did its work itself (a
        RepairJob's write completed its Redis follow-up), so the relay has nothing to do for it."""
        shard = fanout_shard(job.author_id)
        await self.redis.set(self.keys.fanout_queued(shard, job_id), b"1", ex=QUEUED_MARKER_TTL_S)

    async def forget_users(self, user_ids: Iterable[int]) -> None:
        """Drop the derived state of these users (their timeline, the sets derived from their follows, mutes
        and blocks, their viewer flags, their cached hash): all of it is rebuilt from Neo4j when next needed.
        A live subscriber among them finds its timeline gone and resumes (resolvers/live.py)."""
        k = self.keys
        async with self.redis.pipeline(transaction=False) as pipe:
            for uid in user_ids:
                for key in (
                    k.timeline(uid), k.celebs(uid), k.followees(uid), k.hidden(uid), k.no_reposts(uid),
                    k.likes(uid), k.reposts(uid), k.user(uid),
                ):  # fmt: skip
                    pipe.delete(key)  # one DEL per key: on a cluster the keys of two users lie in two slots
            await pipe.execute()

    async def enqueue_once(
        self, job_id: int, job: jobs.Job, client: Any = None, bookmarks: Sequence[str] = ()
    ) -> int:
        """XADD the job of outbox entry ``job_id`` to its author's shard unless it was queued already (the API
        right after the write, the worker's relay later: whichever comes first). Returns 1 if queued now (0
        when ``client`` is a pipeline: the count is in its results)."""
        fields = [v for pair in trace_fields(jobs.encode(job, bookmarks)).items() for v in pair]
        shard = fanout_shard(job.author_id)
        keys = [self.keys.fanout_stream(shard), self.keys.fanout_queued(shard, job_id)]
        return await self._call(fn.ENQUEUE_ONCE, keys, [QUEUED_MARKER_TTL_S, STREAM_MAXLEN, *fields], client)
