"""No N+1: a home timeline page with authors and viewer flags costs the same few round trips at any size.

Runs the real ASGI app in-process (httpx ASGITransport, lifespan entered by hand) against the real Redis
and Neo4j, counting round trips where they leave the process: every Redis request written to a
connection (one per command, one per pipeline) and every Cypher statement run in Neo4j. On a Redis Cluster
a pipeline is one request per node it touches, sent at once and awaited together, so it counts once there
too: how many nodes a page's keys land on depends on where their slots fall (5 tweets on 2 nodes, 20 on
3), which is not a round trip more.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as aioredis
from neo4j import AsyncDriver, AsyncSession
from neo4j._async.work.transaction import AsyncTransactionBase
from redis.asyncio.cluster import ClusterPipeline
from redis.asyncio.connection import AbstractConnection

from feedline.app import create_app
from feedline.settings import Settings
from tests.api.gqlclient import Account, Gql, in_process

HOME = """
query Home($n: Int) {
  homeTimeline(first: $n) {
    edges {
      cursor source
      node {
        id text createdAt likeCount viewerHasLiked viewerHasReposted
        author { id handle displayName followerCount isCelebrity viewerFollows followsViewer }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@dataclass
class RoundTrips:
    redis: int = 0
    neo4j: int = 0
    counting: bool = False


@contextmanager
def counted(monkeypatch: pytest.MonkeyPatch, trips: RoundTrips) -> Any:
    """Count while the block runs (patches are undone by monkeypatch at the end of the test)."""

    # Set inside a cluster pipeline's execute: the tasks it gathers, one per node, copy the context when
    # they are created, so their requests are not counted again; other tasks running meanwhile are.
    in_cluster_pipeline: ContextVar[bool] = ContextVar("in_cluster_pipeline", default=False)

    def wrap(owner: type, name: str, bump: Callable[[], None], *, groups: bool = False) -> None:
        original = getattr(owner, name)

        async def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
            if trips.counting and not in_cluster_pipeline.get():
                bump()
            if not groups:
                return await original(self, *args, **kwargs)
            token = in_cluster_pipeline.set(True)
            try:
                return await original(self, *args, **kwargs)
            finally:
                in_cluster_pipeline.reset(token)

        monkeypatch.setattr(owner, name, counting)

    def bump_redis() -> None:
        trips.redis += 1

    def bump_neo4j() -> None:
        trips.neo4j += 1

    wrap(AbstractConnection, "send_packed_command", bump_redis)
    wrap(ClusterPipeline, "execute", bump_redis, groups=True)  # one round trip, however many nodes
    wrap(AsyncTransactionBase, "run", bump_neo4j)  # managed transactions, execute_query included
    wrap(AsyncSession, "run", bump_neo4j)  # auto-commit queries
    trips.counting = True
    try:
        yield trips
    finally:
        trips.counting = False


@pytest.fixture
async def app_client(settings: Settings, redis: aioredis.Redis, neo4j: AsyncDriver) -> AsyncIterator[Gql]:
    async with in_process(create_app(settings.model_copy(update={"celebrity_threshold": 2}))) as client:
        yield client


async def build_world(gql: Gql) -> Account:
    """A viewer following four ordinary authors (32 tweets) and a celebrity (6 tweets), with some likes and
    a repost."""
    viewer = await gql.sign_up()
    authors = [await gql.sign_up() for _ in range(4)]
    celeb, fan = await gql.sign_up(), await gql.sign_up()
    tweet_ids: list[str] = []
    for round_ in range(8):
        for author in authors:
            tweet_ids.append(await gql.post_tweet(author, f"{author.handle} {round_}"))
        if round_ % 4 != 3:
            tweet_ids.append(await gql.post_tweet(celeb, f"famous {round_}"))
    for author in [*authors, celeb]:
        await gql.follow(viewer, author)
    await gql.follow(fan, celeb)  # a second follower: celebrity
    await gql.follow(authors[0], viewer)  # one author follows back (followsViewer)
    for tweet_id in tweet_ids[-30::3]:
        await gql.data("mutation($id: ID!) { likeTweet(id: $id) { id } }", viewer.token, id=tweet_id)
    # One repost, of a tweet near the top: it sits just above its original, which shows by itself (the
    # repost entry is hidden and the merge finds the original on the page).
    await gql.data("mutation($id: ID!) { repost(id: $id) { id } }", viewer.token, id=tweet_ids[-3])
    return viewer


async def measure(
    gql: Gql,
    viewer: Account,
    first: int,
    monkeypatch: pytest.MonkeyPatch,
    redis: aioredis.Redis,
    prefix: str,
    *,
    cold: bool,
) -> tuple[RoundTrips, dict[str, Any]]:
    if cold:  # empty the tweet and user caches: every entry and author is a miss
        for pattern in (f"{prefix}tw:*", f"{prefix}u:*"):
            keys = [k async for k in redis.scan_iter(match=pattern, count=1000)]
            if keys:
                await redis.delete(*keys)
    trips = RoundTrips()
    with counted(monkeypatch, trips):
        body = await gql.data(HOME, viewer.token, n=first)
    return trips, body["homeTimeline"]


async def test_home_timeline_round_trips_do_not_grow_with_page_size(
    app_client: Gql, settings: Settings, redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer = await build_world(app_client)
    await app_client.data(HOME, viewer.token, n=20)  # the first read builds the timeline and sets
    results: dict[tuple[int, bool], RoundTrips] = {}
    for cold in (True, False):
        for first in (5, 20):
            trips, page = await measure(
                app_client, viewer, first, monkeypatch, redis, settings.key_prefix, cold=cold
            )
            results[(first, cold)] = trips
            edges = page["edges"]
            assert len(edges) == first and page["pageInfo"]["hasNextPage"] is True
            # The page really carries what is being counted.
            assert all(e["node"]["author"]["viewerFollows"] for e in edges)
            if first == 20:
                assert {e["source"] for e in edges} == {"TIMELINE", "CELEBRITY"}
                assert any(e["node"]["viewerHasLiked"] for e in edges)
                assert any(e["node"]["viewerHasReposted"] for e in edges)
                assert any(e["node"]["author"]["followsViewer"] for e in edges)
                assert any(e["node"]["author"]["isCelebrity"] for e in edges)
    summary = {f"first={k[0]} {'cold' if k[1] else 'warm'}": (v.redis, v.neo4j) for k, v in results.items()}
    print(f"round trips (redis, neo4j): {summary}")
    for cold in (True, False):
        small, large = results[(5, cold)], results[(20, cold)]
        assert (small.redis, small.neo4j) == (large.redis, large.neo4j), summary
    # Small and bounded: warm caches never touch Neo4j except for the follow-flag batch (viewerHasLiked and
    # viewerHasReposted come from the viewer's likes and reposts sets in Redis, fanout/viewer_flags.py; the
    # viewer's own repost in the page is of a tweet it shows by itself, so the merge asks Neo4j for no other
    # reposts of it).
    warm, cold_trips = results[(20, False)], results[(20, True)]
    # Measured with viewerHasReposted (one more Redis round trip: the reposts set): 9 warm, 11 cold, on one
    # server and on the 3-primary test cluster alike (a multi-node pipeline counting once).
    assert warm.neo4j <= 1 and warm.redis <= 10, summary
    assert cold_trips.neo4j <= 4 and cold_trips.redis <= 14, summary
