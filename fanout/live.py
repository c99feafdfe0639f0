"""Live events: the JSON published on ``live:tl:{uid}`` and ``live:author:{uid}`` (INTERFACE.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import orjson

from fanout import cursors

LiveKind = Literal["NEW", "DELETED", "CELEBS_CHANGED"]
LiveSource = Literal["TIMELINE", "CELEBRITY"]


@dataclass(frozen=True)
class LiveEvent:
    kind: LiveKind
    tweet_id: int | None = None
    author_id: int | None = None
    source: LiveSource | None = None
    seq: int | None = None  # the event's position in the follower's live log (fan-out inserts only)
    original: int | None = None  # a repost's original (the tweet its feed entry shows)
    generation: int | None = None  # the follower's live log generation (inserts; see Keys.live_generation)
    # A fan-out insert whose follower's hidden set (mu:) was built and does not hold the author: the author was
    # neither muted nor blocked when it was published, so the subscriber need not ask Redis again.
    screened: bool = False


@dataclass(frozen=True)
class LiveLog:
    """A follower's live log as a resume reads it: tweet id -> live position, and the log's generation (None:
    there is none, Redis lost it)."""

    generation: int | None
    positions: dict[int, int]


@dataclass(frozen=True)
class LiveWatch:
    """A running subscription's hold on its Redis state: its watch mark's token and the live log generation
    it started in (FeedService.watch_live / live_state_lost)."""

    token: str
    generation: int


def encode_event(event: LiveEvent) -> bytes:
    if event.kind == "CELEBS_CHANGED":
        return orjson.dumps({"kind": event.kind})
    raw = {
        "kind": event.kind,
        "tweet_id": str(event.tweet_id),
        "author_id": str(event.author_id),
        "source": event.source,
    }
    if event.original is not None:
        raw["original"] = str(event.original)
    return orjson.dumps(raw)


def tweet_event(
    kind: Literal["NEW", "DELETED"],
    tweet_id: int,
    author_id: int,
    source: LiveSource,
    original: int | None = None,
) -> bytes:
    return encode_event(LiveEvent(kind, tweet_id, author_id, source, original=original))


CELEBS_CHANGED = encode_event(LiveEvent("CELEBS_CHANGED"))


def decode_event(data: bytes | str) -> LiveEvent:
    """Parse a published event; raises ValueError on anything that is not one."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValueError("not a live event") from exc
    if not isinstance(raw, dict):
        raise ValueError("not a live event")
    kind = raw.get("kind")
    if kind == "CELEBS_CHANGED":
        return LiveEvent("CELEBS_CHANGED")
    if kind not in ("NEW", "DELETED") or raw.get("source") not in ("TIMELINE", "CELEBRITY"):
        raise ValueError("not a live event")
    seq, generation = raw.get("seq"), raw.get("gen")
    for number in (seq, generation):
        if number is not None and (not isinstance(number, int) or number < 0):
            raise ValueError("not a live event")
    original = raw.get("original")
    return LiveEvent(
        kind, int(raw["tweet_id"]), int(raw["author_id"]), raw["source"], seq,
        None if original is None else int(original), generation, raw.get("screened") is True,
    )  # fmt: skip


def cursor_for(tweet_id: int) -> str:
    """The LATEST cursor of a tweet, as read_home returns it (for subscription resume)."""
    return cursors.latest(tweet_id)
