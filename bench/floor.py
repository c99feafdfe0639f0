"""The floor of a homeTimeline request: a bare handler doing the same Redis reads, with nothing else.

A Starlette route on the same server stack as `feedline serve` (uvicorn with uvloop and httptools, redis-py
with hiredis) that answers one page of a viewer's home timeline from Feedline's own keys: the timeline
range, the 20 tweet hashes and the viewer's likes set in one pipeline, the authors' hashes in another, and
the same JSON as the GraphQL answer (cursor, source, id, text, likeCount, viewerHasLiked, author handle and
displayName) serialized with orjson. No GraphQL, authentication, rate limits, middleware or celebrity
merge: what a request costs with Python and this stack, below which no GraphQL server can go. The bench
(bench/api_scenarios.py) reports the API's CPU per request as a multiple of this one's, measured in the
same run with the same load.

Run as `python -m bench.floor --port P --redis-url URL --prefix PREFIX`; serves POST /home/{viewer id}.
"""

from __future__ import annotations

import argparse
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fanout import cursors
from fanout.client import open_redis
from fanout.keys import Keys
from fanout.store import TOP_BOUND, decode_ids, encode_id

PAGE = 20


def create_app(redis_url: str, prefix: str) -> Starlette:
    redis: Any = open_redis(redis_url)
    keys = Keys(prefix)

    async def home(request: Request) -> Response:
        viewer = int(request.path_params["viewer"])
        members = await redis.zrange(
            keys.timeline(viewer), TOP_BOUND, b"-", desc=True, bylex=True, offset=0, num=PAGE
        )
        ids = decode_ids(members)
        async with redis.pipeline(transaction=False) as pipe:
            for tid in ids:
                pipe.hmget(keys.tweet(tid), (b"a", b"x", b"l"))
            pipe.zmscore(keys.likes(viewer), [encode_id(t) for t in ids] or [b""])
            *rows, liked = await pipe.execute()
        authors = list(dict.fromkeys(int(row[0]) for row in rows if row[0] is not None))
        async with redis.pipeline(transaction=False) as pipe:
            for uid in authors:
                pipe.hmget(keys.user(uid), (b"h", b"n"))
            names = dict(zip(authors, await pipe.execute(), strict=True))
        edges = []
        for tid, (author, text, likes), flag in zip(ids, rows, liked, strict=False):
            if author is None:
                continue
            handle, display_name = names[int(author)]
            edges.append(
                {
                    "cursor": cursors.latest(tid),
                    "source": "TIMELINE",
                    "node": {
                        "id": str(tid),
                        "text": text.decode(),
                        "likeCount": int(likes or 0),
                        "viewerHasLiked": flag is not None,
                        "author": {"handle": handle.decode(), "displayName": display_name.decode()},
                    },
                }
            )
        body = orjson.dumps({"data": {"homeTimeline": {"edges": edges}}})
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/home/{viewer:int}", home, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--prefix", required=True)
    args = parser.parse_args()
    serve_bare(create_app(args.redis_url, args.prefix), args.port)


def serve_bare(app: Starlette, port: int) -> None:
    """A floor's server: the stack `feedline serve` runs on (uvicorn, uvloop, httptools, websockets-sansio),
    none of its middleware or limits."""
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
