"""Neo4j repositories against the real test database: counters, idempotence, paging, typed errors."""

from __future__ import annotations

import pytest
from neo4j import AsyncDriver

from graph.errors import BadInput, Forbidden, NotFound
from graph.follows import FollowRepo
from graph.ids import IdGenerator
from graph.pull import pull_home
from graph.tweets import TweetRepo
from graph.users import UserRepo


async def graph_counts(driver: AsyncDriver) -> tuple[int, int, int]:
    records, _, _ = await driver.execute_query(
        "MATCH (n) WITH count(n) AS nodes OPTIONAL MATCH ()-[r]->() "
        "RETURN nodes, count(r) AS rels, "
        "COLLECT { MATCH (u:User) RETURN u.followerCount + u.followingCount + u.tweetCount }[0] AS c"
    )
    return records[0]["nodes"], records[0]["rels"], records[0]["c"] or 0


@pytest.fixture
def repos(neo4j: AsyncDriver) -> tuple[UserRepo, FollowRepo, TweetRepo]:
    ids = IdGenerator(5)
    return UserRepo(neo4j, ids), FollowRepo(neo4j), TweetRepo(neo4j, ids)


async def test_users_create_lookup_and_case_insensitive_handles(
    repos: tuple[UserRepo, FollowRepo, TweetRepo],
) -> None:
    users, _, _ = repos
    ada = await users.create("Ada_L", "Ada Lovelace", "hash-a")
    assert ada.handle == "Ada_L" and ada.display_name == "Ada Lovelace" and ada.follower_count == 0
    assert (await users.by_handle("ada_l")) == ada
    assert (await users.by_id(ada.id)) == ada
    found = await users.credentials("ADA_L")
    assert found is not None and found[1] == "hash-a"
    with pytest.raises(BadInput, match="handle taken"):
        await users.create("ada_l", None, "x")
    bob = await users.create("bob", None, "hash-b")
    assert bob.display_name == "bob"
    assert set(await users.by_ids([ada.id, bob.id, 999])) == {ada.id, bob.id}
    assert [u.handle for u in await users.search("ad", 10)] == ["Ada_L"]
    assert await users.by_handle("nobody") is None


@pytest.mark.parametrize("handle", ["ab", "a" * 16, "has space", "bad-dash", ""])
async def test_bad_handles_write_nothing(
    repos: tuple[UserRepo, FollowRepo, TweetRepo], neo4j: AsyncDriver, handle: str
) -> None:
    users, _, _ = repos
    with pytest.raises(BadInput):
        await users.create(handle, None, "h")
    assert (await graph_counts(neo4j))[0] == 0


async def test_follow_idempotent_counters_and_errors(
    repos: tuple[UserRepo, FollowRepo, TweetRepo], neo4j: AsyncDriver
) -> None:
    users, follows, _ = repos
    a = await users.create("alice", None, "h")
    b = await users.create("bobby", None, "h")
    change = await follows.follow(a.id, "BOBBY", 1000)
    assert change.changed and change.followee.follower_count == 1
    again = await follows.follow(a.id, "bobby", 2000)
    assert not again.changed and again.followee.follower_count == 1
    assert (await users.by_id(a.id)).following_count == 1  # type: ignore[union-attr]
    before = await graph_counts(neo4j)
    with pytest.raises(BadInput):
        await follows.follow(a.id, "alice", 3000)
    with pytest.raises(NotFound):
        await follows.follow(a.id, "ghost", 3000)
    with pytest.raises(NotFound):
        await follows.follow(424242, "bobby", 3000)
    assert await graph_counts(neo4j) == before
    gone = await follows.unfollow(a.id, "bobby")
    assert gone.changed and gone.followee.follower_count == 0
    assert not (await follows.unfollow(a.id, "bobby")).changed
    assert (await users.by_id(a.id)).following_count == 0  # type: ignore[union-attr]
    assert (await users.by_id(b.id)).follower_count == 0  # type: ignore[union-attr]


async def test_follower_pages_stream_in_id_order_and_edge_pages_most_recent_first(
    repos: tuple[UserRepo, FollowRepo, TweetRepo], neo4j: AsyncDriver
) -> None:
    users, follows, _ = repos
    star = await users.create("star", None, "h")
    fans = [await users.create(f"fan{i}", None, "h") for i in range(7)]
    for n, fan in enumerate(fans):
        await follows.follow(fan.id, "star", 10_000 + n)
    pages = [page async for page in follows.follower_id_pages(star.id, 3)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in p] == sorted(f.id for f in fans)
    got: list[int] = []
    after = None
    while True:
        rows, total = await follows.followers_page(star.id, 2, after)
        assert total == 7
        got += [u.id for u, _ in rows]
        if len(rows) < 2:
            break
        after = (rows[-1][1], rows[-1][0].id)
    assert got == [f.id for f in reversed(fans)]
    following, total = await follows.following_page(fans[0].id, 10, None)
    assert total == 1 and [u.id for u, _ in following] == [star.id]
    with pytest.raises(NotFound):
        await follows.followers_page(31337, 2, None)
    flags = await follows.flags(fans[0].id, [star.id, fans[1].id])
    assert flags == ({star.id}, set())


async def test_tweets_create_delete_like_and_pull(
    repos: tuple[UserRepo, FollowRepo, TweetRepo], neo4j: AsyncDriver
) -> None:
    users, follows, tweets = repos
    a = await users.create("author", None, "h")
    v = await users.create("viewer", None, "h")
    await follows.follow(v.id, "author", 1)
    t1 = await tweets.create(a.id, "  hello  ")
    assert t1.text == "hello" and t1.author_id == a.id
    t2 = await tweets.create(a.id, "second")
    own = await tweets.create(v.id, "mine")
    assert (await users.by_id(a.id)).tweet_count == 2  # type: ignore[union-attr]
    before = await graph_counts(neo4j)
    for bad in ["", "   ", "x" * 281]:
        with pytest.raises(BadInput):
            await tweets.create(a.id, bad)
    with pytest.raises(NotFound):
        await tweets.create(999_999, "ghost")
    assert await graph_counts(neo4j) == before
    assert [t.id for t in await pull_home(neo4j, v.id, None, 10)] == [own.id, t2.id, t1.id]
    assert [t.id for t in await pull_home(neo4j, v.id, t2.id, 10)] == [t1.id]
    liked = await tweets.like(v.id, t1.id, 5)
    assert liked.like_count == 1
    assert (await tweets.like(v.id, t1.id, 6)).like_count == 1
    assert await tweets.liked(v.id, [t1.id, t2.id]) == {t1.id}
    assert (await tweets.unlike(v.id, t1.id)).like_count == 0
    assert (await tweets.unlike(v.id, t1.id)).like_count == 0
    with pytest.raises(NotFound):
        await tweets.like(v.id, 12345, 1)
    with pytest.raises(Forbidden):
        await tweets.soft_delete(v.id, t1.id)
    assert await tweets.soft_delete(a.id, t1.id) == a.id
    with pytest.raises(NotFound):
        await tweets.soft_delete(a.id, t1.id)
    assert (await tweets.by_ids([t1.id]))[t1.id].deleted
    assert [t.id for t in await pull_home(neo4j, v.id, None, 10)] == [own.id, t2.id]
    page, total = await tweets.by_author(a.id, 1 << 53, 10)
    assert [t.id for t in page] == [t2.id] and total == 1
