"""The ASGI application: one Redis client and one Neo4j driver per process, opened in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from api.bodylimit import BodyLimit
from api.circuit import Circuit, FailFast
from api.clientaddr import ClientAddress
from api.config import ApiConfig
from api.graphql_view import FeedlineGraphQL, build_feed_service
from api.health import healthz, readyz
from api.metrics import metrics
from api.persisted import PersistedDocuments
from api.static import TRUSTED_DOCUMENT_MANIFESTS, GuideCors, guide_origins, static_routes
from api.wsguard import GuardedLegacyWSHandler, GuardedTransportWSHandler
from fanout.client import open_redis
from graph.driver import open_driver
from graph.schema import apply_schema
from resolvers.limits import MAX_DOCUMENT_BYTES

log = logging.getLogger("feedline.api")

NEO4J_RETRY_S = 5.0
REDIS_POOL_SIZE = 256
REDIS_POOL_TIMEOUT_S = 10


def create_app(config: ApiConfig) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # A blocking pool: under a burst (64 concurrent requests, 1,000 websocket subscriptions starting) a
        # request waits for a connection instead of failing; redis-py's default pool raised
        # MaxConnectionsError past 100 connections, answered as SERVICE_UNAVAILABLE.
        app.state.redis = open_redis(
            config.redis_url, max_connections=REDIS_POOL_SIZE, pool_timeout_s=REDIS_POOL_TIMEOUT_S
        )
        # Short retries: a client is waiting, so an unreachable Neo4j answers SERVICE_UNAVAILABLE within
        # seconds instead of after the driver's default 30 s of retrying.
        app.state.neo4j = await open_driver(
            config.neo4j_uri,
            config.neo4j_user,
            config.neo4j_password,
            max_retry_s=NEO4J_RETRY_S,
            connection_timeout_s=NEO4J_RETRY_S,
        )
        try:
            await apply_schema(app.state.neo4j)
            build_feed_service(app.state, config)
            # The Functions library as this code knows it (a redeployed API may bring a new one). Best
            # effort: with Redis down the API still starts (and answers SERVICE_UNAVAILABLE); the first call
            # that finds the library missing loads it.
            try:
                await app.state.feed_service.ctx.store.load_functions()
            except RedisError as exc:
                log.warning("could not load the Redis Functions library at start (%r)", exc)
            app.state.circuit = Circuit(app.state.redis, app.state.neo4j)  # fail fast while one is down
            app.state.circuit.start()
            yield
        finally:
            if hasattr(app.state, "circuit"):
                await app.state.circuit.aclose()
            if hasattr(app.state, "hub"):
                await app.state.hub.aclose()
            if hasattr(app.state, "feed_service"):
                await app.state.feed_service.reader.drain()  # lastActiveAt writes under way
            await app.state.neo4j.close()
            await app.state.redis.aclose()

    graphql = FeedlineGraphQL(PersistedDocuments.from_manifests(TRUSTED_DOCUMENT_MANIFESTS))
    # Websocket sessions checked for their whole life and bounded (api/wsguard.py).
    graphql.graphql_transport_ws_handler_class = GuardedTransportWSHandler
    graphql.graphql_ws_handler_class = GuardedLegacyWSHandler
    graphql.connection_init_wait_timeout = timedelta(seconds=config.ws_init_timeout_seconds)
    graphql.max_subscriptions_per_connection = config.max_subscriptions_per_connection
    graphql.max_subscriptions_per_user = config.max_subscriptions_per_user  # type: ignore[attr-defined]
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        *static_routes(),  # last: `/{path}` catches client-side routes
    ]
    middleware = [
        # Outermost: the client address (trusted proxies only) and bodies bounded as they stream in.
        Middleware(ClientAddress, trusted_proxies=config.trusted_proxies),
        Middleware(BodyLimit, max_bytes=MAX_DOCUMENT_BYTES),
        # Then: answers the Neo4j Browser's preflight for the guide before CORSMiddleware refuses it.
        Middleware(GuideCors, origins=guide_origins(config.neo4j_http_port)),
        Middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["authorization", "content-type", "idempotency-key"],
        ),
        Middleware(FailFast),  # innermost: its 503s still carry the CORS headers
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
