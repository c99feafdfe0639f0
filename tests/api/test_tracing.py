"""Traces with an in-memory exporter, against the real Redis and Neo4j: a GraphQL operation is a span with its
Redis and Neo4j calls as children, and the worker's fan-out of a post continues the post's trace from the
stream message. Also the JSON log lines carry the trace id. The API and the worker run in this process."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis
from neo4j import AsyncDriver
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from fanout.worker import FanoutWorker
from feedline.app import create_app, engine_config
from feedline.settings import Settings
from graph import telemetry
from ops.telemetry import JsonFormatter, setup_tracing, shutdown_tracing
from tests.api.gqlclient import in_process


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    assert setup_tracing("feedline-test", exporter=exporter) is not None
    try:
        yield exporter
    finally:
        shutdown_tracing()
        exporter.shutdown()


def descendants(root: ReadableSpan, finished: list[ReadableSpan]) -> list[ReadableSpan]:
    assert root.context is not None
    found, frontier = [], {root.context.span_id}
    while frontier:
        children = [s for s in finished if s.parent is not None and s.parent.span_id in frontier]
        found += children
        frontier = {s.context.span_id for s in children if s.context is not None}
    return found


def named(finished: list[ReadableSpan], prefix: str) -> list[ReadableSpan]:
    return [s for s in finished if s.name.startswith(prefix)]


async def test_post_is_traced_from_the_mutation_to_the_fan_out(
    spans: InMemorySpanExporter, settings: Settings, redis: aioredis.Redis, neo4j: AsyncDriver
) -> None:
    async with in_process(create_app(settings)) as client:
        author, follower = await client.sign_up(), await client.sign_up()
        await client.follow(follower, author)
        await client.home_ids(follower)  # builds the follower's timeline, so fan-out writes into it
        spans.clear()
        response = await client.http.post(
            "/graphql",
            json={
                "query": "mutation Post($t: String!) { postTweet(text: $t) { id } }",
                "variables": {"t": "hi"},
            },
            headers={"authorization": f"Bearer {author.token}"},
        )
        tweet_id = response.json()["data"]["postTweet"]["id"]

    worker = FanoutWorker(neo4j, redis, engine_config(settings), "trace-test", claim_min_idle_ms=0)
    await worker.ensure_group()
    assert await worker.drain() >= 1
    assert tweet_id in await client_home(settings, follower.token)

    finished = list(spans.get_finished_spans())
    [operation] = named(finished, "graphql mutation Post")
    assert operation.parent is None and operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "Post"
    children = descendants(operation, finished)
    assert any(s.attributes and s.attributes.get("db.system") == "neo4j" for s in children), children
    assert any(s.attributes and s.attributes.get("db.system") == "redis" for s in children), children

    [fanout] = named(finished, "fanout post")
    assert operation.context is not None and fanout.context is not None
    assert fanout.context.trace_id == operation.context.trace_id  # the worker continued the post's trace
    assert fanout.parent is not None and fanout.parent.span_id in {
        s.context.span_id for s in [operation, *children] if s.context
    }
    work = descendants(fanout, finished)
    assert any(s.attributes and s.attributes.get("db.system") == "neo4j" for s in work), (
        work
    )  # followers page
    assert any(s.attributes and s.attributes.get("db.system") == "redis" for s in work), (
        work
    )  # timeline writes


async def client_home(settings: Settings, token: str) -> list[str]:
    async with in_process(create_app(settings)) as client:
        data = await client.data("{ homeTimeline(first: 10) { edges { node { id } } } }", token)
    return [e["node"]["id"] for e in data["homeTimeline"]["edges"]]


async def test_off_means_no_spans_and_no_trace_in_messages(settings: Settings) -> None:
    """After shutdown_tracing (and in a process that never set it up) nothing creates spans: the exporter that
    stays attached to the process's provider receives nothing, and stream messages carry no traceparent."""
    exporter = InMemorySpanExporter()
    setup_tracing("feedline-test", exporter=exporter)
    shutdown_tracing()
    assert not telemetry.enabled()
    assert telemetry.trace_fields({"kind": "post"}) == {"kind": "post"}
    async with in_process(create_app(settings)) as client:
        account = await client.sign_up()
        await client.post_tweet(account, "untraced")
    assert exporter.get_finished_spans() == ()


def test_json_log_lines_carry_the_trace_id(spans: InMemorySpanExporter) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("feedline.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("outside")
        with telemetry.tracer().start_as_current_span("work") as span:
            logger.warning("inside %s", "a span")
    finally:
        logger.removeHandler(handler)
    outside, inside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert outside["message"] == "outside" and "trace_id" not in outside
    assert inside["level"] == "WARNING" and inside["message"] == "inside a span"
    assert inside["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert inside["logger"] == "feedline.test.json" and inside["time"].endswith("Z")
