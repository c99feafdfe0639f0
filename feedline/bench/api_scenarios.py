"""End-to-end scenarios against a real API process (`feedline serve`) and fan-out worker (`feedline worker`).

`ApiProcesses` starts both as subprocesses with the bench's settings (a low celebrity threshold so a handful
of followers makes an account a celebrity) and stops them by pid. The world is built through the public
GraphQL API itself (signUp, follow, postTweet), so the bench exercises exactly what clients use.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from feedline.bench.stats import Latency, closed_loop, open_loop, summarize

PASSWORD = "bench-password"
CELEBRITY_THRESHOLD = 3  # the bench world is small; 3 followers make a celebrity
HOME_QUERY = "query H($n: Int) { homeTimeline(first: $n) { edges { cursor source node { id text likeCount author { handle } } } } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ApiProcesses:
    settings: Any
    port: int = field(default_factory=_free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        s = self.settings
        env.update(
            {
                "FEEDLINE_REDIS_URL": s.redis_url,
                "FEEDLINE_NEO4J_URI": s.neo4j_uri,
                "FEEDLINE_NEO4J_USER": s.neo4j_user,
                "FEEDLINE_NEO4J_PASSWORD": s.neo4j_password,
                "FEEDLINE_KEY_PREFIX": f"{s.key_prefix}benchapi{uuid.uuid4().hex[:6]}:",
                "FEEDLINE_CELEBRITY_THRESHOLD": str(CELEBRITY_THRESHOLD),
                "FEEDLINE_PORT": str(self.port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def spawn(self) -> None:
        exe = [sys.executable, "-m", "feedline"]
        env = self.env()
        self.procs.append(
            subprocess.Popen(
                [*exe, "serve", "--port", str(self.port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
        self.procs.append(
            subprocess.Popen([*exe, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        )

    async def start(self, timeout_s: float = 30.0) -> None:
        self.spawn()
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if any(p.poll() is not None for p in self.procs):
                    break
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.base_url}/readyz", timeout=1)).status_code == 200:
                        return
                await asyncio.sleep(0.3)
        errors = [
            (p.stderr.read(2000) if p.poll() is not None and p.stderr else b"").decode() for p in self.procs
        ]
        self.stop()
        raise RuntimeError(f"API/worker did not become ready: {' | '.join(e for e in errors if e)[:600]}")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs.clear()


class Gql:
    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self.client, self.url = client, f"{base_url}/graphql"

    async def __call__(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = await self.client.post(self.url, json={"query": query, "variables": variables}, headers=headers)
        body = r.json()
        if body.get("errors"):
            raise RuntimeError(f"GraphQL error: {body['errors'][:1]}")
        return body["data"]

    async def sign_up(self, handle: str) -> str:
        data = await self(
            "mutation S($h: String!, $p: String!) { signUp(handle: $h, password: $p) { token } }",
            h=handle,
            p=PASSWORD,
        )
        return str(data["signUp"]["token"])

    async def follow(self, token: str, handle: str) -> None:
        await self("mutation F($h: String!) { follow(handle: $h) { id } }", token, h=handle)

    async def post(self, token: str, text: str) -> str:
        data = await self("mutation P($t: String!) { postTweet(text: $t) { id } }", token, t=text)
        return str(data["postTweet"]["id"])


async def home_timeline(
    base_url: str, *, celebrity_counts: list[int], concurrencies: list[int], rate: float, duration_s: float
) -> dict[str, Any]:
    """homeTimeline p50/p99 at a fixed offered rate and requests/s at saturation, per followed celebrities."""
    tag = uuid.uuid4().hex[:5]
    limits = httpx.Limits(
        max_connections=max(concurrencies) + 8, max_keepalive_connections=max(concurrencies) + 8
    )
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        gql = Gql(client, base_url)
        authors = [f"a{tag}{i}" for i in range(20)]
        celebs = [f"c{tag}{i}" for i in range(max(celebrity_counts))]
        fans = [f"f{tag}{i}" for i in range(CELEBRITY_THRESHOLD)]
        tokens = {h: await gql.sign_up(h) for h in [*authors, *celebs, *fans]}
        for fan in fans:
            for c in celebs:
                await gql.follow(tokens[fan], c)
        for h in [*authors, *celebs]:
            for k in range(5):
                await gql.post(tokens[h], f"bench tweet {k} from {h}")
        rows: list[dict[str, Any]] = []
        for n_celebs in celebrity_counts:
            viewer = f"v{tag}{n_celebs}"
            token = await gql.sign_up(viewer)
            for h in [*authors, *celebs[:n_celebs]]:
                await gql.follow(token, h)
            headers = {"Authorization": f"Bearer {token}"}
            payload = {"query": HOME_QUERY, "variables": {"n": 20}}

            async def op(headers: dict[str, str] = headers, payload: dict[str, Any] = payload) -> object:
                r = await client.post(f"{base_url}/graphql", json=payload, headers=headers)
                if r.status_code != 200:
                    raise RuntimeError(f"homeTimeline HTTP {r.status_code}")
                return r

            await op()  # first read builds the timeline; measure steady state
            fixed = await open_loop(op, rate, duration_s)
            rows.append({"celebrities": n_celebs, "concurrency": 0, "fixed_rate": rate, **fixed.as_dict()})
            for clients in concurrencies:
                sat = await closed_loop(op, clients, duration_s)
                rows.append({"celebrities": n_celebs, **sat.as_dict()})
    return {
        "fixed_rate": [r for r in rows if r["concurrency"] == 0],
        "saturation": [r for r in rows if r["concurrency"] != 0],
    }


async def live_latency(base_url: str, *, subscribers: int, posts: int, timeout_s: float) -> dict[str, Any]:
    """Post-to-subscriber (websocket NEW event) and post-to-timeline (visible in homeTimeline) latency."""
    import websockets
    from websockets.typing import Subprotocol

    tag = uuid.uuid4().hex[:5]
    ws_url = base_url.replace("http://", "ws://") + "/graphql"
    async with httpx.AsyncClient(timeout=30) as client:
        gql = Gql(client, base_url)
        author = f"p{tag}"
        author_token = await gql.sign_up(author)
        viewers = [f"s{tag}{i}" for i in range(min(10, subscribers))]
        viewer_tokens = [await gql.sign_up(v) for v in viewers]
        for t in viewer_tokens:
            await gql.follow(t, author)
            await gql("query { homeTimeline(first: 1) { edges { cursor } } }", t)  # warm: timeline exists

        received: dict[str, list[float]] = {}
        ready = 0

        async def subscriber(token: str, stop: asyncio.Event) -> None:
            nonlocal ready
            async with websockets.connect(
                ws_url, subprotocols=[Subprotocol("graphql-transport-ws")], max_queue=None
            ) as ws:  # type: ignore[list-item]
                await ws.send(
                    json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
                )
                await ws.recv()
                await ws.send(
                    json.dumps(
                        {
                            "id": "1",
                            "type": "subscribe",
                            "payload": {"query": "subscription { homeTimelineEvents { kind tweetId } }"},
                        }
                    )
                )
                ready += 1
                while not stop.is_set():
                    try:
                        msg = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                    except TimeoutError:
                        continue
                    if msg.get("type") == "next":
                        event = msg["payload"]["data"]["homeTimelineEvents"]
                        received.setdefault(event["tweetId"], []).append(time.perf_counter())

        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(subscriber(viewer_tokens[i % len(viewer_tokens)], stop))
            for i in range(subscribers)
        ]
        deadline = time.perf_counter() + timeout_s
        while ready < subscribers and time.perf_counter() < deadline:  # noqa: ASYNC110 - bounded poll
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        to_subscriber: list[float] = []
        to_timeline: list[float] = []
        missing = 0
        for k in range(posts):
            t0 = time.perf_counter()
            tweet_id = await gql.post(author_token, f"live bench {k}")
            # Post-to-timeline: poll a follower's feed until the tweet shows up.
            while time.perf_counter() - t0 < 5:
                data = await gql(
                    "query { homeTimeline(first: 1) { edges { node { id } } } }", viewer_tokens[0]
                )
                edges = data["homeTimeline"]["edges"]
                if edges and edges[0]["node"]["id"] == tweet_id:
                    to_timeline.append(time.perf_counter() - t0)
                    break
            wait_until = time.perf_counter() + 5
            while len(received.get(tweet_id, [])) < ready and time.perf_counter() < wait_until:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            arrivals = received.get(tweet_id, [])
            missing += ready - len(arrivals)
            to_subscriber += [a - t0 for a in arrivals]
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "subscribers_connected": ready,
        "posts": posts,
        "missing_deliveries": missing,
        "post_to_subscriber": summarize(to_subscriber).as_dict(),
        "post_to_timeline": summarize(to_timeline).as_dict(),
    }


__all__ = ["ApiProcesses", "Latency", "home_timeline", "live_latency"]
