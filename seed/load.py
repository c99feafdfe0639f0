"""Loading a generated World: batched UNWIND transactions into a live Neo4j, or neo4j-admin import into an
empty local one for large worlds, and the Redis state a fresh world needs (trending, written through the
engine's own timeline store so its key and score are the engine's)."""

from __future__ import annotations

import asyncio
import csv
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, LiteralString

import numpy as np
from neo4j import AsyncDriver
from redis.asyncio import Redis

from auth.passwords import PASSWORD_HASHER
from fanout.config import EngineConfig
from fanout.store import TimelineStore
from graph.driver import DATABASE
from seed.world import DEMO_PASSWORD, Progress, SeedResult, World, generate, resolve_plan

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
        ":ID(User),id:long,handle,handleLower,displayName,displayNameLower,bio,passwordHash,"
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
        "tweets", ":ID(Tweet),id:long,text,createdAt:datetime,likeCount:long,deleted:boolean,:LABEL"
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

    ``plan`` is the ops.services.ServicePlan of the running local Neo4j."""
    from ops import services

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
            "database", "import", "full", DATABASE, "--overwrite-destination=true", "--id-type=integer",
            f"--report-file={workdir / 'import.report'}",  # not the working directory
            *(f"--nodes={n}" for n in args["nodes"]), *(f"--relationships={r}" for r in args["relationships"]),
        ]  # fmt: skip
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        seconds["import"] = time.perf_counter() - t0
        seconds.update(import_phases(done.stdout))
        report("import", 1, 1)
        t0 = time.perf_counter()
        services.start_neo4j(plan, lambda m: None)
        seconds["restart"] = time.perf_counter() - t0
        if done.returncode != 0:
            raise RuntimeError(f"neo4j-admin import failed: {(done.stderr or done.stdout)[-800:]}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return seconds


_PHASE = re.compile(r"^(\w[\w ]*?) COMPLETED in (?:(\d+)m )?(?:(\d+)s )?(\d+)ms", re.MULTILINE)


def import_phases(output: str) -> dict[str, float]:
    """Seconds of each phase neo4j-admin import reports (``Node import COMPLETED in 9s 890ms``), keyed
    ``phase: node import``: where an import's time goes."""
    return {
        f"phase: {name.lower()}": int(m or 0) * 60 + int(sec or 0) + int(ms) / 1000
        for name, m, sec, ms in _PHASE.findall(output)
    }


def import_applies(settings: Any, follows: int) -> Any:
    """The ServicePlan of our running local Neo4j when a world of ``follows`` edges should be bulk-imported
    into it (large enough, and the Neo4j at settings.neo4j_uri is the one `feedline services` runs)."""
    from ops import services

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


async def populate_redis(redis: Redis, world: World, *, key_prefix: str) -> None:
    """Seed the `trending` sorted set as the engine builds it (TimelineStore.fill_trending: the engine's score
    of recency and likes, its cap and its key), so seeded and new tweets rank on one scale. Timelines rebuild
    lazily on read."""
    if len(world.tweet_ids) == 0:
        return
    ids, created, likes = (
        world.tweet_ids.tolist(),
        world.tweet_created_ms.tolist(),
        world.tweet_like_count.tolist(),
    )
    rows = zip(ids, created, likes, strict=True)
    await TimelineStore(redis, EngineConfig(key_prefix=key_prefix)).fill_trending(rows, replace=True)


def hash_password(password: str = DEMO_PASSWORD) -> str:
    return PASSWORD_HASHER.hash(password)
