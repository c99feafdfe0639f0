"""Neo4j driver lifecycle: one async driver per process, verified on open."""

from __future__ import annotations

from neo4j import AsyncDriver, AsyncGraphDatabase

DATABASE = "neo4j"


async def open_driver(uri: str, user: str, password: str, *, max_pool_size: int = 100) -> AsyncDriver:
    driver = AsyncGraphDatabase.driver(uri, auth=(user, password), max_connection_pool_size=max_pool_size)
    try:
        await driver.verify_connectivity()
    except BaseException:
        await driver.close()
        raise
    return driver
