"""Websocket connections whose session is checked for their whole life, and bounded.

Both protocol handlers (graphql-transport-ws and the legacy graphql-ws) get:

- revocation: a connection authenticated with a token watches that token's revocations (the hub's pub/sub
  channel, fed by every API process's logOut) and is closed with 4403 as soon as it is revoked;
- expiry: a timer set from the token's remaining TTL closes it with 4403 when the token expires (re-checked
  every ``RECHECK_SECONDS`` too, in case a revocation message was lost while Redis reconnected);
- each new operation re-checks the token first, and nothing starts on a connection once it is revoked;
- caps on operations running at once per connection and per user (across this process's connections);
- an init timeout for the legacy protocol (graphql-transport-ws has strawberry's own, set from the same
  setting): a connection that never sends connection_init is closed with 4408.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage as TransportInitMessage,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage, StartMessage

from api.graphql_view import (
    BACKEND_DOWN_CLOSE_CODE,
    BACKEND_DOWN_CLOSE_REASON,
    LegacyWSHandler,
    TransportWSHandler,
)
from auth.tokens import TokenStore, token_digest
from resolvers.context import RequestContext
from resolvers.errors import BACKEND_DOWN

log = logging.getLogger("feedline.api.ws")

FORBIDDEN_CODE = 4403
FORBIDDEN_REASON = "Forbidden: token revoked or expired"
INIT_TIMEOUT_CODE = 4408
RECHECK_SECONDS = 60.0
EXPIRY_SLACK_SECONDS = 0.05

# viewer id -> this process's authenticated connections of that user
_connections: dict[int, set[SessionGuard]] = defaultdict(set)


class SessionGuard:
    """Mixed into a strawberry websocket handler (which provides context, websocket and view)."""

    context: RequestContext
    websocket: Any
    view: Any

    def _guard_init(self) -> None:
        self._revoked = False
        self._unwatch: Callable[[], None] | None = None
        self._expiry: asyncio.Task[None] | None = None
        self._viewer: int | None = None
        self._closing: asyncio.Task[None] | None = None  # keeps the closing task referenced

    # --- protocol specifics -------------------------------------------------------------------------------
    def running_operations(self) -> int:
        raise NotImplementedError

    async def cancel_operations(self) -> None:
        raise NotImplementedError

    async def refuse_operation(self, operation_id: str, message: str, code: str) -> None:
        raise NotImplementedError

    # --- session ------------------------------------------------------------------------------------------
    @property
    def _app_state(self) -> Any:
        return self.websocket.ws.app.state

    async def watch_session(self) -> None:
        """After connection_ack: watch the token's revocation and expiry (nothing for anonymous connections).
        A backend that fails now (Redis went down after connection_init's check) closes the socket with 1013
        and a reason, as one failing during connection_init does, not with a traceback and a bare 1006."""
        try:
            await self._watch_session()
        except BACKEND_DOWN:
            with contextlib.suppress(Exception):  # the client may be gone already
                await self.websocket.close(code=BACKEND_DOWN_CLOSE_CODE, reason=BACKEND_DOWN_CLOSE_REASON)

    async def _watch_session(self) -> None:
        token, viewer = self.context.viewer.token, self.context.viewer.id
        if token is None or viewer is None:
            return
        tokens: TokenStore = self._app_state.tokens
        self._unwatch = await self._app_state.hub.watch_revocation(token_digest(token), self._on_revoked)
        self._viewer = viewer
        _connections[viewer].add(self)
        # Checked again now that revocations are watched: one that happened since connection_init is seen here.
        lifetime = await tokens.lifetime(token)
        if lifetime is None:
            self._on_revoked()
            return
        self._expiry = asyncio.create_task(self._watch_expiry(tokens, token, lifetime[1]))

    async def _watch_expiry(self, tokens: TokenStore, token: str, seconds_left: float) -> None:
        while True:
            await asyncio.sleep(min(seconds_left + EXPIRY_SLACK_SECONDS, RECHECK_SECONDS))
            try:
                lifetime = await tokens.lifetime(token)
            except BACKEND_DOWN as exc:
                log.warning("cannot re-check a websocket's token (%r); retrying", exc)
                seconds_left = 1.0
                continue
            if lifetime is None:
                self._expiry = None  # this task is ending: close must not cancel it
                await self._close_forbidden()
                return
            seconds_left = lifetime[1]

    def _on_revoked(self) -> None:
        if self._revoked:
            return
        self._revoked = True
        self._closing = asyncio.get_running_loop().create_task(self._close_forbidden())

    async def _close_forbidden(self) -> None:
        self._revoked = True
        self.release_session()
        with contextlib.suppress(Exception):
            await self.cancel_operations()
        with contextlib.suppress(Exception):  # already closed by the client
            await self.websocket.close(code=FORBIDDEN_CODE, reason=FORBIDDEN_REASON)

    def release_session(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if self._expiry is not None and self._expiry is not asyncio.current_task():
            self._expiry.cancel()
        self._expiry = None
        if self._viewer is not None:
            peers = _connections.get(self._viewer)
            if peers is not None:
                peers.discard(self)
                if not peers:
                    del _connections[self._viewer]

    # --- operations ---------------------------------------------------------------------------------------
    async def admit_operation(self, operation_id: str, replacing: bool = False) -> bool:
        """Whether a new operation may start: the session is still valid and the caps leave room."""
        if self._revoked:
            await self._close_forbidden()
            return False
        token = self.context.viewer.token
        if token is not None:
            tokens: TokenStore = self._app_state.tokens
            try:
                lifetime = await tokens.lifetime(token)
            except BACKEND_DOWN:
                await self.refuse_operation(
                    operation_id, "A backing service is unavailable; retry shortly.", "SERVICE_UNAVAILABLE"
                )
                return False
            if lifetime is None:
                await self._close_forbidden()
                return False
        per_connection = self.view.max_subscriptions_per_connection
        if per_connection is not None and self.running_operations() - replacing >= per_connection:
            await self.refuse_operation(
                operation_id, f"at most {per_connection} operations may run on one connection", "RATE_LIMITED"
            )
            return False
        per_user = getattr(self.view, "max_subscriptions_per_user", None)
        if self._viewer is not None and per_user is not None:
            running = (
                sum(peer.running_operations() for peer in _connections.get(self._viewer, ())) - replacing
            )
            if running >= per_user:
                await self.refuse_operation(
                    operation_id, f"at most {per_user} operations may run per user", "RATE_LIMITED"
                )
                return False
        return True


class GuardedTransportWSHandler(SessionGuard, TransportWSHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard_init()

    def running_operations(self) -> int:
        return len(self.operations)

    async def cancel_operations(self) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)

    async def refuse_operation(self, operation_id: str, message: str, code: str) -> None:
        await self.send_message(
            {
                "id": operation_id,
                "type": "error",
                "payload": [{"message": message, "extensions": {"code": code}}],
            }
        )

    async def handle_connection_init(self, message: TransportInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged:
            await self.watch_session()

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # (A duplicate id is closed with 4409 by strawberry.)
        duplicate = message["id"] in self.operations
        if self.connection_acknowledged and not duplicate and not await self.admit_operation(message["id"]):
            return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        self.release_session()
        await super().shutdown()


class GuardedLegacyWSHandler(SessionGuard, LegacyWSHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard_init()

    def running_operations(self) -> int:
        return len(self.tasks)

    async def cancel_operations(self) -> None:
        for operation_id in list(self.tasks):
            await self.cleanup_operation(operation_id)

    async def refuse_operation(self, operation_id: str, message: str, code: str) -> None:
        await self.send_message(
            {
                "type": "error",
                "id": operation_id,
                "payload": {"message": message, "extensions": {"code": code}},
            }
        )

    async def handle(self) -> None:
        deadline = asyncio.create_task(self._init_deadline())
        try:
            await super().handle()
        finally:
            deadline.cancel()
            self.release_session()

    async def _init_deadline(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self.connection_acknowledged:
            with contextlib.suppress(Exception):
                await self.websocket.close(code=INIT_TIMEOUT_CODE, reason="Connection initialisation timeout")

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.connection_acknowledged:
            return  # one init per connection
        await super().handle_connection_init(message)
        if self.connection_acknowledged:
            await self.watch_session()

    async def handle_start(self, message: StartMessage) -> None:
        # A start with the id of a running operation replaces it (strawberry stops the old one).
        replacing = message["id"] in self.tasks
        if self.connection_acknowledged and not await self.admit_operation(message["id"], replacing):
            return
        await super().handle_start(message)
