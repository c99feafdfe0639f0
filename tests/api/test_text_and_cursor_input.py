"""Bad input refused over GraphQL (issue 11, defect 9): control characters in tweet text and an empty
`after` cursor are BAD_USER_INPUT, and nothing is stored."""

from __future__ import annotations

from neo4j import AsyncDriver

from feedline.app import create_app
from feedline.settings import Settings
from graph.driver import DATABASE
from tests.api.gqlclient import in_process


async def test_control_characters_and_empty_cursor(settings: Settings, neo4j: AsyncDriver) -> None:
    async with in_process(create_app(settings)) as gql:
        user = await gql.sign_up()
        for text in ("nul\x00inside", "bell\x07", "\x1b[2Jclear"):
            assert await gql.codes(
                "mutation($t: String!) { postTweet(text: $t) { id } }", user.token, t=text
            ) == ["BAD_USER_INPUT"]
        records, _, _ = await neo4j.execute_query("MATCH (t:Tweet) RETURN count(t) AS n", database_=DATABASE)
        assert records[0]["n"] == 0
        await gql.post_tweet(user, "two\nlines")
        for query in (
            'query { homeTimeline(after: "") { edges { cursor } } }',
            'query($h: String!) { user(handle: $h) { tweets(after: "") { edges { cursor } } } }',
        ):
            assert await gql.codes(query, user.token, h=user.handle) == ["BAD_USER_INPUT"], query
