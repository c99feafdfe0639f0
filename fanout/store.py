"""The timeline store: sorted sets of tweet ids in Redis, written in one round trip per page of followers.

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

BUILT = b"\xfe"
BUILDING = b"\xff"
_ID = struct.Struct(">Q")
MEMBER_LEN = _ID.size
TOP_BOUND = b"(\xfe"  # exclusive upper bound below both markers

# KEYS: timelines of one page of followers. ARGV: member, keep (cap + markers), live payload ('' = none),
# live channel prefix, key prefix length. Skips keys that do not exist (cold users); re-adding a member is a
# no-op (a redelivered message writes nothing and publishes nothing). TTL untouched: it measures the owner's
# inactivity and is refreshed by reads.
_FAN_IN = """
local m, keep, payload, lp, plen = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
local added = 0
for i = 1, #KEYS do
  local k = KEYS[i]
  local card = redis.call('ZCARD', k)
  if card > 0 and redis.call('ZADD', k, 0, m) == 1 then
    added = added + 1
    if card >= keep then redis.call('ZREMRANGEBYRANK', k, 0, card - keep) end
    if payload ~= '' then redis.call('PUBLISH', lp .. string.sub(k, plen + 1), payload) end
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


class TimelineStore:
    """Script handles bound to one Redis client; the callers own key names (fanout/keys.py)."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._fan_in = redis.register_script(_FAN_IN)
        self._fan_out_remove = redis.register_script(_FAN_OUT_REMOVE)
        self.merge_if_exists_script = redis.register_script(_MERGE_IF_EXISTS)
        self._write_built = redis.register_script(_WRITE_BUILT)
        self._begin_rebuild = redis.register_script(_BEGIN_REBUILD)
        self.sadd_if_exists_script = redis.register_script(_SADD_IF_EXISTS)
        self.hset_if_absent_script = redis.register_script(_HSET_IF_ABSENT)
        self.hset_if_exists_script = redis.register_script(_HSET_IF_EXISTS)

    async def fan_in(
        self,
        timeline_keys: Sequence[str],
        tweet_id: int,
        cap: int,
        *,
        live_payload: bytes = b"",
        live_prefix: str = "",
        key_prefix_len: int = 0,
        client: Any = None,
    ) -> int:
        """Insert one tweet into every existing timeline of the page (one round trip); returns inserts.

        With ``client`` (a pipeline) the call is only queued: the count comes from the pipeline's results.
        """
        if not timeline_keys:
            return 0
        args: list[Any] = [encode_id(tweet_id), cap + 1, live_payload, live_prefix, key_prefix_len]
        return await _run(self._fan_in, timeline_keys, args, client)

    async def fan_out_remove(
        self,
        timeline_keys: Sequence[str],
        tweet_id: int,
        *,
        live_payload: bytes = b"",
        live_prefix: str = "",
        key_prefix_len: int = 0,
        client: Any = None,
    ) -> int:
        if not timeline_keys:
            return 0
        args: list[Any] = [encode_id(tweet_id), live_payload, live_prefix, key_prefix_len]
        return await _run(self._fan_out_remove, timeline_keys, args, client)

    async def merge_if_exists(self, key: str, tweet_ids: Sequence[int], cap: int) -> int:
        """Add ids to a built list (trim to cap); -1 if the key does not exist (caller rebuilds)."""
        args: list[Any] = [cap + 1, *(encode_id(t) for t in tweet_ids)]
        return int(await self.merge_if_exists_script(keys=[key], args=args))

    async def write_built(self, key: str, tweet_ids: Sequence[int], cap: int, ttl_seconds: int) -> None:
        args: list[Any] = [cap + 1, ttl_seconds, *(encode_id(t) for t in tweet_ids)]
        await self._write_built(keys=[key], args=args)

    async def begin_rebuild(self, key: str, lock_key: str, token: str, lock_ms: int, ttl_seconds: int) -> int:
        return int(await self._begin_rebuild(keys=[key, lock_key], args=[token, lock_ms, ttl_seconds]))

    async def read_below(self, key: str, before_id: int | None, limit: int) -> list[int]:
        members = await self.redis.zrange(
            key, below(before_id), b"-", desc=True, bylex=True, offset=0, num=limit
        )
        return decode_ids(members)


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


class Backfill:
    """Merge an author's newest ids into a page of existing follower timelines (one round trip)."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._script = redis.register_script(_BACKFILL)

    async def __call__(
        self, timeline_keys: Sequence[str], newest_first_ids: Sequence[int], cap: int, client: Any = None
    ) -> int:
        if not timeline_keys or not newest_first_ids:
            return 0
        args: list[Any] = [cap + 1, *(encode_id(t) for t in newest_first_ids)]
        return await _run(self._script, timeline_keys, args, client)
