"""fanout/live.py: the live-event codec (what the worker publishes and the API's hub decodes)."""

from __future__ import annotations

import pytest

from fanout import cursors
from fanout.live import CELEBS_CHANGED, LiveEvent, cursor_for, decode_event, encode_event, tweet_event


def test_round_trips() -> None:
    for event in (
        LiveEvent("NEW", 2**53 - 1, 7, "TIMELINE"),
        LiveEvent("DELETED", 5, 2**52, "CELEBRITY"),
        LiveEvent("NEW", 6, 7, "TIMELINE", original=3),  # a repost: the original its entry shows
        LiveEvent("CELEBS_CHANGED"),
    ):
        assert decode_event(encode_event(event)) == event
    assert decode_event(CELEBS_CHANGED) == LiveEvent("CELEBS_CHANGED")
    assert decode_event(tweet_event("NEW", 1, 2, "TIMELINE")) == LiveEvent("NEW", 1, 2, "TIMELINE")


def test_a_live_insert_carries_its_position_and_generation() -> None:
    # What fanout/functions.py appends to the payload of a logged insert (and the own insert: gen alone).
    logged = tweet_event("NEW", 1, 2, "TIMELINE")[:-1] + b',"seq":17,"gen":1764000000000001}'
    assert decode_event(logged) == LiveEvent("NEW", 1, 2, "TIMELINE", seq=17, generation=1764000000000001)
    own = tweet_event("NEW", 1, 2, "TIMELINE")[:-1] + b',"gen":5}'
    assert decode_event(own) == LiveEvent("NEW", 1, 2, "TIMELINE", generation=5)


def test_a_screened_insert_says_so_and_nothing_else_counts_as_screened() -> None:
    logged = tweet_event("NEW", 1, 2, "TIMELINE")[:-1] + b',"seq":17,"gen":5,"screened":true}'
    assert decode_event(logged) == LiveEvent("NEW", 1, 2, "TIMELINE", seq=17, generation=5, screened=True)
    for other in (b'"screened":1', b'"screened":"true"', b'"screened":false'):
        event = decode_event(tweet_event("NEW", 1, 2, "TIMELINE")[:-1] + b"," + other + b"}")
        assert not event.screened


def test_ids_travel_as_strings() -> None:
    """53-bit ids stay exact in any JSON reader (a JavaScript number would too, a float32 would not)."""
    assert b'"tweet_id":"9007199254740991"' in tweet_event("NEW", 2**53 - 1, 1, "TIMELINE")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"[]",
        b'{"kind":"NEW"}',
        b'{"kind":"NEW","tweet_id":"1","author_id":"2","source":"X"}',
        b'{"kind":"NEW","tweet_id":"1","author_id":"2","source":"TIMELINE","gen":"5"}',
        b'{"kind":"NEW","tweet_id":"1","author_id":"2","source":"TIMELINE","seq":-1}',
    ],
)
def test_anything_else_is_refused(data: bytes) -> None:
    with pytest.raises((ValueError, KeyError)):
        decode_event(data)


def test_resume_cursor_is_the_feeds() -> None:
    assert cursor_for(42) == cursors.latest(42)
