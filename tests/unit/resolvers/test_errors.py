"""Every GraphQL error gets a code and a client-safe message (resolvers/errors.py)."""

from __future__ import annotations

import pytest
from graphql import GraphQLError
from redis.exceptions import ConnectionError as RedisConnectionError

from graph.errors import BadInput, Forbidden, NotFound, RateLimited, Unauthenticated
from resolvers.errors import INTERNAL, UNAVAILABLE, UNAVAILABLE_MESSAGE, CodedErrors, classify


def wrapped(original: Exception | None, message: str = "raw", **extensions: object) -> GraphQLError:
    return GraphQLError(message, original_error=original, extensions=extensions or None)


@pytest.mark.parametrize(
    "error", [BadInput("b"), NotFound("n"), Forbidden("f"), Unauthenticated("u"), RateLimited("r")]
)
def test_domain_errors_keep_code_and_message(error: BadInput) -> None:
    assert classify(wrapped(error)) == (error.code, error.message)


def test_invalid_documents_are_bad_user_input() -> None:
    assert classify(wrapped(None, "Cannot query field 'nope'")) == (
        "BAD_USER_INPUT",
        "Cannot query field 'nope'",
    )
    coercion = GraphQLError("Int cannot represent", original_error=GraphQLError("inner"))
    assert classify(coercion) == ("BAD_USER_INPUT", "Int cannot represent")
    assert classify(wrapped(None, "x", code="SOMETHING")) == ("SOMETHING", "x")


def test_backend_outages_are_retryable_without_detail() -> None:
    assert classify(wrapped(RedisConnectionError("10.0.0.1:6379 refused"))) == (
        UNAVAILABLE,
        UNAVAILABLE_MESSAGE,
    )
    assert classify(wrapped(TimeoutError())) == (UNAVAILABLE, UNAVAILABLE_MESSAGE)
    # A pipeline racing the cluster client's slot-map refresh (a reshard) writes to a closed transport.
    closed = RuntimeError("unable to perform operation on <TCPTransport closed=True>; the handler is closed")
    assert classify(wrapped(closed)) == (UNAVAILABLE, UNAVAILABLE_MESSAGE)
    assert classify(wrapped(RuntimeError("something else"))) == (INTERNAL, "Internal server error.")


def test_unexpected_errors_are_masked() -> None:
    assert classify(wrapped(KeyError("secret internals"))) == (INTERNAL, "Internal server error.")


def test_coded_error_carries_only_the_code() -> None:
    masked = CodedErrors().anonymise_error(wrapped(ValueError("boom"), path=None))
    assert masked.message == "Internal server error."
    assert masked.extensions == {"code": INTERNAL}
    assert masked.original_error is None
