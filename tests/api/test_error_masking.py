"""Domain errors keep their code and message; anything unexpected is masked as INTERNAL_SERVER_ERROR."""

from __future__ import annotations

import logging

import pytest
from graphql.error import GraphQLError

from graph.errors import BadInput, Forbidden, NotFound, RateLimited, ServiceUnavailable, Unauthenticated
from resolvers.errors import CodedErrors, classify


@pytest.mark.parametrize(
    "error",
    [
        BadInput("b"),
        NotFound("n"),
        Forbidden("f"),
        Unauthenticated("u"),
        RateLimited("r"),
        ServiceUnavailable("s"),
    ],
)
def test_domain_errors_keep_code_and_message(error: Exception) -> None:
    assert classify(GraphQLError("x", original_error=error)) == (error.code, error.message)  # type: ignore[attr-defined]


def test_unexpected_errors_are_masked_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="feedline.api.errors"):
        masked = CodedErrors().anonymise_error(
            GraphQLError("secret path /etc", original_error=KeyError("db"))
        )
    assert masked.message == "Internal server error."
    assert masked.extensions == {"code": "INTERNAL_SERVER_ERROR"}
    assert "secret" not in masked.message and caplog.records


def test_validation_errors_are_bad_user_input() -> None:
    assert classify(GraphQLError("Cannot query field"))[0] == "BAD_USER_INPUT"
