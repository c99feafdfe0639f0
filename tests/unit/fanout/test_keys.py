"""fanout/keys.py: every key carries the prefix, a user's keys share one Redis Cluster slot, and a timeline's
live channel is derivable from its key the way the fan-out script derives it."""

from __future__ import annotations

import pytest
from redis.crc import key_slot

from fanout.keys import FANOUT_GROUP, Keys

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
        keys.fanout_stream,
        keys.fanout_progress("1-0"),
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
