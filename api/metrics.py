"""Prometheus metrics served at /metrics: the GraphQL ones (resolvers/metrics.py) plus live websocket
connections and the fan-out backlog (every queue shard), read from Redis at scrape time."""

from __future__ import annotations

import contextlib
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from fanout.keys import Keys
from resolvers.metrics import REGISTRY

LIVE_CONNECTIONS = Gauge("feedline_live_connections", "Open websocket connections.", registry=REGISTRY)
FANOUT_BACKLOG = Gauge(
    "feedline_fanout_stream_length", "XLEN of the fan-out stream (summed over its shards).", registry=REGISTRY
)
FANOUT_PENDING = Gauge(
    "feedline_fanout_pending",
    "XPENDING count of the fan-out consumer group (summed over the stream's shards).",
    registry=REGISTRY,
)
FANOUT_LAG = Gauge(
    "feedline_fanout_lag",
    "Fan-out messages not yet delivered to any worker (consumer group lag, summed over the stream's shards; "
    "the backlog when workers are down or behind). Backlog = lag + pending.",
    registry=REGISTRY,
)


async def queue_counts(redis: Any, keys: Keys) -> tuple[int, int, int]:
    """(length, pending, lag) of the fan-out queue: each summed over its shards (fanout/keys.py)."""
    length = pending = lag = 0
    group = keys.fanout_group.encode()
    for stream in keys.fanout_streams:
        shard_length = int(await redis.xlen(stream))
        length += shard_length
        with contextlib.suppress(Exception):  # no stream or group yet: nothing is pending
            pending += int((await redis.xpending(stream, keys.fanout_group))["pending"])
        try:
            info = {g["name"]: g for g in await redis.xinfo_groups(stream)}.get(group)
        except Exception:  # no stream yet: nothing waits
            continue
        # No group yet (no worker ever started): everything in the shard is waiting.
        shard_lag = info["lag"] if info is not None else shard_length
        lag += int(shard_lag) if shard_lag is not None else 0
    return length, pending, lag


async def metrics(request: Request) -> Response:
    state = request.app.state
    length, pending, lag = await queue_counts(state.redis, state.feed_service.keys)
    FANOUT_BACKLOG.set(length)
    FANOUT_PENDING.set(pending)
    FANOUT_LAG.set(lag)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
