"""Durable sessions (DESIGN.md §2 `Session`): ``(:Session {tokenHash, userId, createdAt, expiresAt})``.

Neo4j holds every session, so losing Redis (FLUSHALL, a restart without persistence) logs nobody out; Redis
only caches them (auth/tokens.py). Only the sha256 of a token is stored, never the token."""

from __future__ import annotations

from typing import LiteralString

from neo4j import AsyncDriver

from graph.driver import DATABASE

_CREATE: LiteralString = (
    "CREATE (:Session {tokenHash: $h, userId: $user, createdAt: datetime(), "
    "  expiresAt: datetime() + duration({seconds: $ttl})})"
)
# The session's user and its remaining lifetime in milliseconds, if it has not expired.
_GET: LiteralString = (
    "MATCH (s:Session {tokenHash: $h}) WHERE s.expiresAt > datetime() "
    "RETURN s.userId AS user, s.expiresAt.epochMillis - datetime().epochMillis AS left_ms"
)
_DELETE: LiteralString = "MATCH (s:Session {tokenHash: $h}) DELETE s RETURN count(*) AS n"
_PURGE: LiteralString = (
    "MATCH (s:Session) WHERE s.expiresAt < datetime() WITH s LIMIT $n DELETE s RETURN count(*) AS n"
)


class SessionRepo:
    def __init__(self, driver: AsyncDriver) -> None:
        self.driver = driver

    async def create(self, token_hash: str, user_id: int, ttl_seconds: int) -> None:
        await self.driver.execute_query(
            _CREATE, h=token_hash, user=user_id, ttl=ttl_seconds, database_=DATABASE
        )

    async def get(self, token_hash: str) -> tuple[int, int] | None:
        """(user id, milliseconds left) of a live session; None when unknown or expired."""
        records, _, _ = await self.driver.execute_query(_GET, h=token_hash, database_=DATABASE, routing_="r")
        if not records:
            return None
        return int(records[0]["user"]), int(records[0]["left_ms"])

    async def delete(self, token_hash: str) -> bool:
        records, _, _ = await self.driver.execute_query(_DELETE, h=token_hash, database_=DATABASE)
        return bool(records and records[0]["n"])

    async def purge_expired(self, limit: int = 10_000) -> int:
        records, _, _ = await self.driver.execute_query(_PURGE, n=limit, database_=DATABASE)
        return int(records[0]["n"]) if records else 0
