"""Post, fan out, read: the tweet reaches a warm follower's stored timeline through the worker."""

from __future__ import annotations

from fanout.service import FeedService
from fanout.worker import FanoutWorker


async def test_post_fanout_read(engine: tuple[FeedService, FanoutWorker]) -> None:
    svc, worker = engine  # trending suggestions off: nothing reaches the feed but the timeline
    a = await svc.create_user("alice", None, "h")
    b = await svc.create_user("bob", None, "h")
    await svc.follow(b.id, "alice")
    assert (await svc.read_home(b.id, 10, None)).entries == []  # bob's timeline exists now (a warm user)
    t = await svc.post_tweet(a.id, "hello")
    stored = svc.ctx.store.read_below
    assert await stored(svc.keys.timeline(b.id), None, 10) == [], (
        "only the worker writes followers' timelines"
    )
    await worker.drain()
    assert await stored(svc.keys.timeline(b.id), None, 10) == [t.id]
    page = await svc.read_home(b.id, 10, None)
    assert [(e.tweet.id, e.source) for e in page.entries] == [(t.id, "TIMELINE")]
