"""Constraints and indexes of the graph model (DESIGN.md §2), applied idempotently at start-up."""

from __future__ import annotations

from typing import LiteralString

from neo4j import AsyncDriver

from graph.driver import DATABASE

# `IF NOT EXISTS` makes every statement safe to run on each start.
SCHEMA_STATEMENTS: tuple[LiteralString, ...] = (
    "CREATE CONSTRAINT user_id IF NOT EXISTS FOR (u:User) REQUIRE u.id IS UNIQUE",
    # Handles are stored as typed and in `handleLower`; uniqueness is case-insensitive.
    "CREATE CONSTRAINT user_handle IF NOT EXISTS FOR (u:User) REQUIRE u.handleLower IS UNIQUE",
    "CREATE CONSTRAINT tweet_id IF NOT EXISTS FOR (t:Tweet) REQUIRE t.id IS UNIQUE",
    # Idempotency keys of posts (author id + the client's key); absent on most tweets.
    "CREATE CONSTRAINT tweet_idempotency IF NOT EXISTS FOR (t:Tweet) REQUIRE t.idempotencyKey IS UNIQUE",
    # The outbox (graph/outbox.py): unrelayed jobs are found by their label, old relayed ones by relayedAt.
    "CREATE CONSTRAINT job_id IF NOT EXISTS FOR (j:Job) REQUIRE j.id IS UNIQUE",
    "CREATE INDEX job_relayed IF NOT EXISTS FOR (j:Job) ON (j.relayedAt)",
    # Durable sessions (graph/sessions.py), found by the sha256 of their token.
    "CREATE CONSTRAINT session_token IF NOT EXISTS FOR (s:Session) REQUIRE s.tokenHash IS UNIQUE",
    "CREATE INDEX session_expires IF NOT EXISTS FOR (s:Session) ON (s.expiresAt)",
    "CREATE INDEX user_follower_count IF NOT EXISTS FOR (u:User) ON (u.followerCount)",
    "CREATE INDEX user_display_name IF NOT EXISTS FOR (u:User) ON (u.displayNameLower)",
    "CREATE INDEX tweet_created IF NOT EXISTS FOR (t:Tweet) ON (t.createdAt)",
    # Replies to an account (a follow backfills those by the follower's followees: fanout/service.py).
    "CREATE INDEX tweet_reply_to_author IF NOT EXISTS FOR (t:Tweet) ON (t.replyToAuthor)",
)


async def apply_schema(driver: AsyncDriver) -> None:
    for statement in SCHEMA_STATEMENTS:
        await driver.execute_query(statement, database_=DATABASE)
    await driver.execute_query("CALL db.awaitIndexes(60)", database_=DATABASE)
