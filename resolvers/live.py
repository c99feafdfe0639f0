"""homeTimelineEvents: subscribe first, then replay from `after`, then live, with no duplicate at the seam."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol

import strawberry

from fanout.live import cursor_for, decode_event
from graph.errors import ServiceUnavailable
from resolvers.types import FeedSource, TimelineEvent, TimelineEventKind, Tweet

if TYPE_CHECKING:
    from fanout.service import FeedService
    from graph.records import TweetRecord


class SlowConsumer(Exception):
    """A live subscriber's queue overflowed: its connection should be closed (it resubscribes with `after`).

    Raised by the API's pub/sub hub (a LiveChannels) and handled here."""


class LiveSubscription(Protocol):
    """One subscriber's view of the process's pub/sub connection: its channels and its queue of messages."""

    async def get(self) -> tuple[str, bytes]:
        """The next (channel, message); raises SlowConsumer once the queue has overflowed."""
        ...

    async def add(self, channels: Iterable[str]) -> None: ...

    async def remove(self, channels: Iterable[str]) -> None: ...


class LiveChannels(Protocol):
    """What subscriptions need of the API's pub/sub hub (api.hub.LiveHub is the implementation)."""

    def subscriber(self, channels: Iterable[str] = ()) -> AbstractAsyncContextManager[LiveSubscription]: ...


CloseConnection = Callable[[int, str], Awaitable[None]]
"""Closes the subscriber's websocket connection with (code, reason)."""

REPLAY_BATCH = 100

# One read per tweet id in flight, shared by every subscriber of the process that got the same event at the
# same moment (a post to 1,000 followers connected here was 1,000 identical cache reads).
_inflight: dict[tuple[int, int], asyncio.Future[TweetRecord | None]] = {}


async def _fresh_tweet(service: FeedService, tweet_id: int) -> TweetRecord | None:
    key = (id(service), tweet_id)
    future = _inflight.get(key)
    if future is None:

        async def load() -> TweetRecord | None:
            return (await service.tweets_by_ids([tweet_id])).get(tweet_id)

        future = asyncio.ensure_future(load())
        _inflight[key] = future
        future.add_done_callback(lambda _: _inflight.pop(key, None))
    return await asyncio.shield(future)


# How often a live subscription checks that its timeline still exists in Redis (see LiveStateLost).
LIVENESS_CHECK_S = 5.0
LOST_CLOSE_REASON = "live state lost (Redis data loss); resubscribe with after"


class LiveStateLost(Exception):
    """The subscriber's timeline vanished from Redis (FLUSHALL...): its connection is closed with 1013."""


# "Try Again Later": the client could not keep up and should resubscribe with `after` (nothing is lost).
SLOW_CLOSE_CODE = 1013
SLOW_CLOSE_REASON = "too slow: live event queue overflowed; resubscribe with after"


async def timeline_events(
    service: FeedService,
    hub: LiveChannels,
    viewer_id: int,
    after: str | None,
    close_connection: CloseConnection | None = None,
) -> AsyncIterator[TimelineEvent]:
    """The viewer's events; a subscriber whose queue overflows gets its connection closed (code 1013 and a
    reason saying to resubscribe with `after`) instead of slowing everyone else down."""
    keys = service.keys
    celebs = await service.prepare_live(viewer_id)
    channels = [keys.live_timeline(viewer_id), *(keys.live_author(c) for c in celebs)]
    async with hub.subscriber(channels) as sub:
        # Subscribed before replaying: anything published from here on is queued, so nothing falls in a gap.
        replayed: set[int] = set()
        cursor = after
        while cursor is not None:
            entries = await service.replay(viewer_id, cursor, REPLAY_BATCH)
            for entry in entries:
                if entry.source == "SUGGESTED":
                    continue  # trending suggestions are never live events: a resume must not send them either
                replayed.add(entry.tweet.id)
                yield TimelineEvent(
                    kind=TimelineEventKind.NEW,
                    tweet_id=strawberry.ID(str(entry.tweet.id)),
                    tweet=Tweet(record=entry.tweet),
                    cursor=entry.cursor,
                    source=FeedSource(entry.source),
                )
            cursor = entries[-1].cursor if len(entries) == REPLAY_BATCH else None
        check_at = time.monotonic() + LIVENESS_CHECK_S
        while True:
            try:
                if time.monotonic() >= check_at:
                    check_at = time.monotonic() + LIVENESS_CHECK_S
                    if await service.live_state_lost(viewer_id):
                        raise LiveStateLost
                try:
                    _channel, data = await asyncio.wait_for(sub.get(), max(0.0, check_at - time.monotonic()))
                except TimeoutError:
                    continue
            except LiveStateLost as exc:
                # Redis lost the viewer's timeline: nothing is fanned out to it any more. The client resumes
                # with `after`; resubscribing rebuilds the timeline and replays what it missed.
                if close_connection is None:
                    raise ServiceUnavailable(LOST_CLOSE_REASON) from exc
                await close_connection(SLOW_CLOSE_CODE, LOST_CLOSE_REASON)
                await asyncio.Event().wait()
            except SlowConsumer as exc:
                if close_connection is None:
                    raise ServiceUnavailable(SLOW_CLOSE_REASON) from exc
                await close_connection(SLOW_CLOSE_CODE, SLOW_CLOSE_REASON)
                # Wait to be cancelled by the protocol handler as the connection goes (returning would make
                # it send `complete` on the closed socket).
                await asyncio.Event().wait()
            event = decode_event(data)
            if event.kind == "CELEBS_CHANGED":
                fresh = await service.followed_celebrities(viewer_id)
                await sub.add(keys.live_author(c) for c in fresh - celebs)
                await sub.remove(keys.live_author(c) for c in celebs - fresh)
                celebs = fresh
                continue
            if event.tweet_id is None:
                continue
            if event.kind == "NEW":
                if event.tweet_id in replayed:  # already delivered by the replay (the seam)
                    replayed.discard(event.tweet_id)
                    continue
                # Read fresh (not through the connection-long DataLoader) so counts are current.
                record = await _fresh_tweet(service, event.tweet_id)
                if record is None:  # deleted before we got to it; its DELETED event follows
                    continue
                tweet: Tweet | None = Tweet(record=record)
            else:
                tweet = None
            yield TimelineEvent(
                kind=TimelineEventKind(event.kind),
                tweet_id=strawberry.ID(str(event.tweet_id)),
                tweet=tweet,
                cursor=cursor_for(event.tweet_id),
                source=FeedSource(event.source or "TIMELINE"),
            )
