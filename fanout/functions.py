"""The Redis Functions library of the timeline store: every server-side script Feedline runs.

One library (``feedline``), loaded with FUNCTION LOAD REPLACE at the start of the API and the worker, and
again whenever a call answers "Function not found" (a server restarted without its data, a new replica
promoted before the library reached it). On Redis Cluster FUNCTION LOAD goes to every primary, and
replicas receive it with the data, so a failover keeps it.

Why functions and not EVALSHA scripts: a function is part of the dataset (persisted, replicated), so there
is no NOSCRIPT dance per node, and redis-py's cluster pipeline accepts FCALL where it refuses EVALSHA.

Every function touches keys of one hash slot only (on a cluster, a call with keys of two slots is refused
with CROSSSLOT): the page functions take the timelines of one slot group of a page, and the store
(fanout/store.py) splits a page into such groups.

Live events are sharded pub/sub (SPUBLISH): a follower's channel ``live:tl:{uid}`` is in the slot of their
timeline, so the node that writes the timeline publishes the event, and only to the subscriber connections
on that node (classic PUBLISH is broadcast to every node of a cluster). Redis 7 serves SPUBLISH and
SSUBSCRIBE on a single server too, so both run the same code (api/hub.py subscribes).

Only fanout/store.py calls these functions, by the names below; the Lua is in one string so that the library
loads atomically.
"""

from __future__ import annotations

LIBRARY_NAME = "feedline"

FAN_IN = "fl_fan_in"
FAN_OUT_REMOVE = "fl_fan_out_remove"
MERGE_IF_EXISTS = "fl_merge_if_exists"
WRITE_BUILT = "fl_write_built"
BEGIN_REBUILD = "fl_begin_rebuild"
BACKFILL = "fl_backfill"
SADD_IF_EXISTS = "fl_sadd_if_exists"
HSET_IF_ABSENT = "fl_hset_if_absent"
HSET_IF_EXISTS = "fl_hset_if_exists"
ENQUEUE_ONCE = "fl_enqueue_once"
PUBLISH = "fl_publish"
PUBLISH_OWN = "fl_publish_own"
IDSET_CHANGE = "fl_idset_change"
IDSET_FILL = "fl_idset_fill"
PURGE = "fl_purge"
RESTORE = "fl_restore"
HEADS = "fl_heads"
HASHES = "fl_hashes"
SCORES = "fl_scores"

LIBRARY = r"""#!lua name=feedline

-- keys: the timelines of one slot group of a page. args: member, keep (cap + markers), live payload ('' =
-- none), live channel prefix, key prefix length, live log keep, live log TTL, author id, the author replied to
-- ('' = not a reply), the position of the hash tag in a timeline key, then the heads of a follower's live log,
-- hidden set (mu:) and followee set (fw:) keys: each is its head followed by the timeline key's tag (one
-- slot), so the client sends one key per follower instead of four (packing them was half of a page's cost).
-- Skips timelines that do not exist (cold users), followers who mute or block the author or are blocked by
-- them (mu:), and, for a reply, followers who neither are nor follow the account replied to (fw:; the replies
-- rule, DESIGN.md §3; a reply to oneself always goes in). A missing mu: or fw: skips nothing: the read path
-- applies the same rules. Re-adding a member is a no-op (a redelivered message writes nothing and publishes
-- nothing). TTL untouched: it measures the owner's inactivity and is refreshed by reads. Each published
-- insert gets the next position of the follower's live log (``seq``: microseconds of Redis TIME, raised past
-- the log's last one so it only grows, even across a FLUSHALL), carried in the event: a late insert (an older
-- id fanned out after newer ones) is found again by a client resuming from a later id (fanout/store.py:
-- LIVE_LOG_CAP).
local function time_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- The generation of a follower's live log (Keys.live_generation, key ``g``): a time in microseconds, written
-- if missing (Redis TIME now); its TTL refreshed. Events carry it so that a subscriber notices a FLUSHALL.
local function generation(g, lttl, now)
  local gen = redis.call('GET', g)
  if not gen then
    gen = string.format('%d', now or time_us())
    redis.call('SET', g, gen)
  end
  redis.call('EXPIRE', g, lttl)
  return gen
end
-- A live insert of member m, when the follower has a live log generation (``g``: written by a subscription
-- as it starts, FeedService.watch_live, and kept while it runs and a day after; none: nobody subscribed in that
-- time, so nobody could receive the event or resume from the log, and the insert is neither logged nor
-- published: most followers of a post are offline, and the log was two thirds of a fan-out's Redis time). Else
-- its next position in the live log (``seq``: ``now``, raised past the log's last one so that it only grows),
-- recorded there (capped), and the NEW payload (a JSON object) published on the channel with the position and
-- the log's generation added. The log and its generation live ``lttl`` seconds after their last refresh; an
-- insert refreshes them only when the generation's TTL has run down by a 24th (an hour of a day) or the log is
-- new: an EXPIRE is a write (to the AOF and replicas), and two of them per insert were a fifth of a fan-out's
-- cost.
local function publish_logged(log, g, m, channel, payload, lkeep, lttl, now, extra, hidden, gen)
  gen = gen or redis.call('GET', g)
  if not gen then return end
  if hidden then
    -- "screened": the follower's hidden set (key ``hidden``) was built and the author is not in it, so the
    -- subscriber need not ask again (LiveEvent.screened); a missing set screened nothing. Asked only here,
    -- for a follower with a live log: most of a fan-out's followers have none.
    extra = redis.call('EXISTS', hidden) == 1 and ',"screened":true' or ''
  end
  local seq = now
  local last = redis.call('ZRANGE', log, -1, -1, 'WITHSCORES')
  if last[2] ~= nil and tonumber(last[2]) >= seq then seq = tonumber(last[2]) + 1 end
  local s = string.format('%d', seq)
  redis.call('ZADD', log, s, m)
  local lcard = redis.call('ZCARD', log)
  if lcard > lkeep then redis.call('ZREMRANGEBYRANK', log, 0, lcard - lkeep - 1) end
  local stale = redis.call('TTL', g) < lttl - math.floor(lttl / 24)
  if stale then redis.call('EXPIRE', g, lttl) end
  if stale or last[2] == nil then redis.call('EXPIRE', log, lttl) end
  redis.call('SPUBLISH', channel, string.sub(payload, 1, -2) .. ',"seq":' .. s .. ',"gen":' .. gen .. (extra or '') .. '}')
end

local function fl_fan_in(keys, args)
  local m, keep, payload, lp, plen = args[1], tonumber(args[2]), args[3], args[4], tonumber(args[5])
  local lkeep, lttl, author, rta = tonumber(args[6]), tonumber(args[7]), args[8], args[9]
  local tag_at, log_head, mu_head, fw_head = tonumber(args[10]), args[11], args[12], args[13]
  local added = 0
  local now = nil
  for i = 1, #keys do
    local k = keys[i]
    local tag = string.sub(k, tag_at)
    local card = redis.call('ZCARD', k)
    local skip = card == 0 or redis.call('SISMEMBER', mu_head .. tag, author) == 1
    if not skip and rta ~= '' and rta ~= author and string.match(tag, '^{(%d+)}$') ~= rta then
      local fw = fw_head .. tag
      skip = redis.call('SISMEMBER', fw, rta) == 0 and redis.call('EXISTS', fw) == 1
    end
    if not skip and redis.call('ZADD', k, 0, m) == 1 then
      added = added + 1
      if card >= keep then redis.call('ZREMRANGEBYRANK', k, 0, card - keep) end
      if payload ~= '' then
        -- Most followers have no live log: its generation is read before any other key name is built.
        local log = log_head .. tag
        local g = log .. ':g'
        local gen = redis.call('GET', g)
        if gen then
          now = now or time_us()
          publish_logged(log, g, m, lp .. string.sub(k, plen + 1), payload, lkeep, lttl, now, nil, mu_head .. tag, gen)
        end
      end
    end
  end
  return added
end

-- keys: timelines of one slot group. args: member, live payload ('' = none), live channel prefix, key
-- prefix length.
local function fl_fan_out_remove(keys, args)
  local m, payload, lp, plen = args[1], args[2], args[3], tonumber(args[4])
  local removed = 0
  for i = 1, #keys do
    local k = keys[i]
    if redis.call('ZREM', k, m) == 1 then
      removed = removed + 1
      if payload ~= '' then redis.call('SPUBLISH', lp .. string.sub(k, plen + 1), payload) end
    end
  end
  return removed
end

-- keys[1]: a timeline. args: its live channel, then (member, DELETED payload) pairs. Removes the members and
-- publishes a DELETED event for each one that was there (unfollow, block: an open client drops them).
redis.register_function('fl_purge', function(keys, args)
  local removed = 0
  for i = 2, #args, 2 do
    if redis.call('ZREM', keys[1], args[i]) == 1 then
      removed = removed + 1
      redis.call('SPUBLISH', args[1], args[i + 1])
    end
  end
  return removed
end)

-- keys[1]: one sorted set. args: keep, then members. Adds only if the key exists; -1 if it does not.
redis.register_function('fl_merge_if_exists', function(keys, args)
  local k = keys[1]
  if redis.call('EXISTS', k) == 0 then return -1 end
  local keep = tonumber(args[1])
  local added = 0
  local batch = {}
  for i = 2, #args do
    batch[#batch + 1] = 0
    batch[#batch + 1] = args[i]
    if #batch >= 1000 or i == #args then
      added = added + redis.call('ZADD', k, unpack(batch))
      batch = {}
    end
  end
  local card = redis.call('ZCARD', k)
  if card > keep then redis.call('ZREMRANGEBYRANK', k, 0, card - keep - 1) end
  return added
end)

-- keys[1]: a sorted set to (re)write. args: keep, ttl seconds, then members. Merges (never drops what a
-- concurrent writer added), marks BUILT, clears BUILDING, trims and sets the TTL.
redis.register_function('fl_write_built', function(keys, args)
  local k = keys[1]
  local keep, ttl = tonumber(args[1]), tonumber(args[2])
  local batch = {}
  redis.call('ZADD', k, 0, '\254')
  for i = 3, #args do
    batch[#batch + 1] = 0
    batch[#batch + 1] = args[i]
    if #batch >= 1000 or i == #args then
      redis.call('ZADD', k, unpack(batch))
      batch = {}
    end
  end
  redis.call('ZREM', k, '\255')
  local card = redis.call('ZCARD', k)
  if card > keep then redis.call('ZREMRANGEBYRANK', k, 0, card - keep - 1) end
  if ttl > 0 then redis.call('EXPIRE', k, ttl) end
  return card
end)

-- keys: timeline, its lock (one user: one slot). args: token, lock ms, ttl seconds.
-- 0 = already built, 1 = you rebuild (BUILDING marker set), 2 = someone else is rebuilding.
redis.register_function('fl_begin_rebuild', function(keys, args)
  local tl, lock = keys[1], keys[2]
  if redis.call('EXISTS', tl) == 1 and not redis.call('ZSCORE', tl, '\255') then return 0 end
  if redis.call('SET', lock, args[1], 'NX', 'PX', args[2]) == false then return 2 end
  redis.call('ZADD', tl, 0, '\255')
  redis.call('EXPIRE', tl, tonumber(args[3]))
  return 1
end)

-- keys: timelines of one slot group. args: keep, then ids (8-byte members) newest first. For each existing
-- timeline, adds the ids that would survive the cap (newer than its oldest entry when full), then trims.
-- Members are compared byte by byte (fixed width, big-endian) because Lua's string comparison follows the
-- server's collation locale.
local function newer(a, b)
  for i = 1, 8 do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return false
end
local function fl_backfill(keys, args)
  local keep = tonumber(args[1])
  local total = 0
  for i = 1, #keys do
    local k = keys[i]
    local card = redis.call('ZCARD', k)
    if card > 0 then
      local oldest = nil
      if card >= keep then oldest = redis.call('ZRANGE', k, 0, 0)[1] end
      for j = 2, #args do
        local m = args[j]
        if oldest ~= nil and string.len(oldest) == 8 and not newer(m, oldest) then break end
        total = total + redis.call('ZADD', k, 0, m)
      end
      card = redis.call('ZCARD', k)
      if card > keep then redis.call('ZREMRANGEBYRANK', k, 0, card - keep - 1) end
    end
  end
  return total
end

-- keys: a timeline and its live log (one user: one slot). args: keep (cap + markers), the live channel, live
-- log keep, live log TTL, then (member, NEW payload) pairs, newest first. Puts back entries a purge took
-- out (unmute, showReposts back on) as fl_backfill does, if the timeline exists and only those that survive
-- the cap, and publishes each one added as a live insert (logged, with its position: fl_fan_in), so an open
-- client gets them and a resuming one finds them.
redis.register_function('fl_restore', function(keys, args)
  local k, log = keys[1], keys[2]
  local keep, channel, lkeep, lttl = tonumber(args[1]), args[2], tonumber(args[3]), tonumber(args[4])
  local card = redis.call('ZCARD', k)
  if card == 0 then return 0 end
  local oldest = nil
  if card >= keep then oldest = redis.call('ZRANGE', k, 0, 0)[1] end
  local now = time_us()
  local added = 0
  for i = 5, #args, 2 do
    local m = args[i]
    if oldest ~= nil and string.len(oldest) == 8 and not newer(m, oldest) then break end
    if redis.call('ZADD', k, 0, m) == 1 then
      added = added + 1
      publish_logged(log, log .. ':g', m, channel, args[i + 1], lkeep, lttl, now)
    end
  end
  card = redis.call('ZCARD', k)
  if card > keep then redis.call('ZREMRANGEBYRANK', k, 0, card - keep - 1) end
  return added
end)

-- Each page function is registered twice: per slot (keys: one slot group) and per node (``_node``: keys[1]
-- is any key of the node, which routes the call; args[1] is n, args[2..n+1] the page's keys on that node, in
-- several slots, then the function's own args). One call per node instead of one per slot: a 1,000-follower
-- page is ~970 slots but 3 nodes, and the client's per-call cost dominated. The keys are passed as args,
-- so the flag allows them to span slots; a key whose slot is not (or no longer) on this node makes the call
-- fail part-way (its writes so far are idempotent) and the store falls back to per-slot calls, which follow
-- MOVED/ASK.
local function on_node(f)
  return function(keys, args)
    local n = tonumber(args[1])
    local ks, rest = {}, {}
    for i = 2, n + 1 do ks[#ks + 1] = args[i] end
    for i = n + 2, #args do rest[#rest + 1] = args[i] end
    return f(ks, rest)
  end
end
-- (Spelled out: the library's load-time environment has no pairs().)
redis.register_function('fl_fan_in', fl_fan_in)
redis.register_function('fl_fan_out_remove', fl_fan_out_remove)
redis.register_function('fl_backfill', fl_backfill)
local cross = {'allow-cross-slot-keys'}
redis.register_function{function_name = 'fl_fan_in_node', callback = on_node(fl_fan_in), flags = cross}
redis.register_function{function_name = 'fl_fan_out_remove_node', callback = on_node(fl_fan_out_remove), flags = cross}
redis.register_function{function_name = 'fl_backfill_node', callback = on_node(fl_backfill), flags = cross}

-- keys: sorted sets of 8-byte ids (author lists). args: count. The newest `count` members of each, markers
-- included (they sort above the ids), in one call: a timeline rebuild reads the heads of 400 lists at once,
-- where a pipeline of 400 reads cost the client more than Redis (one server only: the lists lie in many slots).
redis.register_function{function_name = 'fl_heads', callback = function(keys, args)
  local heads = {}
  for i = 1, #keys do
    heads[i] = redis.call('ZRANGE', keys[i], '+', '-', 'BYLEX', 'REV', 'LIMIT', 0, args[1])
  end
  return heads
end, flags = {'no-writes'}}

-- keys: hashes (cached tweets or users). args: field names. HMGET of each, in one call: a page's 20 to 25
-- tweet hashes were as many commands of 13 arguments each for the client to pack and send (one server only:
-- the hashes lie in many slots).
redis.register_function{function_name = 'fl_hashes', callback = function(keys, args)
  local rows = {}
  for i = 1, #keys do
    rows[i] = redis.call('HMGET', keys[i], unpack(args))
  end
  return rows
end, flags = {'no-writes'}}

-- keys: sorted sets. args: for each key in turn, how many members, then the members (at least one). ZMSCORE
-- of each, in one call: the like and repost flags of a live event's subscribers were two commands each, for
-- the client to pack, send and read back under a timeout of its own (one server only: the sets lie in many
-- slots). Scores come back as strings, missing members as nil.
redis.register_function{function_name = 'fl_scores', callback = function(keys, args)
  local rows, at = {}, 1
  for i = 1, #keys do
    local n = tonumber(args[at])
    rows[i] = redis.call('ZMSCORE', keys[i], unpack(args, at + 1, at + n))
    at = at + n + 1
  end
  return rows
end, flags = {'no-writes'}}

-- keys[1]: a set. args: members. SADD only if the set exists (is built).
redis.register_function('fl_sadd_if_exists', function(keys, args)
  if redis.call('EXISTS', keys[1]) == 0 then return -1 end
  return redis.call('SADD', keys[1], unpack(args))
end)

-- keys[1]: a hash. args: ttl, field, value, ... Fills a cache entry only if absent, so a slow reader never
-- overwrites a newer write (e.g. a delete tombstone).
redis.register_function('fl_hset_if_absent', function(keys, args)
  if redis.call('EXISTS', keys[1]) == 1 then return 0 end
  redis.call('HSET', keys[1], unpack(args, 2))
  redis.call('EXPIRE', keys[1], tonumber(args[1]))
  return 1
end)

-- keys[1]: a hash. args: field, value, ... Updates an existing cache entry, never creates one.
redis.register_function('fl_hset_if_exists', function(keys, args)
  if redis.call('EXISTS', keys[1]) == 0 then return 0 end
  redis.call('HSET', keys[1], unpack(args))
  return 1
end)

-- keys: the job's stream shard, its queued marker (one slot: see Keys.fanout_queued). args: marker ttl,
-- maxlen, then field, value, ... XADDs once per job: a job whose marker exists was queued already (by the
-- API or a relay); returns 1 if queued now.
redis.register_function('fl_enqueue_once', function(keys, args)
  if not redis.call('SET', keys[2], '1', 'NX', 'EX', tonumber(args[1])) then return 0 end
  redis.call('XADD', keys[1], 'MAXLEN', '~', args[2], '*', unpack(args, 3))
  return 1
end)

-- keys: a viewer's likes or reposts set and its version counter (one slot). args: '+' or '-', the tweet's
-- 8-byte member, the version's TTL. Every write (like, unlike, repost, unrepost) bumps the version (a fill
-- racing it is then dropped) and updates the set only if it is built.
redis.register_function('fl_idset_change', function(keys, args)
  redis.call('INCR', keys[2])
  redis.call('EXPIRE', keys[2], tonumber(args[3]))
  if redis.call('EXISTS', keys[1]) == 0 then return 0 end
  if args[1] == '+' then redis.call('ZADD', keys[1], 0, args[2]) else redis.call('ZREM', keys[1], args[2]) end
  return 1
end)

-- keys: a viewer's likes or reposts set and its version counter. args: the version read before the Neo4j
-- query ('' = none), ttl, floor id, then the tweets' 8-byte members. Writes the set (the empty member,
-- scored with the floor, marks it built) only if no write of it happened since that version was read.
redis.register_function('fl_idset_fill', function(keys, args)
  if (redis.call('GET', keys[2]) or '') ~= args[1] then return 0 end
  redis.call('DEL', keys[1])
  redis.call('ZADD', keys[1], args[3], '')
  for i = 4, #args do redis.call('ZADD', keys[1], 0, args[i]) end
  redis.call('EXPIRE', keys[1], tonumber(args[2]))
  return 1
end)

-- keys: a user's live channel and live log generation (one slot). args: a NEW payload, the generation's TTL.
-- The author's own insert: not a fan-out (no position in the live log) but published with the generation,
-- so that an open subscription that missed a FLUSHALL does not move its cursor past what the loss hid.
redis.register_function('fl_publish_own', function(keys, args)
  local gen = generation(keys[2], tonumber(args[2]), nil)
  redis.call('SPUBLISH', keys[1], string.sub(args[1], 1, -2) .. ',"gen":' .. gen .. '}')
  return 1
end)

-- keys: shard channels of one slot (declared as keys so that the call is routed to their node). args:
-- payload. One round trip for many publishes, and it fits in a cluster pipeline, where redis-py refuses
-- PUBLISH.
redis.register_function('fl_publish', function(keys, args)
  for i = 1, #keys do redis.call('SPUBLISH', keys[i], args[1]) end
  return #keys
end)
"""
