"""Neo4j driver lifecycle (one async driver per process, verified on open) and the one helper that runs a
write query in a managed (retried) transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, LiteralString, TypeVar

from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction, Record

DATABASE = "neo4j"
T = TypeVar("T")


async def open_driver(
    uri: str,
    user: str,
    password: str,
    *,
    max_pool_size: int = 100,
    max_retry_s: float = 30.0,
    connection_timeout_s: float = 30.0,
) -> AsyncDriver:
    """A verified driver. Managed transactions retry transient failures for up to ``max_retry_s``: long for
    background work (the worker, seeding), short for the API, where a client is waiting for an answer."""
    driver = AsyncGraphDatabase.driver(
        uri,
        auth=(user, password),
        max_connection_pool_size=max_pool_size,
        max_transaction_retry_time=max_retry_s,
        connection_timeout=connection_timeout_s,
    )
    try:
        await driver.verify_connectivity()
    except BaseException:
        await driver.close()
        raise
    return driver


async def write_single(
    driver: AsyncDriver, query: LiteralString, project: Callable[[Record], T], **params: Any
) -> T | None:
    """Run ``query`` in a write transaction and return ``project`` of its single record, or None when it
    returned no record. ``project`` runs inside the transaction: raising there rolls the transaction back.
    The driver retries the whole transaction on transient failures (so ``project`` must not have effects)."""

    async def work(tx: AsyncManagedTransaction) -> T | None:
        result = await tx.run(query, params)
        record = await result.single()
        return None if record is None else project(record)

    async with driver.session(database=DATABASE) as session:
        return await session.execute_write(work)
