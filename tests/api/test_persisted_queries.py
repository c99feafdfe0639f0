"""Persisted queries over real HTTP (a `feedline serve` process): Apollo's APQ protocol and the web client's
trusted documents (the manifest codegen writes, loaded by the API at start)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.persisted import PersistedDocuments
from tests.api.gqlclient import Gql
from tests.support.processes import Stack

MANIFEST = Path(__file__).resolve().parents[2] / "frontend" / "src" / "gql" / "persisted-documents.json"


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=20.0) as client:
        yield client


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(sha: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


def unique_query() -> str:
    """A document no other test (or earlier run against the same process) has registered."""
    return f"query Probe{uuid.uuid4().hex} {{ viewer {{ id }} trending(first: 1) {{ id }} }}"


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


async def test_apq_register_then_hit_over_post_and_get(http: httpx.AsyncClient) -> None:
    query = unique_query()
    sha = sha256(query)

    # 1. hash only, unknown: PERSISTED_QUERY_NOT_FOUND (what makes Apollo's link and urql resend the query)
    miss = await http.post("/graphql", json={"extensions": apq(sha)})
    body = miss.json()
    assert (
        codes(body) == ["PERSISTED_QUERY_NOT_FOUND"]
        and body["errors"][0]["message"] == "PersistedQueryNotFound"
    )
    assert "data" not in body

    # 2. hash + query: verified, registered, executed
    registered = await http.post("/graphql", json={"query": query, "extensions": apq(sha)})
    assert registered.status_code == 200 and registered.json()["data"]["viewer"] is None, registered.text

    # 3. hash only now hits, over POST and over GET (what Apollo's useGETForHashedQueries / urql send)
    hit = await http.post("/graphql", json={"extensions": apq(sha)})
    assert hit.status_code == 200 and hit.json()["data"]["viewer"] is None, hit.text
    got = await http.get("/graphql", params={"extensions": json.dumps(apq(sha))}, headers={"accept": "*/*"})
    assert got.status_code == 200 and got.json()["data"]["viewer"] is None, got.text


async def test_apq_not_found_over_get(http: httpx.AsyncClient) -> None:
    sha = sha256(unique_query())
    response = await http.get(
        "/graphql",
        params={"extensions": json.dumps(apq(sha))},
        headers={"accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400 and codes(response.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_apq_hash_mismatch_is_bad_user_input(http: httpx.AsyncClient) -> None:
    query = unique_query()
    wrong = sha256(query + " ")
    response = await http.post("/graphql", json={"query": query, "extensions": apq(wrong)})
    assert codes(response.json()) == ["BAD_USER_INPUT"] and "data" not in response.json()
    # nothing was registered under the wrong hash
    again = await http.post("/graphql", json={"extensions": apq(wrong)})
    assert codes(again.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.parametrize(
    "extensions",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
        {"persistedQuery": {"version": 1, "sha256Hash": "not-hex"}},
        {"persistedQuery": {"version": 1}},
        {"persistedQuery": "x"},
    ],
)
async def test_malformed_persisted_query_is_bad_user_input(
    http: httpx.AsyncClient, extensions: dict[str, Any]
) -> None:
    response = await http.post("/graphql", json={"extensions": extensions})
    assert response.status_code == 400 and codes(response.json()) == ["BAD_USER_INPUT"]


async def test_apq_mutation_with_variables(http: httpx.AsyncClient, gql: Gql) -> None:
    """A hashed mutation runs like a full one (variables and the bearer token travel as usual)."""
    account = await gql.sign_up()
    query = "mutation Post($t: String!) { postTweet(text: $t) { id text } }"
    sha = sha256(query)
    headers = {"authorization": f"Bearer {account.token}"}
    first = await http.post(
        "/graphql", json={"query": query, "variables": {"t": "one"}, "extensions": apq(sha)}, headers=headers
    )
    assert first.json()["data"]["postTweet"]["text"] == "one", first.text
    second = await http.post(
        "/graphql", json={"variables": {"t": "two"}, "extensions": apq(sha)}, headers=headers
    )
    assert second.json()["data"]["postTweet"]["text"] == "two", second.text


def viewer_document() -> tuple[str, str]:
    manifest = json.loads(MANIFEST.read_text())
    for key, document in manifest.items():
        if document.startswith("query Viewer "):
            return key.removeprefix("sha256:"), document
    pytest.fail(f"no Viewer query in {MANIFEST}")


async def test_trusted_document_by_id_without_registration(http: httpx.AsyncClient, gql: Gql) -> None:
    """The web client's operations are known from the first request: by documentId (POST and GET) and by the
    APQ hash, which is the same SHA-256."""
    sha, document = viewer_document()
    assert sha256(document) == sha
    account = await gql.sign_up()
    headers = {"authorization": f"Bearer {account.token}"}
    for body in ({"documentId": f"sha256:{sha}"}, {"documentId": sha}, {"extensions": apq(sha)}):
        response = await http.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200, (body, response.text)
        assert response.json()["data"]["viewer"]["handle"] == account.handle
    got = await http.get("/graphql", params={"documentId": f"sha256:{sha}"}, headers=headers)
    assert got.json()["data"]["viewer"]["handle"] == account.handle, got.text
    unknown = await http.post("/graphql", json={"documentId": "sha256:" + "ab" * 32})
    assert codes(unknown.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_apq_store_is_a_bounded_lru() -> None:
    store = PersistedDocuments(capacity=3)
    for i in range(5):
        store.register(f"h{i}", f"doc{i}")
    assert len(store) == 3 and store.lookup("h0") is None and store.lookup("h1") is None
    store.lookup("h2")  # refreshes h2
    store.register("h5", "doc5")
    assert store.lookup("h2") == "doc2" and store.lookup("h3") is None


def test_manifest_entries_with_a_wrong_hash_are_skipped(tmp_path: Path) -> None:
    manifest = tmp_path / "persisted-documents.json"
    good = "query A { viewer { id } }"
    manifest.write_text(
        json.dumps({f"sha256:{sha256(good)}": good, "sha256:" + "0" * 64: "query B { viewer { id } }"})
    )
    store = PersistedDocuments.from_manifests([manifest, tmp_path / "missing.json"])
    assert store.trusted == {sha256(good): good}
