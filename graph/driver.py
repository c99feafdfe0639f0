"""Neo4j driver lifecycle (one async driver per process, verified on open), the sessions of the graph layer,
the one helper that runs a write query in a managed (retried) transaction, and the bookmarks a fan-out job
carries.

Causal consistency (what a `neo4j://` cluster needs; a single server gives it anyway): every query of a
process, ``execute_query`` and sessions alike, goes through the driver's one bookmark manager, so a process
reads its own writes even when the read lands on another member; reads are sent to readers (``routing_="r"``,
READ_ACCESS; tests/unit/graph/test_routing.py checks every query), writes to the leader. A fan-out job crosses
processes: the API puts its bookmarks into the stream message (``current_bookmarks``) and the worker adds them
to its own manager before it reads the author's followers (``await_bookmarks``), so the walk sees the post and
every follow committed before it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, LiteralString, TypeVar

from neo4j import (
    READ_ACCESS,
    WRITE_ACCESS,
    AsyncDriver,
    AsyncGraphDatabase,
    AsyncManagedTransaction,
    AsyncSession,
    Bookmarks,
    NotificationDisabledClassification,
    Record,
)
from neo4j.exceptions import ClientError, TransientError

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
        # "Unknown relationship type or property" notices: every query naming a kind of data a graph does not
        # hold yet (BLOCKS, repostOf, ... in a new or demo graph) logged a warning per run, flooding the logs.
        notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
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

    async with session(driver) as s:
        return await s.execute_write(work)


def session(driver: AsyncDriver, *, read: bool = False) -> AsyncSession:
    """A session of the graph layer: on the process's one bookmark manager (that of ``execute_query``), so
    that what it writes is seen by every later query of the process, and the other way round."""
    return driver.session(
        database=DATABASE,
        bookmark_manager=driver.execute_query_bookmark_manager,
        default_access_mode=READ_ACCESS if read else WRITE_ACCESS,
    )


async def current_bookmarks(driver: AsyncDriver) -> list[str]:
    """The bookmarks of everything this process has committed or read so far (for a job another process runs)."""
    return sorted(await driver.execute_query_bookmark_manager.get_bookmarks())


async def await_bookmarks(driver: AsyncDriver, bookmarks: list[str]) -> bool:
    """Make this process's next queries wait until the database has caught up with ``bookmarks`` (another
    process's writes, e.g. the post a fan-out job is about). False when the database refuses them (made by
    another store, e.g. a message older than a wiped Neo4j, or garbled): they are dropped again, since the
    manager would send them with every later query, and the job reads the database as it is."""
    if not bookmarks:
        return True
    manager = driver.execute_query_bookmark_manager
    await manager.update_bookmarks((), bookmarks)
    try:
        # An auto-commit query in a session holding just these bookmarks: one round trip where execute_query's
        # managed transaction takes two (BEGIN + RUN + PULL, then COMMIT), on every fan-out message.
        async with driver.session(
            database=DATABASE, default_access_mode=READ_ACCESS, bookmarks=Bookmarks.from_raw_values(bookmarks)
        ) as caught_up:
            await (await caught_up.run("RETURN 1")).consume()
        return True
    except (ClientError, TransientError):
        # A read without them gives bookmarks that replace them (the manager only drops what it replaces).
        async with driver.session(database=DATABASE, default_access_mode=READ_ACCESS) as fresh:
            await (await fresh.run("RETURN 1")).consume()
            current = (await fresh.last_bookmarks()).raw_values
        await manager.update_bookmarks(bookmarks, current)
        return False
