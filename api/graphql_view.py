"""GraphQL over HTTP and websockets (graphql-transport-ws and legacy graphql-ws) with bearer-token viewers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage
from strawberry.types.unset import UnsetType

from api.auth import TokenStore, parse_bearer
from api.hub import LiveHub
from api.metrics import LIVE_CONNECTIONS
from api.ratelimit import RateLimiter
from fanout.service import FeedService
from feedline.engine_config import engine_config
from feedline.settings import Settings
from resolvers.context import RequestContext
from resolvers.limits import MAX_DOCUMENT_BYTES
from resolvers.schema import schema

REFUSED: dict[str, object] = {
    "message": "invalid or expired token",
    "extensions": {"code": "UNAUTHENTICATED"},
}


class LegacyWSHandler(BaseGraphQLWSHandler[RequestContext, None]):
    """Legacy graphql-ws: a refused connection_init gets the protocol's `connection_error` and then the same
    close code as graphql-transport-ws (4403, per the contract) instead of strawberry's 1011 (internal error)."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            await self.send_message({"type": "connection_error"})
            await self.websocket.close(code=1000, reason="")
            return
        self.context.connection_params = payload
        try:
            ack_payload = await self.view.on_ws_connect(self.context)
        except ConnectionRejectionError as exc:
            await self.send_message({"type": "connection_error", "payload": exc.payload})
            await self.websocket.close(code=4403, reason="Forbidden")
            return
        if isinstance(ack_payload, UnsetType) or ack_payload is None:
            await self.send_message({"type": "connection_ack"})
        else:
            await self.send_message({"type": "connection_ack", "payload": ack_payload})
        self.connection_acknowledged = True


class FeedlineGraphQL(GraphQL[RequestContext, None]):
    """Builds one RequestContext per HTTP request / websocket connection from app.state."""

    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _declared_length(scope) > MAX_DOCUMENT_BYTES:
            response = JSONResponse(
                {"errors": [{"message": "document too large", "extensions": {"code": "BAD_USER_INPUT"}}]},
                status_code=413,
            )
            await response(scope, receive, send)
            return
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        LIVE_CONNECTIONS.inc()
        try:
            await super().__call__(scope, receive, send)
        finally:
            LIVE_CONNECTIONS.dec()

    def _base_context(self, request: Request | WebSocket) -> RequestContext:
        state = request.app.state
        client_ip = request.client.host if request.client else "unknown"
        limiter: RateLimiter = state.rate_limiter

        async def rate_limit(action: str, subject: str) -> None:
            await limiter.check(action, client_ip, subject)

        return RequestContext(
            service=state.feed_service, tokens=state.tokens, rate_limit=rate_limit, hub=state.hub
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        context = self._base_context(request)
        if isinstance(request, Request):
            try:
                token = parse_bearer(request.headers.get("authorization"))
            except ValueError:
                token = "malformed"
            if token is not None:
                viewer_id = await context.tokens.resolve(token)
                if viewer_id is None:
                    # A forged/expired token is an error, not a silent downgrade to anonymous.
                    context.bad_token = True
                else:
                    context.viewer_id, context.token = viewer_id, token
        return context

    async def on_ws_connect(self, context: RequestContext) -> Any:
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        raw = params.get("authorization") or params.get("Authorization")
        if raw is None:
            return None  # anonymous connection: viewer-requiring operations answer UNAUTHENTICATED
        try:
            token = parse_bearer(str(raw))
        except ValueError as exc:
            raise ConnectionRejectionError(REFUSED) from exc
        viewer_id = await context.tokens.resolve(token) if token else None
        if viewer_id is None:
            raise ConnectionRejectionError(REFUSED)
        context.viewer_id, context.token = viewer_id, token
        return None


def _declared_length(scope: Scope) -> int:
    """Content-Length (POST) or query-string length (GET); oversized documents are refused unread."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else MAX_DOCUMENT_BYTES + 1
    return len(scope.get("query_string", b""))


def build_feed_service(app_state: Any, settings: Settings) -> None:
    """Put the engine facade and token store on app.state (called from the app lifespan)."""
    app_state.feed_service = FeedService(app_state.neo4j, app_state.redis, engine_config(settings))
    app_state.hub = LiveHub(app_state.redis)
    app_state.rate_limiter = RateLimiter(app_state.redis, settings)
    app_state.tokens = TokenStore(app_state.redis, settings.key_prefix, settings.token_ttl_seconds)
