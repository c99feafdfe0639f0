"""Hostile input against a real API process: each request gets its code, the server stays up, nothing is written.

"Nothing is written" is checked on the sources themselves: a dump of the whole (wiped, then seeded) Neo4j
graph and of every Redis key of the test's prefix except read caches and rate-limit counters, before and
after the hostile requests.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from neo4j import AsyncDriver

from fanout.keys import Keys
from graph.driver import DATABASE
from resolvers.limits import MAX_DOCUMENT_BYTES
from tests.api.gqlclient import Account, Gql, WsClient, codes, eventually
from tests.support.processes import Stack

# Read-side state a query may legitimately fill or refresh (caches, counters, throttles, snapshots).
VOLATILE = ("tw:", "u:", "rl:", "act:", "top:", "lock:", "trending")


async def snapshot(neo4j: AsyncDriver, redis: aioredis.Redis, prefix: str) -> dict[str, Any]:
    nodes, _, _ = await neo4j.execute_query(
        # Outbox jobs are the worker's bookkeeping (it marks them relayed); sessions have no id.
        "MATCH (n) WHERE NOT n:Job RETURN labels(n) AS labels, properties(n) AS props ORDER BY n.id, n.tokenHash",
        database_=DATABASE,
    )
    rels, _, _ = await neo4j.execute_query(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS type, b.id AS b ORDER BY a, type, b",
        database_=DATABASE,
    )
    graph = [(r["labels"], {k: str(v) for k, v in r["props"].items() if k != "lastActiveAt"}) for r in nodes]
    streams = Keys(prefix).fanout_streams  # every shard of the queue

    groups: list[dict[str, Any]] = []

    async def worker_idle() -> bool:
        groups[:] = [
            g for stream in streams if await redis.exists(stream) for g in await redis.xinfo_groups(stream)
        ]
        return all(g["pending"] == 0 and g["lag"] == 0 for g in groups)

    await eventually(worker_idle, what=f"the worker to drain the fan-out stream ({groups})")
    keys: dict[str, Any] = {"fanout (length)": sum([await redis.xlen(stream) for stream in streams])}
    async for raw in redis.scan_iter(match=f"{prefix}*", count=1000):
        name = raw.decode()[len(prefix) :]
        if name.startswith("auth:tok:") and await redis.get(raw) == b"-":
            continue  # an unknown or expired token remembered as such (auth/tokens.py): a read cache
        if not name.startswith(VOLATILE) and raw.decode() not in streams:
            keys[name] = await redis.dump(raw)
    return {"nodes": graph, "rels": [tuple(r.values()) for r in rels], "redis": keys}


@pytest.fixture
async def world(gql: Gql, neo4j: AsyncDriver) -> tuple[Account, Account, str]:
    """An empty graph with two users; ``victim`` follows ``attacker`` and has posted once."""
    victim, attacker = await gql.sign_up(), await gql.sign_up()
    await gql.follow(victim, attacker)
    tweet_id = await gql.post_tweet(victim, "do not touch")
    await gql.home_ids(victim)
    await gql.home_ids(attacker)
    return victim, attacker, tweet_id


async def raw_post(gql: Gql, content: bytes, content_type: str = "application/json") -> httpx.Response:
    return await gql.http.post("/graphql", content=content, headers={"content-type": content_type})


async def test_transport_level_garbage(gql: Gql, stack: Stack) -> None:
    for content in (
        b"{not json",
        b"\xff\xfe\x00",
        b'"just a string"',
        b"42",
        b"null",
        b"[]",
        b'[{"query": "{ viewer { id } }"}]',  # batching is off
        b"{}",
        b'{"query": 5}',
        b'{"query": "{ viewer { id } }", "variables": [1]}',
        b'{"query": "query A { viewer { id } } query B { viewer { id } }"}',  # which one?
        b'{"query": "query A { viewer { id } }", "operationName": "Nope"}',
    ):
        response = await raw_post(gql, content)
        assert response.status_code in (200, 400), (content, response.status_code)
        assert codes(response.json()) == ["BAD_USER_INPUT"], (content, response.text)
    wrong_type = await raw_post(gql, b'{"query": "{ viewer { id } }"}', "text/plain")
    assert wrong_type.status_code == 400 and codes(wrong_type.json()) == ["BAD_USER_INPUT"]
    mutation_by_get = await gql.http.get(
        "/graphql", params={"query": 'mutation { postTweet(text: "x") { id } }'}
    )
    assert mutation_by_get.status_code in (400, 405) and codes(mutation_by_get.json()) == ["BAD_USER_INPUT"]
    huge = await raw_post(gql, b'{"query": "' + b" " * (MAX_DOCUMENT_BYTES + 1) + b'{ viewer { id } }"}')
    assert huge.status_code == 413 and codes(huge.json()) == ["BAD_USER_INPUT"]
    assert (await gql.http.get("/healthz")).json() == {"status": "ok"}
    assert stack.api.alive()


async def test_documents_over_the_limits(gql: Gql) -> None:
    nested = "followers { edges { node { " * 12 + "id" + " } } }" * 12
    deep = "{ viewer { " + nested + " } }"
    alias_bomb = "{ " + " ".join(f"a{i}: trending(first: 100) {{ id }}" for i in range(40)) + " }"
    token_bomb = "{ " + " ".join(f"a{i}: trending(first: 100) {{ id }}" for i in range(300)) + " }"
    fragment_bomb = (
        "fragment F on User { followers(first: 100) { edges { node { ...G } } } } "
        "fragment G on User { followers(first: 100) { edges { node { ...F } } } } { viewer { ...F } }"
    )
    for query in (
        "{ nope }",
        "{ viewer { ",
        "{ __typename @nope }",
        deep,
        alias_bomb,
        token_bomb,
        fragment_bomb,
        "{ " + "viewer { id } " * 1500 + "}",
        'query { user(handle: "a") { tweets(first: 100) { edges { node { author { tweets(first: 100) '
        "{ edges { node { author { tweets(first: 100) { edges { node { author { tweets(first: 100) "
        "{ edges { node { id } } } } } } } } } } } } } } }",
    ):
        assert await gql.codes(query) == ["BAD_USER_INPUT"], query[:80]


@pytest.mark.parametrize(
    "query",
    [
        "{ trending(first: %s) { id } }",
        '{ searchUsers(query: "a", first: %s) { id } }',
        '{ user(handle: "someone") { tweets(first: %s) { edges { cursor } } } }',
        '{ user(handle: "someone") { followers(first: %s) { totalCount } } }',
        '{ user(handle: "someone") { following(first: %s) { totalCount } } }',
    ],
)
async def test_first_out_of_range(gql: Gql, query: str) -> None:
    someone = await gql.sign_up()
    query = query.replace('"someone"', f'"{someone.handle}"')
    for value in ("0", "-1", "101", "1000000", "2147483647", "99999999999", '"many"', "1.5"):
        assert await gql.codes(query % value, someone.token) == ["BAD_USER_INPUT"], value
    for query_with_viewer in (
        "{ homeTimeline(first: %s) { edges { cursor } } }",
        "{ suggestedUsers(first: %s) { id } }",
    ):
        assert await gql.codes(query_with_viewer % "1000000", someone.token) == ["BAD_USER_INPUT"]


async def test_hostile_requests_write_nothing(
    gql: Gql,
    stack: Stack,
    neo4j: AsyncDriver,
    redis_client: aioredis.Redis,
    world: tuple[Account, Account, str],
) -> None:
    victim, attacker, tweet_id = world
    # A token that expires: issued by logIn, then its durable session (Neo4j) made past its expiry and its
    # Redis cache entry given a 1 ms TTL (real expiry, no waiting on a clock).
    expired = (
        await gql.data(
            "mutation($h: String!, $p: String!) { logIn(handle: $h, password: $p) { token } }",
            h=attacker.handle,
            p="correct horse battery",
        )
    )["logIn"]["token"]
    digest = hashlib.sha256(expired.encode()).hexdigest()
    await neo4j.execute_query(
        "MATCH (s:Session {tokenHash: $h}) SET s.expiresAt = datetime() - duration({seconds: 1})",
        h=digest,
        database_=DATABASE,
    )
    await redis_client.pexpire(f"{stack.settings.key_prefix}auth:tok:{digest}", 1)

    async def gone() -> bool:
        return await gql.codes("{ viewer { id } }", expired) == ["UNAUTHENTICATED"]

    await eventually(gone, what="token expiry")
    # A cursor of another list and forged ones.
    author_cursor = (
        await gql.data(
            "query($h: String!) { user(handle: $h) { tweets(first: 1) { edges { cursor } } } }",
            h=victim.handle,
        )
    )["user"]["tweets"]["edges"][0]["cursor"]

    before = await snapshot(neo4j, redis_client, stack.settings.key_prefix)
    forged = {
        "Bearer forged-token",
        "Bearer " + "x" * 5000,
        "Basic dXNlcjpwYXNz",
        "Bearer",
        f"Bearer {expired}",
    }
    write_ops: list[tuple[str, dict[str, Any]]] = [
        ('mutation { postTweet(text: "pwned") { id } }', {}),
        ("mutation($id: ID!) { deleteTweet(id: $id) }", {"id": tweet_id}),
        ("mutation($id: ID!) { likeTweet(id: $id) { id } }", {"id": tweet_id}),
        ("mutation($h: String!) { follow(handle: $h) { id } }", {"h": victim.handle}),
        ("mutation($h: String!) { unfollow(handle: $h) { id } }", {"h": attacker.handle}),
        ("mutation { logOut }", {}),
    ]
    for header in forged:
        for query, variables in write_ops:
            response = await gql.http.post(
                "/graphql", json={"query": query, "variables": variables}, headers={"authorization": header}
            )
            assert codes(response.json()) == ["UNAUTHENTICATED"], (header[:20], query)
        response = await gql.http.post(
            "/graphql", json={"query": "{ viewer { id } }"}, headers={"authorization": header}
        )
        assert codes(response.json()) == ["UNAUTHENTICATED"], header[:20]

    token = attacker.token
    expect: list[tuple[str, dict[str, Any], str]] = [
        # someone else's tweet
        ("mutation($id: ID!) { deleteTweet(id: $id) }", {"id": tweet_id}, "FORBIDDEN"),
        # oversized, empty and blank tweets
        ("mutation($t: String!) { postTweet(text: $t) { id } }", {"t": "z" * 281}, "BAD_USER_INPUT"),
        ("mutation($t: String!) { postTweet(text: $t) { id } }", {"t": ""}, "BAD_USER_INPUT"),
        ("mutation($t: String!) { postTweet(text: $t) { id } }", {"t": " \n\t\u3000 "}, "BAD_USER_INPUT"),
        ("mutation($t: String!) { postTweet(text: $t) { id } }", {"t": 12345}, "BAD_USER_INPUT"),
        ("mutation { postTweet { id } }", {}, "BAD_USER_INPUT"),
        # ids that are not ours, not there, or not ids
        ("mutation($id: ID!) { deleteTweet(id: $id) }", {"id": "123456789"}, "NOT_FOUND"),
        ("mutation($id: ID!) { deleteTweet(id: $id) }", {"id": "99999999999999999999999"}, "BAD_USER_INPUT"),
        ("mutation($id: ID!) { likeTweet(id: $id) { id } }", {"id": "1 OR 1=1"}, "BAD_USER_INPUT"),
        ("mutation($id: ID!) { unlikeTweet(id: $id) { id } }", {"id": "-1"}, "BAD_USER_INPUT"),
        ("mutation($h: String!) { follow(handle: $h) { id } }", {"h": "x' OR 1=1 --"}, "NOT_FOUND"),
        ("mutation($h: String!) { follow(handle: $h) { id } }", {"h": attacker.handle}, "BAD_USER_INPUT"),
        # sign-ups that must not create anyone
        (
            'mutation($h: String!) { signUp(handle: $h, password: "longenough") { token } }',
            {"h": victim.handle.swapcase()},
            "BAD_USER_INPUT",
        ),
        (
            'mutation($h: String!) { signUp(handle: $h, password: "longenough") { token } }',
            {"h": "<script>"},
            "BAD_USER_INPUT",
        ),
        ('mutation { signUp(handle: "okhandle_zz", password: "short") { token } }', {}, "BAD_USER_INPUT"),
        (
            'mutation($d: String) { signUp(handle: "okhandle_zy", password: "longenough", displayName: $d) '
            "{ token } }",
            {"d": "d" * 51},
            "BAD_USER_INPUT",
        ),
        # bad cursors
        (
            "query($a: String) { homeTimeline(after: $a) { edges { cursor } } }",
            {"a": "garbage"},
            "BAD_USER_INPUT",
        ),
        (
            "query($a: String) { homeTimeline(after: $a) { edges { cursor } } }",
            {"a": author_cursor},
            "BAD_USER_INPUT",
        ),
        (
            "query($a: String) { homeTimeline(after: $a, order: TOP) { edges { cursor } } }",
            {"a": author_cursor},
            "BAD_USER_INPUT",
        ),
        (
            "query($a: String) { homeTimeline(after: $a) { edges { cursor } } }",
            {"a": "x" * 5000},
            "BAD_USER_INPUT",
        ),
        (
            "query($h: String!, $a: String) { user(handle: $h) { followers(after: $a) { totalCount } } }",
            {"h": victim.handle, "a": author_cursor},
            "BAD_USER_INPUT",
        ),
        (
            "query($h: String!, $a: String) { user(handle: $h) { tweets(after: $a) { edges { cursor } } } }",
            {"h": victim.handle, "a": "TDoxMjM"},  # a home-timeline cursor given to an author list
            "BAD_USER_INPUT",
        ),
        # unknown operations and fields in a mutation document
        ("mutation { dropDatabase }", {}, "BAD_USER_INPUT"),
        ("subscription { homeTimelineEvents { kind } }", {}, "BAD_USER_INPUT"),
    ]
    for query, variables, code in expect:
        body = await gql.body(query, token, **variables)
        assert codes(body) == [code], (query, variables, body)
        assert "Traceback" not in str(body) and 'File "' not in str(body)
    after = await snapshot(neo4j, redis_client, stack.settings.key_prefix)
    assert after == before
    # Still up, and the victim's world is intact.
    assert (await gql.http.get("/healthz")).status_code == 200
    assert await gql.home_ids(victim) == [tweet_id]
    assert stack.api.alive()


async def test_websocket_garbage_does_not_hurt_the_server(gql: Gql, stack: Stack) -> None:
    me = await gql.sign_up()
    ws = await WsClient.open(stack.base_url, me.token)
    await ws.ws.send("{not json")
    assert await ws.closed_code() in (4400, 1002, 1003, 1007)
    ws = await WsClient.open(stack.base_url, me.token)
    await ws.send({"id": "1", "type": "subscribe", "payload": {"query": "{ nope }"}})
    message = await ws.receive()
    assert message["type"] == "error" and [e["extensions"]["code"] for e in message["payload"]] == [
        "BAD_USER_INPUT"
    ]
    await ws.close()
    assert await gql.data("{ viewer { id } }", me.token) == {"viewer": {"id": me.id}}
