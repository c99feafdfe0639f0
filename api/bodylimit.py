"""Request bodies are bounded as they stream in: a body over the limit is answered 413 as soon as its declared
length (Content-Length) or the bytes received so far (chunked bodies) pass it, without reading the rest.

The connection is closed after the 413 (``connection: close``), so the unread remainder is never parsed.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers.metrics import ERRORS


class BodyTooLarge(Exception):
    pass


def too_large() -> JSONResponse:
    ERRORS.labels(code="BAD_USER_INPUT").inc()
    return JSONResponse(
        {"errors": [{"message": "request body too large", "extensions": {"code": "BAD_USER_INPUT"}}]},
        status_code=413,
        headers={"connection": "close"},
    )


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


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
            await too_large()(scope, receive, send)
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
            await too_large()(scope, receive, send)
