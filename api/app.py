"""The ASGI application: one Redis client and one Neo4j driver per process, opened in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.routing import Route

from api.health import healthz, readyz
from feedline.settings import Settings
from graph.driver import open_driver
from graph.schema import apply_schema


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.redis = aioredis.Redis.from_url(settings.redis_url, decode_responses=False)
        app.state.neo4j = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
        try:
            await apply_schema(app.state.neo4j)
            yield
        finally:
            await app.state.neo4j.close()
            await app.state.redis.aclose()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
