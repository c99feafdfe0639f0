"""homeTimelineEvents over real websockets against a real API + worker (Redis pub/sub, Neo4j).

A subscription has no "ready" message, so every test subscribes with `after` set just below a tweet it
already posted: receiving that tweet's replayed event proves the server subscribed its channels (it does
so before replaying), and everything published from then on must arrive.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any

import pytest
import redis.asyncio as aioredis
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from fanout.live import tweet_event
from resolvers.live import SLOW_CLOSE_CODE, SLOW_CLOSE_REASON
from tests.api.gqlclient import (
    EVENT_TIMEOUT_S,
    LEGACY_WS,
    TRANSPORT_WS,
    Account,
    Gql,
    WsClient,
    eventually,
    until_all,
)
from tests.support.processes import Stack


async def live_subscription(
    gql: Gql, stack: Stack, viewer: Account, protocol: str = TRANSPORT_WS
) -> tuple[WsClient, str]:
    """A subscription of ``viewer`` that is known to be live (see the module docstring)."""
    ws = await WsClient.open(stack.base_url, viewer.token, protocol)
    return ws, await ws.subscribe_live(gql, viewer)


async def make_celebrity(gql: Gql, redis: aioredis.Redis, stack: Stack, celeb: Account) -> None:
    """Give ``celeb`` a second follower (threshold 2) and wait until the worker switched it to fan-out on read."""
    await gql.follow(await gql.sign_up(), celeb)
    key = f"{stack.settings.key_prefix}celebmode"

    async def switched() -> bool:
        return bool(await redis.sismember(key, celeb.id))

    await eventually(switched, what="the celebrity switch")


def by_id(events: list[dict[str, Any]], tweet_id: str) -> dict[str, Any]:
    return next(e for e in events if e["tweetId"] == tweet_id)


async def test_ordinary_and_celebrity_tweets_arrive_and_deletions_too(
    gql: Gql, stack: Stack, redis_client: aioredis.Redis
) -> None:
    viewer, ordinary, celeb = await gql.sign_up(), await gql.sign_up(), await gql.sign_up()
    await gql.follow(viewer, ordinary)
    await gql.follow(viewer, celeb)
    await make_celebrity(gql, redis_client, stack, celeb)
    ws, op = await live_subscription(gql, stack, viewer)
    try:
        plain = await gql.post_tweet(ordinary, "from an ordinary author")
        famous = await gql.post_tweet(celeb, "from a celebrity")
        events = await ws.events_until(op, until_all("NEW", {plain, famous}))
        got_plain, got_famous = by_id(events, plain), by_id(events, famous)
        assert (got_plain["kind"], got_plain["source"]) == ("NEW", "TIMELINE")
        assert got_plain["tweet"] == {
            "id": plain,
            "text": "from an ordinary author",
            "author": {"handle": ordinary.handle},
        }
        assert (got_famous["kind"], got_famous["source"]) == ("NEW", "CELEBRITY")
        assert got_famous["tweet"]["author"] == {"handle": celeb.handle}
        for event in (got_plain, got_famous):  # the cursor resumes right after the event
            assert isinstance(event["cursor"], str) and event["cursor"]

        await gql.delete_tweet(ordinary, plain)
        await gql.delete_tweet(celeb, famous)
        deleted = await ws.events_until(op, until_all("DELETED", {plain, famous}))
        for tweet_id in (plain, famous):
            event = next(e for e in deleted if e["tweetId"] == tweet_id and e["kind"] == "DELETED")
            assert event["tweet"] is None
    finally:
        await ws.close()


async def test_reconnect_with_after_misses_nothing_and_repeats_nothing(
    gql: Gql, stack: Stack, redis_client: aioredis.Redis
) -> None:
    viewer, ordinary, celeb = await gql.sign_up(), await gql.sign_up(), await gql.sign_up()
    await gql.follow(viewer, ordinary)
    await gql.follow(viewer, celeb)
    await make_celebrity(gql, redis_client, stack, celeb)
    ws, op = await live_subscription(gql, stack, viewer)
    first = await gql.post_tweet(ordinary, "seen live")
    events = await ws.events_until(op, lambda e: e["tweetId"] == first)
    resume_from = by_id(events, first)["cursor"]
    await ws.close()

    # Missed while disconnected: fanned-out tweets and a celebrity's (merged on read).
    missed = [
        await gql.post_tweet(ordinary, "missed 1"),
        await gql.post_tweet(celeb, "missed 2"),
        await gql.post_tweet(ordinary, "missed 3"),
    ]

    async def fanned_out() -> bool:
        return set(missed) <= set(await gql.home_ids(viewer))

    await eventually(fanned_out, what="fan-out of the missed tweets")
    ws = await WsClient.open(stack.base_url, viewer.token)
    try:
        op = await ws.subscribe(variables={"after": resume_from})
        # Posted while the server replays: lands at the replay/live seam.
        seam = [await gql.post_tweet(ordinary, "seam 1"), await gql.post_tweet(celeb, "seam 2")]
        marker = await gql.post_tweet(ordinary, "marker")
        live = {*seam, marker}
        seen: set[str] = set()

        def all_live(e: dict[str, Any]) -> bool:
            seen.add(e["tweetId"])
            return live <= seen

        events = await ws.events_until(op, all_live)
        followed = {ordinary.handle, celeb.handle}
        new_ids = [
            e["tweetId"] for e in events if e["kind"] == "NEW" and e["tweet"]["author"]["handle"] in followed
        ]
        assert len(new_ids) == len(set(new_ids)), f"repeated at the seam: {new_ids}"
        # The replay, oldest first; then the live ones, whose order across authors is the fan-out queue's
        # (its shards run side by side).
        assert new_ids[: len(missed)] == missed, "missed or out of order"
        assert sorted(new_ids[len(missed) :]) == sorted(live), "missed at the seam"
        assert first not in new_ids
        sources = {e["tweetId"]: e["source"] for e in events}
        assert sources[missed[1]] == "CELEBRITY" and sources[missed[0]] == "TIMELINE"
    finally:
        await ws.close()


async def test_follow_and_unfollow_while_subscribed(
    gql: Gql, stack: Stack, redis_client: aioredis.Redis
) -> None:
    viewer, ordinary, celeb = await gql.sign_up(), await gql.sign_up(), await gql.sign_up()
    await gql.follow(viewer, ordinary)
    await gql.follow(await gql.sign_up(), celeb)  # two followers besides the viewer: a celebrity whether
    await make_celebrity(gql, redis_client, stack, celeb)  # the viewer follows or not
    ws, op = await live_subscription(gql, stack, viewer)
    try:
        # Following a celebrity while subscribed adds their channel (CELEBS_CHANGED) ...
        await gql.follow(viewer, celeb)
        famous = await gql.post_tweet(celeb, "after the follow")
        events = await ws.events_until(op, lambda e: e["tweetId"] == famous)
        assert by_id(events, famous)["source"] == "CELEBRITY"
        # ... and unfollowing removes it. The single worker handles the stream in order, so the
        # celebrity's post (published by the worker) would arrive before the ordinary marker's fan-out.
        await gql.data("mutation($h: String!) { unfollow(handle: $h) { id } }", viewer.token, h=celeb.handle)
        unseen = await gql.post_tweet(celeb, "after the unfollow")
        marker = await gql.post_tweet(ordinary, "marker")
        events = await ws.events_until(op, lambda e: e["tweetId"] == marker)
        assert unseen not in {e["tweetId"] for e in events}
    finally:
        await ws.close()


async def test_queries_and_mutations_over_the_websocket_use_the_connection_viewer(
    gql: Gql, stack: Stack
) -> None:
    viewer = await gql.sign_up()
    ws = await WsClient.open(stack.base_url, viewer.token)
    try:
        op = await ws.subscribe("{ viewer { id handle } }")
        assert (await ws.next_payload(op))["data"] == {"viewer": {"id": viewer.id, "handle": viewer.handle}}
        op = await ws.subscribe('mutation { postTweet(text: "over the socket") { text author { id } } }')
        posted = (await ws.next_payload(op))["data"]["postTweet"]
        assert posted == {"text": "over the socket", "author": {"id": viewer.id}}
    finally:
        await ws.close()


async def test_events_are_not_served_from_a_connection_long_cache(gql: Gql, stack: Stack) -> None:
    viewer, author = await gql.sign_up(), await gql.sign_up()
    await gql.follow(viewer, author)
    ws, _ = await live_subscription(gql, stack, viewer)
    try:
        query = (
            "subscription { homeTimelineEvents { kind tweetId "
            "tweet { viewerHasLiked author { followerCount viewerFollows } } } }"
        )
        op = await ws.subscribe(query)
        first = await gql.post_tweet(author, "one")
        event = (await ws.events_until(op, lambda e: e["tweetId"] == first))[-1]
        assert event["tweet"]["author"] == {"followerCount": 1, "viewerFollows": True}
        await gql.follow(await gql.sign_up(), author)  # the author's counters change meanwhile
        second = await gql.post_tweet(author, "two")
        event = (await ws.events_until(op, lambda e: e["tweetId"] == second))[-1]
        assert event["tweet"]["author"] == {"followerCount": 2, "viewerFollows": True}
    finally:
        await ws.close()


async def test_legacy_graphql_ws_protocol(gql: Gql, stack: Stack) -> None:
    viewer, author = await gql.sign_up(), await gql.sign_up()
    await gql.follow(viewer, author)
    ws, op = await live_subscription(gql, stack, viewer, protocol=LEGACY_WS)
    try:
        tweet_id = await gql.post_tweet(author, "over graphql-ws")
        events = await ws.events_until(op, lambda e: e["tweetId"] == tweet_id)
        assert by_id(events, tweet_id)["kind"] == "NEW"
        # The legacy protocol runs subscriptions only: a query is the client's mistake, answered with a code
        # (and no traceback in the server log: the stack fixture checks).
        query = await ws.subscribe("{ viewer { id } }")
        message = await ws.receive()
        while message.get("id") != query:
            message = await ws.receive()
        payload = message["payload"]
        errors = payload if isinstance(payload, list) else payload.get("errors") or [payload]
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", message
    finally:
        await ws.close()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_bad_token_is_refused_with_4403(gql: Gql, stack: Stack, protocol: str) -> None:
    ws = await WsClient.open(stack.base_url, "forged-token", protocol, ack=False)
    if protocol == LEGACY_WS:  # the legacy protocol says why before closing
        message = await ws.receive()
        assert message["type"] == "connection_error", message
        assert message["payload"]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert await ws.closed_code() == 4403


async def test_revoked_token_is_refused_and_anonymous_subscription_is_unauthenticated(
    gql: Gql, stack: Stack
) -> None:
    viewer = await gql.sign_up()
    assert await gql.data("mutation { logOut }", viewer.token) == {"logOut": True}
    ws = await WsClient.open(stack.base_url, viewer.token, ack=False)
    assert await ws.closed_code() == 4403
    anonymous = await WsClient.open(stack.base_url)
    try:
        op = await anonymous.subscribe()
        message = await anonymous.receive()
        assert message["id"] == op
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]
    finally:
        await anonymous.close()


async def test_bad_after_cursor_is_bad_user_input(gql: Gql, stack: Stack) -> None:
    viewer = await gql.sign_up()
    ws = await WsClient.open(stack.base_url, viewer.token)
    try:
        op = await ws.subscribe(variables={"after": "not-a-cursor"})
        message = await ws.receive()
        assert message["id"] == op
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"]
    finally:
        await ws.close()


class StalledClient:
    """A graphql-transport-ws client on a raw socket (websockets' sans-I/O protocol) that reads only when
    told to: nothing buffers on its behalf but a 1 kB kernel receive window, so it can really stall."""

    def __init__(self, base_url: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.proto = ClientProtocol(
            parse_uri(base_url.replace("http://", "ws://") + "/graphql"),
            subprotocols=[Subprotocol(TRANSPORT_WS)],
            max_size=None,
        )
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)  # before connect: sets the window
        self.sock.setblocking(False)
        self.texts: list[str] = []
        self.close: Close | None = None

    async def _flush(self) -> None:
        await asyncio.get_running_loop().sock_sendall(self.sock, b"".join(self.proto.data_to_send()))

    async def connect(self) -> None:
        await asyncio.get_running_loop().sock_connect(self.sock, self.address)
        self.proto.send_request(self.proto.connect())
        await self._flush()
        await self.read_until(lambda: self.proto.state is State.OPEN)  # the handshake response

    async def send(self, message: dict[str, Any]) -> None:
        self.proto.send_text(json.dumps(message).encode())
        await self._flush()

    async def read_until(self, done: Callable[[], bool]) -> None:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(EVENT_TIMEOUT_S):
            while not done():
                data = await loop.sock_recv(self.sock, 1 << 16)
                if not data:
                    self.proto.receive_eof()
                    return
                self.proto.receive_data(data)
                for event in self.proto.events_received():
                    if isinstance(event, Frame) and event.opcode == Opcode.TEXT:
                        self.texts.append(bytes(event.data).decode())
                    elif isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
                        self.close = Close.parse(event.data)
                        return
                await self._flush()  # pongs and the like


async def test_a_slow_client_is_closed_with_a_reason_and_others_are_unaffected(
    gql: Gql, stack: Stack, redis_client: aioredis.Redis
) -> None:
    viewer = await gql.sign_up()
    fast, fast_op = await live_subscription(gql, stack, viewer)
    long_tweet = await gql.post_tweet(viewer, "x" * 280)
    await fast.events_until(fast_op, lambda e: e["tweetId"] == long_tweet)
    # The stalled client asks for ~8 kB per event (aliases of a 280-character text): a few hundred events
    # fill the socket buffers, the server's sends to it block and its bounded queue in the hub
    # (api.hub.DEFAULT_QUEUE_SIZE) overflows.
    stalled = StalledClient(stack.base_url)
    await stalled.connect()
    await stalled.send({"type": "connection_init", "payload": {"authorization": f"Bearer {viewer.token}"}})
    await stalled.read_until(lambda: bool(stalled.texts))
    assert json.loads(stalled.texts[0])["type"] == "connection_ack"
    fat = " ".join(f"t{i}: tweet {{ text }}" for i in range(28))
    after = await gql.cursor_below(viewer, long_tweet)
    query = f"subscription($a: String) {{ homeTimelineEvents(after: $a) {{ kind tweetId {fat} }} }}"
    await stalled.send(
        {"id": "s", "type": "subscribe", "payload": {"query": query, "variables": {"a": after}}}
    )
    await stalled.read_until(lambda: len(stalled.texts) >= 2)  # the replay: live from here on
    assert long_tweet in stalled.texts[1]

    channel = f"{stack.settings.key_prefix}live:tl:{{{viewer.id}}}"
    # DELETED and NEW in turn: an entry published again without leaving in between is sent once (and the
    # fast client has this one already).
    events = [tweet_event(kind, int(long_tweet), int(viewer.id), "TIMELINE") for kind in ("DELETED", "NEW")]
    received = 0
    for _ in range(15):  # batches the fast client keeps up with (it waits for each batch before the next)
        async with redis_client.pipeline(transaction=False) as pipe:
            for i in range(100):
                pipe.spublish(channel, events[i % 2])  # live channels are shard channels
            await pipe.execute()
        target = received + 100

        def counted(e: dict[str, Any]) -> bool:
            nonlocal received
            received += e["tweetId"] == long_tweet
            return received >= target  # noqa: B023

        await fast.events_until(fast_op, counted)
    assert received == 1500  # the fast client got every event
    # The stalled one, reading again, finds the close frame after what was buffered: 1013 and a reason.
    await stalled.read_until(lambda: stalled.close is not None)
    assert stalled.close is not None, "the server never closed the stalled client"
    assert (stalled.close.code, stalled.close.reason) == (SLOW_CLOSE_CODE, SLOW_CLOSE_REASON)
    assert len(stalled.texts) - 2 < 1500  # events were dropped for it, not queued without bound
    stalled.sock.close()
    # The fast subscription lives on.
    later = await gql.post_tweet(viewer, "still live")
    await fast.events_until(fast_op, lambda e: e["tweetId"] == later)
    await fast.close()
