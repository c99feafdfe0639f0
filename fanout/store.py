"""The timeline store: the one owner of the feed data in Redis, as Mastodon's FeedManager is.

It alone knows the key names (through fanout/keys.py), the Lua scripts, the caps and how trimming works, the
member encoding, the fan-out queue's length and the ``trending`` set and its score (fanout/ranking.py). The
worker, FeedService, the feed reader and the seed call its methods with user and tweet ids; none of them
builds a key, runs a script or repeats the ``cap + 1`` rule (the cap plus the BUILT marker) itself.

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
from collections.abc import Iterable, Sequence
from typing import Any

import redis.asyncio as aioredis

from fanout import jobs
from fanout.config import EngineConfig
from fanout.keys import Keys
from fanout.ranking import trending_score
from graph.telemetry import trace_fields

BUILT = b"\xfe"
BUILDING = b"\xff"
_ID = struct.Struct(">Q")
MEMBER_LEN = _ID.size
TOP_BOUND = b"(\xfe"  # exclusive upper bound below both markers
SET_SENTINEL = b"-"  # member of every built id set (celebs:, fw:, trending) so an empty one still exists
TRENDING_CAP = 1000
STREAM_MAXLEN = 1_000_000  # approximate cap of the fan-out stream
# A follower's live log (Keys.live_log): the last LIVE_LOG_CAP live inserts with their positions, kept a day
# (a client resuming later than that, or after more events, is replayed by id alone).
LIVE_LOG_CAP = 400
LIVE_LOG_TTL_S = 86_400

# KEYS: timelines of one page of followers, then their live logs (same order). ARGV: member, keep (cap +
# markers), live payload ('' = none), live channel prefix, key prefix length, live log keep, live log TTL.
# Skips keys that do not exist (cold users); re-adding a member is a no-op (a redelivered message writes
# nothing and publishes nothing). TTL untouched: it measures the owner's inactivity and is refreshed by reads.
# Each published insert gets the next position of the follower's live log (``seq``: microseconds of Redis
# TIME, raised past the log's last one so it only grows, even across a FLUSHALL), carried in the event: a
# late insert (an older id fanned out after newer ones) is found again by a client resuming from a later id.
_FAN_IN = """
local m, keep, payload, lp, plen = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
local lkeep, lttl = tonumber(ARGV[6]), tonumber(ARGV[7])
local n = #KEYS / 2
local added = 0
local now = nil
for i = 1, n do
  local k = KEYS[i]
  local card = redis.call('ZCARD', k)
  if card > 0 and redis.call('ZADD', k, 0, m) == 1 then
    added = added + 1
    if card >= keep then redis.call('ZREMRANGEBYRANK', k, 0, card - keep) end
    if payload ~= '' then
      local log = KEYS[n + i]
      if now == nil then
        local t = redis.call('TIME')
        now = tonumber(t[1]) * 1000000 + tonumber(t[2])
      end
      local seq = now
      local last = redis.call('ZRANGE', log, -1, -1, 'WITHSCORES')
      if last[2] ~= nil and tonumber(last[2]) >= seq then seq = tonumber(last[2]) + 1 end
      local s = string.format('%d', seq)
      redis.call('ZADD', log, s, m)
      local lcard = redis.call('ZCARD', log)
      if lcard > lkeep then redis.call('ZREMRANGEBYRANK', log, 0, lcard - lkeep - 1) end
      redis.call('EXPIRE', log, lttl)
      redis.call('PUBLISH', lp .. string.sub(k, plen + 1), string.sub(payload, 1, -2) .. ',"seq":' .. s .. '}')
    end
  end
end
return added
"""

# KEYS: timelines. ARGV: member, live payload ('' = none), live channel prefix, key prefix length.
_FAN_OUT_REMOVE = """
local m, payload, lp, plen = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local removed = 0
for i = 1, #KEYS do
  local k = KEYS[i]
  if redis.call('ZREM', k, m) == 1 then
    removed = removed + 1
    if payload ~= '' then redis.call('PUBLISH', lp .. string.sub(k, plen + 1), payload) end
  end
end
return removed
"""

# KEYS[1]: one sorted set. ARGV: keep, then members. Adds only if the key exists; -1 if it does not.
_MERGE_IF_EXISTS = """
local k = KEYS[1]
if redis.call('EXISTS', k) == 0 then return -1 end
local keep = tonumber(ARGV[1])
local added = 0
local batch = {}
for i = 2, #ARGV do
  batch[#batch + 1] = 0
  batch[#batch + 1] = ARGV[i]
  if #batch >= 1000 or i == #ARGV then
    added = added + redis.call('ZADD', k, unpack(batch))
    batch = {}
  end
end
local card = redis.call('ZCARD', k)
if card > keep then redis.call('ZREMRANGEBYRANK', k, 0, card - keep - 1) end
return added
"""

# KEYS[1]: a sorted set to (re)write. ARGV: keep, ttl seconds, then members. Merges (never drops what a
# concurrent writer added), marks BUILT, clears BUILDING, trims and sets the TTL.
_WRITE_BUILT = """
local k = KEYS[1]
local keep, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local batch = {}
redis.call('ZADD', k, 0, '\\254')
for i = 3, #ARGV do
  batch[#batch + 1] = 0
  batch[#batch + 1] = ARGV[i]
  if #batch >= 1000 or i == #ARGV then
    redis.call('ZADD', k, unpack(batch))
    batch = {}
  end
end
redis.call('ZREM', k, '\\255')
local card = redis.call('ZCARD', k)
if card > keep then redis.call('ZREMRANGEBYRANK', k, 0, card - keep - 1) end
if ttl > 0 then redis.call('EXPIRE', k, ttl) end
return card
"""

# KEYS: timeline, its lock. ARGV: token, lock ms, ttl seconds.
# 0 = already built, 1 = you rebuild (BUILDING marker set), 2 = someone else is rebuilding.
_BEGIN_REBUILD = """
local tl, lock = KEYS[1], KEYS[2]
if redis.call('EXISTS', tl) == 1 and not redis.call('ZSCORE', tl, '\\255') then return 0 end
if redis.call('SET', lock, ARGV[1], 'NX', 'PX', ARGV[2]) == false then return 2 end
redis.call('ZADD', tl, 0, '\\255')
redis.call('EXPIRE', tl, tonumber(ARGV[3]))
return 1
"""

# KEYS[1]: a set. ARGV: members. SADD only if the set exists (is built).
_SADD_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('SADD', KEYS[1], unpack(ARGV))
"""

# KEYS[1]: a hash. ARGV: ttl, field, value, ... Fills a cache entry only if absent, so a slow reader never
# overwrites a newer write (e.g. a delete tombstone).
_HSET_IF_ABSENT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""

# KEYS[1]: a hash. ARGV: field, value, ... Updates an existing cache entry, never creates one.
_HSET_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""


# KEYS: the stream, the job's queued marker. ARGV: marker ttl, maxlen, then field, value, ... XADDs once per
# job: a job whose marker exists was queued already (by the API or a relay); returns 1 if queued now.
_ENQUEUE_ONCE = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[1])) then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
return 1
"""
# Long enough for the relay to have marked the job relayed (seconds, or the length of a worker outage); short
# enough that a marker per post costs little memory. Past it, a job the API queued while no worker ran for an
# hour may be queued once more by the relay: timeline inserts are idempotent (only a celebrity post would be
# published to its author channel twice).
QUEUED_MARKER_TTL_S = 3600


async def _run(script: Any, keys: Sequence[str], args: list[Any], client: Any) -> int:
    """Run a page script now and return its count, or (``client`` = a pipeline) only queue it: then 0, and
    the count comes from the pipeline's results when the caller executes it."""
    result = await script(keys=list(keys), args=args, client=client)
    return 0 if client is not None else int(result)


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


# KEYS: timelines of a page of followers. ARGV: keep, then ids (8-byte members) newest first. For each
# existing timeline, adds the ids that would survive the cap (newer than its oldest entry when full), then
# trims. Members are compared byte by byte (fixed width, big-endian) because Lua's string comparison
# follows the server's collation locale.
_BACKFILL = """
local keep = tonumber(ARGV[1])
local function newer(a, b)
  for i = 1, 8 do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return false
end
local total = 0
for i = 1, #KEYS do
  local k = KEYS[i]
  local card = redis.call('ZCARD', k)
  if card > 0 then
    local oldest = nil
    if card >= keep then oldest = redis.call('ZRANGE', k, 0, 0)[1] end
    for j = 2, #ARGV do
      local m = ARGV[j]
      if oldest ~= nil and string.len(oldest) == 8 and not newer(m, oldest) then break end
      total = total + redis.call('ZADD', k, 0, m)
    end
    card = redis.call('ZCARD', k)
    if card > keep then redis.call('ZREMRANGEBYRANK', k, 0, card - keep - 1) end
  end
end
return total
"""


class TimelineStore:
    """Every read and write of the feed data, by user and tweet id; the caps come from the EngineConfig.

    A method that takes ``client`` runs on it when it is a pipeline (the call is only queued: then it
    returns 0 and its count is among the pipeline's results), otherwise at once on the store's connection.
    """

    def __init__(self, redis: aioredis.Redis, config: EngineConfig) -> None:
        self.redis = redis
        self.keys = Keys(config.key_prefix)
        self.timeline_cap = config.timeline_cap
        self.author_list_cap = config.author_list_cap
        self.ttl_seconds = config.timeline_ttl_seconds
        self._fan_in = redis.register_script(_FAN_IN)
        self._fan_out_remove = redis.register_script(_FAN_OUT_REMOVE)
        self._merge_if_exists = redis.register_script(_MERGE_IF_EXISTS)
        self._write_built = redis.register_script(_WRITE_BUILT)
        self._begin_rebuild = redis.register_script(_BEGIN_REBUILD)
        self._backfill = redis.register_script(_BACKFILL)
        self._sadd_if_exists = redis.register_script(_SADD_IF_EXISTS)
        self._hset_if_absent = redis.register_script(_HSET_IF_ABSENT)
        self._hset_if_exists = redis.register_script(_HSET_IF_EXISTS)
        self._enqueue_once = redis.register_script(_ENQUEUE_ONCE)

    # --- fan-out: one round trip per page of followers ------------------------------------------------
    def _live_args(self, live_payload: bytes) -> list[Any]:
        # Lua derives a follower's live channel from its timeline key (see Keys.live_prefix).
        return [live_payload, self.keys.live_prefix, len(self.keys.prefix)]

    async def fan_in(
        self, follower_ids: Sequence[int], tweet_id: int, *, live_payload: bytes = b"", client: Any = None
    ) -> int:
        """Insert one tweet into every existing timeline of the page, trimmed to the cap, and publish
        ``live_payload`` to each follower it was new to; returns the inserts. Cold followers are skipped."""
        if not follower_ids:
            return 0
        keys = [self.keys.timeline(f) for f in follower_ids] + [self.keys.live_log(f) for f in follower_ids]
        args = [
            encode_id(tweet_id),
            self.timeline_cap + 1,
            *self._live_args(live_payload),
            LIVE_LOG_CAP,
            LIVE_LOG_TTL_S,
        ]
        return await _run(self._fan_in, keys, args, client)

    async def fan_out_remove(
        self, follower_ids: Sequence[int], tweet_id: int, *, live_payload: bytes = b"", client: Any = None
    ) -> int:
        """Remove one tweet from the page's timelines, publishing ``live_payload`` where it was; returns
        the removals."""
        if not follower_ids:
            return 0
        keys = [self.keys.timeline(f) for f in follower_ids]
        return await _run(
            self._fan_out_remove, keys, [encode_id(tweet_id), *self._live_args(live_payload)], client
        )

    async def backfill(
        self, follower_ids: Sequence[int], newest_first_ids: Sequence[int], client: Any = None
    ) -> int:
        """Merge an author's newest ids into the page's existing timelines (only those that survive the cap)."""
        if not follower_ids or not newest_first_ids:
            return 0
        keys = [self.keys.timeline(f) for f in follower_ids]
        args: list[Any] = [self.timeline_cap + 1, *(encode_id(t) for t in newest_first_ids)]
        return await _run(self._backfill, keys, args, client)

    # --- the author's own lists -----------------------------------------------------------------------
    async def add_own_tweet(self, pipe: Any, author_id: int, tweet_id: int) -> None:
        """Queue a new tweet into the author's list and own timeline (where they exist). The first of the two
        replies is the author list's: -1 when it does not exist (the caller rebuilds it)."""
        member = encode_id(tweet_id)
        await self._merge_if_exists(
            keys=[self.keys.author_tweets(author_id)], args=[self.author_list_cap + 1, member], client=pipe
        )
        await self._merge_if_exists(
            keys=[self.keys.timeline(author_id)], args=[self.timeline_cap + 1, member], client=pipe
        )

    def remove_own_tweet(self, pipe: Any, author_id: int, tweet_id: int) -> None:
        member = encode_id(tweet_id)
        pipe.zrem(self.keys.author_tweets(author_id), member)
        pipe.zrem(self.keys.timeline(author_id), member)

    # --- rebuilds ------------------------------------------------------------------------------------
    async def begin_timeline_rebuild(self, uid: int, token: str, lock_ms: int) -> int:
        """0 = the timeline is built, 1 = the caller rebuilds it (lock taken, BUILDING set), 2 = someone else is."""
        keys = [self.keys.timeline(uid), self.keys.timeline_lock(uid)]
        return int(await self._begin_rebuild(keys=keys, args=[token, lock_ms, self.ttl_seconds]))

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
        await self._write_built(keys=[key], args=args)

    # --- reads ---------------------------------------------------------------------------------------
    async def read_below(self, key: str, before_id: int | None, limit: int) -> list[int]:
        members = await self.redis.zrange(
            key, below(before_id), b"-", desc=True, bylex=True, offset=0, num=limit
        )
        return decode_ids(members)

    async def live_log(self, uid: int) -> dict[int, int]:
        """The viewer's live log: tweet id -> its live position (seq), for a subscription's resume."""
        rows: list[tuple[bytes, float]] = await self.redis.zrange(
            self.keys.live_log(uid), 0, -1, withscores=True
        )  # type: ignore[assignment]
        return {_ID.unpack(m)[0]: int(score) for m, score in rows if len(m) == MEMBER_LEN}

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
            pipe.zrange(key, below(bound), b"-", desc=True, bylex=True, offset=0, num=limit)

    def queue_oldest(self, pipe: Any, uid: int) -> None:
        """Queue a read of the oldest entry of a timeline; ``oldest_id`` decodes the reply."""
        pipe.zrange(self.keys.timeline(uid), 0, 0)

    @staticmethod
    def oldest_id(reply: list[bytes]) -> int | None:
        ids = decode_ids(reply)
        return ids[0] if ids else None

    async def purge(self, uid: int, tweet_ids: Sequence[int]) -> None:
        """Remove ids from a timeline (unfollow)."""
        if tweet_ids:
            await self.redis.zrem(self.keys.timeline(uid), *[encode_id(t) for t in tweet_ids])

    # --- sets and caches that are only updated once built ---------------------------------------------
    async def sadd_if_exists(self, key: str, member: str, client: Any = None) -> int:
        return await _run(self._sadd_if_exists, [key], [member], client)

    async def hset_if_absent(self, key: str, ttl: int, fields: list[Any], client: Any = None) -> int:
        """Fill a cache entry only if absent, so a slow reader never overwrites a newer write."""
        return await _run(self._hset_if_absent, [key], [ttl, *fields], client)

    async def hset_if_exists(self, key: str, fields: list[Any], client: Any = None) -> int:
        return await _run(self._hset_if_exists, [key], fields, client)

    # --- trending ------------------------------------------------------------------------------------
    def add_trending(self, pipe: Any, tweet_id: int, created_ms: int, likes: int) -> None:
        key = self.keys.trending
        pipe.zadd(key, {str(tweet_id): trending_score(created_ms, likes)})
        pipe.zremrangebyrank(key, 0, -(TRENDING_CAP + 2))  # the cap plus the sentinel

    def remove_trending(self, pipe: Any, tweet_id: int) -> None:
        pipe.zrem(self.keys.trending, str(tweet_id))

    async def trending_exists(self) -> bool:
        return bool(await self.redis.exists(self.keys.trending))

    async def fill_trending(self, rows: Iterable[tuple[int, int, int]], *, replace: bool = False) -> None:
        """Build ``trending`` from (tweet id, created ms, likes) rows: the TRENDING_CAP best by score, and the
        sentinel that marks it built. ``replace`` drops what was there first (a fresh seed)."""
        scored = sorted(((trending_score(ms, likes), tid) for tid, ms, likes in rows), reverse=True)
        key = self.keys.trending
        async with self.redis.pipeline(transaction=replace) as pipe:
            if replace:
                pipe.delete(key)
            pipe.zadd(key, {SET_SENTINEL: float("inf")})  # marks "built"; filtered on read
            if scored:
                pipe.zadd(key, {str(tid): score for score, tid in scored[:TRENDING_CAP]})
            await pipe.execute()

    async def trending_ids(self, count: int) -> list[int]:
        """The ``count`` best trending ids, best first (fewer if the set is smaller)."""
        members: list[bytes] = await self.redis.zrevrange(self.keys.trending, 0, count)  # type: ignore[assignment]
        return [int(m) for m in members if m != SET_SENTINEL]

    # --- the fan-out queue ---------------------------------------------------------------------------
    def enqueue(self, client: Any, job: jobs.Job) -> Any:
        """XADD a fan-out job on ``client`` (a pipeline, or the store's connection: then await the result).
        The message carries the current trace context when tracing is on (the worker continues the trace)."""
        fields = trace_fields(jobs.encode(job))
        return client.xadd(self.keys.fanout_stream, fields, maxlen=STREAM_MAXLEN, approximate=True)

    async def enqueue_once(self, job_id: int, job: jobs.Job, client: Any = None) -> int:
        """XADD the job of outbox entry ``job_id`` unless it was queued already (the API right after the write,
        the worker's relay later: whichever comes first). Returns 1 if queued now (0 when ``client`` is a
        pipeline: the count is in its results)."""
        fields = [v for pair in trace_fields(jobs.encode(job)).items() for v in pair]
        keys = [self.keys.fanout_stream, self.keys.fanout_queued(job_id)]
        return await _run(self._enqueue_once, keys, [QUEUED_MARKER_TTL_S, STREAM_MAXLEN, *fields], client)
