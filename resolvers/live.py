"""homeTimelineEvents: subscribe first, then replay from `after`, then live, with no duplicate at the seam."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from fanout.live import cursor_for, decode_event
from resolvers.types import FeedSource, TimelineEvent, TimelineEventKind, Tweet

if TYPE_CHECKING:
    from api.hub import LiveHub
    from fanout.service import FeedService

REPLAY_BATCH = 100


async def timeline_events(
    service: FeedService, hub: LiveHub, viewer_id: int, after: str | None
) -> AsyncIterator[TimelineEvent]:
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
                replayed.add(entry.tweet.id)
                yield TimelineEvent(
                    kind=TimelineEventKind.NEW,
                    tweet_id=str(entry.tweet.id),  # type: ignore[arg-type]
                    tweet=Tweet(record=entry.tweet),
                    cursor=entry.cursor,
                    source=FeedSource(entry.source),
                )
            cursor = entries[-1].cursor if len(entries) == REPLAY_BATCH else None
        while True:
            _channel, data = await sub.get()
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
                record = (await service.tweets_by_ids([event.tweet_id])).get(event.tweet_id)
                if record is None:  # deleted before we got to it; its DELETED event follows
                    continue
                tweet: Tweet | None = Tweet(record=record)
            else:
                tweet = None
            yield TimelineEvent(
                kind=TimelineEventKind(event.kind),
                tweet_id=str(event.tweet_id),  # type: ignore[arg-type]
                tweet=tweet,
                cursor=cursor_for(event.tweet_id),
                source=FeedSource(event.source or "TIMELINE"),
            )
