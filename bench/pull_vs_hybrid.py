"""homeTimeline served by the hybrid feed against the same request served by pull (issue 13, goal 5).

The in-process comparison (bench/reads.py) sets FeedService.read_home against one Neo4j query, in a world
of 20 tweets per author: it leaves out everything a request costs besides the feed, and a small world
flatters pull. Here both sides are the same homeTimeline request over HTTP to a `feedline serve` process:
one of the bench's own (hybrid) and one started with FEEDLINE_FEED_MODE=pull (fanout/pulled.py), so
authentication, GraphQL execution, hydration of authors and viewerHasLiked are the same code and only the
feed strategy differs. The world is the issue's: up to 400 followed authors with 200 tweets each (80,000
tweets), so for a viewer following K accounts pull reads through K x 200 tweets on every request.

Before timing, each viewer's hybrid timeline is built (its first read rebuilds it from Neo4j) and both sides
answer a few untimed requests; then the two pages must be equal, edge for edge, so that the timings are of
the same answer. A difference fails the scenario: the report lists it instead of a speedup.
"""

from __future__ import annotations

import json
from typing import Any

from neo4j import AsyncDriver
from redis.asyncio import Redis

from auth.tokens import TokenStore
from bench.api_scenarios import ApiProcesses, HttpPool, _body, home_op, home_request
from bench.stats import interleaved
from bench.world import World

TWEETS_PER_AUTHOR = 200
PAGE = 20  # the page of `_body()`, as in the other homeTimeline scenarios
WARM_UP = 5  # untimed requests per side and viewer (connections, caches, Neo4j's query plan)
PULL_WORKER_ID = 950  # the pull process's snowflake worker id: clear of the bench's other API processes


def _edges(payload: bytes) -> list[dict[str, Any]]:
    edges: list[dict[str, Any]] = json.loads(payload)["data"]["homeTimeline"]["edges"]
    return edges


def _same_page(follows: int, hybrid: list[dict[str, Any]], pull: list[dict[str, Any]]) -> None:
    """Both modes answered the same full page (cursors, sources and nodes), else the timings compare two
    different answers and the scenario fails."""
    if len(hybrid) != PAGE or hybrid != pull:
        ids = {side: [e["node"]["id"] for e in edges] for side, edges in (("hybrid", hybrid), ("pull", pull))}
        raise RuntimeError(
            f"at {follows} follows the hybrid and pull pages differ (or are not full): node ids {ids}"
        )


async def measure(
    hybrid: ApiProcesses,
    driver: AsyncDriver,
    redis: Redis,
    *,
    follow_counts: list[int],
    repetitions: int,
    budget_s: float,
    say: Any,
) -> dict[str, Any]:
    """Sequential homeTimeline p50/p99 per follow count against ``hybrid``'s first API process and against a
    pull-mode process started here with the same settings (key prefix, so the same bearer tokens)."""
    say(f"hybrid vs pull: {max(follow_counts)} authors x {TWEETS_PER_AUTHOR} tweets")
    viewers = await World(driver).follow_ladder(follow_counts, TWEETS_PER_AUTHOR)
    tokens = TokenStore(redis, hybrid.key_prefix, 24 * 3600)
    pull = ApiProcesses(
        hybrid.settings, hybrid.key_prefix, hybrid.celebrity_threshold,
        worker_id_base=PULL_WORKER_ID, feed_mode="pull", worker=False,
    )  # fmt: skip
    pools: dict[str, HttpPool] = {}
    body = _body(PAGE)
    rows: list[dict[str, Any]] = []
    try:
        say("hybrid vs pull: starting a pull-mode API process")
        await pull.start()
        # One process a side: sequential requests keep one connection anyway, and say which process served.
        pools = {"hybrid": HttpPool(hybrid.base_urls[:1]), "pull": HttpPool(pull.base_urls)}
        for viewer, follows in zip(viewers, follow_counts, strict=True):
            say(f"hybrid vs pull: {follows} follows")
            token = await tokens.issue(viewer)
            ops = {side: home_op(pool, body, token) for side, pool in pools.items()}
            for _ in range(WARM_UP):  # the hybrid side's first read rebuilds the viewer's timeline
                for op in ops.values():
                    await op()
            hybrid_page = _edges(await home_request(pools["hybrid"], body, token))
            _same_page(follows, hybrid_page, _edges(await home_request(pools["pull"], body, token)))
            # In turn (one hybrid request, one pull request), within twice the budget of one side.
            latency = await interleaved(ops, repetitions, 2 * budget_s)
            rows.append(
                {
                    "follows": follows,
                    "followed_tweets": follows * TWEETS_PER_AUTHOR,
                    **{side: lat.as_dict() for side, lat in latency.items()},
                    "speedup_p50": latency["pull"].p50_ms / latency["hybrid"].p50_ms,
                    "speedup_p99": latency["pull"].p99_ms / latency["hybrid"].p99_ms,
                }
            )
    finally:
        for pool in pools.values():
            pool.close()
        pull.stop()
    return {"tweets_per_author": TWEETS_PER_AUTHOR, "page": PAGE, "rows": rows}
