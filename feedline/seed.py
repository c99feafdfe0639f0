"""Deterministic scale data: a power-law social graph with celebrities, tweet history and likes.

The world is generated in numpy from one random seed (same seed, same world), then bulk-loaded into Neo4j with
batched ``UNWIND`` transactions whose rows are parameters only, or, for a large world (>= 1M follows) into an
empty database of the local Neo4j that `feedline services` runs, with ``neo4j-admin database import full``
(Neo4j is stopped for the import and started again: ~10M follows in ~90 s instead of ~170 s). Counters (followerCount, followingCount,
tweetCount, likeCount) are computed from the generated edges before loading, so they are consistent with the
graph by construction and no per-edge counter update is needed.

Follow targets are drawn from a Zipf law over a popularity rank (rank r is chosen with weight 1/(r+1)^alpha):
a few accounts get most of the followers, like on a real network. Exactly ``celebrities`` accounts are pushed
to at least ``celebrity_threshold`` followers and every other account is capped just below it, so the number
of celebrities is the one asked for. The demo world uses a low threshold (the launcher sets 50, see
``feedline.launcher.DEMO_CELEBRITY_THRESHOLD``) because a few hundred users cannot reach 50,000 followers.

Everyone seeded shares one known password (``demo-password``); its argon2id hash is computed once and reused
so seeding stays fast. Log in as ``demo`` to see a feed that follows several celebrities.
"""

from __future__ import annotations

import asyncio
import csv
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, LiteralString

import numpy as np
from neo4j import AsyncDriver
from redis.asyncio import Redis

from graph.driver import DATABASE

DEMO_HANDLE = "demo"
DEMO_PASSWORD = "demo-password"
# Snowflake layout shared with the engine: milliseconds since EPOCH_MS << 12 | worker (bits 7..11) | sequence.
# 41 bits of time + 12 bits = 53 bits, exact as a Redis score (a double) and a JavaScript number.
EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
SEED_WORKER = 0
DAY_MS = 86_400_000

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class SeedPlan:
    users: int
    avg_follows: int
    celebrities: int
    tweets_per_user: float
    likes_per_tweet: float = 2.0
    zipf_alpha: float = 0.9
    history_days: int = 30


PRESETS: dict[str, SeedPlan] = {
    "demo": SeedPlan(users=300, avg_follows=25, celebrities=5, tweets_per_user=8, likes_per_tweet=3.0),
    "medium": SeedPlan(users=100_000, avg_follows=100, celebrities=3, tweets_per_user=5, likes_per_tweet=1.0),
}


@dataclass
class World:
    """The generated graph as flat numpy arrays (indexes into ``user_ids``)."""

    user_ids: np.ndarray
    handles: list[str]
    display_names: list[str]
    user_created_ms: np.ndarray
    follow_src: np.ndarray
    follow_dst: np.ndarray
    tweet_ids: np.ndarray
    tweet_author: np.ndarray
    tweet_created_ms: np.ndarray
    tweet_texts: list[str]
    like_user: np.ndarray
    like_tweet: np.ndarray
    celebrity_indexes: list[int]
    follower_count: np.ndarray = field(init=False)
    following_count: np.ndarray = field(init=False)
    tweet_count: np.ndarray = field(init=False)
    tweet_like_count: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.user_ids)
        self.follower_count = np.bincount(self.follow_dst, minlength=n)
        self.following_count = np.bincount(self.follow_src, minlength=n)
        self.tweet_count = np.bincount(self.tweet_author, minlength=n)
        self.tweet_like_count = np.bincount(self.like_tweet, minlength=len(self.tweet_ids))


@dataclass(frozen=True)
class SeedResult:
    users: int
    follows: int
    tweets: int
    likes: int
    celebrities: list[str]
    seconds: dict[str, float]

    @classmethod
    def of(cls, world: World, seconds: dict[str, float]) -> SeedResult:
        return cls(
            users=len(world.user_ids),
            follows=len(world.follow_src),
            tweets=len(world.tweet_ids),
            likes=len(world.like_user),
            celebrities=[world.handles[i] for i in world.celebrity_indexes],
            seconds=seconds,
        )

    @property
    def follows_per_second(self) -> float:
        return self.follows / max(self.seconds.get("follows", 0.0), 1e-9)


def snowflake(ms: np.ndarray, sequence: np.ndarray, worker: int = SEED_WORKER) -> np.ndarray:
    """Time-sortable 53-bit ids (see the layout above)."""
    return ((ms.astype(np.int64) - EPOCH_MS) << 12) | (worker << 7) | (sequence.astype(np.int64) & 0x7F)


def _unique_ids(ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort times and give equal milliseconds distinct sequence numbers (bumping the ms past 128 per ms)."""
    ms = np.sort(ms.astype(np.int64))
    # Spread collisions: at most 128 ids per ms, so push the overflow into later milliseconds.
    ms = np.maximum.accumulate(ms)
    seq = np.zeros_like(ms)
    if len(ms) > 1:
        same = np.concatenate(([False], ms[1:] == ms[:-1]))
        # Running count inside each run of equal ms.
        run_start = np.where(~same)[0]
        run_id = np.cumsum(~same) - 1
        seq = np.arange(len(ms)) - run_start[run_id]
        ms = ms + seq // 128
        seq = seq % 128
        order = np.lexsort((seq, ms))
        ms, seq = ms[order], seq[order]
    ids = snowflake(ms, seq)
    if len(ids) > 1 and not np.all(ids[1:] > ids[:-1]):  # pragma: no cover - guards the layout above
        raise RuntimeError("generated ids are not strictly increasing")
    return ids, ms


_FIRST = "Ada Alan Grace Linus Barbara Ken Margaret Dennis Radia Edsger Frances Donald Katherine John Hedy"
_LAST = "Lovelace Turing Hopper Torvalds Liskov Thompson Hamilton Ritchie Perlman Dijkstra Allen Knuth McCarthy Lamarr"
_WORDS = (
    "feed graph timeline redis neo4j fanout latency cache shard tweet follow celebrity stream worker "
    "python async query index cursor merge rebuild trending coffee morning deploy review weekend ship "
    "today really great idea thanks everyone new release benchmark numbers plot"
)


def generate(plan: SeedPlan, *, seed: int, celebrity_threshold: int, now_ms: int | None = None) -> World:
    rng = np.random.default_rng(seed)
    first_names, last_names, words = _FIRST.split(" "), _LAST.split(" "), _WORDS.split(" ")
    n = plan.users
    if n < 2:
        raise ValueError("need at least 2 users")
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    start_ms = now_ms - plan.history_days * DAY_MS
    celebs = min(plan.celebrities, n - 1)
    # A celebrity needs `threshold` distinct followers; with a small world that may be impossible.
    celeb_followers = min(celebrity_threshold, n - 1)

    # --- users: index 0 is `demo`, 1..celebs are the celebrities, the rest ordinary ----------------------
    user_created = start_ms - rng.integers(DAY_MS, 365 * DAY_MS, size=n)
    user_ids, _ = _unique_ids(user_created)
    user_created = (user_ids >> 12) + EPOCH_MS
    # Shuffle so id order is not popularity order; index i keeps its role.
    perm = rng.permutation(n)
    user_ids, user_created = user_ids[perm], user_created[perm]
    handles = [DEMO_HANDLE] + [f"celeb{i}" for i in range(1, celebs + 1)]
    handles += [f"user{i}" for i in range(celebs + 1, n)]
    first = rng.integers(0, len(first_names), size=n)
    last = rng.integers(0, len(last_names), size=n)
    display_names = ["Demo User"] + [
        f"{first_names[f]} {last_names[la]}" + (" (celeb)" if 1 <= i <= celebs else "")
        for i, (f, la) in enumerate(zip(first[1:], last[1:], strict=True), start=1)
    ]

    # --- follows: Zipf over popularity rank (celebrities first, then a random order) -----------------------
    popularity = np.concatenate((np.arange(1, celebs + 1), 1 + celebs + rng.permutation(n - 1 - celebs), [0]))
    weights = 1.0 / np.power(np.arange(1, n + 1, dtype=np.float64), plan.zipf_alpha)
    weights /= weights.sum()
    out_degree = np.minimum(rng.poisson(plan.avg_follows, size=n), n - 1)
    src = np.repeat(np.arange(n, dtype=np.int64), out_degree)
    dst = popularity[rng.choice(n, size=len(src), p=weights)].astype(np.int64)
    # Celebrities reach the threshold: add random followers on top of the Zipf draws.
    extra_src = [
        rng.choice(n, size=min(n - 1, celeb_followers + celeb_followers // 10 + 5), replace=False)
        for _ in range(celebs)
    ]
    if celebs:
        src = np.concatenate([src, *extra_src])
        dst = np.concatenate(
            [
                dst,
                *[
                    np.full(len(e), c, dtype=np.int64)
                    for c, e in zip(range(1, celebs + 1), extra_src, strict=True)
                ],
            ]
        )
    # The demo user follows every celebrity and a handful of ordinary accounts.
    demo_follows = np.concatenate(
        (
            np.arange(1, celebs + 1),
            rng.choice(np.arange(celebs + 1, n), size=min(20, n - celebs - 1), replace=False),
        )
    )
    src = np.concatenate((src, np.zeros(len(demo_follows), dtype=np.int64)))
    dst = np.concatenate((dst, demo_follows.astype(np.int64)))
    keep = src != dst
    pairs = np.unique(src[keep] * n + dst[keep])
    src, dst = pairs // n, pairs % n
    # Ordinary accounts stay below the threshold so exactly `celebs` accounts are celebrities.
    src, dst = _cap_followers(rng, src, dst, n, celebs, celebrity_threshold - 1)
    # Keep edges sorted by follower: loading then touches each source node's records together.
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]

    # --- tweets: Poisson per user, times spread over the history window ------------------------------------
    per_user = rng.poisson(plan.tweets_per_user, size=n)
    per_user[1 : celebs + 1] = np.maximum(per_user[1 : celebs + 1], int(plan.tweets_per_user * 3) + 3)
    author = np.repeat(np.arange(n, dtype=np.int64), per_user)
    tweet_ms = rng.integers(start_ms, now_ms - 60_000, size=len(author))
    tweet_ids, tweet_ms_sorted = _unique_ids(tweet_ms)
    # _unique_ids sorted the times; shuffle authors against them so every author spans the window.
    author = author[rng.permutation(len(author))]
    word_idx = rng.integers(0, len(words), size=(len(author), 8))
    lengths = rng.integers(3, 9, size=len(author))
    texts = [
        " ".join(words[w] for w in row[:k])
        for row, k in zip(word_idx.tolist(), lengths.tolist(), strict=True)
    ]

    # --- likes: random users like tweets, popular authors' tweets more often ------------------------------
    n_likes = int(len(author) * plan.likes_per_tweet)
    like_user = rng.integers(0, n, size=n_likes)
    like_tweet = (
        rng.integers(0, max(len(author), 1), size=n_likes) if len(author) else np.zeros(0, dtype=np.int64)
    )
    if len(author):
        lp = np.unique(like_user * len(author) + like_tweet)
        like_user, like_tweet = lp // len(author), lp % len(author)

    return World(
        user_ids=user_ids,
        handles=handles,
        display_names=display_names,
        user_created_ms=user_created,
        follow_src=src,
        follow_dst=dst,
        tweet_ids=tweet_ids,
        tweet_author=author,
        tweet_created_ms=tweet_ms_sorted,
        tweet_texts=texts,
        like_user=like_user.astype(np.int64),
        like_tweet=like_tweet.astype(np.int64),
        celebrity_indexes=list(range(1, celebs + 1)),
    )


def _cap_followers(
    rng: np.random.Generator, src: np.ndarray, dst: np.ndarray, n: int, celebs: int, cap: int
) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(dst, minlength=n)
    over = counts > cap
    over[1 : celebs + 1] = False
    if not over.any():
        return src, dst
    # Rank each edge inside its followee group in a random order; keep the first `cap` of over-full groups.
    shuffle = rng.permutation(len(dst))
    order = shuffle[np.argsort(dst[shuffle], kind="stable")]
    sorted_dst = dst[order]
    group_start = np.searchsorted(sorted_dst, sorted_dst, side="left")
    rank = np.arange(len(order)) - group_start
    drop = over[sorted_dst] & (rank >= cap)
    keep = np.ones(len(dst), dtype=bool)
    keep[order[drop]] = False
    return src[keep], dst[keep]


# --- loading ----------------------------------------------------------------------------------------------

USER_BATCH = 10_000
FOLLOW_BATCH = 50_000
FOLLOW_WRITERS = 2
TWEET_BATCH = 20_000
LIKE_BATCH = 50_000

_CREATE_USERS: LiteralString = """
UNWIND $rows AS r
CREATE (:User {id: r[0], handle: r[1], handleLower: toLower(r[1]), displayName: r[2],
               displayNameLower: toLower(r[2]), bio: r[3], passwordHash: $hash,
               followerCount: r[4], followingCount: r[5], tweetCount: r[6],
               createdAt: datetime({epochMillis: r[7]}), lastActiveAt: datetime({epochMillis: r[7]})})
"""
# One row per follower with all its followees: ~1 packed value per edge instead of 3. Nodes are addressed
# by their internal id (fetched once after the users are created): a NodeByIdSeek per edge is much cheaper
# than a unique-index seek, and the seed owns these nodes for the duration of the load.
_CREATE_FOLLOWS: LiteralString = """
UNWIND $rows AS r
MATCH (a) WHERE id(a) = r[0]
UNWIND r[1] AS fid
MATCH (b) WHERE id(b) = fid
CREATE (a)-[:FOLLOWS {since: datetime({epochMillis: $since})}]->(b)
"""
_INTERNAL_IDS: LiteralString = "MATCH (u:User) WHERE u.id IN $ids RETURN u.id AS id, id(u) AS internal"
_CREATE_TWEETS: LiteralString = """
UNWIND $rows AS r
MATCH (a:User {id: r[0]})
UNWIND r[1] AS t
CREATE (a)-[:POSTED]->(:Tweet {id: t[0], text: t[1], createdAt: datetime({epochMillis: t[2]}),
                               likeCount: t[3], deleted: false})
"""
_CREATE_LIKES: LiteralString = """
UNWIND $rows AS r
MATCH (u:User {id: r[0]})
UNWIND r[1] AS tid
MATCH (t:Tweet {id: tid})
CREATE (u)-[:LIKED {at: t.createdAt + duration({minutes: 5})}]->(t)
"""


def _grouped(
    keys: np.ndarray, values: list[Any] | np.ndarray, batch: int
) -> Iterator[tuple[list[list[Any]], int]]:
    """Rows ``[key, [values...]]`` for runs of equal (sorted) keys, cut into batches of ~``batch`` values."""
    if len(keys) == 0:
        return
    boundaries = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate(([0], boundaries)).tolist()
    ends = [*boundaries.tolist(), len(keys)]
    key_list = keys.tolist()
    vals = values.tolist() if isinstance(values, np.ndarray) else values
    rows: list[list[Any]] = []
    size = 0
    for s, e in zip(starts, ends, strict=True):
        rows.append([key_list[s], vals[s:e]])
        size += e - s
        if size >= batch:
            yield rows, size
            rows, size = [], 0
    if rows:
        yield rows, size


async def _write(driver: AsyncDriver, query: LiteralString, **params: Any) -> None:
    # id() is deprecated in Neo4j 5 but remains the fastest seek; silence its per-query notification.
    async with driver.session(database=DATABASE, notifications_min_severity="OFF") as session:
        await session.execute_write(_run_consumed, query, params)


async def _run_consumed(tx: Any, query: LiteralString, params: dict[str, Any]) -> None:
    result = await tx.run(query, params)
    await result.consume()


async def _internal_ids(driver: AsyncDriver, ids: np.ndarray) -> np.ndarray:
    """Internal node ids aligned with ``ids`` (one indexed lookup per user instead of one per edge)."""
    by_id: dict[int, int] = {}
    id_list = ids.tolist()
    for start in range(0, len(id_list), 50_000):
        async with driver.session(database=DATABASE, notifications_min_severity="OFF") as session:
            result = await session.run(_INTERNAL_IDS, ids=id_list[start : start + 50_000])
            async for r in result:
                by_id[r["id"]] = r["internal"]
    return np.array([by_id[i] for i in id_list], dtype=np.int64)


async def graph_is_empty(driver: AsyncDriver) -> bool:
    records, _, _ = await driver.execute_query(
        "MATCH (u:User) RETURN count(u) > 0 AS any", database_=DATABASE
    )
    return not records[0]["any"]


async def load(
    driver: AsyncDriver, world: World, *, password_hash: str, progress: Progress | None = None
) -> dict[str, float]:
    report = progress or (lambda stage, done, total: None)
    seconds: dict[str, float] = {}
    ids = world.user_ids

    t0 = time.perf_counter()
    n = len(ids)
    rows = [
        [
            int(ids[i]),
            world.handles[i],
            world.display_names[i],
            None if i else "Log in as me to look around.",
            int(world.follower_count[i]),
            int(world.following_count[i]),
            int(world.tweet_count[i]),
            int(world.user_created_ms[i]),
        ]
        for i in range(n)
    ]
    for start in range(0, n, USER_BATCH):
        await _write(driver, _CREATE_USERS, rows=rows[start : start + USER_BATCH], hash=password_hash)
        report("users", min(start + USER_BATCH, n), n)
    seconds["users"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    total = len(world.follow_src)
    done = 0
    since = int(world.user_created_ms.max())
    internal = await _internal_ids(driver, ids)
    # Two transactions in flight keep both server cores busy; lock conflicts on shared followees are rare
    # transient deadlocks that execute_write retries.
    in_flight: set[asyncio.Task[None]] = set()
    for batch, size in _grouped(internal[world.follow_src], internal[world.follow_dst], FOLLOW_BATCH):
        if len(in_flight) >= FOLLOW_WRITERS:
            finished, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                task.result()
        in_flight.add(asyncio.create_task(_write(driver, _CREATE_FOLLOWS, rows=batch, since=since)))
        done += size
        report("follows", done, total)
    await asyncio.gather(*in_flight)
    seconds["follows"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    order = np.argsort(world.tweet_author, kind="stable")
    tweet_rows = [
        [
            int(world.tweet_ids[k]),
            world.tweet_texts[k],
            int(world.tweet_created_ms[k]),
            int(world.tweet_like_count[k]),
        ]
        for k in order.tolist()
    ]
    total, done = len(order), 0
    for batch, size in _grouped(ids[world.tweet_author[order]], tweet_rows, TWEET_BATCH):
        await _write(driver, _CREATE_TWEETS, rows=batch)
        done += size
        report("tweets", done, total)
    seconds["tweets"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    order = np.lexsort((world.like_tweet, world.like_user))
    total, done = len(order), 0
    for batch, size in _grouped(
        ids[world.like_user[order]], world.tweet_ids[world.like_tweet[order]], LIKE_BATCH
    ):
        await _write(driver, _CREATE_LIKES, rows=batch)
        done += size
        report("likes", done, total)
    seconds["likes"] = time.perf_counter() - t0
    return seconds


# --- bulk import (neo4j-admin) -----------------------------------------------------------------------------
# For a large world into an EMPTY database of our own local Neo4j, `neo4j-admin database import full` writes
# the store files directly: no transactions, no per-row Cypher. On this 2-core machine it loads the medium
# world's ~9M follows in ~20-25 s, where batched UNWIND needs 150 s (and far more when the machine is busy).
# It needs the database offline, so Neo4j is stopped for the import and started again afterwards.
IMPORT_MIN_FOLLOWS = 1_000_000


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_import_csv(world: World, out: Path, password_hash: str) -> dict[str, list[str]]:
    """CSV files (header file + data file per group) in neo4j-admin's format; returns --nodes/--relationships."""
    out.mkdir(parents=True, exist_ok=True)
    ids = world.user_ids.tolist()
    created = world.user_created_ms.tolist()
    fc, gc, tc = world.follower_count.tolist(), world.following_count.tolist(), world.tweet_count.tolist()

    def header(name: str, columns: str) -> Path:
        path = out / f"{name}_header.csv"
        path.write_text(columns + "\n", encoding="utf-8")
        return path

    users_h = header(
        "users",
        "uid:ID(User),id:long,handle,handleLower,displayName,displayNameLower,bio,passwordHash,"
        "followerCount:long,followingCount:long,tweetCount:long,createdAt:datetime,lastActiveAt:datetime,:LABEL",
    )
    with open(out / "users.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        for i, uid in enumerate(ids):
            name = world.display_names[i]
            when = _iso(created[i])
            bio = "" if i else "Log in as me to look around."
            handle = world.handles[i]
            writer.writerow(
                [uid, uid, handle, handle.lower(), name, name.lower(), bio, password_hash, fc[i], gc[i], tc[i],
                 when, when, "User"]
            )  # fmt: skip
    follows_h = header("follows", ":START_ID(User),:END_ID(User),since:datetime,:TYPE")
    since = _iso(int(world.user_created_ms.max()))
    src = world.user_ids[world.follow_src].tolist()
    dst = world.user_ids[world.follow_dst].tolist()
    with open(out / "follows.csv", "w", encoding="utf-8") as f:
        tail = f",{since},FOLLOWS\n"
        for start in range(0, len(src), 1_000_000):
            f.write(
                "".join(
                    f"{a},{b}{tail}"
                    for a, b in zip(
                        src[start : start + 1_000_000], dst[start : start + 1_000_000], strict=True
                    )
                )
            )
    tweets_h = header(
        "tweets", "tid:ID(Tweet),id:long,text,createdAt:datetime,likeCount:long,deleted:boolean,:LABEL"
    )
    posted_h = header("posted", ":START_ID(User),:END_ID(Tweet),:TYPE")
    tweet_ids = world.tweet_ids.tolist()
    tweet_ms = world.tweet_created_ms.tolist()
    likes = world.tweet_like_count.tolist()
    authors = world.user_ids[world.tweet_author].tolist()
    with (
        open(out / "tweets.csv", "w", newline="", encoding="utf-8") as tf,
        open(out / "posted.csv", "w", encoding="utf-8") as pf,
    ):
        writer = csv.writer(tf)
        for k, tid in enumerate(tweet_ids):
            writer.writerow([tid, tid, world.tweet_texts[k], _iso(tweet_ms[k]), likes[k], "false", "Tweet"])
        pf.write("".join(f"{a},{t},POSTED\n" for a, t in zip(authors, tweet_ids, strict=True)))
    liked_h = header("liked", ":START_ID(User),:END_ID(Tweet),at:datetime,:TYPE")
    like_users = world.user_ids[world.like_user].tolist()
    like_tweets = world.like_tweet.tolist()
    with open(out / "liked.csv", "w", encoding="utf-8") as f:
        f.write(
            "".join(
                f"{u},{tweet_ids[t]},{_iso(tweet_ms[t] + 300_000)},LIKED\n"
                for u, t in zip(like_users, like_tweets, strict=True)
            )
        )
    return {
        "nodes": [f"{users_h},{out / 'users.csv'}", f"{tweets_h},{out / 'tweets.csv'}"],
        "relationships": [
            f"{follows_h},{out / 'follows.csv'}",
            f"{posted_h},{out / 'posted.csv'}",
            f"{liked_h},{out / 'liked.csv'}",
        ],
    }


def admin_import(
    plan: Any, world: World, password_hash: str, progress: Progress | None = None
) -> dict[str, float]:
    """Stop our Neo4j, `neo4j-admin database import full` the world into the (empty) default database, start it.

    ``plan`` is the feedline.services.ServicePlan of the running local Neo4j."""
    from feedline import services

    report = progress or (lambda stage, done, total: None)
    seconds: dict[str, float] = {}
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java is needed for neo4j-admin import")
    workdir = Path(tempfile.mkdtemp(prefix="feedline-import-"))
    try:
        t0 = time.perf_counter()
        report("csv", 0, 1)
        args = write_import_csv(world, workdir, password_hash)
        report("csv", 1, 1)
        seconds["csv"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        report("import", 0, 1)
        services.stop_neo4j(plan)
        home = plan.neo4j_home
        env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
        cmd = [
            java, "-Xmx2g", "-cp", f"{services.ensure_neo4j_jars(lambda m: None)}/*", "org.neo4j.cli.AdminTool",
            "database", "import", "full", DATABASE, "--overwrite-destination=true",
            f"--report-file={workdir / 'import.report'}",  # not the working directory
            *(f"--nodes={n}" for n in args["nodes"]), *(f"--relationships={r}" for r in args["relationships"]),
        ]  # fmt: skip
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        seconds["import"] = time.perf_counter() - t0
        report("import", 1, 1)
        t0 = time.perf_counter()
        services.start_neo4j(plan, lambda m: None)
        seconds["restart"] = time.perf_counter() - t0
        if done.returncode != 0:
            raise RuntimeError(f"neo4j-admin import failed: {(done.stderr or done.stdout)[-800:]}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return seconds


def import_applies(settings: Any, follows: int) -> Any:
    """The ServicePlan of our running local Neo4j when a world of ``follows`` edges should be bulk-imported
    into it (large enough, and the Neo4j at settings.neo4j_uri is the one `feedline services` runs)."""
    from feedline import services

    if follows < IMPORT_MIN_FOLLOWS:
        return None
    plan = services.ServicePlan.from_settings(settings)
    if services._pid_from(plan.neo4j_pidfile) is None or f":{plan.neo4j_bolt_port}" not in settings.neo4j_uri:
        return None
    return plan


async def seed_by_import(
    settings: Any,
    service_plan: Any,
    redis: Redis | None,
    *,
    preset: str | None,
    users: int | None,
    avg_follows: int | None,
    celebrities: int | None,
    seed_value: int = 42,
    progress: Progress | None = None,
) -> SeedResult:
    """Generate the world and bulk-import it with neo4j-admin (see ``admin_import``), then the schema."""
    from graph.driver import open_driver
    from graph.schema import apply_schema

    plan = resolve_plan(preset, users, avg_follows, celebrities)
    t0 = time.perf_counter()
    world = generate(plan, seed=seed_value, celebrity_threshold=settings.celebrity_threshold)
    seconds = {"generate": time.perf_counter() - t0}
    password_hash = await asyncio.to_thread(hash_password)
    seconds.update(await asyncio.to_thread(admin_import, service_plan, world, password_hash, progress))
    seconds["follows"] = seconds["csv"] + seconds["import"]  # generated arrays -> every node and edge stored
    driver = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    try:
        t0 = time.perf_counter()
        await apply_schema(driver)  # constraints and indexes, built over the imported data
        seconds["schema"] = time.perf_counter() - t0
    finally:
        await driver.close()
    if redis is not None:
        await populate_redis(redis, world, key_prefix=settings.key_prefix)
    return SeedResult.of(world, seconds)


def trending_key(key_prefix: str) -> str:
    return f"{key_prefix}trending"


async def populate_redis(redis: Redis, world: World, *, key_prefix: str, limit: int = 1000) -> None:
    """Seed the `trending` sorted set (engagement-ranked recent tweets); timelines rebuild lazily on read."""
    if len(world.tweet_ids) == 0:
        return
    top = np.argsort(-world.tweet_like_count, kind="stable")[:limit]
    mapping = {str(int(world.tweet_ids[k])).encode(): float(world.tweet_like_count[k]) for k in top.tolist()}
    key = trending_key(key_prefix)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.zadd(key, mapping)
        await pipe.execute()


def hash_password(password: str = DEMO_PASSWORD) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def resolve_plan(
    preset: str | None,
    users: int | None = None,
    avg_follows: int | None = None,
    celebrities: int | None = None,
    tweets_per_user: float | None = None,
) -> SeedPlan:
    base = PRESETS.get(preset or "demo")
    if base is None and preset not in (None, "custom"):
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)} or custom")
    base = base or PRESETS["demo"]
    return SeedPlan(
        users=users if users is not None else base.users,
        avg_follows=avg_follows if avg_follows is not None else base.avg_follows,
        celebrities=celebrities if celebrities is not None else base.celebrities,
        tweets_per_user=tweets_per_user if tweets_per_user is not None else base.tweets_per_user,
        likes_per_tweet=base.likes_per_tweet,
    )


async def seed(
    driver: AsyncDriver,
    redis: Redis | None,
    *,
    preset: str | None = "demo",
    users: int | None = None,
    avg_follows: int | None = None,
    celebrities: int | None = None,
    tweets_per_user: float | None = None,
    seed: int = 42,
    key_prefix: str = "fl:",
    celebrity_threshold: int = 50_000,
    progress: Progress | None = None,
    password_hash: str | None = None,
    require_empty: bool = True,
) -> SeedResult:
    """Generate and load a world; the graph must be empty (seeding twice would duplicate handles)."""
    if require_empty and not await graph_is_empty(driver):
        raise RuntimeError("the graph already has users; seed only into an empty database")
    plan = resolve_plan(preset, users, avg_follows, celebrities, tweets_per_user)
    t0 = time.perf_counter()
    world = generate(plan, seed=seed, celebrity_threshold=celebrity_threshold)
    generate_s = time.perf_counter() - t0
    seconds = {"generate": generate_s}
    seconds.update(
        await load(driver, world, password_hash=password_hash or hash_password(), progress=progress)
    )
    if redis is not None:
        await populate_redis(redis, world, key_prefix=key_prefix)
    return SeedResult.of(world, seconds)


def run_seed_cli(
    settings: Any,
    preset: str | None,
    users: int | None,
    avg_follows: int | None,
    celebrities: int | None,
    seed_value: int,
) -> SeedResult:
    """`feedline seed`: open clients from settings, seed with rich progress bars, print a summary."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from graph.driver import open_driver
    from graph.schema import apply_schema

    console = Console()
    if preset is None or (users is not None and preset == "demo"):
        preset = "custom" if users is not None else "demo"

    async def main() -> SeedResult:
        driver = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
        redis = Redis.from_url(settings.redis_url, decode_responses=False)
        try:
            await apply_schema(driver)
            with Progress(
                TextColumn("{task.description:>8}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as bars:
                tasks: dict[str, Any] = {}

                def report(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bars.add_task(stage, total=total)
                    bars.update(tasks[stage], completed=done)

                size = resolve_plan(preset, users, avg_follows, celebrities)
                service_plan = import_applies(settings, size.users * size.avg_follows)
                if service_plan is not None and await graph_is_empty(driver):
                    console.print("large world into an empty local Neo4j: loading with neo4j-admin import")
                    return await seed_by_import(
                        settings,
                        service_plan,
                        redis,
                        preset=preset,
                        users=users,
                        avg_follows=avg_follows,
                        celebrities=celebrities,
                        seed_value=seed_value,
                        progress=report,
                    )
                return await seed(
                    driver,
                    redis,
                    preset=preset,
                    users=users,
                    avg_follows=avg_follows,
                    celebrities=celebrities,
                    seed=seed_value,
                    key_prefix=settings.key_prefix,
                    celebrity_threshold=settings.celebrity_threshold,
                    progress=report,
                )
        finally:
            await redis.aclose()
            await driver.close()

    try:
        result = asyncio.run(main())
    except RuntimeError as error:  # e.g. a non-empty graph: say so without a traceback
        console.print(f"[red]seed failed:[/red] {error}")
        raise SystemExit(1) from error
    console.print(
        f"seeded {result.users:,} users, {result.follows:,} follows, {result.tweets:,} tweets, "
        f"{result.likes:,} likes; celebrities (>= {settings.celebrity_threshold} followers): "
        f"{', '.join(result.celebrities) or 'none'}; follows loaded at {result.follows_per_second:,.0f}/s; "
        f"log in as {DEMO_HANDLE} / {DEMO_PASSWORD}"
    )
    return result


def now_utc() -> datetime:
    return datetime.now(UTC)
