"""Security defects of issue 12, each against real `feedline serve` processes (and the pure address logic).

- revocation reaches live websockets: logOut on one process closes the sockets using the token on every
  process with 4403; an expiring token closes them at expiry; a revoked socket cannot start operations;
- X-Forwarded-For is believed only from trusted proxies (rightmost untrusted hop);
- nobody can lock an owner out of logIn from other addresses (per-pair limit, per-handle back-off);
- a bad token is UNAUTHENTICATED wherever it is sent;
- every mutation, read and subscription is rate limited per user and per address, with retryAfter;
- websocket init timeout (both protocols) and operation caps per connection and per user.

Per-address limits are tested through a process that trusts 127.0.0.1 as a proxy, each test sending from
addresses of its own in X-Forwarded-For (so the tests' counters never meet).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from neo4j import AsyncDriver
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api.clientaddr import client_address, parse_networks
from fanout.client import open_redis
from feedline.settings import Settings
from graph.driver import DATABASE
from graph.sessions import SessionRepo
from tests.api.gqlclient import (
    EVENTS_QUERY,
    GENEROUS_LIMITS,
    LEGACY_WS,
    PASSWORD,
    TRANSPORT_WS,
    Account,
    Gql,
    WsClient,
    api_settings,
    codes,
    delete_prefix,
    eventually,
    new_handle,
)
from tests.support.processes import Proc, running, start_api, start_worker

LOG_IN = "mutation($h: String!, $p: String!) { logIn(handle: $h, password: $p) { token } }"
SIGN_UP = "mutation($h: String!, $p: String!) { signUp(handle: $h, password: $p) { token user { id } } }"
FOLLOW = "mutation($h: String!) { follow(handle: $h) { id } }"
UNFOLLOW = "mutation($h: String!) { unfollow(handle: $h) { id } }"
# Revocation must reach a socket within a second; the bound leaves room for a loaded 2-core test machine.
CLOSE_WITHIN_S = 3.0
EXPIRING_TOKEN_TTL_S = 3

_addresses = itertools.count(1)


def fresh_address() -> str:
    """A client address of this test's own (sent through the trusted-proxy process)."""
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


# --- the address logic itself (pure) ------------------------------------------------------------------------


def test_client_address_is_the_rightmost_untrusted_hop() -> None:
    proxies = parse_networks(["127.0.0.1", "10.0.0.0/8"])
    assert client_address("127.0.0.1", ["6.6.6.6, 203.0.113.7"], proxies) == "203.0.113.7"
    # Hops added by trusted proxies are skipped; whatever the client wrote to the left is not believed.
    assert client_address("127.0.0.1", ["6.6.6.6, 203.0.113.7, 10.1.2.3"], proxies) == "203.0.113.7"
    assert client_address("127.0.0.1", ["6.6.6.6", "203.0.113.7"], proxies) == "203.0.113.7"  # two headers
    # From an untrusted peer, or with no trusted proxies, the header is ignored.
    assert client_address("198.51.100.1", ["203.0.113.7"], proxies) == "198.51.100.1"
    assert client_address("127.0.0.1", ["203.0.113.7"], ()) == "127.0.0.1"
    # Garbage in the proxy's slot: the last trusted hop is as far as we can see.
    assert client_address("127.0.0.1", ["203.0.113.7, not-an-ip"], proxies) == "127.0.0.1"
    # Only proxies: the leftmost one is the client; ports and v6 brackets are understood.
    assert client_address("127.0.0.1", ["10.0.0.9, 10.0.0.8"], proxies) == "10.0.0.9"
    assert client_address("127.0.0.1", ["[2001:db8::1]:443"], proxies) == "2001:db8::1"
    with pytest.raises(ValueError):
        parse_networks(["127.0.0.1/99"])


# --- processes ----------------------------------------------------------------------------------------------


@dataclass
class Apis:
    settings: Settings
    one: Proc  # tokens live for the default TTL
    two: Proc  # issues tokens that expire after EXPIRING_TOKEN_TTL_S
    worker: Proc


@pytest.fixture(scope="module")
def apis(test_settings: Settings) -> Iterator[Apis]:
    settings = api_settings(test_settings)
    ws_limits = {
        "FEEDLINE_WS_INIT_TIMEOUT_SECONDS": "1",
        "FEEDLINE_MAX_SUBSCRIPTIONS_PER_CONNECTION": "2",
        "FEEDLINE_MAX_SUBSCRIPTIONS_PER_USER": "3",
    }
    procs: list[Proc] = []
    try:
        procs.append(start_api(settings, port=None, FEEDLINE_WORKER_ID="2", **GENEROUS_LIMITS, **ws_limits))
        procs.append(
            start_api(
                settings,
                port=None,
                FEEDLINE_WORKER_ID="3",
                FEEDLINE_TOKEN_TTL_SECONDS=str(EXPIRING_TOKEN_TTL_S),
                **GENEROUS_LIMITS,
                **ws_limits,
            )
        )
        procs.append(start_worker(settings))
    except BaseException:
        for proc in procs:
            proc.stop()
        raise
    with running(*procs):
        yield Apis(settings, *procs)
        for proc in procs:
            assert proc.alive(), proc.output()[-4000:]
            assert "Traceback" not in proc.output(), proc.output()[-4000:]
    delete_prefix(settings)


@pytest.fixture(scope="module")
def limited_api(test_settings: Settings) -> Iterator[Proc]:
    """Small limits, and 127.0.0.1 trusted as a proxy: each test speaks from addresses of its own."""
    settings = api_settings(test_settings)
    api = start_api(
        settings,
        port=None,
        FEEDLINE_TRUSTED_PROXIES='["127.0.0.1"]',
        FEEDLINE_RATE_LIMIT_AUTH_PER_IP="6",
        FEEDLINE_RATE_LIMIT_AUTH_PER_HANDLE="3",
        FEEDLINE_RATE_LIMIT_LOGIN_BACKOFF_AFTER="4",
        FEEDLINE_RATE_LIMIT_MUTATIONS_PER_USER="3",
        FEEDLINE_RATE_LIMIT_READS_PER_USER="5",
        FEEDLINE_RATE_LIMIT_READS_PER_IP="8",
        FEEDLINE_RATE_LIMIT_SUBSCRIPTIONS_PER_USER="1",
    )
    with running(api):
        yield api
        assert api.alive(), api.output()[-4000:]
    delete_prefix(settings)


@pytest.fixture(scope="module")
def untrusting_api(test_settings: Settings) -> Iterator[Proc]:
    """Default address handling (no trusted proxies) with a small per-IP sign-up budget."""
    settings = api_settings(test_settings)
    api = start_api(settings, port=None, FEEDLINE_RATE_LIMIT_AUTH_PER_IP="3")
    with running(api):
        yield api
    delete_prefix(settings)


async def client_of(proc: Proc) -> Gql:
    assert proc.base_url is not None
    return Gql(proc.base_url)


@pytest.fixture
async def gqls(apis: Apis) -> AsyncIterator[tuple[Gql, Gql]]:
    one, two = await client_of(apis.one), await client_of(apis.two)
    try:
        yield one, two
    finally:
        await one.aclose()
        await two.aclose()


@pytest.fixture
async def limited(limited_api: Proc) -> AsyncIterator[Gql]:
    client = await client_of(limited_api)
    try:
        yield client
    finally:
        await client.aclose()


async def body_from(
    gql: Gql, address: str, query: str, token: str | None = None, **variables: Any
) -> dict[str, Any]:
    headers = {"x-forwarded-for": address}
    if token:
        headers["authorization"] = f"Bearer {token}"
    response = await gql.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    return dict(response.json())


async def sign_up_from(gql: Gql, address: str) -> Account:
    handle = new_handle("sec")
    body = await body_from(gql, address, SIGN_UP, h=handle, p=PASSWORD)
    assert not body.get("errors"), body
    return Account(body["data"]["signUp"]["user"]["id"], handle, body["data"]["signUp"]["token"])


def retry_after(body: dict[str, Any]) -> int:
    """The retryAfter of a RATE_LIMITED answer (checked to be a sensible number of seconds)."""
    assert codes(body) == ["RATE_LIMITED"], body
    value = body["errors"][0]["extensions"]["retryAfter"]
    assert isinstance(value, int) and 1 <= value <= 60, body
    return value


# --- 1. revocation reaches live connections -----------------------------------------------------------------


async def test_log_out_closes_the_token_s_websockets_on_every_process(gqls: tuple[Gql, Gql]) -> None:
    one, two = gqls
    me = await one.sign_up()
    on_one = await WsClient.open(one.base_url, me.token, LEGACY_WS)
    on_two = await WsClient.open(two.base_url, me.token, TRANSPORT_WS)
    await on_one.subscribe_live(one, me)
    await on_two.subscribe_live(one, me)
    other = await one.sign_up()  # another user's socket stays open
    bystander = await WsClient.open(two.base_url, other.token)
    bystanding = await bystander.subscribe_live(one, other)

    assert (await one.data("mutation { logOut }", me.token))["logOut"] is True
    revoked_at = time.monotonic()
    assert await on_two.closed_code(within=CLOSE_WITHIN_S) == 4403
    assert await on_one.closed_code(within=CLOSE_WITHIN_S) == 4403
    print(f"both sockets closed {time.monotonic() - revoked_at:.3f}s after logOut answered")
    # The bystander is unaffected.
    tweet = await one.post_tweet(other, "still here")
    assert (await bystander.next_event(bystanding))["tweetId"] == tweet
    await bystander.close()


async def test_an_expiring_token_closes_its_websocket_at_expiry(gqls: tuple[Gql, Gql]) -> None:
    one, two = gqls
    me = await two.sign_up()  # process two issues tokens that live EXPIRING_TOKEN_TTL_S seconds
    issued_at = time.monotonic()
    ws = await WsClient.open(one.base_url, me.token)
    await ws.subscribe()
    code = await ws.closed_code(within=EXPIRING_TOKEN_TTL_S + CLOSE_WITHIN_S)
    assert code == 4403
    print(
        f"closed {time.monotonic() - issued_at:.3f}s after the token was issued (TTL {EXPIRING_TOKEN_TTL_S}s)"
    )
    assert await one.codes("{ viewer { id } }", me.token) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_revoked_socket_cannot_start_operations(
    gqls: tuple[Gql, Gql], apis: Apis, neo4j_session_driver: AsyncDriver, protocol: str
) -> None:
    one, _ = gqls
    me = await one.sign_up()
    ws = await WsClient.open(one.base_url, me.token, protocol)
    # Revoked behind the hub's back (no pub/sub message, as if it had been lost): the session is deleted from
    # Neo4j (the source of truth) and its Redis cache entry too. The next operation is the first to notice,
    # and it never runs.
    digest = hashlib.sha256(me.token.encode()).hexdigest()
    assert await SessionRepo(neo4j_session_driver).delete(digest)
    redis = open_redis(apis.settings.redis_url)
    try:
        assert await redis.delete(f"{apis.settings.key_prefix}auth:tok:{digest}") == 1
    finally:
        await redis.aclose()
    await ws.subscribe("{ viewer { id } }")
    assert await ws.closed_code(within=CLOSE_WITHIN_S) == 4403


# --- 4. a bad token is UNAUTHENTICATED wherever it is sent -------------------------------------------------


async def test_a_bad_token_is_unauthenticated_even_where_no_viewer_is_needed(gqls: tuple[Gql, Gql]) -> None:
    one, _ = gqls
    me = await one.sign_up()
    await one.data("mutation { logOut }", me.token)
    for token in ("forged-token", me.token):
        for query, variables in (
            ("{ trending { id } }", {}),
            ("query($h: String!) { user(handle: $h) { id } }", {"h": me.handle}),
            ("{ __typename }", {}),
            (LOG_IN, {"h": me.handle, "p": PASSWORD}),
        ):
            assert await one.codes(query, token, **variables) == ["UNAUTHENTICATED"], (token, query)
        response = await one.http.get(
            "/graphql", params={"query": "{ trending { id } }"}, headers={"authorization": f"Bearer {token}"}
        )
        assert codes(response.json()) == ["UNAUTHENTICATED"]
        for protocol in (TRANSPORT_WS, LEGACY_WS):
            ws = await WsClient.open(one.base_url, token, protocol, ack=False)
            assert await ws.closed_code() == 4403, protocol
    # Without a token the same queries answer.
    assert "trending" in await one.data("{ trending { id } }")


# --- 5 (websockets). init timeout for both protocols, operation caps ----------------------------------------


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_websocket_that_never_initialises_is_closed(apis: Apis, protocol: str) -> None:
    assert apis.one.base_url is not None
    url = apis.one.base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[protocol], open_timeout=10) as ws:  # type: ignore[list-item]
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(CLOSE_WITHIN_S + 1):  # the init timeout is 1 s here
                while True:
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408


async def test_operations_are_capped_per_connection_and_per_user(gqls: tuple[Gql, Gql]) -> None:
    one, _ = gqls
    me = await one.sign_up()
    probe, after = await one.replay_point(me)
    replaying = {"after": after}
    first = await WsClient.open(one.base_url, me.token)
    ops = [await first.subscribe(variables=replaying) for _ in range(2)]  # 2 per connection here
    replayed: set[str] = set()
    while replayed != set(ops):  # both running: their replays arrived
        message = await first.receive()
        assert message["type"] == "next", message
        if message["payload"]["data"]["homeTimelineEvents"]["tweetId"] == probe:
            replayed.add(message["id"])
    refused_op = await first.subscribe(variables=replaying)
    refused = await first.receive()
    assert (refused["id"], refused["type"]) == (refused_op, "error"), refused
    assert refused["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
    second = await WsClient.open(one.base_url, me.token, LEGACY_WS)
    legacy_op = await second.subscribe(variables=replaying)  # 3 per user here: 2 + 1 fit
    await second.events_until(legacy_op, lambda e: e["tweetId"] == probe)
    refused_op = await second.subscribe(variables=replaying)
    refused = await second.receive()
    assert (refused["id"], refused["type"]) == (refused_op, "error"), refused
    assert refused["payload"]["extensions"]["code"] == "RATE_LIMITED"
    # The running ones still work, and a closed connection frees its places.
    tweet = await one.post_tweet(me, "capped but alive")
    assert (await first.next_event(ops[0]))["tweetId"] == tweet
    await first.close()
    third = await WsClient.open(one.base_url, me.token)

    async def room_again() -> bool:
        op = await third.subscribe(variables=replaying)
        message = await third.receive()
        return message["type"] == "next" and message["id"] == op

    await eventually(room_again, what="the closed connection's places to be freed")
    await third.close()
    await second.close()


# --- 2. X-Forwarded-For only from trusted proxies ------------------------------------------------------------


async def test_forged_forwarded_for_does_not_dodge_per_ip_limits(
    untrusting_api: Proc, neo4j_session_driver: AsyncDriver
) -> None:
    gql = await client_of(untrusting_api)
    try:
        for _ in range(3):
            await gql.sign_up()
        forged = [new_handle("xff") for _ in range(10)]
        for i, handle in enumerate(forged):
            body = await body_from(gql, f"198.51.100.{i + 1}", SIGN_UP, h=handle, p=PASSWORD)
            retry_after(body)
        records, _, _ = await neo4j_session_driver.execute_query(
            "MATCH (u:User) WHERE u.handleLower IN $h RETURN count(u) AS n",
            h=[h.lower() for h in forged],
            database_=DATABASE,
        )
        assert records[0]["n"] == 0
    finally:
        await gql.aclose()


async def test_behind_a_trusted_proxy_the_rightmost_untrusted_address_counts(limited: Gql) -> None:
    address, other = fresh_address(), fresh_address()

    def short() -> dict[str, str]:  # refused after counting (too short a password): creates nobody
        return {"h": new_handle("px"), "p": "short"}

    for _ in range(6):
        assert codes(await body_from(limited, address, SIGN_UP, **short())) == ["BAD_USER_INPUT"]
    retry_after(await body_from(limited, address, SIGN_UP, **short()))
    # A forged hop to the left changes nothing: the proxy's hop (rightmost untrusted) is the client.
    retry_after(await body_from(limited, f"{other}, {address}", SIGN_UP, **short()))
    assert codes(await body_from(limited, other, SIGN_UP, **short())) == ["BAD_USER_INPUT"]


# --- 3. nobody can lock the owner out of logIn ----------------------------------------------------------------


async def test_log_in_limits_cannot_lock_the_owner_out(limited: Gql) -> None:
    owner = await sign_up_from(limited, fresh_address())
    attacker = fresh_address()
    wrong = {"h": owner.handle, "p": "wrong password"}
    for _ in range(3):  # per (handle, address): 3 attempts per window
        assert codes(await body_from(limited, attacker, LOG_IN, **wrong)) == ["UNAUTHENTICATED"]
    retry_after(await body_from(limited, attacker, LOG_IN, **wrong))
    # From many addresses: each one's first attempt is let through, and the handle goes into back-off.
    sprayers = [fresh_address() for _ in range(6)]
    for address in sprayers:
        assert codes(await body_from(limited, address, LOG_IN, **wrong)) == ["UNAUTHENTICATED"]
    second_tries = [codes(await body_from(limited, address, LOG_IN, **wrong)) for address in sprayers]
    assert second_tries.count(["RATE_LIMITED"]) >= len(sprayers) - 1, second_tries  # one per back-off period
    limited_body = await body_from(limited, sprayers[-1], LOG_IN, **wrong)
    retry_after(limited_body)
    # The owner's first (correct) attempt from an address of their own is never refused by all that.
    for address in (fresh_address(), fresh_address()):
        body = await body_from(limited, address, LOG_IN, h=owner.handle, p=PASSWORD)
        assert not body.get("errors") and body["data"]["logIn"]["token"], body


# --- 6. rate limits on every mutation, read and subscription ------------------------------------------------


async def test_mutations_are_limited_per_user_and_answer_retry_after(limited: Gql) -> None:
    address = fresh_address()
    me, star = await sign_up_from(limited, address), await sign_up_from(limited, fresh_address())
    for mutation in (FOLLOW, UNFOLLOW, FOLLOW):  # 3 mutations per user per window here
        assert not (await body_from(limited, address, mutation, me.token, h=star.handle)).get("errors")
    retry_after(await body_from(limited, address, UNFOLLOW, me.token, h=star.handle))
    # Per user: another address does not help; another user at the same address is not affected.
    retry_after(await body_from(limited, fresh_address(), UNFOLLOW, me.token, h=star.handle))
    assert not (await body_from(limited, address, FOLLOW, star.token, h=me.handle)).get("errors")


async def test_reads_are_limited_per_user_and_per_address(limited: Gql) -> None:
    me = await sign_up_from(limited, fresh_address())
    for _ in range(5):  # 5 per user per window here
        assert not (await body_from(limited, fresh_address(), "{ viewer { id } }", me.token)).get("errors")
    retry_after(await body_from(limited, fresh_address(), "{ viewer { id } }", me.token))
    # Anonymous reads: 8 root fields per address per window; aliases count, one per root field.
    address = fresh_address()
    for _ in range(4):
        assert not (await body_from(limited, address, "{ a: trending { id } b: trending { id } }")).get(
            "errors"
        )
    retry_after(await body_from(limited, address, "{ trending { id } }"))
    aliased = "{ " + " ".join(f"t{i}: trending {{ id }}" for i in range(9)) + " }"
    retry_after(await body_from(limited, fresh_address(), aliased))
    assert not (await body_from(limited, fresh_address(), "{ trending { id } }")).get("errors")


async def test_subscriptions_are_limited_per_user(limited: Gql) -> None:
    me = await sign_up_from(limited, fresh_address())
    ws = await WsClient.open(
        limited.base_url, me.token, additional_headers={"x-forwarded-for": fresh_address()}
    )
    try:
        # 1 per user per window here: of two started together, one runs and the other is refused.
        ops = {await ws.subscribe(EVENTS_QUERY), await ws.subscribe(EVENTS_QUERY)}
        message = await ws.receive()
        assert message.get("id") in ops, message
        payload = message["payload"]
        errors = payload if isinstance(payload, list) else payload.get("errors") or [payload]
        assert errors[0]["extensions"]["code"] == "RATE_LIMITED", message
        assert errors[0]["extensions"]["retryAfter"] >= 1, message
    finally:
        await ws.close()
