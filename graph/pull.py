"""Pure fan-out-on-read: the home feed computed straight from the graph.

It is the correctness oracle of the hybrid feed and the baseline the benchmarks compare against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString

from neo4j import AsyncDriver

from graph.convert import TWEET_FIELDS, tweet_from
from graph.driver import DATABASE
from graph.records import TweetRecord

# The viewer's own tweets plus those of everyone they follow and do not mute, under the rules of DESIGN.md §3:
# - a reply shows only if the viewer is, or follows, the account replied to (a reply to oneself always shows,
#   and so do the viewer's own replies);
# - a repost shows its original once, where it first appears: not when the original reaches the viewer by
#   itself (its author is the viewer or followed, and it passes the replies rule), nor when an older live
#   repost by someone whose reposts the viewer sees already shows it; never when the reposter's follow has
#   showReposts false, the original is deleted, or its author is muted, blocked or blocking.
# Newest first; one row per entry: its position (the tweet's or the repost's own id), who reposted it, and the
# original.
_PULL_HOME: LiteralString = (
    "MATCH (v:User {id: $v}) "
    "CALL (v) { MATCH (v)-[f:FOLLOWS]->(a:User) WHERE NOT EXISTS { (v)-[:MUTES]->(a) } "
    "  RETURN a, coalesce(f.showReposts, true) AS sr UNION RETURN v AS a, true AS sr } "
    "MATCH (a)-[:POSTED]->(t:Tweet) WHERE t.id < $before AND NOT t.deleted "
    "  AND (t.replyToAuthor IS NULL OR a = v OR t.replyToAuthor = a.id OR t.replyToAuthor = v.id "
    "    OR EXISTS { (v)-[:FOLLOWS]->(:User {id: t.replyToAuthor}) }) "
    "  AND (t.repostOf IS NULL OR (sr AND EXISTS { "
    "    MATCH (t)-[:REPOST_OF]->(o:Tweet)<-[:POSTED]-(oa:User) "
    "    WHERE NOT o.deleted AND NOT EXISTS { (v)-[:MUTES|BLOCKS]->(oa) } "
    "      AND NOT EXISTS { (oa)-[:BLOCKS]->(v) } "
    "      AND NOT ((oa = v OR EXISTS { (v)-[:FOLLOWS]->(oa) }) "
    "        AND (o.replyToAuthor IS NULL OR oa = v OR o.replyToAuthor = oa.id OR o.replyToAuthor = v.id "
    "          OR EXISTS { (v)-[:FOLLOWS]->(:User {id: o.replyToAuthor}) })) "
    "      AND NOT EXISTS { MATCH (o)<-[:REPOST_OF]-(r2:Tweet)<-[:POSTED]-(b:User) "
    "        WHERE r2.id < t.id AND NOT r2.deleted AND NOT EXISTS { (v)-[:MUTES]->(b) } "
    "          AND (b = v OR EXISTS { MATCH (v)-[f2:FOLLOWS]->(b) WHERE coalesce(f2.showReposts, true) }) } "
    "  })) "
    "WITH a, t ORDER BY t.id DESC LIMIT $n "
    "OPTIONAL MATCH (t)-[:REPOST_OF]->(o:Tweet)<-[:POSTED]-(oa:User) "
    "WITH t.id AS position, CASE WHEN o IS NULL THEN null ELSE a.id END AS repostedBy, "
    "  coalesce(o, t) AS t, coalesce(oa, a) AS a "
    "RETURN position, repostedBy, t " + TWEET_FIELDS + " AS t"
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


@dataclass(frozen=True)
class PullEntry:
    """One entry of the pulled home feed: where it stands (the tweet's or the repost's own id), the original
    tweet it shows, and who reposted it (None for an original)."""

    position: int
    tweet: TweetRecord
    reposted_by: int | None


async def pull_home(
    driver: AsyncDriver, viewer_id: int, before_id: int | None, limit: int
) -> list[TweetRecord]:
    """The tweets the home feed shows (originals), newest entry first; see ``pull_home_entries``."""
    return [e.tweet for e in await pull_home_entries(driver, viewer_id, before_id, limit)]


async def pull_home_entries(
    driver: AsyncDriver, viewer_id: int, before_id: int | None, limit: int
) -> list[PullEntry]:
    """Up to ``limit`` entries of the viewer's home feed below position ``before_id``, newest first."""
    records, _, _ = await driver.execute_query(
        _PULL_HOME,
        v=viewer_id,
        before=MAX_BEFORE if before_id is None else before_id,
        n=limit,
        database_=DATABASE,
        routing_="r",
    )
    return [PullEntry(int(r["position"]), tweet_from(r["t"]), r["repostedBy"]) for r in records]


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
