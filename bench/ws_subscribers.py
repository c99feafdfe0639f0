"""The bench's websocket subscribers: N graphql-transport-ws clients that note when each event arrives.

One implementation for every live scenario (the API's delivery and its floor, bench/live_floor.py), so the
load generator's side is the same and only the server differs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence

# What the web client subscribes with (TimelineEvents and its TweetFields fragment, frontend/src/operations.ts):
# the tweet with its author and the viewer's flags, as people's clients ask, not just the ids.
QUERY = (
    "subscription TimelineEvents($after: String) { homeTimelineEvents(after: $after) { kind tweetId cursor "
    "source repostedBy { id handle displayName } tweet { id author { id handle } inReplyTo { id author { id "
    "handle } } ...TweetFields } } } fragment TweetFields on Tweet { id text createdAt likeCount "
    "viewerHasLiked replyCount repostCount viewerHasReposted author { id handle displayName isCelebrity } }"
)


class Subscribers:
    """``len(tokens)`` subscriptions to ``homeTimelineEvents``, spread round robin over ``urls``; ``arrivals``
    maps a tweet id to the perf_counter times its NEW events arrived (one per subscriber that got it)."""

    def __init__(self, urls: Sequence[str], tokens: Sequence[str | None]) -> None:
        self.urls = [u.replace("http://", "ws://") + "/graphql" for u in urls]
        self.tokens = list(tokens)
        self.arrivals: dict[str, list[float]] = {}
        self.ready = 0
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, timeout_s: float) -> int:
        """Connect them all (paced: the accept queue is not SYN-flooded); the number subscribed in time."""
        for i, token in enumerate(self.tokens):
            self._tasks.append(asyncio.create_task(self._one(self.urls[i % len(self.urls)], token)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)
        deadline = time.perf_counter() + timeout_s
        while self.ready < len(self.tokens) and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        return self.ready

    async def wait_for(self, tweet_id: str, count: int, timeout_s: float) -> list[float]:
        """The arrival times of ``tweet_id`` once ``count`` arrived, or what arrived by the timeout."""
        deadline = time.perf_counter() + timeout_s
        while len(self.arrivals.get(tweet_id, [])) < count and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        return self.arrivals.get(tweet_id, [])

    async def close(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _one(self, url: str, token: str | None) -> None:
        import websockets
        from websockets.typing import Subprotocol

        async with websockets.connect(
            url, subprotocols=[Subprotocol("graphql-transport-ws")], max_queue=None, open_timeout=60
        ) as ws:
            payload = {"authorization": f"Bearer {token}"} if token else {}
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            await ws.recv()
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY}}))
            self.ready += 1
            while not self._stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                now = time.perf_counter()
                msg = json.loads(raw)
                if msg.get("type") == "next":
                    event = msg["payload"]["data"]["homeTimelineEvents"]
                    self.arrivals.setdefault(event["tweetId"], []).append(now)
