"""homeTimelineEvents: subscribe first, then replay from `after`, then live, with no duplicate at the seam."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, NoReturn, Protocol

import strawberry

from fanout import cursors
from fanout.batch import SharedReads
from fanout.live import cursor_for, decode_event
from graph.errors import ServiceUnavailable
from resolvers.types import FeedSource, TimelineEvent, TimelineEventKind, Tweet

if TYPE_CHECKING:
    from fanout.live import LiveWatch
    from fanout.pages import FeedEntry
    from fanout.service import FeedService
    from graph.records import TweetRecord


class SlowConsumer(Exception):
    """A live subscriber's queue overflowed: its connection should be closed (it resubscribes with `after`).

    Raised by the API's pub/sub hub (a LiveChannels) and handled here."""


class LiveSubscription(Protocol):
    """One subscriber's view of the process's pub/sub connection: its channels and its queue of messages."""

    async def get(self) -> tuple[str, bytes]:
        """The next (channel, message), or ("", b"") after a ``nudge``; raises SlowConsumer once the queue has
        overflowed."""
        ...

    def nudge(self) -> None:
        """Wake the reader: its next ``get`` returns ("", b"") (after the messages queued before it)."""
        ...

    async def add(self, channels: Iterable[str]) -> None: ...

    async def remove(self, channels: Iterable[str]) -> None: ...


class LiveChannels(Protocol):
    """What subscriptions need of the API's pub/sub hub (api.hub.LiveHub is the implementation)."""

    def subscriber(self, channels: Iterable[str] = ()) -> AbstractAsyncContextManager[LiveSubscription]: ...


CloseConnection = Callable[[int, str], Awaitable[None]]
"""Closes the subscriber's websocket connection with (code, reason)."""

REPLAY_BATCH = 100
# The timeline entries a subscription delivered last, so that one published again is not sent twice: the
# replay/live seam, and a timeline rebuilt after Redis lost it (the rebuild's concurrent fan-out re-adds an
# entry the client already has, and publishes it). Bounded: a subscription's memory must not grow with what
# it delivers; re-publications are of the newest entries.
RECENTLY_DELIVERED = 128

# One read per tweet id in flight, shared by every subscriber of the process that got the same event at the
# same moment (a post to 1,000 followers connected here was 1,000 identical cache reads).
_fresh_reads: SharedReads[tuple[int, int], TweetRecord | None] = SharedReads()


async def _fresh_tweet(service: FeedService, tweet_id: int) -> TweetRecord | None:
    async def load() -> TweetRecord | None:
        return (await service.tweets_by_ids([tweet_id])).get(tweet_id)

    return await _fresh_reads.read((id(service), tweet_id), load)


# How often a live subscription checks that its timeline still exists in Redis (see LiveStateLost).
LIVENESS_CHECK_S = 5.0


def next_liveness_check(now: float) -> float:
    """The next multiple of LIVENESS_CHECK_S on the monotonic clock: every subscription of the process checks
    at the same moments, so their checks share one Redis pipeline (FeedService.live_state_lost) instead of
    one round trip each, spread over time (a tenth of the API's CPU per delivered event with 1,000
    subscribers)."""
    return (math.floor(now / LIVENESS_CHECK_S) + 1) * LIVENESS_CHECK_S


class _Alarm:
    """One pending call at a time, at a time of the monotonic clock; cancelled when the subscription ends."""

    def __init__(self) -> None:
        self._handle: asyncio.TimerHandle | None = None

    def set(self, at: float, callback: Callable[[], None]) -> None:
        self.cancel()
        delay = max(0.0, at - time.monotonic())
        self._handle = asyncio.get_running_loop().call_later(delay, callback)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    @staticmethod
    @contextlib.asynccontextmanager
    async def held() -> AsyncIterator[_Alarm]:
        alarm = _Alarm()
        try:
            yield alarm
        finally:
            alarm.cancel()


LOST_CLOSE_REASON = "live state lost (Redis data loss); resubscribe with after"


class LiveStateLost(Exception):
    """The subscriber's timeline vanished from Redis (FLUSHALL...): its connection is closed with 1013."""


# "Try Again Later": the client could not keep up and should resubscribe with `after` (nothing is lost).
SLOW_CLOSE_CODE = 1013
SLOW_CLOSE_REASON = "too slow: live event queue overflowed; resubscribe with after"


async def _cut_off(close_connection: CloseConnection | None, reason: str, cause: Exception) -> NoReturn:
    """End a subscription with 1013 and ``reason`` (the client resumes with `after`): close its connection and
    wait to be cancelled by the protocol handler as the connection goes (returning would make it send
    `complete` on the closed socket). Without a connection (in-process execution): the stream's error."""
    if close_connection is None:
        raise ServiceUnavailable(reason) from cause
    await close_connection(SLOW_CLOSE_CODE, reason)
    await asyncio.Event().wait()
    raise AssertionError("cancelled before this")


async def timeline_events(
    service: FeedService,
    hub: LiveChannels,
    viewer_id: int,
    after: str | None,
    close_connection: CloseConnection | None = None,
) -> AsyncIterator[TimelineEvent]:
    """The viewer's events; a subscriber whose queue overflows gets its connection closed (code 1013 and a
    reason saying to resubscribe with `after`) instead of slowing everyone else down."""
    celebs = await service.prepare_live(viewer_id)
    watch = await service.watch_live(viewer_id)
    try:
        events = _events(service, hub, viewer_id, after, close_connection, celebs, watch)
        async with contextlib.aclosing(events):  # unsubscribed now, not whenever the generator is collected
            async for event in events:
                yield event
    finally:
        with contextlib.suppress(Exception):  # Redis may be the reason we stop; the mark expires anyway
            await service.unwatch_live(viewer_id, watch)


async def _events(
    service: FeedService,
    hub: LiveChannels,
    viewer_id: int,
    after: str | None,
    close_connection: CloseConnection | None,
    celebs: set[int],
    watch: LiveWatch,
) -> AsyncGenerator[TimelineEvent, None]:
    keys = service.keys
    channels = [keys.live_timeline(viewer_id), *(keys.live_author(c) for c in celebs)]
    async with hub.subscriber(channels) as sub, _Alarm.held() as alarm:
        # Subscribed before replaying: anything published from here on is queued, so nothing falls in a gap.
        # Every event carries the position delivered so far (cursors.resume): the newest id, and a position
        # in the viewer's live log up to which every live insert below that id was delivered. Resuming from
        # it replays the live inserts below the id published after that position (late ones: a fan-out
        # claimed from a killed worker inserts an older id after newer ones), in the order published; then
        # everything above the id, oldest first, whatever its position. So a client cut off anywhere in the
        # replay gets each entry once: a late insert's position covers the late ones before it, and an entry
        # above the id is only ever sent by id. Positions belong to a generation of the live log (see
        # Keys.live_generation), carried in the cursor and in every live insert: when Redis loses the live
        # state (FLUSHALL) the subscription is closed before it sends anything of the new generation.
        # The timeline entries (positions) sent last, oldest first: RECENTLY_DELIVERED at most.
        delivered: dict[int, None] = {}

        def remember(position: int) -> None:
            delivered[position] = None
            if len(delivered) > RECENTLY_DELIVERED:
                del delivered[next(iter(delivered))]

        # The viewer's own posts (published by the API at once, while fan-outs of older tweets may still be
        # under way) do not move the newest id: they are kept apart, above it, so that a resume after Redis
        # lost its live state (no log of what those fan-outs inserted late) replays those older tweets by id.
        own: list[int] = []
        generation = watch.generation
        newest, seq = 0, 0

        def advance(position: int) -> None:
            nonlocal newest, own
            newest = max(newest, position)
            own = [o for o in own if o > newest]

        def here(position: int) -> str:
            return cursors.resume(newest, position, generation, own)

        if after is not None:
            since, given, given_generation, resumed_own = cursors.parse_resume(after)
            own = [o for o in resumed_own if o > since]
            log = await service.live_log(viewer_id)
            if log.generation != generation:  # lost since the subscription began (the log is read after)
                await _cut_off(close_connection, LOST_CLOSE_REASON, LiveStateLost())
            # A position of another generation (Redis lost the live state since the cursor was given) means
            # nothing in this log, and the log's inserts below the id may be fan-outs done again of entries the
            # client got before the loss (the relay queues a job again once its queued marker is gone): only
            # what is above the id is replayed then, by id.
            same_log = given_generation in (None, generation)
            seq = given if given is not None and same_log else start_position(log.positions, since)
            newest = since
            # Published after the position; the cursor's id and own posts were delivered, whatever their position.
            missed = {
                t: p for t, p in log.positions.items() if p > seq and t != since and t not in resumed_own
            }
            top = max(missed.values(), default=seq)
            late_ids = [t for t in missed if t < since] if same_log else []
            late = await service.replay_live_inserts(viewer_id, sorted(late_ids, key=missed.__getitem__))

            def replayed_event(entry: FeedEntry, position: int) -> TimelineEvent:
                remember(entry.position)
                return TimelineEvent(
                    kind=TimelineEventKind.NEW,
                    tweet_id=strawberry.ID(str(entry.tweet.id)),
                    tweet=Tweet.of(entry.tweet),
                    cursor=here(position),
                    source=FeedSource(entry.source),
                    reposted_by_id=entry.reposted_by,
                )

            for entry in late:  # every late insert up to this one's position is delivered after it
                yield replayed_event(entry, missed[entry.position])
            cursor: str | None = after
            while cursor is not None:
                entries = await service.replay(viewer_id, cursor, REPLAY_BATCH)
                for entry in entries:
                    if entry.source == "SUGGESTED":
                        continue  # trending suggestions are never live events: a resume must not send them either
                    delivered_before = entry.position in own
                    advance(entry.position)
                    if delivered_before:
                        continue
                    # Every live insert below this id is delivered now; those above it come by id.
                    yield replayed_event(entry, top)
                cursor = entries[-1].cursor if len(entries) == REPLAY_BATCH else None
            seq = top
        # The liveness check is due at check_at: an alarm nudges the subscription then, instead of a timeout
        # around every wait for a message (one asyncio timeout per delivered event was a tenth of the API's
        # CPU per event).
        check_at = next_liveness_check(time.monotonic())
        alarm.set(check_at, sub.nudge)
        while True:
            try:
                if time.monotonic() >= check_at:
                    check_at = next_liveness_check(time.monotonic())
                    alarm.set(check_at, sub.nudge)
                    if await service.live_state_lost(viewer_id, watch):
                        raise LiveStateLost
                channel, data = await sub.get()
                if not channel:  # the alarm (a timer may fire a little early: set again for the rest)
                    if time.monotonic() < check_at:
                        alarm.set(check_at, sub.nudge)
                    continue
            except LiveStateLost as exc:
                # Redis lost the viewer's timeline: nothing is fanned out to it any more. The client resumes
                # with `after`; resubscribing rebuilds the timeline and replays what it missed.
                await _cut_off(close_connection, LOST_CLOSE_REASON, exc)
            except SlowConsumer as exc:
                # Why the hub cut it off: too slow, or its Redis connection failed or moved.
                await _cut_off(close_connection, str(exc)[:120] or SLOW_CLOSE_REASON, exc)
            event = decode_event(data)
            if event.generation is not None and event.generation != generation:
                # Published after Redis lost the live state: the rebuild put back entries with no event, and
                # this one's cursor would pass over those below it. Closed before it is sent; the resume
                # replays from the last cursor by id.
                await _cut_off(close_connection, LOST_CLOSE_REASON, LiveStateLost())
            if event.kind == "CELEBS_CHANGED":
                fresh = await service.followed_celebrities(viewer_id)
                await sub.add(keys.live_author(c) for c in fresh - celebs)
                await sub.remove(keys.live_author(c) for c in celebs - fresh)
                celebs = fresh
                continue
            if event.tweet_id is None:
                continue
            kind, source = TimelineEventKind(event.kind), FeedSource(event.source or "TIMELINE")
            if event.kind == "DELETED":
                delivered.pop(event.tweet_id, None)  # it may come back (an unmute puts it back): send it then
            if event.kind == "NEW":
                if event.tweet_id in delivered:  # sent already: by the replay (the seam), or published again
                    continue
                if event.seq is not None and event.seq <= seq:
                    continue  # published before the resume point: the client has it
                # Read fresh (not through the connection-long DataLoader) so counts are current.
                record = await _fresh_tweet(service, event.tweet_id)
                if record is None:  # deleted before we got to it; its DELETED event follows
                    continue
                # The feed's rules, as a read applies them: mutes and blocks, the replies rule, reposts shown
                # once (the entry shows the original, with who reposted it).
                found = await service.live_entry(
                    viewer_id, record, event.source or "TIMELINE", event.screened
                )
                if newest and event.author_id == viewer_id and event.seq is None and event.tweet_id > newest:
                    own.append(event.tweet_id)  # the viewer's own post: kept apart (see ``own``)
                    if len(own) > cursors.MAX_OWN:
                        advance(own[0])
                else:
                    advance(event.tweet_id)
                seq = max(seq, event.seq or 0)
                if found is None:
                    continue
                remember(event.tweet_id)
                tweet: Tweet | None = Tweet.of(found.tweet)
                shown, reposted_by = found.tweet.id, found.reposted_by
            elif event.original is not None:
                # A repost left the feed (unrepost, delete, a purge): what shows its original now? Nothing
                # changed if the original shows by itself or with an older repost; else the entry goes, and
                # the next repost it first appears with (if any) comes in its place, as a reload shows it.
                now = await service.shown_original(viewer_id, event.original)
                if now is not None and (now.reposted_by is None or now.position < event.tweet_id):
                    continue
                yield TimelineEvent(
                    kind=kind,
                    tweet_id=strawberry.ID(str(event.original)),
                    tweet=None,
                    cursor=here(seq) if newest else cursor_for(event.tweet_id),
                    source=source,
                )
                if now is None:
                    continue
                remember(now.position)
                advance(now.position)
                kind, source = TimelineEventKind.NEW, FeedSource(now.source)
                tweet, shown, reposted_by = Tweet.of(now.tweet), now.tweet.id, now.reposted_by
            else:
                tweet, shown, reposted_by = None, event.tweet_id, None
            yield TimelineEvent(
                kind=kind,
                tweet_id=strawberry.ID(str(shown)),
                tweet=tweet,
                cursor=here(seq) if newest else cursor_for(event.tweet_id),
                source=source,
                reposted_by_id=reposted_by,
            )


def start_position(log: dict[int, int], newest: int) -> int:
    """The live position a cursor without one (from homeTimeline) stands for: just before the first live
    insert above its id, or (none yet) after every live insert so far."""
    above = [position for tid, position in log.items() if tid > newest]
    return min(above) - 1 if above else max(log.values(), default=0)
