"""The floor of live delivery: one pre-serialized graphql-transport-ws `next` frame sent to N websockets.

A Starlette websocket route on the same server stack as `feedline serve` (uvicorn with uvloop and the
``websockets-sansio`` implementation) that speaks just enough graphql-transport-ws for the bench's subscribers
(connection_init -> connection_ack, subscribe -> remembered) and, on ``POST /broadcast/{tweet id}``, sends every
subscriber the same `next` frame, serialized once. No authentication, Redis pub/sub, replay, feed rules or
GraphQL execution: what a delivered event costs with Python and this stack, below which no subscription server
can go. The bench (bench/floors.py `live_floor`) reports the API's CPU per delivered event as a multiple of
this one's, measured in the same run with the same subscribers.

Run as `python -m bench.live_floor --port P`.
"""

from __future__ import annotations

import argparse
import contextlib

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.floor import serve_bare

PROTOCOL = "graphql-transport-ws"


def create_app() -> Starlette:
    subscribers: dict[WebSocket, str] = {}  # connection -> its subscription's id

    async def connect(ws: WebSocket) -> None:
        await ws.accept(subprotocol=PROTOCOL)
        try:
            while True:
                message = orjson.loads(await ws.receive_text())
                if message.get("type") == "connection_init":
                    await ws.send_text('{"type":"connection_ack"}')
                elif message.get("type") == "subscribe":
                    subscribers[ws] = str(message["id"])
                elif message.get("type") == "ping":
                    await ws.send_text('{"type":"pong"}')
        except WebSocketDisconnect:
            pass
        finally:
            subscribers.pop(ws, None)

    async def broadcast(request: Request) -> Response:
        tweet_id = request.path_params["tweet"]
        frames: dict[str, str] = {}  # one serialization per subscription id (the bench's all use "1")
        sent = 0
        for ws, sub_id in list(subscribers.items()):
            frame = frames.get(sub_id)
            if frame is None:
                event = {  # the shape and size of the API's event for the bench's subscription (its QUERY)
                    "kind": "NEW", "tweetId": tweet_id, "cursor": "AAAAAAAAAAEAAAAAAAAAAQ", "source": "TIMELINE",
                    "repostedBy": None,
                    "tweet": {
                        "id": tweet_id, "author": {"id": "1", "handle": "l0", "displayName": "l0",
                        "isCelebrity": False}, "inReplyTo": None, "text": "live bench 0",
                        "createdAt": "2026-12-01T00:00:00.000Z", "likeCount": 0, "viewerHasLiked": False,
                        "replyCount": 0, "repostCount": 0, "viewerHasReposted": False,
                    },
                }  # fmt: skip
                frame = orjson.dumps(
                    {"id": sub_id, "type": "next", "payload": {"data": {"homeTimelineEvents": event}}}
                ).decode()
                frames[sub_id] = frame
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # a client that just left
                await ws.send_text(frame)
                sent += 1
        return Response(str(sent), media_type="text/plain")

    async def count(request: Request) -> Response:
        return Response(str(len(subscribers)), media_type="text/plain")

    return Starlette(
        routes=[
            WebSocketRoute("/graphql", connect),
            Route("/broadcast/{tweet}", broadcast, methods=["POST"]),
            Route("/subscribers", count),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve_bare(create_app(), args.port)


if __name__ == "__main__":
    main()
