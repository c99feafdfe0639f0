"""Typed domain errors. Each carries the GraphQL ``extensions.code`` the API answers with.

They live in ``graph/`` (the lowest layer) so every layer above can raise and catch them without importing
anything GraphQL-specific; ``api/`` maps ``code`` onto the response.
"""

from __future__ import annotations


class FeedlineError(Exception):
    """Base of every expected, client-facing failure."""

    code: str = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(FeedlineError):
    """The request is malformed or violates a limit (text length, handle format, cursor, self-follow...)."""

    code = "BAD_USER_INPUT"


class NotFound(FeedlineError):
    """A referenced user or tweet does not exist (or is deleted)."""

    code = "NOT_FOUND"


class Forbidden(FeedlineError):
    """The viewer may not do this (e.g. delete someone else's tweet)."""

    code = "FORBIDDEN"


class Unauthenticated(FeedlineError):
    code = "UNAUTHENTICATED"


class RateLimited(FeedlineError):
    """Too many requests; ``retry_after`` is how many seconds until the client may try again (the API answers
    it as ``extensions.retryAfter``)."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(FeedlineError):
    """Redis or Neo4j cannot be reached."""

    code = "SERVICE_UNAVAILABLE"
