"""`feedline seed`: a deterministic power-law world whose counters agree with its edges."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import redis.asyncio as aioredis
from argon2 import PasswordHasher
from neo4j import AsyncDriver

from fanout.keys import Keys
from feedline.settings import Settings
from graph.driver import DATABASE
from graph.ids import EPOCH_MS, TIME_SHIFT
from seed import seed
from seed.load import write_import_csv
from seed.world import DEMO_PASSWORD, PRESETS, SeedPlan, generate

SMALL = SeedPlan(users=400, avg_follows=20, celebrities=4, tweets_per_user=3, likes_per_tweet=2.0)


def test_generate_is_deterministic_and_power_law() -> None:
    a = generate(SMALL, seed=7, celebrity_threshold=60, now_ms=EPOCH_MS + 400 * 86_400_000)
    b = generate(SMALL, seed=7, celebrity_threshold=60, now_ms=EPOCH_MS + 400 * 86_400_000)
    c = generate(SMALL, seed=8, celebrity_threshold=60, now_ms=EPOCH_MS + 400 * 86_400_000)
    assert np.array_equal(a.follow_src, b.follow_src) and np.array_equal(a.follow_dst, b.follow_dst)
    assert np.array_equal(a.tweet_ids, b.tweet_ids) and a.handles == b.handles
    assert not np.array_equal(a.follow_dst, c.follow_dst)
    # Exactly the asked-for number of celebrities reach the threshold; everyone else stays below it.
    assert sorted(np.flatnonzero(a.follower_count >= 60).tolist()) == a.celebrity_indexes == [1, 2, 3, 4]
    # Heavy tail: the top 10% of ordinary accounts hold far more followers than the bottom half.
    ordinary = np.sort(a.follower_count[5:])[::-1]
    assert ordinary[: len(ordinary) // 10].sum() > ordinary[len(ordinary) // 2 :].sum()
    # No self-follows, no duplicate edges.
    assert not np.any(a.follow_src == a.follow_dst)
    assert len(np.unique(a.follow_src * 400 + a.follow_dst)) == len(a.follow_src)


def test_ids_sort_by_time_and_fit_53_bits() -> None:
    world = generate(SMALL, seed=1, celebrity_threshold=60)
    assert np.all(np.diff(world.tweet_ids) > 0)
    assert np.all(np.diff(world.tweet_created_ms) >= 0)
    assert int(world.tweet_ids.max()) < 2**53 and int(world.user_ids.max()) < 2**53
    # The id carries its creation time.
    assert np.array_equal((world.tweet_ids >> TIME_SHIFT) + EPOCH_MS, world.tweet_created_ms)
    assert len(set(world.user_ids.tolist())) == SMALL.users


async def test_demo_seed_loads_a_consistent_graph(
    neo4j: AsyncDriver, redis: aioredis.Redis, settings: Settings
) -> None:
    result = await seed(
        neo4j, redis, preset="demo", seed=42, key_prefix=settings.key_prefix, celebrity_threshold=50
    )
    plan = PRESETS["demo"]
    assert result.users == plan.users and result.celebrities == [f"celeb{i}" for i in range(1, 6)]

    records, _, _ = await neo4j.execute_query(
        """
        MATCH (u:User)
        RETURN count(u) AS users,
               sum(CASE WHEN u.followerCount = COUNT { (u)<-[:FOLLOWS]-() } THEN 0 ELSE 1 END) AS bad_followers,
               sum(CASE WHEN u.followingCount = COUNT { (u)-[:FOLLOWS]->() } THEN 0 ELSE 1 END) AS bad_following,
               sum(CASE WHEN u.tweetCount = COUNT { (u)-[:POSTED]->(t) WHERE t.repostOf IS NULL } THEN 0 ELSE 1 END)
                 AS bad_tweets,
               sum(CASE WHEN u.handleLower = toLower(u.handle) THEN 0 ELSE 1 END) AS bad_handles,
               sum(CASE WHEN u.followerCount >= 50 THEN 1 ELSE 0 END) AS celebrities
        """,
        database_=DATABASE,
    )
    row = records[0]
    assert row["users"] == plan.users
    assert (row["bad_followers"], row["bad_following"], row["bad_tweets"], row["bad_handles"]) == (0, 0, 0, 0)
    assert row["celebrities"] == 5

    records, _, _ = await neo4j.execute_query(
        """
        MATCH (t:Tweet)
        RETURN count(t) AS tweets,
               sum(CASE WHEN t.likeCount = COUNT { (t)<-[:LIKED]-() } THEN 0 ELSE 1 END) AS bad_likes,
               sum(CASE WHEN t.deleted = false THEN 0 ELSE 1 END) AS deleted,
               sum(CASE WHEN COUNT { (t)<-[:POSTED]-() } = 1 THEN 0 ELSE 1 END) AS orphans
        """,
        database_=DATABASE,
    )
    assert records[0]["tweets"] == result.tweets > 0
    assert (records[0]["bad_likes"], records[0]["deleted"], records[0]["orphans"]) == (0, 0, 0)

    # The documented demo login works, and the demo user follows every celebrity.
    records, _, _ = await neo4j.execute_query(
        """
        MATCH (d:User {handleLower: 'demo'})
        RETURN d.passwordHash AS hash, COUNT { (d)-[:FOLLOWS]->(c:User) WHERE c.followerCount >= 50 } AS celebs
        """,
        database_=DATABASE,
    )
    assert PasswordHasher().verify(records[0]["hash"], DEMO_PASSWORD)
    assert records[0]["celebs"] == 5

    # Conversations show on the demo's first login: replies (threads too) and reposts among whom demo follows,
    # a mute and a block by demo, and others muting and blocking; counters agree with the edges.
    records, _, _ = await neo4j.execute_query(
        """
        MATCH (d:User {handleLower: 'demo'})
        RETURN COUNT { (d)-[:FOLLOWS]->(:User)-[:POSTED]->(:Tweet)-[:REPLY_TO]->(:Tweet)<-[:POSTED]-(:User)<-[:FOLLOWS]-(d) }
                 AS replies,
               COUNT { (d)-[:FOLLOWS]->(a:User)-[:POSTED]->(:Tweet)-[:REPLY_TO]->(:Tweet)<-[:POSTED]-(a) } AS threads,
               COUNT { (d)-[:FOLLOWS]->(:User)-[:POSTED]->(:Tweet)-[:REPOST_OF]->(:Tweet) } AS reposts,
               COUNT { (d)-[:MUTES]->() } AS mutes, COUNT { (d)-[:BLOCKS]->() } AS blocks,
               COUNT { ()-[:MUTES|BLOCKS]->() } AS relations,
               COUNT { MATCH (t:Tweet) WHERE t.replyCount <> COUNT { (t)<-[:REPLY_TO]-() }
                 OR t.repostCount <> COUNT { (t)<-[:REPOST_OF]-() } } AS bad_counts
        """,
        database_=DATABASE,
    )
    row = records[0]
    assert row["replies"] > 0 and row["threads"] > 0 and row["reposts"] > 0, dict(row)
    assert (row["mutes"], row["blocks"], row["bad_counts"]) == (1, 1, 0), dict(row)
    assert row["relations"] > 2

    trending = await redis.zrevrange(Keys(settings.key_prefix).trending(0), 0, -1, withscores=True)
    assert trending and trending[0][1] >= trending[-1][1]


async def test_seed_refuses_a_non_empty_graph(neo4j: AsyncDriver) -> None:
    await neo4j.execute_query("CREATE (:User {id: 1, handle: 'x', handleLower: 'x'})", database_=DATABASE)
    try:
        await seed(neo4j, None, preset="demo", seed=1, celebrity_threshold=50)
    except RuntimeError as error:
        assert "empty" in str(error)
    else:
        raise AssertionError("seeding a non-empty graph must fail")


def test_import_csv_matches_the_world(tmp_path: Path) -> None:
    """The neo4j-admin import files (used for large worlds) hold every node and edge, quoted where needed."""
    world = generate(SMALL, seed=7, celebrity_threshold=60, now_ms=EPOCH_MS + 400 * 86_400_000)
    args = write_import_csv(world, tmp_path, "hash,with,commas")
    files = {Path(group.split(",")[1]).stem: group for group in [*args["nodes"], *args["relationships"]]}
    assert set(files) == {"users", "tweets", "follows", "posted", "liked"}

    def rows(name: str) -> list[list[str]]:
        with open(tmp_path / f"{name}.csv", newline="", encoding="utf-8") as f:
            return list(csv.reader(f))

    users = rows("users")
    assert len(users) == len(world.user_ids) and users[0][7] == "hash,with,commas"
    assert [int(r[8]) for r in users] == world.follower_count.tolist()
    follows = rows("follows")
    assert len(follows) == len(world.follow_src) and {r[3] for r in follows} == {"FOLLOWS"}
    assert follows[0][2].endswith("Z") and int(follows[0][0]) == int(world.user_ids[world.follow_src[0]])
    assert len(rows("tweets")) == len(world.tweet_ids) == len(rows("posted"))
    assert len(rows("liked")) == len(world.like_user)
    header = (tmp_path / "users_header.csv").read_text().strip().split(",")
    assert len(header) == len(users[0]) and header[0] == ":ID(User)"  # the id is not stored twice


async def test_admin_import_loads_the_world_into_a_real_neo4j() -> None:
    """The bulk path of large seeds (neo4j-admin import), on the lifecycle services (stopped and restarted)."""
    from graph.driver import open_driver
    from ops import services
    from seed.load import admin_import, hash_password
    from tests.conftest import settings_for
    from tests.foundation.test_services_lifecycle import LIFECYCLE_SLOT

    plan = services.ServicePlan.for_test_slot(LIFECYCLE_SLOT)
    services.up(plan, log=lambda _: None)
    world = generate(SMALL, seed=3, celebrity_threshold=60)
    try:
        admin_import(plan, world, hash_password())
        settings = settings_for(plan)
        driver = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
        try:
            records, _, _ = await driver.execute_query(
                "MATCH (u:User) WITH count(u) AS users, sum(u.followerCount) AS counted "
                "MATCH ()-[f:FOLLOWS]->() RETURN users, counted, count(f) AS follows",
                database_=DATABASE,
            )
        finally:
            await driver.close()
    finally:
        services.down(plan)
    row = records[0]
    assert row["users"] == SMALL.users
    assert row["follows"] == len(world.follow_src) == row["counted"]
    report_in_cwd = Path("import.report").exists()  # noqa: ASYNC240 - one stat after the work is done
    assert not report_in_cwd, "the import report must not land in the working directory"
