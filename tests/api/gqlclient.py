"""Small GraphQL clients for functional tests: HTTP (httpx) and websockets (graphql-transport-ws, graphql-ws).

Everything waits on events with a deadline (never a bare sleep): a missing event fails the test with what
was received so far.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from feedline.settings import Settings
from tests.support.redis_sync import open_sync_redis

PASSWORD = "correct horse battery"
EVENT_TIMEOUT_S = 10.0

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"

# Settings of API processes started by these tests: generous per-IP limits (every test client is 127.0.0.1).
GENEROUS_LIMITS = {
    "FEEDLINE_RATE_LIMIT_AUTH_PER_IP": "100000",
    "FEEDLINE_RATE_LIMIT_AUTH_PER_HANDLE": "100000",
    "FEEDLINE_RATE_LIMIT_POSTS_PER_USER": "100000",
    "FEEDLINE_RATE_LIMIT_POSTS_PER_IP": "100000",
    "FEEDLINE_RATE_LIMIT_LOGIN_BACKOFF_AFTER": "100000",
    "FEEDLINE_RATE_LIMIT_MUTATIONS_PER_USER": "100000",
    "FEEDLINE_RATE_LIMIT_MUTATIONS_PER_IP": "100000",
    "FEEDLINE_RATE_LIMIT_READS_PER_USER": "100000",
    "FEEDLINE_RATE_LIMIT_READS_PER_IP": "100000",
    "FEEDLINE_RATE_LIMIT_SUBSCRIPTIONS_PER_USER": "100000",
    "FEEDLINE_RATE_LIMIT_SUBSCRIPTIONS_PER_IP": "100000",
}

_handles = itertools.count()


def new_handle(stem: str = "u") -> str:
    """A unique handle (3..15 characters) so tests sharing a graph never collide."""
    return f"{stem[:4]}{uuid.uuid4().hex[:7]}{next(_handles) % 1000}"


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


@dataclass
class Account:
    id: str
    handle: str
    token: str


class Gql:
    """GraphQL over HTTP against a base URL (a real process) or an httpx transport (in-process ASGI)."""

    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=20.0, transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def body(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        response = await self.post(query, variables, token)
        assert response.headers["content-type"].startswith("application/"), response.text
        return dict(response.json())

    async def data(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        """The data of a query that must succeed."""
        body = await self.body(query, token, **variables)
        assert not body.get("errors"), body
        return dict(body["data"])

    async def codes(self, query: str, token: str | None = None, **variables: Any) -> list[str]:
        return codes(await self.body(query, token, **variables))

    async def sign_up(self, handle: str | None = None, display_name: str | None = None) -> Account:
        handle = handle or new_handle()
        data = await self.data(
            "mutation($h: String!, $p: String!, $d: String) "
            "{ signUp(handle: $h, password: $p, displayName: $d) { token user { id handle } } }",
            h=handle,
            p=PASSWORD,
            d=display_name,
        )
        payload = data["signUp"]
        return Account(payload["user"]["id"], payload["user"]["handle"], payload["token"])

    async def follow(self, who: Account, whom: Account) -> None:
        await self.data("mutation($h: String!) { follow(handle: $h) { id } }", who.token, h=whom.handle)

    async def post_tweet(self, who: Account, text: str) -> str:
        data = await self.data("mutation($t: String!) { postTweet(text: $t) { id } }", who.token, t=text)
        return str(data["postTweet"]["id"])

    async def delete_tweet(self, who: Account, tweet_id: str) -> None:
        await self.data("mutation($id: ID!) { deleteTweet(id: $id) }", who.token, id=tweet_id)

    async def replay_point(self, who: Account) -> tuple[str, str]:
        """(probe tweet id, cursor): ``who`` posts two tweets; a subscription started with ``after`` = cursor
        replays the probe first."""
        await self.post_tweet(who, "before the probe")
        probe = await self.post_tweet(who, "probe")
        return probe, await self.cursor_below(who, probe)

    async def cursor_below(self, who: Account, tweet_id: str) -> str:
        """The home-timeline cursor of the entry just older than ``tweet_id`` (which must be in the feed)."""
        data = await self.data("{ homeTimeline(first: 100) { edges { cursor node { id } } } }", who.token)
        edges = data["homeTimeline"]["edges"]
        index = [e["node"]["id"] for e in edges].index(tweet_id)
        assert index + 1 < len(edges), "need an older entry to resume from"
        return str(edges[index + 1]["cursor"])

    async def home_ids(self, who: Account, first: int = 100) -> list[str]:
        """Ids on the first page of the home timeline, without SUGGESTED (trending) entries."""
        data = await self.data(
            "query($n: Int) { homeTimeline(first: $n) { edges { source node { id } } } }", who.token, n=first
        )
        return [e["node"]["id"] for e in data["homeTimeline"]["edges"] if e["source"] != "SUGGESTED"]


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, within: float = EVENT_TIMEOUT_S, what: str = "condition"
) -> Any:
    """Poll ``probe`` until it returns something truthy; fail after ``within`` seconds with the last value."""
    deadline = time.monotonic() + within
    delay = 0.02
    last: Any = None
    while True:
        last = await probe()
        if last:
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within}s waiting for {what}; last value: {last!r}")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)


EVENTS_QUERY = (
    "subscription($after: String) { homeTimelineEvents(after: $after) "
    "{ kind tweetId cursor source tweet { id text author { handle } } } }"
)


@contextlib.asynccontextmanager
async def in_process(app: Starlette) -> AsyncIterator[Gql]:
    """``app`` run in this process (its lifespan entered) with a Gql client over httpx's ASGI transport."""
    async with app.router.lifespan_context(app):
        client = Gql("http://feedline.test", transport=httpx.ASGITransport(app=app))
        try:
            yield client
        finally:
            await client.aclose()


class WsClient:
    """One websocket connection speaking graphql-transport-ws or the legacy graphql-ws protocol."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self._ids = itertools.count(1)

    @classmethod
    async def open(
        cls,
        base_url: str,
        token: str | None = None,
        protocol: str = TRANSPORT_WS,
        *,
        ack: bool = True,
        **connect_kwargs: Any,
    ) -> WsClient:
        url = base_url.replace("http://", "ws://", 1) + "/graphql"
        ws = await connect(url, subprotocols=[protocol], open_timeout=10, **connect_kwargs)  # type: ignore[list-item]
        assert ws.subprotocol == protocol
        client = cls(ws, protocol)
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await client.send({"type": "connection_init", "payload": payload})
        if ack:
            message = await client.receive()
            assert message["type"] == "connection_ack", message
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, within: float = EVENT_TIMEOUT_S) -> dict[str, Any]:
        """The next protocol message (answers pings, skips legacy keep-alives)."""
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no websocket message within {within}s")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), remaining)
            except TimeoutError:
                pytest.fail(f"no websocket message within {within}s")
            message = dict(json.loads(raw))
            if message.get("type") == "ping":
                await self.send({"type": "pong"})
                continue
            if message.get("type") == "ka":
                continue
            return message

    async def subscribe(self, query: str = EVENTS_QUERY, variables: dict[str, Any] | None = None) -> str:
        op_id = str(next(self._ids))
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.send(
            {"id": op_id, "type": kind, "payload": {"query": query, "variables": variables or {}}}
        )
        return op_id

    async def next_payload(self, op_id: str, within: float = EVENT_TIMEOUT_S) -> dict[str, Any]:
        """The payload of the next `next`/`data` message of ``op_id`` (fails on error/complete)."""
        data_type = "next" if self.protocol == TRANSPORT_WS else "data"
        while True:
            message = await self.receive(within)
            if message.get("id") != op_id:
                continue
            assert message["type"] == data_type, message
            return dict(message["payload"])

    async def next_event(self, op_id: str, within: float = EVENT_TIMEOUT_S) -> dict[str, Any]:
        payload = await self.next_payload(op_id, within)
        assert not payload.get("errors"), payload
        return dict(payload["data"]["homeTimelineEvents"])

    async def subscribe_live(self, gql: Gql, who: Account) -> str:
        """A homeTimelineEvents subscription of ``who`` known to be running.

        A subscription has no "ready" message, so it starts with ``after`` just below a probe tweet: the probe's
        replayed event proves the server subscribed its channels (it does so before replaying), and everything
        published from then on must arrive. (Without this, a post right after `subscribe` can precede the
        server's SUBSCRIBE and is, correctly, not delivered.)"""
        probe, after = await gql.replay_point(who)
        op = await self.subscribe(variables={"after": after})
        await self.events_until(op, lambda e: e["tweetId"] == probe)
        return op

    async def events_until(
        self, op_id: str, stop: Callable[[dict[str, Any]], bool], within: float = EVENT_TIMEOUT_S
    ) -> list[dict[str, Any]]:
        """Events up to and including the first one ``stop`` accepts."""
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"stop event not received within {within}s; got {received!r}")
            event = await self.next_event(op_id, remaining)
            received.append(event)
            if stop(event):
                return received

    async def closed_code(self, within: float = EVENT_TIMEOUT_S) -> int | None:
        """Wait for the server to close the connection; its close code."""
        try:
            async with asyncio.timeout(within):
                while True:
                    await self.ws.recv()
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None
        return None  # pragma: no cover - the loop only ends by an exception

    async def close(self) -> None:
        await self.ws.close()


def api_settings(test_settings: Settings, **update: Any) -> Settings:
    """Settings with a key prefix of their own (for a process shared by the tests of one module)."""
    return test_settings.model_copy(update={"key_prefix": f"m{uuid.uuid4().hex[:10]}:", **update})


def delete_prefix(settings: Settings) -> None:
    """Delete every Redis key under ``settings.key_prefix`` (teardown of a module's processes); on a cluster
    the scan visits every primary and the deletes are split per slot."""
    client = open_sync_redis(settings.redis_url)
    try:
        keys = list(client.scan_iter(match=f"{settings.key_prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()


def until_all(kind: str, ids: set[str]) -> Callable[[dict[str, Any]], bool]:
    """A stop condition for WsClient.events_until: every id in ``ids`` has arrived with ``kind``."""
    pending = set(ids)

    def stop(event: dict[str, Any]) -> bool:
        if event["kind"] == kind:
            pending.discard(event["tweetId"])
        return not pending

    return stop
