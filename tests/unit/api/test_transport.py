"""The HTTP transport's pure helpers: bearer parsing, the declared document size, error responses."""

from __future__ import annotations

import json

import pytest

from api.graphql_view import _declared_length, _error_response
from auth.tokens import parse_bearer
from resolvers.limits import MAX_DOCUMENT_BYTES


@pytest.mark.parametrize("header", [None, "", "   "])
def test_no_bearer(header: str | None) -> None:
    assert parse_bearer(header) is None


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
        ("  Bearer a.b-c_d= ", "a.b-c_d="),
    ],
)
def test_bearer_token(header: str, token: str) -> None:
    assert parse_bearer(header) == token


@pytest.mark.parametrize("header", ["abc", "Basic dXNlcjpwdw==", "Bearer", "Bearer   ", "Token abc"])
def test_malformed_authorization_raises(header: str) -> None:
    with pytest.raises(ValueError, match="malformed"):
        parse_bearer(header)


def scope(headers: list[tuple[bytes, bytes]], query_string: bytes = b"") -> dict[str, object]:
    return {"type": "http", "headers": headers, "query_string": query_string}


def test_declared_length_is_content_length() -> None:
    assert _declared_length(scope([(b"host", b"x"), (b"content-length", b"1234")])) == 1234


def test_unreadable_content_length_counts_as_too_large() -> None:
    for value in (b"-1", b"12a", b"", b"1e9"):
        assert _declared_length(scope([(b"content-length", value)])) > MAX_DOCUMENT_BYTES


def test_without_content_length_the_query_string_counts() -> None:
    assert _declared_length(scope([], b"query=%7B+viewer+%7D")) == len(b"query=%7B+viewer+%7D")
    assert _declared_length({"type": "http"}) == 0


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "BAD_USER_INPUT"),
        (404, "NOT_FOUND"),
        (405, "BAD_USER_INPUT"),
        (413, "BAD_USER_INPUT"),
        (500, "INTERNAL_SERVER_ERROR"),
        (503, "SERVICE_UNAVAILABLE"),
    ],
)
def test_error_response_coding(status: int, code: str) -> None:
    response = _error_response(status, "why")
    assert response.status_code == status
    assert json.loads(bytes(response.body)) == {"errors": [{"message": "why", "extensions": {"code": code}}]}
