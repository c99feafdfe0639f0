"""Every GraphQL error leaves with extensions.code; unexpected exceptions are logged and masked."""

from __future__ import annotations

import logging
from collections.abc import Callable

from graphql.error import GraphQLError
from neo4j.exceptions import ServiceUnavailable as Neo4jUnavailable
from neo4j.exceptions import SessionExpired
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from strawberry.extensions import MaskErrors
from strawberry.schema.exceptions import InvalidOperationTypeError

from graph.errors import FeedlineError, RateLimited

log = logging.getLogger("feedline.api.errors")

INTERNAL = "INTERNAL_SERVER_ERROR"
UNAVAILABLE = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "A backing service is unavailable; retry shortly."
# Redis or Neo4j cannot be reached (refused, timed out, cluster member gone): the client may retry.
BACKEND_DOWN: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    Neo4jUnavailable,
    SessionExpired,
    ConnectionError,
    TimeoutError,
)


def _closed_transport(error: BaseException) -> bool:
    """The event loop refusing a write on a connection that closed under the client: redis-py's cluster
    client racing its own slot-map refresh during a reshard (seen as a RuntimeError, not a ConnectionError,
    so neither its retries nor BACKEND_DOWN caught it). A connection failure like any other."""
    text = str(error)
    return isinstance(error, RuntimeError) and "unable to perform operation on" in text and "closed" in text


def extensions_of(error: GraphQLError, code: str) -> dict[str, object]:
    """extensions of the client-facing error: the code, plus retryAfter (seconds) for RATE_LIMITED."""
    extensions: dict[str, object] = {"code": code}
    original = error.original_error
    if isinstance(original, RateLimited):  # seconds until a retry may pass
        extensions["retryAfter"] = original.retry_after
    return extensions


# Refusals of strawberry's own for what the client sent: its business, not a server error to log.
CLIENT_MISTAKES: tuple[type[BaseException], ...] = (InvalidOperationTypeError,)

# Called (without arguments) whenever a resolver failed because a backend is unreachable: the API's circuit
# (api/circuit.py) registers here to start probing, so later requests fail fast while the outage lasts.
BACKEND_DOWN_LISTENERS: set[Callable[[], None]] = set()


def backend_down() -> None:
    for listener in list(BACKEND_DOWN_LISTENERS):
        listener()


def classify(error: GraphQLError) -> tuple[str, str]:
    """(code, client-safe message) for one error."""
    original = error.original_error
    if isinstance(original, FeedlineError):
        return original.code, original.message
    if original is None or isinstance(original, GraphQLError):
        # Parse/validation errors and coercion of variables (graphql-core wraps the coercion error, e.g. an
        # Int out of 32 bits, as original_error): the client sent something invalid.
        code = (error.extensions or {}).get("code")
        return (code if isinstance(code, str) else "BAD_USER_INPUT"), error.message
    if isinstance(original, CLIENT_MISTAKES):
        return (
            "BAD_USER_INPUT",
            error.message,
        )  # e.g. a query sent as the legacy graphql-ws protocol's "start"
    if isinstance(original, BACKEND_DOWN) or _closed_transport(original):
        log.warning("backing service unavailable at %s: %r", error.path, original)
        backend_down()
        return UNAVAILABLE, UNAVAILABLE_MESSAGE
    log.error("unexpected error in resolver at %s", error.path, exc_info=original)
    return INTERNAL, "Internal server error."


class CodedErrors(MaskErrors):
    """MaskErrors that keeps domain messages and adds extensions.code (never a stack trace)."""

    def _process_result(self, result: object) -> None:
        """MaskErrors' own, without its ``isinstance`` against a runtime-checkable Protocol, which walks the
        protocol's attributes on every call: once per operation and per subscription event (2% of an API
        process's CPU per delivered live event, issue 13's profile)."""
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        code, message = classify(error)
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=extensions_of(error, code),
        )
