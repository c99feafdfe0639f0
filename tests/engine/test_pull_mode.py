"""The bench-only pull mode (EngineConfig.feed_mode="pull") answers the hybrid feed's pages.

`feedline bench` compares the hybrid feed against pull through the same GraphQL path; that comparison means
something only if both answer the same page, cursors included (a cursor of one mode pages in the other).
No celebrity here: the hybrid feed labels a celebrity's tweets CELEBRITY where pull, which knows no
celebrity, says TIMELINE.
"""

from __future__ import annotations

import dataclasses

import pytest

from fanout.pages import FeedPage
from fanout.service import FeedService
from graph.errors import BadInput
from tests.engine.conftest import Factory


async def test_pull_mode_pages_equal_the_hybrid_pages(engine_factory: Factory) -> None:
    hybrid, worker = engine_factory(threshold=10)
    pull = FeedService(hybrid.driver, hybrid.redis, dataclasses.replace(hybrid.config, feed_mode="pull"))
    viewer, friend, other, stranger = [
        await hybrid.create_user(h, None, "hash") for h in ("viewer", "friend", "other", "stranger")
    ]
    await hybrid.follow(viewer.id, "friend")
    await hybrid.follow(viewer.id, "other")
    for i in range(8):
        await hybrid.post_tweet(friend.id, f"friend {i}")
        await hybrid.post_tweet(other.id, f"other {i}")
    await hybrid.post_tweet(viewer.id, "mine")
    # A repost of a tweet the viewer does not get by itself: the entry stands at the repost's own id (``at``)
    # with ``reposted_by``, and its cursor names that position.
    unseen = await hybrid.post_tweet(stranger.id, "from a stranger")
    await hybrid.repost(friend.id, unseen.id)
    await worker.drain()

    pages: dict[str, list[FeedPage]] = {"hybrid": [], "pull": []}
    for mode, service in (("hybrid", hybrid), ("pull", pull)):
        after = None
        for _ in range(2):
            page = await service.read_home(viewer.id, 10, after)
            pages[mode].append(page)
            after = page.end_cursor
    assert pages["pull"] == pages["hybrid"]
    first, second = pages["pull"]
    assert first.has_next_page and len(first.entries) == 10
    assert not second.has_next_page and len(second.entries) == 8  # 16 + mine + the repost
    reposted = [e for p in pages["pull"] for e in p.entries if e.reposted_by is not None]
    assert [(e.tweet.id, e.reposted_by) for e in reposted] == [(unseen.id, friend.id)]
    assert reposted[0].at is not None and reposted[0].at != unseen.id
    assert {e.source for p in pages["pull"] for e in p.entries} == {"TIMELINE"}


async def test_pull_mode_refuses_top(engine_factory: Factory) -> None:
    hybrid, _ = engine_factory()
    pull = FeedService(hybrid.driver, hybrid.redis, dataclasses.replace(hybrid.config, feed_mode="pull"))
    viewer = await hybrid.create_user("viewer", None, "hash")
    with pytest.raises(BadInput, match="not served in pull mode"):
        await pull.read_home(viewer.id, 10, None, "TOP")
