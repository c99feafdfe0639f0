"""Request bodies are bounded as they stream in: a body over the limit is answered 413 as soon as its declared
length (Content-Length) or the bytes received so far (chunked bodies) pass it, without reading the rest.

The connection is closed after the 413 (``connection: close``, after at most a second of reading and dropping
what is in flight), so the unread remainder is never parsed.
"""

from __future__ import annotations

import asyncio
import contextlib

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers.metrics import ERRORS

LINGER_SECONDS = 1.0
LINGER_BYTES = 4 * 1024 * 1024
REFUSAL = orjson.dumps(
    {"errors": [{"message": "request body too large", "extensions": {"code": "BAD_USER_INPUT"}}]}
)


class BodyTooLarge(Exception):
    pass


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def refuse(receive: Receive, send: Send) -> None:
    """413, then a short lingering close: what the client is still sending is read and dropped for up to
    LINGER_SECONDS / LINGER_BYTES before the connection closes, so the client reads the 413 instead of a
    reset (closing a socket with unread data resets it, and the reset can destroy the unread answer)."""
    ERRORS.labels(code="BAD_USER_INPUT").inc()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(REFUSAL)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": REFUSAL, "more_body": True})
    drained = 0
    with contextlib.suppress(Exception):
        async with asyncio.timeout(LINGER_SECONDS):
            while drained < LINGER_BYTES:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    break
                drained += len(message.get("body", b""))
    await send({"type": "http.response.body", "body": b"", "more_body": False})


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await refuse(receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:  # the app answered before reading all of it; nothing more to say
                return
            await refuse(receive, send)
