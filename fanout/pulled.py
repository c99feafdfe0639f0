"""The home feed pulled from Neo4j on every read: a benchmark's baseline, never the feed Feedline serves.

`feedline bench` starts one API process with FEEDLINE_FEED_MODE=pull (EngineConfig.feed_mode) so that
homeTimeline through the same HTTP and GraphQL path (authentication, limits, hydration of authors,
viewerHasLiked...) differs from the hybrid feed only in where the page comes from: the comparison is of the
feed strategies, not of one query against a whole request. The pages have the hybrid reader's shape and its
LATEST cursors (fanout/feed.py ``read_latest``), so both modes answer the same page for the same viewer.
"""

from __future__ import annotations

from neo4j import AsyncDriver

from fanout import cursors
from fanout.pages import FeedEntry, FeedOrder, FeedPage
from graph.errors import BadInput
from graph.pull import PullEntry, pull_home_entries


async def read_pulled(
    driver: AsyncDriver, viewer_id: int, first: int, after: str | None, order: FeedOrder
) -> FeedPage:
    """A LATEST page of the viewer's feed computed by ``pull_home_entries``. TOP is refused: its ranking and
    snapshot live in Redis with the hybrid feed, and the benchmark compares LATEST only."""
    if order != "LATEST":
        raise BadInput("order TOP is not served in pull mode (FEEDLINE_FEED_MODE=pull, a benchmark setting)")
    before = cursors.parse_latest(after) if after is not None else None
    window = await pull_home_entries(driver, viewer_id, before, first + 1)
    return FeedPage.of_window([_entry(e) for e in window], first, after)


def _entry(pulled: PullEntry) -> FeedEntry:
    """As the hybrid reader's ``_classify`` labels a stored entry: the cursor names the position (a repost's
    own id), which ``at`` repeats for a repost only. Everything pulled is what fan-out would have stored, so
    it is TIMELINE (pull knows no celebrity and no suggestion)."""
    repost = pulled.reposted_by is not None
    return FeedEntry(
        pulled.tweet,
        "TIMELINE",
        cursors.latest(pulled.position),
        reposted_by=pulled.reposted_by,
        at=pulled.position if repost else None,
    )
