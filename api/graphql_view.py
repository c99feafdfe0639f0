"""GraphQL over HTTP and websockets (graphql-transport-ws and legacy graphql-ws) with bearer-token viewers."""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage as TransportInitMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from api.config import ApiConfig
from api.hub import LiveHub
from api.metrics import LIVE_CONNECTIONS
from api.ratelimit import RateLimiter
from auth.tokens import TokenStore, parse_bearer
from fanout.service import FeedService
from graph.sessions import SessionRepo
from resolvers.context import RequestContext
from resolvers.errors import BACKEND_DOWN, UNAVAILABLE_MESSAGE, CodedErrors
from resolvers.limits import MAX_DOCUMENT_BYTES
from resolvers.metrics import ERRORS
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
        except BACKEND_DOWN:
            await self.websocket.close(code=BACKEND_DOWN_CLOSE_CODE, reason=BACKEND_DOWN_CLOSE_REASON)
            return
        if isinstance(ack_payload, UnsetType) or ack_payload is None:
            await self.send_message({"type": "connection_ack"})
        else:
            await self.send_message({"type": "connection_ack", "payload": ack_payload})
        self.connection_acknowledged = True


# --- issue 11: a backend error while a websocket connects is a close code the client can act on -----------
BACKEND_DOWN_CLOSE_CODE = 1013  # Try Again Later
BACKEND_DOWN_CLOSE_REASON = "service unavailable: a backing service is down; retry shortly"


class TransportWSHandler(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """graphql-transport-ws: Redis or Neo4j unreachable while connection_init authenticates closes the socket
    with 1013 and a reason (strawberry would let the error escape: a traceback and a bare 1006)."""

    async def handle_connection_init(self, message: TransportInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except BACKEND_DOWN:
            await self.websocket.close(code=BACKEND_DOWN_CLOSE_CODE, reason=BACKEND_DOWN_CLOSE_REASON)


# ----------------------------------------------------------------------------------------------------------


class FeedlineGraphQL(GraphQL[RequestContext, None]):
    """Builds one RequestContext per HTTP request / websocket connection from app.state. Which operation of a
    document an HTTP request may run is checked by the schema (resolvers/operations.py), on the document it
    parsed; its refusals reach strawberry's view as operation-type errors and leave as 400s."""

    graphql_ws_handler_class = LegacyWSHandler
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            response: Response
            if _declared_length(scope) > MAX_DOCUMENT_BYTES:
                response = _error_response(413, "document too large")
            else:
                try:
                    response = await self.run(Request(scope=scope, receive=receive))
                except HTTPException as exc:  # transport-level refusals answer JSON with a code too
                    response = _error_response(exc.status_code, exc.reason)
            await response(scope, receive, send)
            return
        LIVE_CONNECTIONS.inc()
        try:
            await super().__call__(scope, receive, send)
        finally:
            LIVE_CONNECTIONS.dec()

    def encode_json(self, data: object) -> str:
        """orjson instead of json.dumps for every HTTP response and websocket message (a str, so websocket
        frames stay text frames)."""
        return orjson.dumps(data).decode()

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        """Safety net: an error that skipped the CodedErrors extension (strawberry reports errors raised by
        an extension's own hooks, e.g. a parse in ParserCache, outside the operation) still leaves with a
        code and a client-safe message."""
        if result.errors:
            coder, coded = CodedErrors(), []
            for error in result.errors:
                if not (error.extensions or {}).get("code"):
                    error = coder.anonymise_error(error)
                    ERRORS.labels(
                        code=str((error.extensions or {}).get("code"))
                    ).inc()  # missed by OperationMetrics
                coded.append(error)
            result.errors = coded
        return await super().process_result(request, result)

    def parse_json(self, data: str | bytes) -> Any:
        """A body that is JSON but neither an object nor a batch (a string, a number, null) is refused as a
        400 like malformed JSON (strawberry would fail on it with an AttributeError, a 500)."""
        parsed = super().parse_json(data)
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "the request body must be a JSON object")
        return parsed

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        state = request.app.state
        client_ip = request.client.host if request.client else "unknown"
        limiter: RateLimiter = state.rate_limiter

        async def rate_limit(action: str, subject: str) -> None:
            await limiter.check(action, client_ip, subject)

        if isinstance(request, WebSocket):
            websocket = request

            async def close_connection(code: int, reason: str) -> None:
                await websocket.close(code=code, reason=reason)

            # The viewer comes later, with connection_init (on_ws_connect).
            return RequestContext(
                state.feed_service,
                state.tokens,
                transport="websocket",
                rate_limit=rate_limit,
                hub=state.hub,
                close_connection=close_connection,
            )
        context = RequestContext(
            state.feed_service,
            state.tokens,
            rate_limit=rate_limit,
            hub=state.hub,
            idempotency_key=request.headers.get("idempotency-key"),  # issue 11: retried posts
        )
        try:
            token = parse_bearer(request.headers.get("authorization"))
        except ValueError:
            token = "malformed"
        if token is not None:
            try:
                # A forged/expired token is an error (the viewer holds a bad token), not a silent downgrade
                # to anonymous.
                await context.accounts.authenticate(token)
            except BACKEND_DOWN as exc:
                raise HTTPException(503, UNAVAILABLE_MESSAGE) from exc
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
        if token is None or not await context.accounts.authenticate(token):
            raise ConnectionRejectionError(REFUSED)
        return None


def _error_response(status: int, message: str) -> JSONResponse:
    if status == 404:
        code = "NOT_FOUND"
    elif status == 503:
        code = "SERVICE_UNAVAILABLE"
    else:
        code = "BAD_USER_INPUT" if status < 500 else "INTERNAL_SERVER_ERROR"
    ERRORS.labels(code=code).inc()
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


def _declared_length(scope: Scope) -> int:
    """Content-Length (POST) or query-string length (GET); oversized documents are refused unread."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else MAX_DOCUMENT_BYTES + 1
    return len(scope.get("query_string", b""))


def build_feed_service(app_state: Any, config: ApiConfig) -> None:
    """Put the engine facade and token store on app.state (called from the app lifespan)."""
    prefix = config.engine.key_prefix
    app_state.feed_service = FeedService(app_state.neo4j, app_state.redis, config.engine)
    app_state.hub = LiveHub(app_state.redis)
    app_state.rate_limiter = RateLimiter(app_state.redis, prefix, config.rate_limits)
    app_state.tokens = TokenStore(
        app_state.redis, prefix, config.token_ttl_seconds, sessions=SessionRepo(app_state.neo4j)
    )
