"""Pure fan-out-on-read: the home feed computed straight from the graph.

It is the correctness oracle of the hybrid feed and the baseline the benchmarks compare against.
"""

from __future__ import annotations

from typing import LiteralString

from neo4j import AsyncDriver

from graph.convert import TWEET_FIELDS, tweet_from
from graph.driver import DATABASE
from graph.records import TweetRecord

# The viewer's own tweets plus those of everyone they follow; per-author index-free scans bounded by
# ORDER BY ... LIMIT, newest first.
_PULL_HOME: LiteralString = (
    "MATCH (v:User {id: $v}) "
    "CALL (v) { MATCH (v)-[:FOLLOWS]->(a:User) RETURN a UNION RETURN v AS a } "
    "MATCH (a)-[:POSTED]->(t:Tweet) WHERE t.id < $before AND NOT t.deleted "
    "WITH a, t ORDER BY t.id DESC LIMIT $n "
    "RETURN t " + TWEET_FIELDS + " AS t"
)
# Timeline rebuild: the same, restricted to authors fanned out on write (not celebrities).
_PULL_ORDINARY_IDS: LiteralString = (
    "MATCH (v:User {id: $v}) "
    "CALL (v) { MATCH (v)-[:FOLLOWS]->(a:User) WHERE a.followerCount < $threshold AND NOT a.id IN $mode "
    "  RETURN a UNION RETURN v AS a } "
    "MATCH (a)-[:POSTED]->(t:Tweet) WHERE NOT t.deleted "
    "WITH t.id AS id ORDER BY id DESC LIMIT $n RETURN collect(id) AS ids"
)  # one record, not 800: the driver's per-record cost dominated the rebuild

MAX_BEFORE = 1 << 53


async def pull_home(
    driver: AsyncDriver, viewer_id: int, before_id: int | None, limit: int
) -> list[TweetRecord]:
    records, _, _ = await driver.execute_query(
        _PULL_HOME,
        v=viewer_id,
        before=MAX_BEFORE if before_id is None else before_id,
        n=limit,
        database_=DATABASE,
        routing_="r",
    )
    return [tweet_from(r["t"]) for r in records]


async def pull_ordinary_ids(
    driver: AsyncDriver, viewer_id: int, threshold: int, mode: list[int], limit: int
) -> list[int]:
    """Newest tweet ids for a timeline rebuild: the viewer's own and those of non-celebrity followees."""
    records, _, _ = await driver.execute_query(
        _PULL_ORDINARY_IDS,
        v=viewer_id,
        threshold=threshold,
        mode=mode,
        n=limit,
        database_=DATABASE,
        routing_="r",
    )
    return list(records[0]["ids"]) if records else []
