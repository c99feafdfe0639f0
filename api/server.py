"""uvicorn's httptools protocol with the limits uvicorn lacks: a header timeout (slowloris: a connection that
sends nothing, or a header line now and then, is closed), a body timeout, and a cap on request line + header
bytes (431). uvicorn itself provides the keep-alive timeout, the connection cap (``limit_concurrency``: 503)
and the websocket message size (``ws_max_size``); ``run`` sets all of them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from resolvers.limits import MAX_DOCUMENT_BYTES


def _plain_response(status: bytes, text: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(text)).encode() + b"\r\nconnection: close\r\n\r\n" + text
    )


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_header_bytes: int = 32 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0

    # A request's headers must arrive within header_timeout of its first byte (of the connection, for the
    # first request): until then no ASGI task exists, so nothing else would ever reap the connection.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if self._header_timer is None:
            self._arm_header_timer()

    def on_url(self, url: bytes) -> None:
        self._header_bytes += len(url)
        if self._header_bytes > self.max_header_bytes:
            self._refuse(b"431 Request Header Fields Too Large", b"request headers too large")
            return
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > self.max_header_bytes:
            self._refuse(b"431 Request Header Fields Too Large", b"request headers too large")
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._cancel_timers()
        if self.transport.is_closing():
            return
        super().on_headers_complete()
        if not self.parser.should_upgrade() and self.cycle is not None and self.cycle.more_body:
            self._body_timer = self.loop.call_later(self.body_timeout, self._body_timed_out)

    def on_body(self, body: bytes) -> None:
        if self.transport.is_closing() or self.cycle is None:
            return  # refused before the request began: nothing to feed
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        if self.transport.is_closing() or self.cycle is None:
            return
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._cancel_timers()  # the websocket protocol takes the transport over (its own init timeout)
        super().handle_websocket_upgrade()

    def _arm_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_timed_out)

    def _cancel_timers(self) -> None:
        for timer in (self._header_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._body_timer = None

    def _refuse(self, status: bytes, text: bytes) -> None:
        self._cancel_timers()
        if not self.transport.is_closing():
            self.transport.write(_plain_response(status, text))
            self.transport.close()

    def _header_timed_out(self) -> None:
        self._header_timer = None
        self._refuse(b"408 Request Timeout", b"request headers not received in time")

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self.cycle is not None and self.cycle.more_body and not self.transport.is_closing():
            self.transport.close()  # the ASGI task sees http.disconnect


def guarded_protocol(
    header_timeout: float, body_timeout: float, max_header_bytes: int
) -> type[GuardedHttpToolsProtocol]:
    """The protocol class with these limits (uvicorn instantiates it per connection)."""
    return type(
        "GuardedHttpToolsProtocol",
        (GuardedHttpToolsProtocol,),
        {
            "header_timeout": header_timeout,
            "body_timeout": body_timeout,
            "max_header_bytes": max_header_bytes,
        },
    )


@dataclass(frozen=True)
class ServerLimits:
    header_timeout_seconds: float
    body_timeout_seconds: float
    max_header_bytes: int
    keep_alive_seconds: int
    max_connections: int


def run(app: Any, *, host: str, port: int, limits: ServerLimits) -> None:
    """Serve ``app`` with uvicorn until SIGTERM/SIGINT (`feedline serve`)."""
    import uvicorn

    _raise_open_files_limit(limits.max_connections + 512)
    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http=guarded_protocol(
            limits.header_timeout_seconds, limits.body_timeout_seconds, limits.max_header_bytes
        ),
        # The sans-I/O implementation: the legacy one is deprecated and its keepalive ping raised an
        # AssertionError (a logged traceback) when it met a send blocked on a slow client.
        ws="websockets-sansio",
        # A websocket message is bounded like an HTTP body (the document limit).
        ws_max_size=MAX_DOCUMENT_BYTES,
        timeout_keep_alive=limits.keep_alive_seconds,
        limit_concurrency=limits.max_connections,
        # X-Forwarded-For is handled by the app, from the trusted proxies only (api/clientaddr.py); uvicorn's
        # default would believe it from any local client.
        proxy_headers=False,
        log_level="info",
        log_config=None,  # uvicorn's loggers go to the root handler the process's logging set-up installed
        access_log=False,
        lifespan="on",
    )


def _raise_open_files_limit(wanted: int) -> None:
    """Room for max_connections sockets plus Redis, Neo4j and files (up to the hard limit)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
