"""The GraphQL endpoint over the real ASGI app (real Redis + Neo4j): auth, error codes, limits, websockets."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from fanout.keys import Keys
from feedline.app import create_app
from feedline.settings import Settings
from tests.api.gqlclient import new_handle
from tests.support.redis_sync import open_sync_redis


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def gql(client: TestClient, query: str, token: str | None = None, **variables: object) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    return response.json()


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def test_healthz_still_served(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_anonymous_viewer_is_null(client: TestClient) -> None:
    assert gql(client, "{ viewer { id } }") == {"data": {"viewer": None}}


def test_viewer_requiring_queries_are_unauthenticated_when_anonymous(client: TestClient) -> None:
    assert codes(gql(client, "{ homeTimeline { edges { cursor } } }")) == ["UNAUTHENTICATED"]
    assert codes(gql(client, "{ suggestedUsers { id } }")) == ["UNAUTHENTICATED"]
    assert codes(gql(client, 'mutation { postTweet(text: "hi") { id } }')) == ["UNAUTHENTICATED"]
    assert codes(gql(client, 'mutation { deleteTweet(id: "1") }')) == ["UNAUTHENTICATED"]
    assert codes(gql(client, "mutation { logOut }")) == ["UNAUTHENTICATED"]


def test_forged_token_is_unauthenticated(client: TestClient) -> None:
    assert codes(gql(client, "{ viewer { id } }", token="forged")) == ["UNAUTHENTICATED"]
    assert codes(gql(client, "{ homeTimeline { edges { cursor } } }", token="x" * 5000)) == [
        "UNAUTHENTICATED"
    ]


@pytest.mark.parametrize("first", [0, -1, 101, 10_000])
def test_first_outside_range_is_bad_user_input(client: TestClient, first: int) -> None:
    body = gql(client, "query($n: Int) { trending(first: $n) { id } }", n=first)
    assert codes(body) == ["BAD_USER_INPUT"]


def test_invalid_documents_get_bad_user_input(client: TestClient) -> None:
    aliases = " ".join(f"a{i}: viewer {{ id }}" for i in range(50))
    deep = "{ viewer { " + "followers { edges { node { " * 8 + "id" + " } } }" * 8 + " } }"
    for query in (
        "{ nope }",
        "{ viewer { ",
        "{ " + aliases + " }",
        deep,
        "{ " + "viewer { id } " * 2000 + "}",
    ):
        assert codes(gql(client, query)) == ["BAD_USER_INPUT"], query[:60]


def test_errors_never_carry_a_stack_trace(client: TestClient, settings: Settings) -> None:
    body = gql(client, "{ homeTimeline { edges { cursor } } }")  # an expected error
    assert set(body["errors"][0]["extensions"]) == {"code"}
    # An unexpected one: the viewer's timeline key holds a string, so Redis answers WRONGTYPE mid-read.
    signed = gql(
        client,
        'mutation($h: String!) { signUp(handle: $h, password: "long-enough-pw") { token user { id } } }',
        h=new_handle(),
    )["data"]["signUp"]
    redis = open_sync_redis(settings.redis_url)
    try:
        redis.set(Keys(settings.key_prefix).timeline(int(signed["user"]["id"])), b"not a sorted set")
        body = gql(client, "{ homeTimeline { edges { cursor } } }", token=signed["token"])
    finally:
        redis.delete(Keys(settings.key_prefix).timeline(int(signed["user"]["id"])))
        redis.close()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "Internal server error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "WRONGTYPE" not in json.dumps(body) and "Traceback" not in json.dumps(body)


def test_malformed_json_is_rejected(client: TestClient) -> None:
    response = client.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_get_query_and_graphiql(client: TestClient) -> None:
    assert client.get("/graphql", params={"query": "{ viewer { id } }"}).json() == {"data": {"viewer": None}}
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_answers_carry_the_servers_time(client: TestClient) -> None:
    """Server-Timing `app;dur=<ms>` on every GraphQL answer, refusals too (the browser test reads it)."""
    for response in (
        client.get("/graphql", params={"query": "{ viewer { id } }"}),
        client.post("/graphql", content=b"{not json", headers={"content-type": "application/json"}),
    ):
        timing = re.fullmatch(r"app;dur=(\d+\.\d)", response.headers["server-timing"])
        assert timing is not None, response.headers["server-timing"]
        assert 0 <= float(timing.group(1)) < 60_000


def test_cors_preflight_allows_configured_origin(client: TestClient, settings: Settings) -> None:
    origin = settings.cors_origins[0]
    response = client.options("/graphql", headers={"origin": origin, "access-control-request-method": "POST"})
    assert response.headers.get("access-control-allow-origin") == origin


def _init(client: TestClient, payload: dict | None):
    ws = client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])
    session = ws.__enter__()
    session.send_text(json.dumps({"type": "connection_init", "payload": payload or {}}))
    return ws, session


def test_websocket_bad_token_closes_4403(client: TestClient) -> None:
    ws, session = _init(client, {"authorization": "Bearer forged"})
    with pytest.raises(WebSocketDisconnect) as closed:
        session.receive_text()
    assert closed.value.code == 4403
    ws.__exit__(None, None, None)


def test_websocket_anonymous_is_acked_and_subscription_is_unauthenticated(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as session:
        session.send_text(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(session.receive_text())["type"] == "connection_ack"
        session.send_text(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": "subscription { homeTimelineEvents { kind } }"},
                }
            )
        )
        message = json.loads(session.receive_text())
        assert message["type"] in ("error", "next"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]


def test_oversized_document_is_refused_unread(client: TestClient) -> None:
    query = "{ viewer { id } }" + " " * 30_000
    response = client.post("/graphql", json={"query": query})
    assert response.status_code == 413
    assert codes(response.json()) == ["BAD_USER_INPUT"]
    assert client.get("/graphql", params={"query": query}).status_code == 413


def test_root_serves_the_client_or_a_short_page(client: TestClient) -> None:
    for path in ("/", "/home/some/client/route"):
        response = client.get(path)
        assert response.status_code == 200 and "<html" in response.text.lower()


def test_guide_allows_the_neo4j_browser_origin(client: TestClient, settings: Settings) -> None:
    from api.static import GUIDE_DIR

    GUIDE_DIR.mkdir(parents=True, exist_ok=True)
    probe = GUIDE_DIR / "probe-api-test.html"
    probe.write_text("<article>guide</article>")
    try:
        origin = f"http://127.0.0.1:{settings.neo4j_http_port}"
        response = client.get("/guide/probe-api-test.html", headers={"origin": origin})
        assert response.status_code == 200 and "guide" in response.text
        assert response.headers["access-control-allow-origin"] == origin
        other = client.get("/guide/probe-api-test.html", headers={"origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    finally:
        probe.unlink()


def test_metrics_expose_latency_errors_connections_and_backlog(client: TestClient) -> None:
    client.post("/graphql", json={"query": "query Probe { homeTimeline { edges { cursor } } }"})
    text = client.get("/metrics").text
    assert 'feedline_graphql_request_seconds_count{operation="Probe"}' in text
    assert 'feedline_graphql_errors_total{code="UNAUTHENTICATED"}' in text
    assert "feedline_live_connections" in text
    assert "feedline_fanout_stream_length" in text and "feedline_fanout_pending" in text
