"""Tweets and likes in Neo4j: create, soft delete, batch get, an author's tweets paged by id, likes."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any, LiteralString

from neo4j import AsyncDriver, AsyncManagedTransaction, Record
from neo4j.exceptions import ConstraintError

from graph.convert import TWEET_FIELDS, tweet_from
from graph.driver import DATABASE, session, write_single
from graph.errors import BadInput, Forbidden, NotFound
from graph.ids import IdGenerator, timestamp_ms
from graph.outbox import CREATE_JOB, OutboxJob, job_params, job_query, with_job_variants
from graph.records import TweetRecord

TEXT_MAX = 280
ALLOWED_CONTROLS = frozenset("\n\t")  # line breaks and tabs; NUL and every other C0/C1 control are refused

# A reply also gets its REPLY_TO edge and bumps the parent's replyCount (the parent was checked in the same
# transaction: _PARENT); the replied-to author is copied onto the reply (``replyToAuthor``) for the replies rule.
_CREATE_TWEET: LiteralString = (
    "MATCH (a:User {id: $author}) "
    "CREATE (a)-[:POSTED]->(t:Tweet {id: $id, text: $text, createdAt: datetime({epochMillis: $ms}), "
    "  likeCount: 0, deleted: false, idempotencyKey: $ikey, replyTo: $reply_to, "
    "  replyToAuthor: $reply_to_author, replyCount: 0, repostCount: 0}) "
    "SET a.tweetCount = a.tweetCount + 1 "
    "WITH a, t OPTIONAL MATCH (p:Tweet {id: $reply_to}) "
    "FOREACH (x IN CASE WHEN p IS NULL THEN [] ELSE [p] END | "
    "  CREATE (t)-[:REPLY_TO]->(x) SET x.replyCount = coalesce(x.replyCount, 0) + 1) "
)
# The tweet replied to: its author, and whether a block stands between that author and the replier.
_PARENT: LiteralString = (
    "MATCH (pa:User)-[:POSTED]->(p:Tweet {id: $id}) WHERE NOT p.deleted AND p.repostOf IS NULL "
    "MATCH (me:User {id: $me}) "
    "RETURN pa.id AS author, EXISTS { (pa)-[:BLOCKS]-(me) } AS blocked"
)
# A repost: its own tweet (empty text, own id and time) with a REPOST_OF edge to the original, whose
# repostCount it bumps. Reposts do not count in tweetCount (they are not listed among the user's tweets).
_CREATE_REPOST: LiteralString = (
    "MATCH (a:User {id: $author}) MATCH (o:Tweet {id: $original}) "
    "CREATE (a)-[:POSTED]->(t:Tweet {id: $id, text: '', createdAt: datetime({epochMillis: $ms}), "
    "  likeCount: 0, deleted: false, repostOf: o.id, repostOfAuthor: $original_author, replyCount: 0, "
    "  repostCount: 0})-[:REPOST_OF]->(o) "
    "SET o.repostCount = coalesce(o.repostCount, 0) + 1 "
)
# What a repost or unrepost of ``$id`` is about: the original (a repost's own original), its author, whether a
# block stands between that author and the user, and the user's live repost of it (null if none).
_REPOST_TARGET: LiteralString = (
    "MATCH (t:Tweet {id: $id}) WHERE NOT t.deleted "
    "OPTIONAL MATCH (t)-[:REPOST_OF]->(orig:Tweet) "
    "WITH coalesce(orig, t) AS o MATCH (oa:User)-[:POSTED]->(o) WHERE NOT o.deleted "
    "MATCH (me:User {id: $me}) "
    "OPTIONAL CALL (me, o) { MATCH (me)-[:POSTED]->(r:Tweet)-[:REPOST_OF]->(o) WHERE NOT r.deleted "
    "  RETURN r.id AS mine LIMIT 1 } "
    "RETURN o.id AS original, oa.id AS author, EXISTS { (oa)-[:BLOCKS]-(me) } AS blocked, mine"
)
# Live reposts of some originals: (original, repost id, reposter), for the feed's "each original once" rule.
_REPOSTS_OF: LiteralString = (
    "UNWIND $ids AS oid MATCH (:Tweet {id: oid})<-[:REPOST_OF]-(r:Tweet)<-[:POSTED]-(b:User) "
    "WHERE NOT r.deleted RETURN oid AS original, r.id AS id, b.id AS reposter"
)
_REPLIES: LiteralString = (
    "MATCH (p:Tweet {id: $id})<-[:REPLY_TO]-(t:Tweet)<-[:POSTED]-(a:User) "
    "WHERE t.id > $after AND NOT t.deleted AND NOT a.id IN $hidden "
    "RETURN t " + TWEET_FIELDS + " AS t ORDER BY t.id LIMIT $n"
)
_REPOSTED: LiteralString = (
    "MATCH (v:User {id: $v}) UNWIND $ids AS tid MATCH (t:Tweet {id: tid}) "
    "WHERE EXISTS { MATCH (v)-[:POSTED]->(r:Tweet)-[:REPOST_OF]->(t) WHERE NOT r.deleted } RETURN t.id AS id"
)
_CREATE: LiteralString = _CREATE_TWEET + "RETURN t " + TWEET_FIELDS + " AS t"
_REPOST: LiteralString = _CREATE_REPOST + "RETURN t " + TWEET_FIELDS + " AS t"
_REPOST_WITH_JOB: LiteralString = _CREATE_REPOST + CREATE_JOB + "RETURN t " + TWEET_FIELDS + " AS t"
# The same with the post's fan-out job, in the same transaction (graph/outbox.py).
_CREATE_WITH_JOB: LiteralString = _CREATE_TWEET + CREATE_JOB + "RETURN t " + TWEET_FIELDS + " AS t"
# A retried post (same author, same idempotency key) finds the tweet the first attempt created.
_BY_IDEMPOTENCY_KEY: LiteralString = (
    "MATCH (a:User)-[:POSTED]->(t:Tweet {idempotencyKey: $ikey}) RETURN t " + TWEET_FIELDS + " AS t"
)
_DELETE_HEAD: LiteralString = (
    "MATCH (a:User)-[:POSTED]->(t:Tweet {id: $id}) WHERE NOT t.deleted "
    "WITH a, t, a.id = $actor AS mine "
    "CALL (a, t, mine) { WITH a, t, mine WHERE mine "
    "  SET t.deleted = true, t.deletedAt = datetime(), "
    "    a.tweetCount = a.tweetCount - CASE WHEN t.repostOf IS NULL THEN 1 ELSE 0 END "
    "  WITH t OPTIONAL MATCH (t)-[:REPLY_TO|REPOST_OF]->(p:Tweet) "
    "  FOREACH (x IN CASE WHEN p IS NULL OR t.repostOf IS NOT NULL THEN [] ELSE [p] END | "
    "    SET x.replyCount = x.replyCount - 1) "
    "  FOREACH (x IN CASE WHEN p IS NULL OR t.repostOf IS NULL THEN [] ELSE [p] END | "
    "    SET x.repostCount = x.repostCount - 1) "
)
_DELETE: LiteralString = _DELETE_HEAD + "} RETURN a.id AS author, mine"
_DELETE_WITH_JOB: LiteralString = _DELETE_HEAD + CREATE_JOB + "} RETURN a.id AS author, mine"
IDEMPOTENCY_KEY_MAX = 128
_BY_IDS: LiteralString = (
    "UNWIND $ids AS tid MATCH (a:User)-[:POSTED]->(t:Tweet {id: tid}) RETURN t " + TWEET_FIELDS + " AS t"
)
_BY_AUTHOR: LiteralString = (
    "MATCH (a:User {id: $author}) "
    "OPTIONAL CALL (a) { MATCH (a)-[:POSTED]->(t:Tweet) "
    "  WHERE t.id < $before AND NOT t.deleted AND t.repostOf IS NULL "
    "  RETURN t ORDER BY t.id DESC LIMIT $n } "
    "RETURN a.tweetCount AS total, collect(t " + TWEET_FIELDS + ") AS tweets"
)
_RECENT_IDS: LiteralString = (
    "MATCH (:User {id: $author})-[:POSTED]->(t:Tweet) WHERE NOT t.deleted AND t.id >= $min_id "
    "RETURN t.id AS id ORDER BY id DESC LIMIT $n"
)
_AUTHOR_ID_RANGE: LiteralString = (
    "MATCH (:User {id: $author})-[:POSTED]->(t:Tweet) WHERE t.id >= $min_id "
    "RETURN t.id AS id, t.repostOf AS original ORDER BY id DESC LIMIT $n"
)
# Replies to ``$x`` by the accounts ``$v`` follows, newest first (a follow of ``$x`` backfills them: fan-out
# skipped them while ``$v`` did not follow ``$x``).
_REPLIES_TO_BY_FOLLOWEES: LiteralString = (
    "MATCH (:User {id: $v})-[:FOLLOWS]->(b:User)-[:POSTED]->(r:Tweet {replyToAuthor: $x}) "
    "WHERE NOT r.deleted RETURN r.id AS id ORDER BY id DESC LIMIT $n"
)
_RECENT_SCORED: LiteralString = (
    "MATCH (t:Tweet) WHERE t.createdAt >= datetime({epochMillis: $since}) AND NOT t.deleted "
    "  AND t.repostOf IS NULL "
    "RETURN t.id AS id, t.createdAt.epochMillis AS ms, t.likeCount AS likes, "
    "  coalesce(t.repostCount, 0) AS reposts ORDER BY t.id DESC LIMIT $n"
)
# Like/unlike: MERGE / DELETE of the edge and the counter in one transaction; idempotent.
_LIKE: LiteralString = (
    "MATCH (u:User {id: $user}) MATCH (a:User)-[:POSTED]->(t:Tweet {id: $id}) WHERE NOT t.deleted "
    "CALL (u, t) { MERGE (u)-[r:LIKED]->(t) "
    "  ON CREATE SET r.at = datetime({epochMillis: $ms}), t.likeCount = t.likeCount + 1 } "
    "RETURN t " + TWEET_FIELDS + " AS t"
)
_UNLIKE: LiteralString = (
    "MATCH (u:User {id: $user}) MATCH (a:User)-[:POSTED]->(t:Tweet {id: $id}) WHERE NOT t.deleted "
    "CALL (u, t) { MATCH (u)-[r:LIKED]->(t) DELETE r SET t.likeCount = t.likeCount - 1 } "
    "RETURN t " + TWEET_FIELDS + " AS t"
)
_LIKE_WITH_JOB = with_job_variants("RETURN t ", _LIKE, _UNLIKE)
_RECENT_LIKES: LiteralString = (
    "MATCH (:User {id: $v})-[:LIKED]->(t:Tweet) WITH t.id AS id ORDER BY id DESC LIMIT $n RETURN id"
)
# The originals of the viewer's live reposts (a repost carries its original's id: ``repostOf``).
_RECENT_REPOSTS: LiteralString = (
    "MATCH (:User {id: $v})-[:POSTED]->(r:Tweet) WHERE r.repostOf IS NOT NULL AND NOT r.deleted "
    "WITH r.repostOf AS id ORDER BY id DESC LIMIT $n RETURN id"
)
_LIKED: LiteralString = (
    "MATCH (v:User {id: $v}) UNWIND $ids AS tid MATCH (t:Tweet {id: tid}) "
    "WHERE EXISTS { (v)-[:LIKED]->(t) } RETURN t.id AS id"
)


def _tweet_row(record: Record) -> dict[str, Any]:
    return dict(record["t"])


def validate_text(text: str) -> str:
    if not isinstance(text, str):
        raise BadInput("text must be a string")
    cleaned = text.strip()
    if not cleaned:
        raise BadInput("tweet text is empty")
    if any(unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROLS for c in cleaned):
        raise BadInput("tweet text contains control characters")
    if len(cleaned) > TEXT_MAX:
        raise BadInput(f"tweet text longer than {TEXT_MAX} characters")
    return cleaned


class TweetRepo:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator) -> None:
        self.driver = driver
        self.ids = ids

    async def create(self, author_id: int, text: str) -> TweetRecord:
        """A new tweet without an outbox job (tests, tools); the service posts with ``post``."""
        tweet, _ = await self.post(author_id, text)
        return tweet

    async def post(
        self,
        author_id: int,
        text: str,
        *,
        tweet_id: int | None = None,
        job: OutboxJob | None = None,
        idempotency_key: str | None = None,
        reply_to: int | None = None,
    ) -> tuple[TweetRecord, bool]:
        """Create a tweet (with its outbox ``job`` in the same transaction); returns it and True. With an
        ``idempotency_key`` the author already used, creates nothing and returns that tweet and False.
        ``reply_to``: NotFound when that tweet does not exist or is deleted (or is a repost), Forbidden when
        a block stands between its author and this one; nothing is written then."""
        cleaned = validate_text(text)
        if idempotency_key is not None and not 0 < len(idempotency_key) <= IDEMPOTENCY_KEY_MAX:
            raise BadInput(f"an idempotency key has 1 to {IDEMPOTENCY_KEY_MAX} characters")
        tid = tweet_id if tweet_id is not None else self.ids.next_id()
        ikey = None if idempotency_key is None else f"{author_id}:{idempotency_key}"
        params: dict[str, Any] = {"author": author_id, "id": tid, "text": cleaned, "ms": timestamp_ms(tid)}
        params["ikey"] = ikey
        params["reply_to"] = reply_to
        params["reply_to_author"] = None
        if job is not None:
            params.update(job_params(job))

        async def work(tx: AsyncManagedTransaction) -> tuple[dict[str, Any] | None, bool]:
            if ikey is not None:
                found = await (await tx.run(_BY_IDEMPOTENCY_KEY, ikey=ikey)).single()
                if found is not None:
                    return _tweet_row(found), False
            if reply_to is not None:
                parent = await (await tx.run(_PARENT, id=reply_to, me=author_id)).single()
                if parent is None:
                    raise NotFound("the tweet replied to does not exist or is deleted")
                if parent["blocked"]:
                    raise Forbidden("a block stands between you and the author replied to")
                params["reply_to_author"] = parent["author"]
            record = await (await tx.run(_CREATE if job is None else _CREATE_WITH_JOB, params)).single()
            return (None if record is None else _tweet_row(record)), True

        try:
            async with session(self.driver) as s:
                row, created = await s.execute_write(work)
        except ConstraintError:
            if ikey is None:
                raise
            # A concurrent attempt with the same key committed first: answer with its tweet.
            records, _, _ = await self.driver.execute_query(
                _BY_IDEMPOTENCY_KEY, ikey=ikey, database_=DATABASE, routing_="r"
            )
            if not records:
                raise
            row, created = _tweet_row(records[0]), False
        if row is None:
            raise NotFound("unknown author")
        return tweet_from(row), created

    async def repost_target(self, user_id: int, tweet_id: int) -> tuple[int, int, bool, int | None]:
        """(original id, its author, blocked either way with ``user_id``, the user's live repost of it or
        None) for a repost or unrepost of ``tweet_id`` (a repost's original stands for it). NotFound when the
        tweet or its original does not exist or is deleted."""
        records, _, _ = await self.driver.execute_query(
            _REPOST_TARGET, id=tweet_id, me=user_id, database_=DATABASE, routing_="r"
        )
        if not records:
            raise NotFound("no such tweet")
        r = records[0]
        return int(r["original"]), int(r["author"]), bool(r["blocked"]), r["mine"]

    async def repost(
        self, user_id: int, original_id: int, original_author: int, repost_id: int, job: OutboxJob | None
    ) -> TweetRecord | None:
        """Create the repost (with its outbox ``job``; None: tools, the seed), unless the user has one already (then None: reposts
        are idempotent). Checked again inside the write transaction, which first locks the user's node, so two
        concurrent reposts create one."""
        params: dict[str, Any] = {
            "author": user_id, "original": original_id, "original_author": original_author,
            "id": repost_id, "ms": timestamp_ms(repost_id), **(job_params(job) if job is not None else {}),
        }  # fmt: skip

        async def work(tx: AsyncManagedTransaction) -> dict[str, Any] | None:
            await tx.run("MATCH (u:User {id: $u}) SET u.lastRepostAt = datetime()", u=user_id)  # the lock
            mine = await (
                await tx.run(
                    "MATCH (:User {id: $u})-[:POSTED]->(r:Tweet {repostOf: $o}) WHERE NOT r.deleted "
                    "RETURN r.id AS id",
                    u=user_id,
                    o=original_id,
                )
            ).single()
            if mine is not None:
                return None
            record = await (await tx.run(_REPOST if job is None else _REPOST_WITH_JOB, params)).single()
            if record is None:
                raise NotFound("no such tweet")
            return _tweet_row(record)

        async with session(self.driver) as s:
            row = await s.execute_write(work)
        return None if row is None else tweet_from(row)

    async def reposts_of(self, original_ids: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
        """Live reposts of each original: [(repost id, reposter)], oldest first."""
        if not original_ids:
            return {}
        records, _, _ = await self.driver.execute_query(
            _REPOSTS_OF, ids=list(dict.fromkeys(original_ids)), database_=DATABASE, routing_="r"
        )
        out: dict[int, list[tuple[int, int]]] = {}
        for r in records:
            out.setdefault(int(r["original"]), []).append((int(r["id"]), int(r["reposter"])))
        for rows in out.values():
            rows.sort()
        return out

    async def replies(
        self, tweet_id: int, after_id: int, limit: int, hidden: Sequence[int]
    ) -> list[TweetRecord]:
        """Direct live replies above ``after_id``, oldest first, without those by ``hidden`` authors."""
        records, _, _ = await self.driver.execute_query(
            _REPLIES, id=tweet_id, after=after_id, n=limit, hidden=list(hidden), database_=DATABASE,
            routing_="r",
        )  # fmt: skip
        return [tweet_from(r["t"]) for r in records]

    async def reposted(self, viewer_id: int, tweet_ids: Sequence[int]) -> set[int]:
        """Those of ``tweet_ids`` the viewer has a live repost of."""
        if not tweet_ids:
            return set()
        records, _, _ = await self.driver.execute_query(
            _REPOSTED, v=viewer_id, ids=list(dict.fromkeys(tweet_ids)), database_=DATABASE, routing_="r"
        )
        return {r["id"] for r in records}

    async def soft_delete(self, actor_id: int, tweet_id: int, job: OutboxJob | None = None) -> int:
        """Mark deleted (with its outbox ``job`` in the same transaction); returns the author id. NotFound if
        missing or already deleted, Forbidden if not mine (then no job is recorded)."""
        query = _DELETE if job is None else _DELETE_WITH_JOB
        params = {} if job is None else job_params(job)
        row = await write_single(self.driver, query, dict, id=tweet_id, actor=actor_id, **params)
        if row is None:
            raise NotFound("no such tweet")
        if not row["mine"]:
            raise Forbidden("only the author may delete a tweet")
        return int(row["author"])

    async def by_ids(self, ids: Sequence[int]) -> dict[int, TweetRecord]:
        """Tweets by id, including deleted ones (callers filter); missing ids are absent."""
        if not ids:
            return {}
        records, _, _ = await self.driver.execute_query(
            _BY_IDS, ids=list(dict.fromkeys(ids)), database_=DATABASE, routing_="r"
        )
        tweets = (tweet_from(r["t"]) for r in records)
        return {t.id: t for t in tweets}

    async def by_author(self, author_id: int, before_id: int, limit: int) -> tuple[list[TweetRecord], int]:
        """Visible tweets of an author below ``before_id``, newest first; and the author's tweet count."""
        records, _, _ = await self.driver.execute_query(
            _BY_AUTHOR, author=author_id, before=before_id, n=limit, database_=DATABASE, routing_="r"
        )
        if not records:
            raise NotFound("unknown user")
        return [tweet_from(t) for t in records[0]["tweets"]], int(records[0]["total"] or 0)

    async def recent_ids(self, author_id: int, limit: int, min_id: int = 0) -> list[int]:
        """The author's newest visible tweet ids (for ut: rebuilds and follow backfills)."""
        records, _, _ = await self.driver.execute_query(
            _RECENT_IDS, author=author_id, n=limit, min_id=min_id, database_=DATABASE, routing_="r"
        )
        return [r["id"] for r in records]

    async def ids_since(self, author_id: int, min_id: int, limit: int) -> list[tuple[int, int | None]]:
        """All of the author's tweet ids (deleted too) at or above ``min_id``, each with the original it
        reposts (None for a tweet of their own), for unfollow purges."""
        records, _, _ = await self.driver.execute_query(
            _AUTHOR_ID_RANGE, author=author_id, min_id=min_id, n=limit, database_=DATABASE, routing_="r"
        )
        return [(r["id"], r["original"]) for r in records]

    async def replies_to_by_followees(self, viewer_id: int, author_id: int, limit: int) -> list[int]:
        """Newest live replies to ``author_id`` by accounts ``viewer_id`` follows (follow backfill)."""
        records, _, _ = await self.driver.execute_query(
            _REPLIES_TO_BY_FOLLOWEES, v=viewer_id, x=author_id, n=limit, database_=DATABASE, routing_="r"
        )
        return [r["id"] for r in records]

    async def recent_scored(self, since_ms: int, limit: int) -> list[tuple[int, int, int]]:
        """(id, created ms, engagement = likes + reposts) of recent visible originals (trending rebuild)."""
        records, _, _ = await self.driver.execute_query(
            _RECENT_SCORED, since=since_ms, n=limit, database_=DATABASE, routing_="r"
        )
        return [(r["id"], r["ms"], r["likes"] + r["reposts"]) for r in records]

    async def _like_change(
        self, query: LiteralString, user_id: int, tweet_id: int, ms: int, job: OutboxJob | None
    ) -> TweetRecord:
        query, params = job_query(_LIKE_WITH_JOB, query, job)
        row = await write_single(self.driver, query, _tweet_row, user=user_id, id=tweet_id, ms=ms, **params)
        if row is None:
            raise NotFound("no such tweet or user")
        return tweet_from(row)

    # ``job``: an outbox entry to record in the write's transaction (graph/outbox.py).
    async def like(
        self, user_id: int, tweet_id: int, now_ms: int, job: OutboxJob | None = None
    ) -> TweetRecord:
        return await self._like_change(_LIKE, user_id, tweet_id, now_ms, job)

    async def unlike(self, user_id: int, tweet_id: int, job: OutboxJob | None = None) -> TweetRecord:
        return await self._like_change(_UNLIKE, user_id, tweet_id, 0, job)

    async def recent_likes(self, viewer_id: int, limit: int) -> list[int]:
        """The ids of the (at most ``limit``) newest tweets the viewer likes, newest first."""
        records, _, _ = await self.driver.execute_query(
            _RECENT_LIKES, v=viewer_id, n=limit, database_=DATABASE, routing_="r"
        )
        return [r["id"] for r in records]

    async def recent_reposts(self, viewer_id: int, limit: int) -> list[int]:
        """The ids of the (at most ``limit``) newest originals the viewer has a live repost of, newest first."""
        records, _, _ = await self.driver.execute_query(
            _RECENT_REPOSTS, v=viewer_id, n=limit, database_=DATABASE, routing_="r"
        )
        return [r["id"] for r in records]

    async def liked(self, viewer_id: int, tweet_ids: Sequence[int]) -> set[int]:
        if not tweet_ids:
            return set()
        records, _, _ = await self.driver.execute_query(
            _LIKED, v=viewer_id, ids=list(dict.fromkeys(tweet_ids)), database_=DATABASE, routing_="r"
        )
        return {r["id"] for r in records}
