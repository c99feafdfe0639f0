"""FOLLOWS edges: idempotent follow/unfollow with both counters in the same transaction, paged reads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

from neo4j import AsyncDriver, Record

from graph.convert import USER_FIELDS, user_from
from graph.driver import DATABASE, session, write_single
from graph.errors import BadInput, Forbidden, NotFound
from graph.outbox import OutboxJob, job_query, with_job_variants
from graph.records import UserRecord

# MERGE locks both nodes, so two concurrent follows of the same pair create one edge and count once.
# ``showReposts`` is set on every follow (a follow of an account already followed only changes it); nothing is
# written across a block (either way) or to oneself. ``wasShowing``: the setting before (null: not following).
_FOLLOW: LiteralString = (
    "MATCH (f:User {id: $f}) MATCH (u:User {handleLower: toLower($h)}) "
    "WITH f, u, u.followerCount AS before, EXISTS { (f)-[:BLOCKS]-(u) } AS blocked "
    "OPTIONAL MATCH (f)-[old:FOLLOWS]->(u) "
    "WITH f, u, before, blocked, CASE WHEN old IS NULL THEN null ELSE coalesce(old.showReposts, true) END "
    "  AS wasShowing "
    "CALL (f, u, blocked) { WITH f, u, blocked WHERE f <> u AND NOT blocked "
    "  MERGE (f)-[r:FOLLOWS]->(u) "
    "  ON CREATE SET r.since = datetime({epochMillis: $ms}), "
    "    f.followingCount = f.followingCount + 1, u.followerCount = u.followerCount + 1 "
    "  SET r.showReposts = $sr } "
    "RETURN u " + USER_FIELDS + " AS u, before, f.id = u.id AS self, blocked, wasShowing"
)
_UNFOLLOW: LiteralString = (
    "MATCH (f:User {id: $f}) MATCH (u:User {handleLower: toLower($h)}) "
    "WITH f, u, u.followerCount AS before "
    "CALL (f, u) { WITH f, u MATCH (f)-[r:FOLLOWS]->(u) DELETE r "
    "  SET f.followingCount = f.followingCount - 1, u.followerCount = u.followerCount - 1 } "
    "RETURN u " + USER_FIELDS + " AS u, before, f.id = u.id AS self, false AS blocked, null AS wasShowing"
)
# Mutes and blocks: MERGE / DELETE of the edge, idempotent; ``changed`` says whether it was written. A block
# also deletes the follows both ways with their counters, in the same transaction.
_MUTE: LiteralString = (
    "MATCH (f:User {id: $f}) MATCH (u:User {handleLower: toLower($h)}) WHERE f <> u "
    "WITH f, u, EXISTS { (f)-[:MUTES]->(u) } AS had "
    "MERGE (f)-[m:MUTES]->(u) ON CREATE SET m.since = datetime({epochMillis: $ms}) "
    "RETURN u " + USER_FIELDS + " AS u, NOT had AS changed, false AS dropped, false AS lost"
)
_UNMUTE: LiteralString = (
    "MATCH (f:User {id: $f}) MATCH (u:User {handleLower: toLower($h)}) WHERE f <> u "
    "OPTIONAL MATCH (f)-[m:MUTES]->(u) DELETE m "
    "RETURN u " + USER_FIELDS + " AS u, m IS NOT NULL AS changed, false AS dropped, false AS lost"
)
_BLOCK: LiteralString = (
    "MATCH (f:User {id: $f}) MATCH (u:User {handleLower: toLower($h)}) WHERE f <> u "
    "WITH f, u, EXISTS { (f)-[:BLOCKS]->(u) } AS had "
    "MERGE (f)-[b:BLOCKS]->(u) ON CREATE SET b.since = datetime({epochMillis: $ms}) "
    "WITH f, u, had "
    "OPTIONAL MATCH (f)-[out:FOLLOWS]->(u) "
    "FOREACH (r IN CASE WHEN out IS NULL THEN [] ELSE [out] END | DELETE r "
    "  SET f.followingCount = f.followingCount - 1, u.followerCount = u.followerCount - 1) "
    "WITH f, u, had, out IS NOT NULL AS dropped "
    "OPTIONAL MATCH (u)-[inc:FOLLOWS]->(f) "
    "FOREACH (r IN CASE WHEN inc IS NULL THEN [] ELSE [inc] END | DELETE r "
    "  SET u.followingCount = u.followingCount - 1, f.followerCount = f.followerCount - 1) "
    "RETURN u " + USER_FIELDS + " AS u, NOT had AS changed, dropped, inc IS NOT NULL AS lost"
)
_UNBLOCK: LiteralString = (
    "MATCH (f:User {id: $f}) MATCH (u:User {handleLower: toLower($h)}) WHERE f <> u "
    "OPTIONAL MATCH (f)-[b:BLOCKS]->(u) DELETE b "
    "RETURN u " + USER_FIELDS + " AS u, b IS NOT NULL AS changed, false AS dropped, false AS lost"
)
# Each write with a job (graph/outbox.py) recorded in its transaction: the repair of its Redis follow-up.
_WITH_JOB = with_job_variants("RETURN u ", _FOLLOW, _UNFOLLOW, _MUTE, _UNMUTE, _BLOCK, _UNBLOCK)
# Whom ``uid`` must not see in feeds: muted, blocked, or blocking them (the content of ``mu:{uid}``).
_HIDDEN_IDS: LiteralString = (
    "MATCH (v:User {id: $u}) "
    "RETURN [(v)-[:MUTES|BLOCKS]->(o:User) | o.id] + [(o:User)-[:BLOCKS]->(v) | o.id] AS ids"
)
_NO_REPOST_IDS: LiteralString = (
    "MATCH (:User {id: $u})-[r:FOLLOWS]->(o:User) WHERE r.showReposts = false RETURN collect(o.id) AS ids"
)
_BLOCKED_AMONG: LiteralString = (
    "MATCH (v:User {id: $v}) UNWIND $ids AS oid MATCH (o:User {id: oid}) "
    "WHERE EXISTS { (v)-[:BLOCKS]-(o) } RETURN o.id AS id"
)
_RELATION_FLAGS: LiteralString = (
    "MATCH (v:User {id: $v}) UNWIND $ids AS oid MATCH (o:User {id: oid}) "
    "OPTIONAL MATCH (v)-[f:FOLLOWS]->(o) "
    "RETURN oid AS id, EXISTS { (v)-[:MUTES]->(o) } AS mutes, EXISTS { (v)-[:BLOCKS]->(o) } AS blocks, "
    "  coalesce(f.showReposts, true) AS showsReposts"
)
_EXISTS: LiteralString = "MATCH (u:User {id: $id}) RETURN u.id AS id"
# All follower ids above the checkpoint, sorted once and cut into pages server side: one record per page,
# streamed. (Keyset paging re-expanded every follower for each page, quadratic: 50K followers took 2.3 s; and
# one record per id cost ~60 us each in the driver.) The server holds at most one author's follower ids,
# bounded by the celebrity threshold since celebrities are not fanned out.
_FOLLOWER_ID_PAGES: LiteralString = (
    "MATCH (:User {id: $u})<-[:FOLLOWS]-(f:User) WHERE f.id > $after "
    "WITH f.id AS id ORDER BY id WITH collect(id) AS ids "
    "UNWIND range(0, size(ids) - 1, $n) AS i RETURN ids[i..i + $n] AS page"
)
_FOLLOWERS_PAGE: LiteralString = (
    "MATCH (target:User {id: $u}) "
    "OPTIONAL CALL (target) { MATCH (target)<-[r:FOLLOWS]-(u:User) "
    "  WITH r, u, r.since.epochMillis AS since "
    "  WHERE since < $since OR (since = $since AND u.id < $after) "
    "  RETURN u, since ORDER BY since DESC, u.id DESC LIMIT $n } "
    "RETURN target.followerCount AS total, collect({u: u " + USER_FIELDS + ", since: since}) AS rows"
)
_FOLLOWING_PAGE: LiteralString = (
    "MATCH (target:User {id: $u}) "
    "OPTIONAL CALL (target) { MATCH (target)-[r:FOLLOWS]->(u:User) "
    "  WITH r, u, r.since.epochMillis AS since "
    "  WHERE since < $since OR (since = $since AND u.id < $after) "
    "  RETURN u, since ORDER BY since DESC, u.id DESC LIMIT $n } "
    "RETURN target.followingCount AS total, collect({u: u " + USER_FIELDS + ", since: since}) AS rows"
)
_FOLLOWEE_IDS: LiteralString = "MATCH (:User {id: $u})-[:FOLLOWS]->(f:User) RETURN collect(f.id) AS ids"
_ORDINARY_FOLLOWEES: LiteralString = (
    "MATCH (:User {id: $u})-[:FOLLOWS]->(f:User) "
    "WHERE f.followerCount < $threshold AND NOT f.id IN $mode RETURN collect(f.id) AS ids"
)
_CELEBRITY_FOLLOWEES: LiteralString = (
    "MATCH (:User {id: $u})-[:FOLLOWS]->(f:User) "
    "WHERE f.followerCount >= $threshold OR f.id IN $mode RETURN f.id AS id"
)
_FLAGS: LiteralString = (
    "MATCH (v:User {id: $v}) UNWIND $ids AS oid MATCH (o:User {id: oid}) "
    "RETURN oid AS id, EXISTS { (v)-[:FOLLOWS]->(o) } AS follows, EXISTS { (o)-[:FOLLOWS]->(v) } AS followed"
)
_SUGGEST: LiteralString = (
    "MATCH (v:User {id: $v}) "
    "CALL (v) { MATCH (v)-[:FOLLOWS]->(:User)-[:FOLLOWS]->(s:User) "
    "  WHERE s <> v AND NOT (v)-[:FOLLOWS]->(s) "
    "  WITH s, count(*) AS mutual RETURN s, mutual ORDER BY mutual DESC, s.followerCount DESC LIMIT $n "
    "  UNION "
    "  MATCH (s:User) WHERE s.followerCount > 0 AND s <> v AND NOT (v)-[:FOLLOWS]->(s) "
    "  WITH s ORDER BY s.followerCount DESC LIMIT $n RETURN s, 0 AS mutual } "
    "WITH v, s AS u, max(mutual) AS mutual WHERE NOT EXISTS { (v)-[:BLOCKS]-(u) } "
    "WITH u, mutual ORDER BY mutual DESC, u.followerCount DESC, u.id LIMIT $n "
    "RETURN u " + USER_FIELDS + " AS u"
)
MAX_SINCE = (1 << 62) - 1


@dataclass(frozen=True)
class FollowChange:
    """The followee after a follow/unfollow, and whether the edge changed."""

    followee: UserRecord
    changed: bool
    # A follow: whether it showed the followee's reposts before (None: there was no follow).
    was_showing: bool | None = None


@dataclass(frozen=True)
class RelationChange:
    """The other user after a mute/unmute/block/unblock; whether the edge changed; for a block, whether it
    removed the blocker's follow of them (``dropped``) and their follow of the blocker (``lost``)."""

    other: UserRecord
    changed: bool
    dropped: bool = False
    lost: bool = False


def _change_row(record: Record) -> dict[str, Any]:
    if record["self"]:
        # Nothing was written (the subquery skipped f = u); roll back anyway to be explicit.
        raise BadInput("cannot follow yourself")
    if record["blocked"]:
        raise Forbidden("a block stands between you and this account")
    return {"u": dict(record["u"]), "before": record["before"], "was": record["wasShowing"]}


def _relation_row(record: Record) -> dict[str, Any]:
    return {k: record[k] for k in ("u", "changed", "dropped", "lost")}


class FollowRepo:
    def __init__(self, driver: AsyncDriver) -> None:
        self.driver = driver

    async def _change(
        self,
        query: LiteralString,
        follower_id: int,
        handle: str,
        ms: int,
        show_reposts: bool = True,
        job: OutboxJob | None = None,
    ) -> FollowChange:
        if not isinstance(handle, str) or not handle:
            raise BadInput("handle missing")
        query, params = job_query(_WITH_JOB, query, job)
        row = await write_single(
            self.driver, query, _change_row, f=follower_id, h=handle, ms=ms, sr=show_reposts, **params
        )
        if row is None:
            if await self._exists(follower_id):
                raise NotFound(f"no user @{handle}")
            raise NotFound("unknown follower")
        followee = user_from(row["u"])
        return FollowChange(followee, followee.follower_count != int(row["before"] or 0), row["was"])

    async def _relation(
        self, query: LiteralString, user_id: int, handle: str, ms: int, job: OutboxJob | None = None
    ) -> RelationChange:
        if not isinstance(handle, str) or not handle:
            raise BadInput("handle missing")
        query, params = job_query(_WITH_JOB, query, job)
        row = await write_single(self.driver, query, _relation_row, f=user_id, h=handle, ms=ms, **params)
        if row is None:
            other = await self._by_handle_id(handle)
            if other is None:
                raise NotFound(f"no user @{handle}")
            if other == user_id:
                raise BadInput("cannot do this to yourself")
            raise NotFound("unknown user")
        return RelationChange(
            user_from(row["u"]), bool(row["changed"]), bool(row["dropped"]), bool(row["lost"])
        )

    async def _by_handle_id(self, handle: str) -> int | None:
        records, _, _ = await self.driver.execute_query(
            "MATCH (u:User {handleLower: toLower($h)}) RETURN u.id AS id", h=handle, database_=DATABASE,
            routing_="r",
        )  # fmt: skip
        return int(records[0]["id"]) if records else None

    # ``job``: an outbox entry to record in the write's transaction (graph/outbox.py).
    async def mute(
        self, user_id: int, handle: str, now_ms: int, job: OutboxJob | None = None
    ) -> RelationChange:
        return await self._relation(_MUTE, user_id, handle, now_ms, job)

    async def unmute(self, user_id: int, handle: str, job: OutboxJob | None = None) -> RelationChange:
        return await self._relation(_UNMUTE, user_id, handle, 0, job)

    async def block(
        self, user_id: int, handle: str, now_ms: int, job: OutboxJob | None = None
    ) -> RelationChange:
        return await self._relation(_BLOCK, user_id, handle, now_ms, job)

    async def unblock(self, user_id: int, handle: str, job: OutboxJob | None = None) -> RelationChange:
        return await self._relation(_UNBLOCK, user_id, handle, 0, job)

    async def hidden_ids(self, user_id: int) -> list[int]:
        """Accounts ``user_id`` mutes or blocks or is blocked by."""
        records, _, _ = await self.driver.execute_query(
            _HIDDEN_IDS, u=user_id, database_=DATABASE, routing_="r"
        )
        return sorted(set(records[0]["ids"])) if records else []

    async def no_repost_ids(self, user_id: int) -> list[int]:
        """Followees whose reposts ``user_id`` does not want in their home (showReposts: false)."""
        records, _, _ = await self.driver.execute_query(
            _NO_REPOST_IDS, u=user_id, database_=DATABASE, routing_="r"
        )
        return list(records[0]["ids"]) if records else []

    async def blocked_among(self, viewer_id: int, other_ids: Sequence[int]) -> set[int]:
        """Those of ``other_ids`` with a block between them and the viewer (either way)."""
        if not other_ids:
            return set()
        records, _, _ = await self.driver.execute_query(
            _BLOCKED_AMONG, v=viewer_id, ids=list(dict.fromkeys(other_ids)), database_=DATABASE, routing_="r"
        )
        return {r["id"] for r in records}

    async def relation_flags(
        self, viewer_id: int, other_ids: Sequence[int]
    ) -> dict[int, tuple[bool, bool, bool]]:
        """Per other user: (viewer mutes them, viewer blocks them, viewer's home shows their reposts)."""
        if not other_ids:
            return {}
        records, _, _ = await self.driver.execute_query(
            _RELATION_FLAGS, v=viewer_id, ids=list(dict.fromkeys(other_ids)), database_=DATABASE,
            routing_="r",
        )  # fmt: skip
        return {r["id"]: (bool(r["mutes"]), bool(r["blocks"]), bool(r["showsReposts"])) for r in records}

    async def _exists(self, uid: int) -> bool:
        records, _, _ = await self.driver.execute_query(_EXISTS, id=uid, database_=DATABASE, routing_="r")
        return bool(records)

    async def follow(
        self,
        follower_id: int,
        followee_handle: str,
        now_ms: int,
        show_reposts: bool = True,
        job: OutboxJob | None = None,
    ) -> FollowChange:
        return await self._change(_FOLLOW, follower_id, followee_handle, now_ms, show_reposts, job)

    async def unfollow(
        self, follower_id: int, followee_handle: str, now_ms: int = 0, job: OutboxJob | None = None
    ) -> FollowChange:
        return await self._change(_UNFOLLOW, follower_id, followee_handle, now_ms, job=job)

    async def follower_id_pages(
        self, user_id: int, page_size: int, after: int = -1
    ) -> AsyncIterator[list[int]]:
        """Follower ids in ascending id order, ``page_size`` per page, streamed one page per record."""
        async with session(self.driver, read=True) as s:
            result = await s.run(_FOLLOWER_ID_PAGES, u=user_id, after=after, n=page_size)
            async for record in result:
                if record["page"]:
                    yield record["page"]

    async def _edge_page(
        self, query: LiteralString, user_id: int, first: int, after: tuple[int, int] | None
    ) -> tuple[list[tuple[UserRecord, int]], int]:
        since, last_id = after if after else (MAX_SINCE, MAX_SINCE)
        records, _, _ = await self.driver.execute_query(
            query, u=user_id, since=since, after=last_id, n=first, database_=DATABASE, routing_="r"
        )
        if not records:
            raise NotFound("unknown user")
        rows = [(user_from(r["u"]), int(r["since"])) for r in records[0]["rows"] if r["u"] is not None]
        return rows, int(records[0]["total"] or 0)

    async def followers_page(
        self, user_id: int, first: int, after: tuple[int, int] | None
    ) -> tuple[list[tuple[UserRecord, int]], int]:
        """Up to ``first`` followers, most recent first, below the (since, id) keyset; and the total."""
        return await self._edge_page(_FOLLOWERS_PAGE, user_id, first, after)

    async def following_page(
        self, user_id: int, first: int, after: tuple[int, int] | None
    ) -> tuple[list[tuple[UserRecord, int]], int]:
        return await self._edge_page(_FOLLOWING_PAGE, user_id, first, after)

    async def followee_ids(self, user_id: int) -> list[int]:
        records, _, _ = await self.driver.execute_query(
            _FOLLOWEE_IDS, u=user_id, database_=DATABASE, routing_="r"
        )
        return list(records[0]["ids"]) if records else []  # one record: ~60 us per record in the driver

    async def ordinary_followee_ids(self, user_id: int, threshold: int, mode: Sequence[int]) -> list[int]:
        """Followees fanned out on write: below the threshold and not in celebrity mode (``mode``)."""
        records, _, _ = await self.driver.execute_query(
            _ORDINARY_FOLLOWEES,
            u=user_id,
            threshold=threshold,
            mode=list(mode),
            database_=DATABASE,
            routing_="r",
        )
        return list(records[0]["ids"]) if records else []

    async def celebrity_followee_ids(self, user_id: int, threshold: int, mode: Sequence[int]) -> list[int]:
        """Followees at or above the threshold, or still fanned out on read (``mode``, mid-transition)."""
        records, _, _ = await self.driver.execute_query(
            _CELEBRITY_FOLLOWEES,
            u=user_id,
            threshold=threshold,
            mode=list(mode),
            database_=DATABASE,
            routing_="r",
        )
        return [r["id"] for r in records]

    async def flags(self, viewer_id: int, other_ids: Sequence[int]) -> tuple[set[int], set[int]]:
        if not other_ids:
            return set(), set()
        records, _, _ = await self.driver.execute_query(
            _FLAGS, v=viewer_id, ids=list(dict.fromkeys(other_ids)), database_=DATABASE, routing_="r"
        )
        follows = {r["id"] for r in records if r["follows"]}
        followed = {r["id"] for r in records if r["followed"]}
        return follows, followed

    async def suggestions(self, viewer_id: int, first: int) -> list[UserRecord]:
        records, _, _ = await self.driver.execute_query(
            _SUGGEST, v=viewer_id, n=max(1, min(first, 100)), database_=DATABASE, routing_="r"
        )
        return [user_from(r["u"]) for r in records]
