"""GraphQL over HTTP and websockets (graphql-transport-ws and legacy graphql-ws) with bearer-token viewers."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from opentelemetry.trace import Span, SpanKind
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage as TransportInitMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UnsetType

from api.config import ApiConfig
from api.hub import LiveHub
from api.metrics import LIVE_CONNECTIONS
from api.persisted import CodedHTTPException, PersistedDocuments, PersistedQueries
from api.ratelimit import ClientLimits, RateLimiter
from api.static import graphiql_page
from auth.tokens import TokenStore, parse_bearer
from fanout.service import FeedService
from graph import telemetry
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

    async def handle_task_exception(self, error: Exception) -> None:
        """A client that leaves while one of its events is being sent ends that operation, nothing more:
        strawberry logs every error of an operation task as a traceback, this one included."""
        if isinstance(error, WebSocketDisconnected):
            return
        await super().handle_task_exception(error)


# ----------------------------------------------------------------------------------------------------------


class FeedlineGraphQL(PersistedQueries, GraphQL[RequestContext, None]):
    """Builds one RequestContext per HTTP request / websocket connection from app.state. Which operation of a
    document an HTTP request may run is checked by the schema (resolvers/operations.py), on the document it
    parsed; its refusals reach strawberry's view as operation-type errors and leave as 400s."""

    graphql_ws_handler_class = LegacyWSHandler
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, persisted: PersistedDocuments | None = None) -> None:
        self.persisted = persisted if persisted is not None else PersistedDocuments()
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            response: Response
            media_type = negotiate_media_type(Headers(scope=scope).get("accept"))
            started = time.perf_counter()
            if _declared_length(scope) > MAX_DOCUMENT_BYTES:
                response = _error_response(413, "document too large", media_type)
            else:
                try:
                    response = await self.run(Request(scope=scope, receive=receive))
                except HTTPException as exc:  # transport-level refusals answer JSON with a code too
                    code = exc.code if isinstance(exc, CodedHTTPException) else None
                    response = _error_response(exc.status_code, exc.reason, media_type, code)
                    if isinstance(exc, MethodNotAllowed):
                        response.headers["allow"] = "POST"
            # The server's share of the request's time, which a browser shows beside its own (resource timing's
            # serverTiming): the web client's performance test splits log-in-to-feed into server and client.
            response.headers["server-timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            await response(scope, receive, send)
            return
        LIVE_CONNECTIONS.inc()
        try:
            await super().__call__(scope, receive, send)
        finally:
            LIVE_CONNECTIONS.dec()

    # --- GraphQL over HTTP (media types, status codes, request errors; the module-level helpers below) ---
    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = negotiate_media_type(request.headers.get("accept"))
        return sub_response

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        media_type = sub_response.media_type or JSON
        status, headers = http_outcome(response_data, media_type)
        response = super().create_response(response_data, sub_response)
        response.status_code = sub_response.status_code or status
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        response.headers.update(headers)
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL build (no CDN) instead of strawberry's page, which loads React and GraphiQL from unpkg."""
        return graphiql_page()

    def should_render_graphql_ide(self, request: Any) -> bool:
        """GraphiQL only for a browser's page load: a GET without a document or a persisted-query reference
        that accepts HTML (strawberry also renders it for `Accept: */*`, i.e. for curl and an APQ GET)."""
        params = request.query_params
        return bool(
            request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
            and not any(params.get(name) for name in ("query", "extensions", "documentId"))
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """A mutation sent with GET is 405 with `Allow: POST` (strawberry answers 400). With tracing on, the
        operation is a span (its Redis and Neo4j calls are its children)."""
        try:
            with _operation_span(request_data.operation_name, request_adapter.method) as span:
                result = await super().execute_single(
                    request, request_adapter, sub_response, context, root_value, request_data
                )
                codes = sorted({str((e.extensions or {}).get("code")) for e in result.errors or ()})
                if span is not None and codes:
                    span.set_attribute("graphql.error.codes", codes)
                return result
        except HTTPException as exc:
            refused = exc.__cause__
            if (
                isinstance(refused, InvalidOperationTypeError)
                and refused.operation_type is OperationType.MUTATION
                and request_adapter.method == "GET"
            ):
                raise MethodNotAllowed(405, exc.reason) from exc
            raise

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
        # The peer address, or the client's behind a trusted proxy (api.clientaddr rewrites scope["client"]).
        client_ip = request.client.host if request.client else "unknown"
        rate_limit = ClientLimits(state.rate_limiter, client_ip)
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


@contextlib.contextmanager
def _operation_span(name: str | None, method: str) -> Iterator[Span | None]:
    """The operation's span while tracing is on (None otherwise). Named provisionally; once the document is
    parsed, OperationMetrics (resolvers/metrics.py) gives it its final name with the operation's type."""
    if not telemetry.enabled():
        yield None
        return
    with telemetry.tracer().start_as_current_span(
        f"graphql operation {name or 'anonymous'}",
        kind=SpanKind.SERVER,
        attributes={"graphql.operation.name": name or "", "http.request.method": method},
    ) as span:
        yield span


def _error_response(
    status: int, message: str, media_type: str = "application/json", code: str | None = None
) -> Response:
    """A request error (execution never started): no `data` entry, in the negotiated media type."""
    code = code or _status_code_name(status)
    ERRORS.labels(code=code).inc()
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return Response(body, status_code=status, media_type=f"{media_type}; charset=utf-8")


def _status_code_name(status: int) -> str:
    if status == 404:
        return "NOT_FOUND"
    if status == 503:
        return "SERVICE_UNAVAILABLE"
    return "BAD_USER_INPUT" if status < 500 else "INTERNAL_SERVER_ERROR"


# --- GraphQL over HTTP conventions (https://graphql.github.io/graphql-over-http/draft/) ---------------------
JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


class MethodNotAllowed(HTTPException):
    """A mutation sent with GET: 405 with `Allow: POST`."""


def negotiate_media_type(accept: str | None) -> str:
    """application/graphql-response+json when the client asks for it at least as much as for application/json;
    application/json otherwise (the default for clients that send no or an unrelated Accept)."""
    if not accept:
        return JSON
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media_range, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[media_range.lower()] = max(q, weights.get(media_range.lower(), 0.0))
    wanted = weights.get(GRAPHQL_RESPONSE_JSON, 0.0)
    if wanted > 0 and wanted >= weights.get(JSON, 0.0):
        return GRAPHQL_RESPONSE_JSON
    return JSON


def is_request_error(response_data: GraphQLHTTPResponse) -> bool:
    """Execution never started (parse, validation or variable-coercion failure): no data and no error with a
    path. A field error that nulls the whole result has a path, so it stays an execution result."""
    errors = response_data.get("errors")
    return (
        "data" in response_data
        and response_data["data"] is None
        and bool(errors)
        and all(isinstance(e, dict) and not e.get("path") for e in errors or ())
    )


def http_outcome(
    response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], media_type: str
) -> tuple[int, dict[str, str]]:
    """Status code and extra headers of a GraphQL result; drops `data` from a request error (in place).

    application/json: 200 for every well-formed request (the spec's legacy behaviour); with
    application/graphql-response+json a request error is a 400. A RATE_LIMITED error adds `Retry-After`."""
    status, headers = 200, {}
    for item in response_data if isinstance(response_data, list) else [response_data]:
        if is_request_error(item):
            del item["data"]
            if media_type == GRAPHQL_RESPONSE_JSON and not isinstance(response_data, list):
                status = 400
        retry_after = _retry_after(item)
        if retry_after is not None:
            headers["retry-after"] = str(retry_after)
    return status, headers


def _retry_after(response_data: GraphQLHTTPResponse) -> int | None:
    seconds = [
        e["extensions"]["retryAfter"]
        for e in response_data.get("errors") or ()
        if isinstance(e, dict)
        and (e.get("extensions") or {}).get("code") == "RATE_LIMITED"
        and isinstance((e.get("extensions") or {}).get("retryAfter"), int)
    ]
    return max(seconds) if seconds else None


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
    app_state.tokens = TokenStore(
        app_state.redis, prefix, config.token_ttl_seconds, sessions=SessionRepo(app_state.neo4j)
    )
    app_state.hub = LiveHub(app_state.redis, revocation_channel=app_state.tokens.revocation_channel)
    app_state.rate_limiter = RateLimiter(app_state.redis, prefix, config.rate_limits)
