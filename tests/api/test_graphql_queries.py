"""Every query and field of the contract over real HTTP against a real API + worker (Redis, Neo4j).

Anonymous and signed-in behaviour side by side; the home timeline with pagination and a celebrity's tweets
merged in with source CELEBRITY.
"""

from __future__ import annotations

import re
from typing import Any

from tests.api.gqlclient import Account, Gql, eventually, new_handle
from tests.support.processes import Stack

# test_newcomer_gets_suggested_entries needs trending suggestions; the feed checks here drop SUGGESTED entries,
# which are only what no followed source holds (labelled by source), so a lost tweet is still missing.
STACK_SUGGESTIONS = 50

USER_FIELDS = (
    "id handle displayName bio createdAt followerCount followingCount tweetCount isCelebrity "
    "viewerFollows followsViewer"
)
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_viewer_anonymous_and_signed_in(gql: Gql) -> None:
    assert await gql.data("{ viewer { id } }") == {"viewer": None}
    me = await gql.sign_up(display_name="Ada L.")
    viewer = (await gql.data(f"{{ viewer {{ {USER_FIELDS} }} }}", me.token))["viewer"]
    assert viewer["id"] == me.id and viewer["id"].isdigit() and int(viewer["id"]) < 2**53
    assert viewer["handle"] == me.handle and viewer["displayName"] == "Ada L."
    assert viewer["bio"] is None
    assert ISO_UTC.match(viewer["createdAt"]), viewer["createdAt"]
    assert (viewer["followerCount"], viewer["followingCount"], viewer["tweetCount"]) == (0, 0, 0)
    assert viewer["isCelebrity"] is False
    assert viewer["viewerFollows"] is False and viewer["followsViewer"] is False


async def test_user_by_handle_is_case_insensitive_and_null_when_unknown(gql: Gql) -> None:
    someone = await gql.sign_up()
    found = await gql.data("query($h: String!) { user(handle: $h) { id handle } }", h=someone.handle.upper())
    assert found["user"] == {"id": someone.id, "handle": someone.handle}
    assert await gql.data('{ user(handle: "nobody_here_x") { id } }') == {"user": None}


async def test_follow_flags_anonymous_vs_signed_in(gql: Gql, stack: Stack) -> None:
    a, b, c = [await gql.sign_up() for _ in range(3)]
    await gql.follow(a, b)
    query = (
        "query($h: String!) { user(handle: $h) { viewerFollows followsViewer isCelebrity followerCount } }"
    )
    assert (await gql.data(query, h=b.handle))["user"] == {
        "viewerFollows": False,  # anonymous: always false
        "followsViewer": False,
        "isCelebrity": False,
        "followerCount": 1,
    }
    assert (await gql.data(query, a.token, h=b.handle))["user"]["viewerFollows"] is True
    assert (await gql.data(query, b.token, h=a.handle))["user"]["followsViewer"] is True
    assert (await gql.data(query, b.token, h=a.handle))["user"]["viewerFollows"] is False
    # A second follower reaches the (test) celebrity threshold.
    await gql.follow(c, b)
    user = (await gql.data(query, c.token, h=b.handle))["user"]
    assert user == {"viewerFollows": True, "followsViewer": False, "isCelebrity": True, "followerCount": 2}
    assert stack.settings.celebrity_threshold == 2


async def test_tweet_query_fields_and_viewer_has_liked(gql: Gql) -> None:
    author, fan = await gql.sign_up(), await gql.sign_up()
    tweet_id = await gql.post_tweet(author, "  hello world  ")
    query = (
        "query($id: ID!) { tweet(id: $id) { id text createdAt likeCount viewerHasLiked "
        "author { id handle tweetCount } } }"
    )
    tweet = (await gql.data(query, id=tweet_id))["tweet"]
    assert tweet["id"] == tweet_id and tweet["text"] == "hello world"  # trimmed
    assert ISO_UTC.match(tweet["createdAt"])
    assert tweet["author"] == {"id": author.id, "handle": author.handle, "tweetCount": 1}
    assert (tweet["likeCount"], tweet["viewerHasLiked"]) == (0, False)
    await gql.data("mutation($id: ID!) { likeTweet(id: $id) { id } }", fan.token, id=tweet_id)
    assert (await gql.data(query, fan.token, id=tweet_id))["tweet"]["viewerHasLiked"] is True
    assert (await gql.data(query, author.token, id=tweet_id))["tweet"]["viewerHasLiked"] is False
    anonymous = (await gql.data(query, id=tweet_id))["tweet"]
    assert (anonymous["likeCount"], anonymous["viewerHasLiked"]) == (1, False)
    # Unknown and deleted tweets are null; a malformed id is the client's error.
    assert await gql.data('{ tweet(id: "12345") { id } }') == {"tweet": None}
    await gql.delete_tweet(author, tweet_id)
    assert await gql.data(query, id=tweet_id) == {"tweet": None}
    assert await gql.codes('{ tweet(id: "not-a-number") { id } }') == ["BAD_USER_INPUT"]


async def _all_pages(gql: Gql, who: Account, first: int) -> list[dict[str, Any]]:
    query = (
        "query($n: Int, $after: String) { homeTimeline(first: $n, after: $after) { "
        "edges { cursor source node { id text author { handle } } } pageInfo { hasNextPage endCursor } } }"
    )
    edges: list[dict[str, Any]] = []
    after = None
    for _ in range(50):
        page = (await gql.data(query, who.token, n=first, after=after))["homeTimeline"]
        assert len(page["edges"]) <= first
        edges += page["edges"]
        if page["edges"]:
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return edges
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


async def test_home_timeline_paginates_and_merges_a_celebrity(gql: Gql, stack: Stack) -> None:
    assert await gql.codes("{ homeTimeline { edges { cursor } } }") == ["UNAUTHENTICATED"]
    viewer, ordinary, celeb, other_fan = [await gql.sign_up() for _ in range(4)]
    assert await gql.home_ids(viewer) == []  # the viewer's timeline exists from now on: only fan-out fills it
    await gql.follow(viewer, ordinary)
    await gql.follow(viewer, celeb)
    await gql.follow(other_fan, celeb)  # two followers: a celebrity (threshold 2)
    celeb_info = await gql.data("query($h: String!) { user(handle: $h) { isCelebrity } }", h=celeb.handle)
    assert celeb_info["user"]["isCelebrity"] is True

    expected: dict[str, tuple[str, str]] = {}  # id -> (author handle, source)
    for i in range(4):
        expected[await gql.post_tweet(ordinary, f"ordinary {i}")] = (ordinary.handle, "TIMELINE")
        expected[await gql.post_tweet(celeb, f"celebrity {i}")] = (celeb.handle, "CELEBRITY")
    expected[await gql.post_tweet(viewer, "my own")] = (viewer.handle, "TIMELINE")

    # The worker fans the ordinary author's tweets out; the celebrity's are merged at read time.
    async def all_there() -> list[dict[str, Any]] | None:
        edges = await _all_pages(gql, viewer, 100)
        mine = {e["node"]["id"] for e in edges if e["source"] != "SUGGESTED"}
        return edges if set(expected) <= mine else None

    await eventually(all_there, what="fan-out of the ordinary author's tweets")
    for first in (1, 3, 7, 20):
        edges = await _all_pages(gql, viewer, first)
        ids = [e["node"]["id"] for e in edges]
        assert len(ids) == len(set(ids)), f"duplicate across pages (first={first})"
        assert ids == sorted(ids, key=int, reverse=True), "not newest first"
        followed = [e for e in edges if e["source"] != "SUGGESTED"]
        assert [e["node"]["id"] for e in followed] == sorted(expected, key=int, reverse=True)
        for edge in followed:
            handle, source = expected[edge["node"]["id"]]
            assert (edge["node"]["author"]["handle"], edge["source"]) == (handle, source)
    # TOP covers the same entries (ranked differently), page by page without repeats.
    top_query = (
        "query($after: String) { homeTimeline(first: 3, after: $after, order: TOP) "
        "{ edges { source node { id } } pageInfo { hasNextPage endCursor } } }"
    )
    top_ids: list[str] = []
    after = None
    for _ in range(20):
        page = (await gql.data(top_query, viewer.token, after=after))["homeTimeline"]
        top_ids += [e["node"]["id"] for e in page["edges"] if e["source"] != "SUGGESTED"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(top_ids) == sorted(expected)


async def test_newcomer_gets_suggested_entries(gql: Gql) -> None:
    author, liker, newcomer = await gql.sign_up(), await gql.sign_up(), await gql.sign_up()
    tweet_id = await gql.post_tweet(author, "popular")
    await gql.data("mutation($id: ID!) { likeTweet(id: $id) { id } }", liker.token, id=tweet_id)
    edges = (await gql.data("{ homeTimeline(first: 100) { edges { source node { id } } } }", newcomer.token))[
        "homeTimeline"
    ]["edges"]
    assert {"source": "SUGGESTED", "node": {"id": tweet_id}} in edges
    assert {e["source"] for e in edges} == {"SUGGESTED"}


async def test_user_tweets_paginate_newest_first_without_deleted(gql: Gql) -> None:
    author = await gql.sign_up()
    ids = [await gql.post_tweet(author, f"t{i}") for i in range(5)]
    await gql.delete_tweet(author, ids[2])
    query = (
        "query($h: String!, $after: String) { user(handle: $h) { tweetCount "
        "tweets(first: 2, after: $after) { edges { cursor node { id author { handle } } } "
        "pageInfo { hasNextPage endCursor } } } }"
    )
    seen: list[str] = []
    after = None
    while True:
        user = (await gql.data(query, h=author.handle, after=after))["user"]
        assert user["tweetCount"] == 4
        conn = user["tweets"]
        seen += [e["node"]["id"] for e in conn["edges"]]
        assert all(e["node"]["author"]["handle"] == author.handle for e in conn["edges"])
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == [ids[4], ids[3], ids[1], ids[0]]


async def test_followers_and_following_with_total_count(gql: Gql) -> None:
    star = await gql.sign_up()
    fans = [await gql.sign_up() for _ in range(3)]
    for fan in fans:
        await gql.follow(fan, star)
    query = (
        "query($h: String!, $after: String) { user(handle: $h) { "
        "followers(first: 2, after: $after) { totalCount edges { cursor node { handle followsViewer } } "
        "pageInfo { hasNextPage endCursor } } } }"
    )
    first_page = (await gql.data(query, star.token, h=star.handle))["user"]["followers"]
    assert first_page["totalCount"] == 3 and first_page["pageInfo"]["hasNextPage"] is True
    second_page = (
        await gql.data(query, star.token, h=star.handle, after=first_page["pageInfo"]["endCursor"])
    )["user"]["followers"]
    assert second_page["totalCount"] == 3 and second_page["pageInfo"]["hasNextPage"] is False
    handles = [e["node"]["handle"] for e in first_page["edges"] + second_page["edges"]]
    assert handles == [f.handle for f in reversed(fans)]  # most recent first
    assert all(e["node"]["followsViewer"] for e in first_page["edges"] + second_page["edges"])

    following = await gql.data(
        "query($h: String!) { user(handle: $h) { followingCount "
        "following { totalCount edges { node { handle } } } } }",
        h=fans[0].handle,
    )
    assert following["user"] == {
        "followingCount": 1,
        "following": {"totalCount": 1, "edges": [{"node": {"handle": star.handle}}]},
    }


async def test_search_users_by_handle_or_display_name_most_followed_first(gql: Gql) -> None:
    stem = new_handle("srch")[:10]
    quiet = await gql.sign_up(f"{stem}a")
    loud = await gql.sign_up(f"{stem}b")
    named = await gql.sign_up(display_name=f"{stem} Person")
    await gql.follow(quiet, loud)
    found = await gql.data("query($q: String!) { searchUsers(query: $q) { handle } }", q=stem.upper())
    assert [u["handle"] for u in found["searchUsers"]][:1] == [loud.handle]
    assert {u["handle"] for u in found["searchUsers"]} == {quiet.handle, loud.handle, named.handle}
    limited = await gql.data("query($q: String!) { searchUsers(query: $q, first: 1) { handle } }", q=stem)
    assert limited["searchUsers"] == [{"handle": loud.handle}]
    assert await gql.data('{ searchUsers(query: "   ") { id } }') == {"searchUsers": []}


async def test_suggested_users_are_followed_by_people_the_viewer_follows(gql: Gql) -> None:
    assert await gql.codes("{ suggestedUsers { id } }") == ["UNAUTHENTICATED"]
    viewer, friend, friend_of_friend = await gql.sign_up(), await gql.sign_up(), await gql.sign_up()
    await gql.follow(viewer, friend)
    await gql.follow(friend, friend_of_friend)
    suggested = await gql.data("{ suggestedUsers(first: 100) { handle viewerFollows } }", viewer.token)
    handles = [u["handle"] for u in suggested["suggestedUsers"]]
    assert handles[0] == friend_of_friend.handle  # a mutual connection ranks first
    assert friend.handle not in handles and viewer.handle not in handles
    assert not any(u["viewerFollows"] for u in suggested["suggestedUsers"])


async def test_trending_ranks_engagement(gql: Gql) -> None:
    author = await gql.sign_up()
    fans = [await gql.sign_up() for _ in range(3)]
    liked = await gql.post_tweet(author, "liked one")
    plain = await gql.post_tweet(author, "plain newer one")
    for fan in fans:
        await gql.data("mutation($id: ID!) { likeTweet(id: $id) { id } }", fan.token, id=liked)
    trending = await gql.data("{ trending(first: 100) { id likeCount author { handle } } }")
    ids = [t["id"] for t in trending["trending"]]
    assert liked in ids and plain in ids
    assert ids.index(liked) < ids.index(plain)
    assert next(t for t in trending["trending"] if t["id"] == liked)["likeCount"] == 3
    assert len((await gql.data("{ trending(first: 1) { id } }"))["trending"]) == 1
