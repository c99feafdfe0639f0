"""The transactional outbox (DESIGN.md §2 `Job`, §3 Post): a write's fan-out job is created in the write's own
Neo4j transaction, so a write that commits always has its job, whatever happens to Redis afterwards.

A job is ``(:Job:Unrelayed {id, kind, payload, createdAt})``: ``kind`` and ``payload`` are opaque here (the
fan-out codec, fanout/jobs.py, writes and reads them). The API queues the job on the stream right after the
commit; the worker's relay (fanout/worker.py) queues every job still unrelayed a few seconds later (an XADD that
failed, a process that died in between) and marks it relayed: the ``Unrelayed`` label goes, ``relayedAt`` is set.
Relayed jobs are deleted after a retention period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import LiteralString

from neo4j import AsyncDriver

from graph.driver import DATABASE

# Appended to a write query (after its last write clause, before RETURN); its parameters are ``job_params``.
CREATE_JOB: LiteralString = (
    "CREATE (:Job:Unrelayed {id: $job_id, kind: $job_kind, payload: $job_payload, createdAt: datetime()}) "
)


def with_job_variants(before: LiteralString, *queries: LiteralString) -> dict[LiteralString, LiteralString]:
    """Each query's variant that records a job: CREATE_JOB put before its one ``before`` clause (its RETURN)."""
    return {q: q.replace(before, CREATE_JOB + before, 1) for q in queries}


def job_query(
    variants: Mapping[LiteralString, LiteralString], query: LiteralString, job: OutboxJob | None
) -> tuple[LiteralString, dict[str, object]]:
    """What to run for ``query`` and ``job``: the query itself (no job), or its variant (``with_job_variants``)
    with the job's parameters."""
    return (query, {}) if job is None else (variants[query], job_params(job))


_UNRELAYED: LiteralString = (
    "MATCH (j:Unrelayed) WHERE j.createdAt <= datetime() - duration({milliseconds: $age_ms}) "
    "RETURN j.id AS id, j.kind AS kind, j.payload AS payload ORDER BY j.id LIMIT $n"
)
_MARK_RELAYED: LiteralString = (
    "UNWIND $ids AS jid MATCH (j:Unrelayed {id: jid}) REMOVE j:Unrelayed SET j.relayedAt = datetime()"
)
_PURGE: LiteralString = (
    "MATCH (j:Job) WHERE j.relayedAt < datetime() - duration({seconds: $age_s}) "
    "WITH j LIMIT $n DELETE j RETURN count(*) AS n"
)


@dataclass(frozen=True)
class OutboxJob:
    id: int
    kind: str
    payload: str


def job_params(job: OutboxJob) -> dict[str, object]:
    return {"job_id": job.id, "job_kind": job.kind, "job_payload": job.payload}


class OutboxRepo:
    def __init__(self, driver: AsyncDriver) -> None:
        self.driver = driver

    async def unrelayed(self, older_than_ms: int, limit: int) -> list[OutboxJob]:
        """Jobs not yet marked relayed that were created at least ``older_than_ms`` ago, oldest first."""
        records, _, _ = await self.driver.execute_query(
            _UNRELAYED, age_ms=older_than_ms, n=limit, database_=DATABASE, routing_="r"
        )
        return [OutboxJob(r["id"], r["kind"], r["payload"]) for r in records]

    async def mark_relayed(self, ids: list[int]) -> None:
        if ids:
            await self.driver.execute_query(_MARK_RELAYED, ids=ids, database_=DATABASE)

    async def purge_relayed(self, older_than_s: int, limit: int = 10_000) -> int:
        records, _, _ = await self.driver.execute_query(
            _PURGE, age_s=older_than_s, n=limit, database_=DATABASE
        )
        return int(records[0]["n"]) if records else 0
