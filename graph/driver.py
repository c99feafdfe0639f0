"""Neo4j driver lifecycle: one async driver per process, verified on open."""

from __future__ import annotations

from neo4j import AsyncDriver, AsyncGraphDatabase

DATABASE = "neo4j"


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
