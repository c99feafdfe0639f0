"""GraphQL over HTTP by the spec, against a real `feedline serve` process: media types, status codes, request
errors without `data`, 405 for a mutation over GET, and RATE_LIMITED with retryAfter / Retry-After."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.graphql_view import negotiate_media_type
from feedline.app import create_app
from feedline.settings import Settings
from tests.api.gqlclient import PASSWORD, in_process, new_handle
from tests.support.processes import Stack

GRAPHQL_RESPONSE = "application/graphql-response+json"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=20.0) as client:
        yield client


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


async def post(http: httpx.AsyncClient, body: Any, accept: str | None = None) -> httpx.Response:
    headers = {"accept": accept} if accept else {}
    return await http.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        (f"{GRAPHQL_RESPONSE};q=0", "application/json"),
        # what urql and Apollo Client send
        (
            f"{GRAPHQL_RESPONSE}, application/graphql+json, application/json, text/event-stream",
            GRAPHQL_RESPONSE,
        ),
    ],
)
def test_negotiation(accept: str | None, expected: str) -> None:
    assert negotiate_media_type(accept) == expected


async def test_json_stays_the_default(http: httpx.AsyncClient) -> None:
    response = await post(http, {"query": "{ viewer { id } }"})
    assert response.status_code == 200 and media(response) == "application/json"
    assert response.json() == {"data": {"viewer": None}}


async def test_graphql_response_json_is_answered_in_kind(http: httpx.AsyncClient) -> None:
    response = await post(http, {"query": "{ viewer { id } }"}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200 and media(response) == GRAPHQL_RESPONSE
    assert "charset=utf-8" in response.headers["content-type"]
    assert response.json() == {"data": {"viewer": None}}


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"query": "{ viewer { "}, "parse"),
        ({"query": "{ nope }"}, "validation"),
        ({"query": "query($n: Int!) { trending(first: $n) { id } }", "variables": {}}, "variable coercion"),
        ({"query": "query A { viewer { id } }", "operationName": "B"}, "unknown operation"),
        ({"query": 42}, "query not a string"),
        ({"variables": {}}, "no query"),
    ],
)
async def test_request_errors_are_4xx_without_data(http: httpx.AsyncClient, body: Any, why: str) -> None:
    response = await post(http, body, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400, (why, response.text)
    assert media(response) == GRAPHQL_RESPONSE, why
    payload = response.json()
    assert "data" not in payload, (why, payload)
    assert [e["extensions"]["code"] for e in payload["errors"]] == ["BAD_USER_INPUT"], why


async def test_request_errors_have_no_data_with_json_either(http: httpx.AsyncClient) -> None:
    for query in ("{ viewer { ", "{ nope }"):
        response = await post(http, {"query": query})
        assert response.status_code == 200 and media(response) == "application/json"
        assert "data" not in response.json(), response.json()


async def test_field_errors_keep_data_and_200(http: httpx.AsyncClient) -> None:
    """Execution started: an UNAUTHENTICATED field error nulls the (non-null) root, but `data` stays."""
    response = await post(http, {"query": "{ homeTimeline { edges { cursor } } }"}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200 and media(response) == GRAPHQL_RESPONSE
    payload = response.json()
    assert "data" in payload and payload["data"] is None
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" and payload["errors"][0]["path"]


async def test_mutation_over_get_is_405_with_allow_post(http: httpx.AsyncClient) -> None:
    for accept in (None, GRAPHQL_RESPONSE):
        headers = {"accept": accept} if accept else {}
        response = await http.get("/graphql", params={"query": "mutation { logOut }"}, headers=headers)
        assert response.status_code == 405, response.text
        assert response.headers["allow"] == "POST"
        assert "data" not in response.json()
    query = await http.get("/graphql", params={"query": "{ viewer { id } }"})
    assert query.status_code == 200 and query.json() == {"data": {"viewer": None}}


async def test_malformed_json_is_400_in_the_asked_media_type(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", content=b"{nope", headers={"content-type": "application/json", "accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400 and media(response) == GRAPHQL_RESPONSE
    assert "data" not in response.json()


async def test_rate_limited_says_when_to_retry(settings: Settings) -> None:
    """Over the per-handle logIn limit: extensions.retryAfter (seconds within the window) and Retry-After."""
    limited = settings.model_copy(update={"rate_limit_auth_per_handle": 2, "rate_limit_window_seconds": 30})
    async with in_process(create_app(limited)) as client:
        login = "mutation($h: String!, $p: String!) { logIn(handle: $h, password: $p) { token } }"
        handle = new_handle("rl")
        bodies = []
        for _ in range(3):
            response = await client.post(login, {"h": handle, "p": PASSWORD})
            bodies.append((response, response.json()))
        first, _ = bodies[0]
        assert "retry-after" not in first.headers
        response, body = bodies[-1]
        error = body["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 1 <= error["extensions"]["retryAfter"] <= 30
        assert response.headers["retry-after"] == str(error["extensions"]["retryAfter"])


def run_node_script(script: str, package: str, stack: Stack) -> str:
    """The stdout of frontend/scripts/<script> run with node against the stack's /graphql (``package`` is the
    npm package it needs)."""
    if not (REPO_ROOT / "frontend" / "node_modules" / package).is_dir():
        pytest.fail("frontend dependencies missing: run `make frontend-deps`")
    run = subprocess.run(
        ["node", str(REPO_ROOT / "frontend" / "scripts" / script), f"{stack.base_url}/graphql"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=REPO_ROOT / "frontend",
    )
    return run.stdout


def test_graphql_http_server_audit(stack: Stack) -> None:
    """graphql-http's server audit (the spec's MUST / SHOULD / MAY checks, run with node): every MUST and
    SHOULD passes."""
    stdout = run_node_script("graphql-http-audit.mjs", "graphql-http", stack)
    results = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    assert len(results) > 40, stdout
    failing = [r for r in results if r["status"] != "ok" and not r["name"].startswith("MAY")]
    assert failing == [], "\n".join(f"{r['name']}: {r['reason']}" for r in failing)


def test_apollo_client_with_persisted_queries(stack: Stack) -> None:
    """Apollo Client's persisted-queries link, as an Apollo app turns it on: the first request sends only the
    hash and gets PERSISTED_QUERY_NOT_FOUND, the link resends it with the query (registering it), and the next
    request of the same document is answered from the hash alone."""
    stdout = run_node_script("apollo-apq.mjs", "@apollo/client", stack)
    outcome = json.loads(stdout.strip().splitlines()[-1])
    assert outcome["first"] == outcome["second"] and "trending" in outcome["first"]
    [miss, register, hit] = outcome["requests"]
    assert (miss["sentQuery"], miss["codes"]) == (False, ["PERSISTED_QUERY_NOT_FOUND"])
    assert (register["sentQuery"], register["codes"]) == (True, [])
    assert (hit["sentQuery"], hit["codes"]) == (False, [])
    assert miss["hash"] == register["hash"] == hit["hash"] and len(miss["hash"]) == 64
