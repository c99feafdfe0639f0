from __future__ import annotations

from fanout.service import FeedService
from fanout.worker import FanoutWorker


async def test_post_fanout_read(engine: tuple[FeedService, FanoutWorker]) -> None:
    svc, worker = engine
    a = await svc.create_user("alice", None, "h")
    b = await svc.create_user("bob", None, "h")
    await svc.follow(b.id, "alice")
    page = await svc.read_home(b.id, 10, None)
    assert page.entries == [] or all(e.source == "SUGGESTED" for e in page.entries)
    t = await svc.post_tweet(a.id, "hello")
    await worker.drain()
    page = await svc.read_home(b.id, 10, None)
    assert [(e.tweet.id, e.source) for e in page.entries] == [(t.id, "TIMELINE")]
