"""Liveness and readiness.

``/healthz`` answers as long as the process serves requests. ``/readyz`` checks the two backing services
and answers 503 naming whichever does not answer, so a load balancer (or a person) sees what is wrong.
"""

from __future__ import annotations

import asyncio

from neo4j import AsyncDriver
from starlette.requests import Request
from starlette.responses import JSONResponse

from fanout.client import RedisClient
from graph.driver import DATABASE

CHECK_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _redis_ok(redis: RedisClient) -> bool:
    try:
        return bool(await asyncio.wait_for(redis.ping(), CHECK_TIMEOUT_SECONDS))
    except Exception:
        return False


async def _neo4j_ok(driver: AsyncDriver) -> bool:
    try:
        await asyncio.wait_for(driver.execute_query("RETURN 1", database_=DATABASE), CHECK_TIMEOUT_SECONDS)
        return True
    except Exception:
        return False


async def readyz(request: Request) -> JSONResponse:
    redis_ok, neo4j_ok = await asyncio.gather(
        _redis_ok(request.app.state.redis), _neo4j_ok(request.app.state.neo4j)
    )
    checks = {"redis": "ok" if redis_ok else "down", "neo4j": "ok" if neo4j_ok else "down"}
    down = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "ready" if not down else "unavailable", "checks": checks, "down": down}
    return JSONResponse(body, status_code=200 if not down else 503)
