"""Two API processes and one worker sharing only Redis and Neo4j, as in production.

A subscriber on one API process receives what is posted through the other (fan-out by the worker for an
ordinary author, `live:author:` for a celebrity); both processes can post at the same time without id
clashes (distinct snowflake worker ids); `/metrics` of a real process shows what operators need.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from fanout.client import open_redis
from feedline.settings import Settings
from graph.ids import MAX_WORKER, SEQUENCE_BITS
from tests.api.conftest import CELEBRITY_THRESHOLD
from tests.api.gqlclient import (
    GENEROUS_LIMITS,
    Account,
    Gql,
    WsClient,
    api_settings,
    delete_prefix,
    eventually,
    until_all,
)
from tests.support.processes import Proc, running, start_api, start_worker


@dataclass
class Cluster:
    settings: Settings
    api1: Proc
    api2: Proc
    worker: Proc


@pytest.fixture(scope="module")
def cluster(test_settings: Settings) -> Iterator[Cluster]:
    settings = api_settings(test_settings, celebrity_threshold=CELEBRITY_THRESHOLD)
    procs: list[Proc] = []
    try:
        procs.append(start_api(settings, port=None, FEEDLINE_WORKER_ID="2", **GENEROUS_LIMITS))
        procs.append(start_api(settings, port=None, FEEDLINE_WORKER_ID="3", **GENEROUS_LIMITS))
        procs.append(start_worker(settings))
    except BaseException:
        for proc in procs:
            proc.stop()
        raise
    with running(*procs):
        yield Cluster(settings, *procs)
        for proc in procs:
            assert proc.alive(), proc.output()[-4000:]
    delete_prefix(settings)


@pytest.fixture
async def clients(cluster: Cluster) -> AsyncIterator[tuple[Gql, Gql]]:
    assert cluster.api1.base_url and cluster.api2.base_url
    one, two = Gql(cluster.api1.base_url), Gql(cluster.api2.base_url)
    try:
        yield one, two
    finally:
        await one.aclose()
        await two.aclose()


async def live_on(gql: Gql, viewer: Account) -> tuple[WsClient, str]:
    """A subscription on ``gql``'s process, known to be live (its replay of a fresh tweet arrived)."""
    await gql.post_tweet(viewer, "older")
    probe = await gql.post_tweet(viewer, "probe")
    edges = (await gql.data("{ homeTimeline(first: 10) { edges { cursor node { id } } } }", viewer.token))[
        "homeTimeline"
    ]["edges"]
    ids = [e["node"]["id"] for e in edges]
    after = edges[ids.index(probe) + 1]["cursor"]
    ws = await WsClient.open(gql.base_url, viewer.token)
    op = await ws.subscribe(variables={"after": after})
    await ws.events_until(op, lambda e: e["tweetId"] == probe)
    return ws, op


async def test_subscriber_on_one_process_gets_posts_made_through_the_other(
    clients: tuple[Gql, Gql], cluster: Cluster
) -> None:
    one, two = clients
    viewer, ordinary, celeb, fan = [await one.sign_up() for _ in range(4)]
    await two.follow(viewer, ordinary)  # follows through process 2 as well
    await two.follow(viewer, celeb)
    await one.follow(fan, celeb)
    redis = open_redis(cluster.settings.redis_url)
    try:

        async def celebrity_mode() -> bool:
            return bool(await redis.sismember(f"{cluster.settings.key_prefix}celebmode", celeb.id))

        await eventually(celebrity_mode, what="the celebrity switch")
    finally:
        await redis.aclose()

    ws, op = await live_on(one, viewer)
    try:
        plain = await two.post_tweet(ordinary, "through process 2")
        famous = await two.post_tweet(celeb, "famous, through process 2")
        events = await ws.events_until(op, until_all("NEW", {plain, famous}))
        sources = {e["tweetId"]: e["source"] for e in events}
        assert (sources[plain], sources[famous]) == ("TIMELINE", "CELEBRITY")
        await two.delete_tweet(ordinary, plain)
        await ws.events_until(op, until_all("DELETED", {plain}))
        # /metrics of process 1 while its websocket is open.
        metrics = (await one.http.get("/metrics")).text
        assert "feedline_live_connections 1.0" in metrics
    finally:
        await ws.close()


async def test_both_processes_post_concurrently_without_id_clashes(clients: tuple[Gql, Gql]) -> None:
    one, two = clients
    author = await one.sign_up()
    texts = [f"burst {i}" for i in range(40)]
    ids = await asyncio.gather(
        *((one if i % 2 else two).post_tweet(author, text) for i, text in enumerate(texts))
    )
    assert len(set(ids)) == len(texts)
    # Each process stamps its own snowflake worker id (FEEDLINE_WORKER_ID), so ids cannot clash.
    workers = {(i % 2, (int(tid) >> SEQUENCE_BITS) & MAX_WORKER) for i, tid in enumerate(ids)}
    assert workers == {(1, 2), (0, 3)}
    count = await two.data("query($h: String!) { user(handle: $h) { tweetCount } }", h=author.handle)
    assert count == {"user": {"tweetCount": len(texts)}}


def metric(text: str, name: str) -> float:
    return next(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


async def test_metrics_of_a_real_process(clients: tuple[Gql, Gql], cluster: Cluster) -> None:
    one, _ = clients
    me = await one.sign_up()
    await one.post_tweet(me, "something to fan out")
    await one.data("query HomeProbe { homeTimeline(first: 3) { edges { cursor } } }", me.token)
    assert await one.codes('query Nope { tweet(id: "x") { id } }') == ["BAD_USER_INPUT"]
    assert await one.codes("query Anon { suggestedUsers { id } }") == ["UNAUTHENTICATED"]
    before = (await one.http.get("/metrics")).text
    assert (await one.http.post("/graphql", content=b"{not json")).status_code == 400
    assert await one.codes("{ viewer { ") == ["BAD_USER_INPUT"]  # a parse error
    response = await one.http.get("/metrics")
    assert response.status_code == 200
    text = response.text
    for needle in (
        'feedline_graphql_request_seconds_bucket{le="0.005",operation="HomeProbe"}',
        'feedline_graphql_request_seconds_count{operation="HomeProbe"}',
        'feedline_graphql_errors_total{code="BAD_USER_INPUT"}',
        'feedline_graphql_errors_total{code="UNAUTHENTICATED"}',
        "feedline_live_connections",
        "feedline_fanout_stream_length",
        "feedline_fanout_pending",
        "feedline_fanout_lag",
    ):
        assert needle in text, needle
    # Transport-level refusals and parse errors are counted too.
    assert metric(text, 'feedline_graphql_errors_total{code="BAD_USER_INPUT"}') == 2 + metric(
        before, 'feedline_graphql_errors_total{code="BAD_USER_INPUT"}'
    )
    backlog = next(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("feedline_fanout_stream_length ")
    )
    assert backlog >= 1  # the post above is in the stream

    async def drained() -> bool:
        text = (await one.http.get("/metrics")).text
        return "feedline_fanout_lag 0.0" in text and "feedline_fanout_pending 0.0" in text

    await eventually(drained, what="the worker to drain the stream (lag and pending 0 on /metrics)")
