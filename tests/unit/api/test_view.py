"""The GraphQL view in-process on a stand-in app state: only documents that never reach the engine."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient
from strawberry.http.exceptions import WebSocketDisconnected

from api.graphql_view import FeedlineGraphQL, TransportWSHandler
from resolvers.limits import MAX_DOCUMENT_BYTES, MAX_TOKENS

MULTIPLE = "Must provide operation name if query contains multiple operations."
OVER_WEBSOCKETS = "subscriptions are served over websockets at /graphql"


class NoLimits:
    async def check(self, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    view = FeedlineGraphQL()
    app = Starlette(routes=[Route("/graphql", view, methods=["GET", "POST"])])
    app.state.feed_service = app.state.tokens = app.state.hub = None  # never reached by these documents
    app.state.rate_limiter = NoLimits()
    with TestClient(app) as test_client:
        yield test_client


def post(client: TestClient, **body: Any) -> tuple[int, dict[str, Any]]:
    response = client.post("/graphql", json=body)
    return response.status_code, response.json()


def refusal(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}


def test_one_operation_runs(client: TestClient) -> None:
    assert post(client, query="{ __typename }") == (200, {"data": {"__typename": "Query"}})
    two = "query A { __typename } query B { __typename }"
    assert post(client, query=two, operationName="B") == (200, {"data": {"__typename": "Query"}})


def test_several_operations_without_a_name_are_a_400(client: TestClient) -> None:
    assert post(client, query="query A { __typename } query B { __typename }") == (400, refusal(MULTIPLE))
    response = client.get("/graphql", params={"query": "{ __typename } { __typename }"})
    assert (response.status_code, response.json()) == (400, refusal(MULTIPLE))


def test_subscriptions_over_http_are_a_400(client: TestClient) -> None:
    subscription = "subscription { homeTimelineEvents { kind } }"
    assert post(client, query=subscription) == (400, refusal(OVER_WEBSOCKETS))
    mixed = "subscription S { homeTimelineEvents { kind } } query Q { __typename }"
    assert post(client, query=mixed, operationName="S") == (400, refusal(OVER_WEBSOCKETS))
    assert post(client, query=mixed, operationName="Q") == (200, {"data": {"__typename": "Query"}})
    response = client.get("/graphql", params={"query": subscription})
    assert (response.status_code, response.json()) == (400, refusal(OVER_WEBSOCKETS))


def test_unknown_operation_name_is_a_400(client: TestClient) -> None:
    assert post(client, query="query A { __typename }", operationName="Nope") == (
        400,
        refusal('Unknown operation named "Nope".'),
    )


def test_a_token_bomb_is_refused_by_the_bounded_parse_with_a_code(client: TestClient) -> None:
    """Parsed once, with the token limit: the operation check never sees it; process_result adds the code.
    Execution never started, so the answer has no `data` entry (GraphQL over HTTP)."""
    bomb = "query A { " + "a " * MAX_TOKENS + "} query B { __typename }"
    assert len(bomb) < MAX_DOCUMENT_BYTES
    status, body = post(client, query=bomb)
    assert status == 200 and "data" not in body
    assert [e["extensions"] for e in body["errors"]] == [{"code": "BAD_USER_INPUT"}]
    assert f"more than {MAX_TOKENS} tokens" in body["errors"][0]["message"]


def test_anonymous_viewer_requiring_mutation_is_unauthenticated(client: TestClient) -> None:
    status, body = post(client, query="mutation { logOut }")
    assert status == 200 and [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


def test_oversized_and_non_object_bodies(client: TestClient) -> None:
    huge = client.post(
        "/graphql", content=b" " * (MAX_DOCUMENT_BYTES + 1), headers={"content-type": "application/json"}
    )
    assert (huge.status_code, huge.json()) == (413, refusal("document too large"))
    scalar = client.post("/graphql", content=b"42", headers={"content-type": "application/json"})
    assert (scalar.status_code, scalar.json()) == (400, refusal("the request body must be a JSON object"))


async def test_a_client_gone_mid_send_is_not_logged_as_an_error(caplog: pytest.LogCaptureFixture) -> None:
    # The operation task of a subscription whose client left while an event was on its way: strawberry hands
    # the WebSocketDisconnected to handle_task_exception, which would log a traceback.
    handler = TransportWSHandler.__new__(TransportWSHandler)  # the method needs no connection state
    with caplog.at_level(logging.DEBUG, logger="strawberry.ws.task"):
        await handler.handle_task_exception(WebSocketDisconnected())
        assert caplog.records == []
        await handler.handle_task_exception(ValueError("a real bug"))
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert caplog.records[0].exc_info is not None
