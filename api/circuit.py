"""Fail fast while a backing service is known to be down (issue 11, defect 5).

A request that fails because Redis or Neo4j is unreachable (a resolver's error, or a 503 from /graphql) trips
the circuit: a probe then pings both every half second with a short timeout, and while one of them refuses
connections (or has timed out three probes in a row) /graphql answers at once (HTTP 503 with
SERVICE_UNAVAILABLE; a websocket is accepted and closed with 1013 "try again later" and a reason) instead of
letting every client wait out the driver's retries and connection timeouts. The first probe that finds both
answering closes the circuit and stops probing, so nothing is probed while all is well. Other routes
(/readyz, /healthz, /metrics, the web client) are untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from neo4j import AsyncDriver
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fanout.backoff import Backoff
from fanout.client import RedisClient
from graph.driver import DATABASE
from resolvers.errors import BACKEND_DOWN_LISTENERS, UNAVAILABLE, UNAVAILABLE_MESSAGE
from resolvers.metrics import ERRORS

log = logging.getLogger("feedline.api.circuit")

PROBE_EVERY_S = 0.5
PROBE_TIMEOUT_S = 1.0
SLOW_PROBES_TO_OPEN = 3  # a backend that only times out counts as down after this many probes in a row
WS_CLOSE_CODE = 1013  # Try Again Later
WS_CLOSE_REASON = "service unavailable: a backing service is down; retry shortly"


class Circuit:
    """Which backing services the last probe could not reach (empty: all fine)."""

    def __init__(self, redis: RedisClient, driver: AsyncDriver) -> None:
        self._redis = redis
        self._driver = driver
        self.down: frozenset[str] = frozenset()
        self._task: asyncio.Task[None] | None = None
        self._slow: dict[str, int] = {}

    @property
    def open(self) -> bool:
        return bool(self.down)

    def start(self) -> None:
        """Listen for requests that failed on an unreachable backend (see ``trip``)."""
        BACKEND_DOWN_LISTENERS.add(self.trip)

    def trip(self) -> None:
        """A request failed because a backend is unreachable: probe until both answer again."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._probe_loop(), name="backend-probe")

    async def aclose(self) -> None:
        BACKEND_DOWN_LISTENERS.discard(self.trip)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def probe(self) -> frozenset[str]:
        async def redis_ok() -> bool:
            await asyncio.wait_for(self._redis.ping(), PROBE_TIMEOUT_S)
            return True

        async def neo4j_ok() -> bool:
            await asyncio.wait_for(
                self._driver.execute_query("RETURN 1", database_=DATABASE), PROBE_TIMEOUT_S
            )
            return True

        results = await asyncio.gather(redis_ok(), neo4j_ok(), return_exceptions=True)
        down = set()
        for name, result in zip(("redis", "neo4j"), results, strict=True):
            if result is True:
                self._slow[name] = 0
            elif isinstance(result, TimeoutError):
                # Slow is not down: a loaded machine (or a GC pause) must not fail requests that would work.
                self._slow[name] = self._slow.get(name, 0) + 1
                if self._slow[name] >= SLOW_PROBES_TO_OPEN:
                    down.add(name)
            else:  # refused, reset, unknown host...: down
                down.add(name)
        return frozenset(down)

    async def _probe_loop(self) -> None:
        backoff = Backoff(log, "backing services")
        self._slow.clear()
        while True:
            down = await self.probe()
            if down and down != self.down:
                backoff.failed(ConnectionError(f"unreachable: {', '.join(sorted(down))}"))
            self.down = down
            if not down and not any(self._slow.values()):
                backoff.ok()
                return  # all well: stop probing until the next trip
            await asyncio.sleep(PROBE_EVERY_S)


class FailFast:
    """ASGI middleware: /graphql while the app's circuit is open answers at once (see the module docstring)."""

    def __init__(self, app: ASGIApp, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        circuit: Circuit | None = None
        if scope["type"] in ("http", "websocket") and scope.get("path") == self.path:
            app = scope.get("app")
            circuit = getattr(getattr(app, "state", None), "circuit", None)
        if circuit is None or not circuit.open:
            if circuit is None or scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            watched = circuit

            async def watch(message: Message) -> None:
                if message["type"] == "http.response.start" and message["status"] == 503:
                    watched.trip()  # e.g. the token could not be resolved: Redis unreachable
                await send(message)

            await self.app(scope, receive, watch)
            return
        ERRORS.labels(code=UNAVAILABLE).inc()
        if scope["type"] == "http":
            body = {"errors": [{"message": UNAVAILABLE_MESSAGE, "extensions": {"code": UNAVAILABLE}}]}
            await JSONResponse(body, status_code=503, headers={"retry-after": "1"})(scope, receive, send)
            return
        # A websocket: accepted (with the client's first subprotocol) only to be closed with a code it can act
        # on; a refused handshake would reach the client as a bare 403/1006.
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        accept: dict[str, object] = {"type": "websocket.accept"}
        if scope.get("subprotocols"):
            accept["subprotocol"] = scope["subprotocols"][0]
        await send(accept)
        await send({"type": "websocket.close", "code": WS_CLOSE_CODE, "reason": WS_CLOSE_REASON})
