"""updateProfile over the API (a real `feedline serve` + Redis + Neo4j): validation, omitted arguments, auth,
and that cached users (Redis `u:{uid}` hashes, filled by earlier reads) show the new profile at once."""

from __future__ import annotations

import pytest

from tests.api.gqlclient import Gql, new_handle

UPDATE = "mutation($d: String, $b: String) { updateProfile(displayName: $d, bio: $b) { id handle displayName bio } }"
UPDATE_NAME_ONLY = "mutation($d: String) { updateProfile(displayName: $d) { displayName bio } }"
UPDATE_BIO_ONLY = "mutation($b: String) { updateProfile(bio: $b) { displayName bio } }"
PROFILE = "query($h: String!) { user(handle: $h) { displayName bio } }"


async def test_requires_authentication(gql: Gql) -> None:
    assert await gql.codes(UPDATE, d="Someone") == ["UNAUTHENTICATED"]
    assert await gql.codes(UPDATE, token="forged", d="Someone") == ["UNAUTHENTICATED"]


async def test_omitted_arguments_stay_as_they_are(gql: Gql) -> None:
    account = await gql.sign_up(display_name="First Name")
    data = await gql.data(UPDATE_BIO_ONLY, account.token, b="  likes graphs  ")
    assert data["updateProfile"] == {"displayName": "First Name", "bio": "likes graphs"}
    data = await gql.data(UPDATE_NAME_ONLY, account.token, d="Second Name")
    assert data["updateProfile"] == {"displayName": "Second Name", "bio": "likes graphs"}
    data = await gql.data("mutation { updateProfile { displayName bio } }", account.token)
    assert data["updateProfile"] == {"displayName": "Second Name", "bio": "likes graphs"}
    cleared = await gql.data(UPDATE_BIO_ONLY, account.token, b="")  # an empty bio reads as null
    assert cleared["updateProfile"] == {"displayName": "Second Name", "bio": None}
    assert (await gql.data(PROFILE, h=account.handle))["user"] == {"displayName": "Second Name", "bio": None}


@pytest.mark.parametrize(
    ("display_name", "bio"),
    [("", None), ("   ", None), ("x" * 51, None), (None, "b" * 161), ("ok", "b" * 161)],
)
async def test_out_of_range_is_bad_user_input_and_changes_nothing(
    gql: Gql, display_name: str | None, bio: str | None
) -> None:
    account = await gql.sign_up(display_name="Unchanged")
    assert await gql.codes(UPDATE, account.token, d=display_name, b=bio) == ["BAD_USER_INPUT"]
    assert (await gql.data(PROFILE, h=account.handle))["user"] == {"displayName": "Unchanged", "bio": None}


async def test_limits_are_inclusive(gql: Gql) -> None:
    account = await gql.sign_up()
    data = await gql.data(UPDATE, account.token, d="n" * 50, b="b" * 160)
    assert data["updateProfile"]["displayName"] == "n" * 50 and data["updateProfile"]["bio"] == "b" * 160
    assert data["updateProfile"]["handle"] == account.handle and data["updateProfile"]["id"] == account.id
    one = await gql.data(UPDATE_NAME_ONLY, account.token, d="é")
    assert one["updateProfile"]["displayName"] == "é"


async def test_cached_user_shows_the_new_profile_everywhere(gql: Gql) -> None:
    """Reads before the update fill the user cache (profile, tweet authors, followers); every read after it
    sees the new name and bio, and search finds the new name."""
    author, reader = await gql.sign_up(display_name="Old Name"), await gql.sign_up()
    await gql.follow(reader, author)
    tweet_id = await gql.post_tweet(author, "before the rename")
    tweet_author = "query($id: ID!) { tweet(id: $id) { author { displayName bio } } }"
    assert (await gql.data(tweet_author, id=tweet_id))["tweet"]["author"]["displayName"] == "Old Name"
    assert (await gql.data(PROFILE, h=author.handle))["user"]["displayName"] == "Old Name"

    new_name = f"Renamed {new_handle('n')}"
    await gql.data(UPDATE, author.token, d=new_name, b="new bio")

    assert (await gql.data(tweet_author, id=tweet_id))["tweet"]["author"] == {
        "displayName": new_name,
        "bio": "new bio",
    }
    assert (await gql.data(PROFILE, h=author.handle))["user"] == {"displayName": new_name, "bio": "new bio"}
    home = await gql.data(
        "{ homeTimeline(first: 5) { edges { node { id author { displayName } } } } }", reader.token
    )
    authors = {e["node"]["id"]: e["node"]["author"]["displayName"] for e in home["homeTimeline"]["edges"]}
    assert authors[tweet_id] == new_name
    found = await gql.data("query($q: String!) { searchUsers(query: $q) { handle } }", q=new_name.lower())
    assert [u["handle"] for u in found["searchUsers"]] == [author.handle]
