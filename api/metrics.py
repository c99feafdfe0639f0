"""Prometheus metrics served at /metrics: the GraphQL ones (resolvers/metrics.py) plus live websocket
connections and the fan-out backlog, read from Redis at scrape time."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from resolvers.metrics import REGISTRY

LIVE_CONNECTIONS = Gauge("feedline_live_connections", "Open websocket connections.", registry=REGISTRY)
FANOUT_BACKLOG = Gauge("feedline_fanout_stream_length", "XLEN of the fan-out stream.", registry=REGISTRY)
FANOUT_PENDING = Gauge(
    "feedline_fanout_pending", "XPENDING count of the fan-out consumer group.", registry=REGISTRY
)
FANOUT_LAG = Gauge(
    "feedline_fanout_lag",
    "Fan-out messages not yet delivered to any worker (consumer group lag; the backlog when workers are "
    "down or behind). Backlog = lag + pending.",
    registry=REGISTRY,
)


async def metrics(request: Request) -> Response:
    state = request.app.state
    keys = state.feed_service.keys
    redis = state.redis
    stream, group = keys.fanout_stream, keys.fanout_group  # properties on fanout.keys.Keys
    FANOUT_BACKLOG.set(await redis.xlen(stream))
    try:
        pending = await redis.xpending(stream, group)
        FANOUT_PENDING.set(int(pending["pending"]))
    except Exception:  # no stream or group yet: nothing is pending
        FANOUT_PENDING.set(0)
    try:
        groups = {g["name"]: g for g in await redis.xinfo_groups(stream)}
        info = groups.get(group.encode())
        # No group yet (no worker ever started): everything in the stream is waiting.
        lag = info["lag"] if info is not None else await redis.xlen(stream)
        FANOUT_LAG.set(int(lag) if lag is not None else 0)
    except Exception:  # no stream yet
        FANOUT_LAG.set(0)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
