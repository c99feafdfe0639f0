"""fanout/keys.py: every key carries the prefix, a user's keys share one Redis Cluster slot, and a timeline's
live channel is derivable from its key the way the fan-out script derives it."""

from __future__ import annotations

import pytest
from redis.crc import key_slot

from fanout.keys import FANOUT_GROUP, FANOUT_SHARDS, Keys, fanout_shard
from graph.ids import SEQUENCE_BITS, TIME_SHIFT

PREFIX = "t1:"
UID = 1_234_567_890_123


def _per_user(keys: Keys, uid: int) -> list[str]:
    return [
        keys.timeline(uid),
        keys.author_tweets(uid),
        keys.timeline_lock(uid),
        keys.celebs(uid),
        keys.followees(uid),
        keys.hidden(uid),
        keys.no_reposts(uid),
        keys.reconcile_pending(uid),
        keys.user(uid),
        keys.active(uid),
        keys.top_snapshot(uid, "abc123"),
        keys.live_timeline(uid),
        keys.live_author(uid),
    ]


def test_every_key_starts_with_the_prefix() -> None:
    keys = Keys(PREFIX)
    singles = [
        keys.celebrity_mode,
        keys.trending(0),
        *keys.fanout_streams,
        keys.fanout_progress(0, "1-0"),
        keys.fanout_progress(1, "1-0"),
        keys.fanout_queued(0, 7),
        keys.fanout_queued(3, 7),
        keys.tweet(5),
    ]
    for key in [*_per_user(keys, UID), *singles]:
        assert key.startswith(PREFIX), key


def test_a_users_keys_share_one_slot() -> None:
    keys = Keys(PREFIX)
    slots = {key_slot(k.encode()) for k in _per_user(keys, UID)}
    assert len(slots) == 1
    assert f"{{{UID}}}" in keys.timeline(UID)
    # ... and different users spread over slots.
    assert len({key_slot(Keys(PREFIX).timeline(u).encode()) for u in range(50)}) > 1


def test_families_are_distinct() -> None:
    keys = Keys(PREFIX)
    assert len(set(_per_user(keys, UID))) == len(_per_user(keys, UID))
    assert keys.timeline(1) != keys.timeline(2)
    assert keys.tweet(1) != keys.user(1)


@pytest.mark.parametrize("prefix", ["", "fl:", "test:abc:"])
def test_live_channel_follows_from_the_timeline_key(prefix: str) -> None:
    """The fan-out Lua script publishes to live_prefix .. key[len(prefix):]; that must be live_timeline."""
    keys = Keys(prefix)
    for uid in (0, 7, UID):
        assert keys.live_prefix + keys.timeline(uid)[len(prefix) :] == keys.live_timeline(uid)


def test_stream_group_is_fixed() -> None:
    assert Keys("a:").fanout_group == Keys("b:").fanout_group == FANOUT_GROUP


def test_queue_shard_names() -> None:
    """Shard 0 keeps the names of the single stream of earlier versions (an upgrade finds what was queued);
    every shard's queued marker shares its stream's slot (one function call sets both); checkpoints of the
    same message id in two shards are two keys."""
    keys = Keys(PREFIX)
    assert keys.fanout_stream(0) == f"{PREFIX}fanout"
    assert keys.fanout_progress(0, "1-0") == f"{PREFIX}fanout:progress:1-0"
    assert keys.fanout_queued(0, 7) == f"{PREFIX}fanout:queued:{{{PREFIX}fanout}}:7"
    assert len(set(keys.fanout_streams)) == FANOUT_SHARDS
    for shard, stream in enumerate(keys.fanout_streams):
        assert key_slot(keys.fanout_queued(shard, 7).encode()) == key_slot(stream.encode()), shard
    assert len({keys.fanout_progress(shard, "1-0") for shard in range(FANOUT_SHARDS)}) == FANOUT_SHARDS
    # The shards lie in different slots (on a cluster they spread over the nodes).
    assert len({key_slot(s.encode()) for s in keys.fanout_streams}) == FANOUT_SHARDS


def test_authors_spread_over_every_queue_shard() -> None:
    """Snowflake-like ids (a millisecond timestamp, a worker id, a sequence: low bits far from uniform) spread
    evenly over the shards; an author's shard never changes."""
    base = 60_000_000_000  # ms since the id epoch
    ids = [((base + ms) << TIME_SHIFT) | (7 << SEQUENCE_BITS) for ms in range(0, 40_000, 10)]  # sequence 0
    counts = [0] * FANOUT_SHARDS
    for uid in ids:
        counts[fanout_shard(uid)] += 1
    assert min(counts) > 0.8 * len(ids) / FANOUT_SHARDS, counts
    assert all(fanout_shard(uid) == fanout_shard(uid) for uid in ids[:10])
    assert {fanout_shard(u) for u in range(100)} == set(range(FANOUT_SHARDS))
