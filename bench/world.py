"""The bench's data, written straight into Neo4j in batched UNWIND transactions (no GraphQL, no rate limits).

Nodes have the same properties the graph repositories write (graph/users.py, graph/tweets.py) plus an extra
``:BenchData`` label, so the engine and the API read them like any other data and ``cleanup`` removes exactly
them. Ids come from the real snowflake generator with a worker id of the bench's own, so they are unique,
sort by time like real ones, and tweets posted later through the API are newer than the bench's history.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import LiteralString

from neo4j import AsyncDriver

from graph.driver import DATABASE
from graph.ids import IdGenerator

BENCH_WORKER_IDS = range(1000, 1024)  # the API processes the bench starts use 900+, the in-process engine 1
BATCH = 10_000


class _BenchIds:
    """One id source for every World of the process (two generators with one worker id would collide), spread
    over 24 worker ids so that bulk creation (4 ids per millisecond per worker) stays close to the clock."""

    def __init__(self) -> None:
        self._generators = [IdGenerator(w) for w in BENCH_WORKER_IDS]
        self._turn = 0

    def next_id(self) -> int:
        self._turn = (self._turn + 1) % len(self._generators)
        return self._generators[self._turn].next_id()


_IDS = _BenchIds()

_USERS: LiteralString = """
UNWIND $rows AS r
CREATE (u:User:BenchData {id: r.id, handle: r.h, handleLower: toLower(r.h), displayName: r.h,
        displayNameLower: toLower(r.h), bio: '', passwordHash: '', followerCount: 0, followingCount: 0,
        tweetCount: 0, createdAt: datetime({epochMillis: $ms}), lastActiveAt: datetime({epochMillis: $ms})})
"""
_FOLLOWS: LiteralString = """
UNWIND $rows AS r
MATCH (f:User {id: r[0]}) MATCH (u:User {id: r[1]})
CREATE (f)-[:FOLLOWS {since: datetime({epochMillis: $ms})}]->(u)
"""
_COUNTERS: LiteralString = """
UNWIND $ids AS uid
MATCH (u:User {id: uid})
SET u.followerCount = COUNT { (u)<-[:FOLLOWS]-() }, u.followingCount = COUNT { (u)-[:FOLLOWS]->() },
    u.tweetCount = COUNT { (u)-[:POSTED]->() }
"""
_TWEETS: LiteralString = """
UNWIND $rows AS r
MATCH (a:User {id: r[0]})
CREATE (a)-[:POSTED]->(:Tweet:BenchData {id: r[1], text: r[2], createdAt: datetime({epochMillis: $ms}),
        likeCount: 0, deleted: false})
"""
_CLEANUP: LiteralString = """
MATCH (n:BenchData)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
"""


@dataclass
class World:
    """Creates bench users, follows and tweets; remembers which users need their counters recomputed."""

    driver: AsyncDriver
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:4])
    ids: _BenchIds = field(default_factory=lambda: _IDS)
    _touched: set[int] = field(default_factory=set)
    _n: int = 0

    async def _run(self, query: LiteralString, rows: Sequence[object], key: str = "rows") -> None:
        ms = time.time_ns() // 1_000_000
        for start in range(0, len(rows), BATCH):
            params = {key: list(rows[start : start + BATCH]), "ms": ms}
            await self.driver.execute_query(query, params, database_=DATABASE)

    async def users(self, count: int, kind: str = "u") -> list[int]:
        rows = []
        for _ in range(count):
            self._n += 1
            rows.append({"id": self.ids.next_id(), "h": f"b{self.tag}{kind}{self._n}"[:15]})
        await self._run(_USERS, rows)
        return [int(r["id"]) for r in rows]  # type: ignore[call-overload]

    async def follow(self, pairs: Sequence[tuple[int, int]]) -> None:
        await self._run(_FOLLOWS, [list(p) for p in pairs])
        for f, u in pairs:
            self._touched.add(f)
            self._touched.add(u)

    async def tweets(self, author_ids: Sequence[int], per_author: int) -> list[int]:
        """``per_author`` tweets each, interleaved in time across authors (as if posted over a period)."""
        rows: list[list[object]] = []
        for k in range(per_author):
            for a in author_ids:
                rows.append([a, self.ids.next_id(), f"bench tweet {k} by {a}"])
        await self._run(_TWEETS, rows)
        self._touched.update(author_ids)
        return [int(r[1]) for r in rows]  # type: ignore[call-overload]

    async def follow_ladder(self, follow_counts: Sequence[int], per_author: int) -> list[int]:
        """The read scenarios' world, where viewers differ only in how many accounts they follow:
        max(follow_counts) authors with ``per_author`` tweets each, and one viewer per follow count K
        following the first K of them; counters fixed. Returns the viewers, in the order of the counts."""
        authors = await self.users(max(follow_counts), "a")
        viewers = await self.users(len(follow_counts), "v")
        for viewer, k in zip(viewers, follow_counts, strict=True):
            await self.follow([(viewer, a) for a in authors[:k]])
        await self.tweets(authors, per_author)
        await self.fix_counters()
        return viewers

    async def fix_counters(self) -> None:
        """followerCount/followingCount/tweetCount from the edges (what the repositories keep in step)."""
        await self._run(_COUNTERS, sorted(self._touched), key="ids")
        self._touched.clear()


async def cleanup(driver: AsyncDriver) -> None:
    """Delete every node the bench created (and their relationships)."""
    async with driver.session(database=DATABASE) as session:
        result = await session.run(_CLEANUP)
        await result.consume()
