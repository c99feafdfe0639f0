"""Every mutation of the contract and its error codes over real HTTP (real API + worker, Redis, Neo4j)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from argon2 import PasswordHasher
from neo4j import AsyncDriver

from auth.passwords import needs_rehash
from feedline.settings import Settings
from graph.driver import DATABASE
from tests.api.gqlclient import PASSWORD, Gql, api_settings, delete_prefix, new_handle
from tests.support.processes import Proc, running, start_api

SIGN_UP = (
    "mutation($h: String!, $p: String!, $d: String) "
    "{ signUp(handle: $h, password: $p, displayName: $d) { token user { id handle displayName } } }"
)
LOG_IN = "mutation($h: String!, $p: String!) { logIn(handle: $h, password: $p) { token user { id } } }"
LIKE = "mutation($id: ID!) { likeTweet(id: $id) { id likeCount viewerHasLiked } }"
UNLIKE = "mutation($id: ID!) { unlikeTweet(id: $id) { id likeCount viewerHasLiked } }"
FOLLOW = "mutation($h: String!) { follow(handle: $h) { handle followerCount viewerFollows } }"
UNFOLLOW = "mutation($h: String!) { unfollow(handle: $h) { handle followerCount viewerFollows } }"


async def count_users(driver: AsyncDriver, handle: str) -> int:
    records, _, _ = await driver.execute_query(
        "MATCH (u:User) WHERE u.handleLower = toLower($h) RETURN count(u) AS n", h=handle, database_=DATABASE
    )
    return int(records[0]["n"])


async def test_sign_up_and_its_input_errors(gql: Gql, neo4j: AsyncDriver) -> None:
    handle = new_handle("sign")
    body = await gql.data(SIGN_UP, h=handle, p=PASSWORD, d="  Grace  ")
    payload = body["signUp"]
    assert payload["user"]["handle"] == handle and payload["user"]["displayName"] == "Grace"
    assert len(payload["token"]) >= 32
    viewer = await gql.data("{ viewer { id } }", payload["token"])
    assert viewer == {"viewer": {"id": payload["user"]["id"]}}
    # Handles are unique case-insensitively; bad handles and passwords are the client's error.
    for h, p in (
        (handle.upper(), PASSWORD),
        ("ab", PASSWORD),
        ("has space", PASSWORD),
        ("x" * 16, PASSWORD),
        (new_handle("pw"), "short"),
        (new_handle("pw"), "x" * 129),
    ):
        assert await gql.codes(SIGN_UP, h=h, p=p) == ["BAD_USER_INPUT"], (h, p)
        if h != handle.upper():
            assert await count_users(neo4j, h) == 0  # nothing written
    assert await count_users(neo4j, handle) == 1


async def password_hash(driver: AsyncDriver, user_id: str) -> str:
    records, _, _ = await driver.execute_query(
        "MATCH (u:User {id: $id}) RETURN u.passwordHash AS h", id=int(user_id), database_=DATABASE
    )
    return str(records[0]["h"])


async def test_log_in_upgrades_a_hash_made_with_older_parameters(gql: Gql, neo4j: AsyncDriver) -> None:
    me = await gql.sign_up()
    current = await password_hash(neo4j, me.id)
    assert not needs_rehash(current)
    # As stored before the parameters changed: argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes).
    old = PasswordHasher().hash(PASSWORD)
    assert needs_rehash(old)
    await neo4j.execute_query(
        "MATCH (u:User {id: $id}) SET u.passwordHash = $h", id=int(me.id), h=old, database_=DATABASE
    )
    assert await gql.codes(LOG_IN, h=me.handle, p="wrong password") == ["UNAUTHENTICATED"]
    assert await password_hash(neo4j, me.id) == old  # a wrong password upgrades nothing
    assert (await gql.data(LOG_IN, h=me.handle, p=PASSWORD))["logIn"]["user"]["id"] == me.id
    upgraded = await password_hash(neo4j, me.id)
    assert upgraded != old and not needs_rehash(upgraded)
    assert (await gql.data(LOG_IN, h=me.handle, p=PASSWORD))["logIn"]["user"]["id"] == me.id


async def test_log_in_and_log_out_revokes_only_that_token(gql: Gql) -> None:
    me = await gql.sign_up()
    logged_in = (await gql.data(LOG_IN, h=me.handle.upper(), p=PASSWORD))["logIn"]
    assert logged_in["user"]["id"] == me.id and logged_in["token"] != me.token
    assert await gql.codes(LOG_IN, h=me.handle, p="wrong password") == ["UNAUTHENTICATED"]
    assert await gql.codes(LOG_IN, h="nosuchuser_zz", p=PASSWORD) == ["UNAUTHENTICATED"]

    assert await gql.data("mutation { logOut }", logged_in["token"]) == {"logOut": True}
    assert await gql.codes("{ viewer { id } }", logged_in["token"]) == ["UNAUTHENTICATED"]
    assert await gql.codes("mutation { logOut }", logged_in["token"]) == ["UNAUTHENTICATED"]
    assert await gql.data("{ viewer { id } }", me.token) == {"viewer": {"id": me.id}}  # other token lives


async def test_post_tweet_limits_and_counts(gql: Gql) -> None:
    me = await gql.sign_up()
    edge = "x" * 280
    data = await gql.data(
        "mutation($t: String!) { postTweet(text: $t) { id text likeCount viewerHasLiked author { id } } }",
        me.token,
        t=f"  {edge}  ",
    )
    tweet = data["postTweet"]
    assert tweet["text"] == edge and tweet["author"] == {"id": me.id}
    assert (tweet["likeCount"], tweet["viewerHasLiked"]) == (0, False)
    for text in ("", "   \n\t ", "y" * 281):
        assert await gql.codes("mutation($t: String!) { postTweet(text: $t) { id } }", me.token, t=text) == [
            "BAD_USER_INPUT"
        ]
    user = await gql.data("query($h: String!) { user(handle: $h) { tweetCount } }", h=me.handle)
    assert user == {"user": {"tweetCount": 1}}
    assert tweet["id"] in await gql.home_ids(me)


async def test_delete_tweet_only_by_its_author(gql: Gql) -> None:
    author, other = await gql.sign_up(), await gql.sign_up()
    tweet_id = await gql.post_tweet(author, "mine")
    delete = "mutation($id: ID!) { deleteTweet(id: $id) }"
    assert await gql.codes(delete, other.token, id=tweet_id) == ["FORBIDDEN"]
    assert (await gql.data("query($id: ID!) { tweet(id: $id) { id } }", id=tweet_id))["tweet"] is not None
    assert await gql.data(delete, author.token, id=tweet_id) == {"deleteTweet": tweet_id}
    assert (await gql.data("query($id: ID!) { tweet(id: $id) { id } }", id=tweet_id))["tweet"] is None
    assert await gql.codes(delete, author.token, id=tweet_id) == ["NOT_FOUND"]  # already deleted
    assert await gql.codes(delete, author.token, id="999999") == ["NOT_FOUND"]
    assert await gql.codes(delete, author.token, id="-5") == ["BAD_USER_INPUT"]
    assert tweet_id not in await gql.home_ids(author)
    user = await gql.data("query($h: String!) { user(handle: $h) { tweetCount } }", h=author.handle)
    assert user == {"user": {"tweetCount": 0}}


async def test_follow_and_unfollow_are_idempotent(gql: Gql) -> None:
    fan, star = await gql.sign_up(), await gql.sign_up()
    for _ in range(2):
        followed = (await gql.data(FOLLOW, fan.token, h=star.handle.upper()))["follow"]
        assert followed == {"handle": star.handle, "followerCount": 1, "viewerFollows": True}
    me = await gql.data("{ viewer { followingCount } }", fan.token)
    assert me == {"viewer": {"followingCount": 1}}
    for _ in range(2):
        unfollowed = (await gql.data(UNFOLLOW, fan.token, h=star.handle))["unfollow"]
        assert unfollowed == {"handle": star.handle, "followerCount": 0, "viewerFollows": False}
    assert await gql.codes(FOLLOW, fan.token, h="nosuchuser_zz") == ["NOT_FOUND"]
    assert await gql.codes(UNFOLLOW, fan.token, h="nosuchuser_zz") == ["NOT_FOUND"]
    assert await gql.codes(FOLLOW, fan.token, h=fan.handle) == ["BAD_USER_INPUT"]
    assert await gql.codes(FOLLOW, h=star.handle) == ["UNAUTHENTICATED"]
    assert await gql.codes(UNFOLLOW, h=star.handle) == ["UNAUTHENTICATED"]


async def test_follow_brings_tweets_into_the_feed_and_unfollow_removes_them(gql: Gql) -> None:
    fan, author = await gql.sign_up(), await gql.sign_up()
    await gql.post_tweet(fan, "warm my timeline")
    await gql.home_ids(fan)  # the timeline exists now: follow must merge into it
    old = await gql.post_tweet(author, "before the follow")
    await gql.follow(fan, author)
    assert old in await gql.home_ids(fan)
    await gql.data(UNFOLLOW, fan.token, h=author.handle)
    assert old not in await gql.home_ids(fan)


async def test_like_and_unlike_are_idempotent(gql: Gql) -> None:
    author, fan = await gql.sign_up(), await gql.sign_up()
    tweet_id = await gql.post_tweet(author, "like me")
    for _ in range(2):
        assert (await gql.data(LIKE, fan.token, id=tweet_id))["likeTweet"] == {
            "id": tweet_id,
            "likeCount": 1,
            "viewerHasLiked": True,
        }
    for _ in range(2):
        assert (await gql.data(UNLIKE, fan.token, id=tweet_id))["unlikeTweet"] == {
            "id": tweet_id,
            "likeCount": 0,
            "viewerHasLiked": False,
        }
    assert await gql.codes(LIKE, fan.token, id="424242") == ["NOT_FOUND"]
    assert await gql.codes(UNLIKE, fan.token, id="424242") == ["NOT_FOUND"]
    assert await gql.codes(LIKE, id=tweet_id) == ["UNAUTHENTICATED"]
    await gql.delete_tweet(author, tweet_id)
    assert await gql.codes(LIKE, fan.token, id=tweet_id) == ["NOT_FOUND"]


# --- rate limits: an API process of its own with small limits --------------------------------------------


@pytest.fixture(scope="module")
def limited_api(test_settings: Settings) -> Iterator[tuple[Settings, Proc]]:
    settings = api_settings(test_settings)
    api = start_api(
        settings,
        port=None,
        FEEDLINE_RATE_LIMIT_AUTH_PER_HANDLE="3",
        FEEDLINE_RATE_LIMIT_AUTH_PER_IP="8",
        FEEDLINE_RATE_LIMIT_POSTS_PER_USER="2",
        FEEDLINE_RATE_LIMIT_POSTS_PER_IP="1000",
    )
    with running(api):
        yield settings, api
    delete_prefix(settings)


@pytest.fixture
async def limited(limited_api: tuple[Settings, Proc]) -> AsyncIterator[Gql]:
    assert limited_api[1].base_url is not None
    client = Gql(limited_api[1].base_url)
    try:
        yield client
    finally:
        await client.aclose()


async def test_rate_limits_answer_rate_limited(limited: Gql, neo4j: AsyncDriver) -> None:
    me = await limited.sign_up()  # auth attempts (per IP): 1
    # postTweet: 2 per user per window.
    await limited.post_tweet(me, "one")
    await limited.post_tweet(me, "two")
    post = "mutation($t: String!) { postTweet(text: $t) { id } }"
    assert await limited.codes(post, me.token, t="three") == ["RATE_LIMITED"]
    records, _, _ = await neo4j.execute_query(
        "MATCH (:User {id: toInteger($id)})-[:POSTED]->(t) RETURN count(t) AS n", id=me.id, database_=DATABASE
    )
    assert records[0]["n"] == 2  # the refused post was not written
    # logIn: 3 attempts per handle per window, right or wrong.
    assert (await limited.data(LOG_IN, h=me.handle, p=PASSWORD))["logIn"]["token"]
    assert await limited.codes(LOG_IN, h=me.handle, p="wrong password") == ["UNAUTHENTICATED"]
    assert (await limited.data(LOG_IN, h=me.handle.upper(), p=PASSWORD))["logIn"]["token"]
    assert await limited.codes(LOG_IN, h=me.handle, p=PASSWORD) == ["RATE_LIMITED"]  # even the right one
    # The per-IP budget is shared by logIn and signUp: 8 attempts, 5 used above (1 + 4).
    for _ in range(3):
        assert await limited.codes(SIGN_UP, h=new_handle("rl"), p="short") == ["BAD_USER_INPUT"]
    handle = new_handle("rl")
    assert await limited.codes(SIGN_UP, h=handle, p=PASSWORD) == ["RATE_LIMITED"]
    assert await count_users(neo4j, handle) == 0
    body = await limited.body("{ viewer { id } }", me.token)
    assert body == {"data": {"viewer": {"id": me.id}}}  # reads are not limited
