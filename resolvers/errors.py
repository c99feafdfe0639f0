"""Every GraphQL error leaves with extensions.code; unexpected exceptions are logged and masked."""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from graph.errors import FeedlineError

log = logging.getLogger("feedline.api.errors")

INTERNAL = "INTERNAL_SERVER_ERROR"


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
    log.error("unexpected error in resolver at %s", error.path, exc_info=original)
    return INTERNAL, "Internal server error."


class CodedErrors(MaskErrors):
    """MaskErrors that keeps domain messages and adds extensions.code (never a stack trace)."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        code, message = classify(error)
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": code},
        )
